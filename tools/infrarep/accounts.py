"""One AWS account per env, if the user wants it: what an account id and a deployer role ARN
look like, and what to say when the credentials reach another account. No I/O here: the
runner asks STS who the credentials are (`Runner.require_account`)."""

from __future__ import annotations

import re

ACCOUNT_ID = re.compile(r"[0-9]{12}")
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::(?P<account>[0-9]{12}):role/[A-Za-z0-9+=,.@_/-]{1,512}")


def account_id_problem(value: object) -> str | None:
    """Why `value` is not an AWS account id (a string of 12 digits); None if it is."""
    if not isinstance(value, str) or not ACCOUNT_ID.fullmatch(value):
        shown = repr(value) if isinstance(value, str) else str(value)
        return (
            f'{shown} is not an AWS account id: 12 digits, quoted if it starts with 0 (e.g. "011111111111")'
        )
    return None


def role_arn_problem(role_arn: str, account_id: str | None) -> str | None:
    """Why `role_arn` cannot be the deployer role of an env in `account_id`; None if it can."""
    match = ROLE_ARN.fullmatch(role_arn)
    if match is None:
        return f"{role_arn!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
    if account_id is None:
        return "a role_arn needs the account_id it belongs to: set account_id too"
    if match["account"] != account_id:
        return f"{role_arn} is a role in account {match['account']}, not in account_id {account_id}"
    return None


def wrong_account(where: str, expected: str, actual: str, role_arn: str | None) -> str | None:
    """The refusal when the credentials for `where` (an env, or the control plane) reach
    `actual` instead of `expected`; None when they are the same."""
    if actual == expected:
        return None
    through = f" (as {role_arn})" if role_arn else ""
    return f"{where}: the credentials reach account {actual}{through}, but {where} is in account {expected}"
