"""Env identity: an env's name, region and account id, which make its values differ from a
sibling's without being drift. Values are compared once each env's identity is replaced by
placeholders (so `arn:aws:sqs:us-east-1:111111111111:shop-dev-jobs` equals its staging sibling).
An env's aliases (the codes a team writes for it: `prd`, `p`) stand for its name."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..plans import Plan
from .model import ValuePath

_ARN_ACCOUNT = re.compile(rb"arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:([0-9]{12}):")
_SENTINELS = {"env": "\x01\x02", "region": "\x01\x03", "account_id": "\x01\x04"}
"""Stand-ins while replacing: control characters, so no env name, region or account id can
match inside one (a chained replace never re-replaces its own output)."""
PLACEHOLDERS = {"env": "${env}", "region": "${region}", "account_id": "${account_id}"}


def _kept_sentinel(index: int) -> str:
    """The stand-in of the `index`th kept spelling: control characters, none inside another's."""
    return "\x01\x05" + "\x06" * (index + 1) + "\x01"


@dataclass(frozen=True)
class EnvIdentity:
    """What makes one env's values differ from a sibling's without being drift."""

    name: str
    region: str | None = None
    account_id: str | None = None
    aliases: tuple[str, ...] = ()
    """Codes that stand for the env's name (`prd`, `p`): replaced by `${env}` like the name."""
    others: tuple[str, ...] = ()
    """The other envs' names. One that holds this env's name (`prod-us` for `prod`) names that
    env: it is kept as written, never read as this env's name and a suffix."""

    @cached_property
    def _kept(self) -> dict[str, str]:
        """Each spelling (lower, Capital, UPPER) of another env's name that holds this env's
        name or an alias, with its stand-in."""
        own = [name.lower() for name in (self.name, *self.aliases) if name]
        spellings = dict.fromkeys(
            spelling
            for other in self.others
            if any(name in other.lower() for name in own)
            for spelling in (other.lower(), other.capitalize(), other.upper())
        )
        return {spelling: _kept_sentinel(index) for index, spelling in enumerate(spellings)}

    @cached_property
    def _patterns(self) -> tuple[tuple[str, re.Pattern[str], str], ...]:
        """(token, its pattern, sentinel), longest token first. A token only matches as a whole word:
        `dev` in `shop-dev-jobs` or `devQueue`, not in `device`; `prod` not in `product`;
        `Dev` in `ShopDevTable`; `DEV` in `SHOP_DEV`; the region also inside a zone (`us-east-1a`).
        An alias matches like the name, except a one-letter one: between separators only
        (`shop-p-jobs`, `SHOP_P`), never against a letter of either case (`ShopPdf`, `api`).
        A kept name (`_kept`) matches as a whole word of either case, longer so first."""
        tokens: dict[str, tuple[str, str, str]] = {}  # token: (kind, not before it, not after it)
        for name in (self.name, *self.aliases):
            if not name:
                continue
            lower, upper, capital = name.lower(), name.upper(), name.capitalize()
            if len(name) == 1:
                tokens.setdefault(lower, ("env", "[A-Za-z0-9]", "[A-Za-z0-9]"))
                tokens.setdefault(upper, ("env", "[A-Za-z0-9]", "[A-Za-z0-9]"))
                continue
            tokens.setdefault(lower, ("env", "[a-z0-9]", "[a-z0-9]"))
            tokens.setdefault(capital, ("env", "[A-Z0-9]", "[a-z0-9]"))
            tokens.setdefault(upper, ("env", "[A-Z0-9]", "[A-Z0-9]"))
            tokens.setdefault(name, ("env", "[A-Za-z0-9]", "[A-Za-z0-9]"))
        if self.region:
            tokens[self.region] = ("region", "[a-z0-9]", "[0-9]")
        if self.account_id:
            tokens[self.account_id] = ("account_id", "[0-9]", "[0-9]")
        for spelling in self._kept:
            tokens.setdefault(spelling, ("kept", "[A-Za-z0-9]", "[A-Za-z0-9]"))
        ordered = sorted(tokens.items(), key=lambda item: -len(item[0]))  # longest first
        # The token's first character leads the pattern and the lookbehind follows it
        # (`d(?<![a-z0-9]d)ev(?![a-z0-9])`, not `(?<![a-z0-9])dev`): a pattern led by a literal
        # lets the regex engine skip straight to where that character occurs, one led by a
        # lookbehind is tried at every position.
        return tuple(
            (
                token,
                re.compile(
                    f"{re.escape(token[0])}(?<!{before}{re.escape(token[0])}){re.escape(token[1:])}(?!{after})"
                ),
                self._kept[token] if kind == "kept" else _SENTINELS[kind],
            )
            for token, (kind, before, after) in ordered
        )

    @cached_property
    def _byte_patterns(self) -> tuple[tuple[bytes, re.Pattern[bytes], bytes], ...]:
        return tuple(
            (token.encode(), re.compile(pattern.pattern.encode()), sentinel.encode())
            for token, pattern, sentinel in self._patterns
        )

    def text(self, value: str) -> str:
        """`shop-dev-jobs` -> `shop-${env}-jobs` (and the region and account id likewise)."""
        for token, pattern, sentinel in self._patterns:
            if token in value:  # a plain search first: most values hold no token
                value = pattern.sub(sentinel, value)
        if "\x01" in value:
            for spelling, sentinel in self._kept.items():
                value = value.replace(sentinel, spelling)
            for kind, sentinel in _SENTINELS.items():
                value = value.replace(sentinel, PLACEHOLDERS[kind])
        return value

    @cached_property
    def byte_tokens(self) -> tuple[tuple[bytes, bytes], ...]:
        """(token, sentinel) pairs of `raw`, longest first. Aliases are left out: replaced inside
        words, a code as short as `p` would make `pay` in prod equal `say` in staging (`s`)."""
        tokens = {name: _SENTINELS["env"] for name in (self.name, self.name.upper(), self.name.capitalize())}
        tokens[self.region or ""] = _SENTINELS["region"]
        tokens[self.account_id or ""] = _SENTINELS["account_id"]
        ordered = sorted(
            ((token, sentinel) for token, sentinel in tokens.items() if token), key=lambda t: -len(t[0])
        )
        return tuple((token.encode(), sentinel.encode()) for token, sentinel in ordered)

    def raw(self, data: bytes) -> bytes:
        """A loose, fast form of the replacement on raw JSON, for equality checks only (the result
        is not JSON): every occurrence is replaced, also inside words (`prod` in `product`). Two
        values equal after this are equal modulo the envs' identities; unequal ones are looked at
        again with `text` (whole words), and as written."""
        for token, sentinel in self.byte_tokens:
            data = data.replace(token, sentinel)
        return data

    def raw_json(self, data: bytes) -> bytes:
        """`text`'s whole-word replacement on raw JSON, still valid JSON."""
        for token, pattern, sentinel in self._byte_patterns:
            if token in data:
                data = pattern.sub(sentinel, data)
        for spelling, kept in self._kept.items():
            data = data.replace(kept.encode(), spelling.encode())
        return self.placeholders(data)

    @staticmethod
    def placeholders(data: bytes) -> bytes:
        """`raw` output -> JSON again: the stand-ins become `${env}`, `${region}`, `${account_id}`."""
        if b"\x01" in data:
            for kind, sentinel in _SENTINELS.items():
                data = data.replace(sentinel.encode(), PLACEHOLDERS[kind].encode())
        return data

    def value(self, value: Any) -> Any:
        """Normalise every string (and map key) inside a JSON value."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(key): self.value(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.value(item) for item in value]
        return value

    def is_identity(self, value: Any) -> bool:
        """Is `value` this env's name (or an alias), region or account id (normalising makes it
        equal anyway)?"""
        return isinstance(value, str) and (
            value in {self.name, self.region, self.account_id} or value in self.aliases
        )


def detect_identity(
    env: str,
    plan: Plan,
    region: str | None = None,
    aliases: tuple[str, ...] = (),
    others: tuple[str, ...] = (),
) -> EnvIdentity:
    """The env's identity: its name and `aliases`, its region (given, else the `aws` provider's
    `region`), its account id (the first account id in an ARN the plan holds) and the `others`
    envs' names."""
    return EnvIdentity(env, region or _provider_region(plan), _account_id(plan), aliases, others)


def _provider_region(plan: Plan) -> str | None:
    provider = plan.config.provider("aws")
    if provider is None:
        return None
    expressions = plan.config.decoded(provider.expressions)
    region = expressions.get("region") if isinstance(expressions, dict) else None
    if not isinstance(region, dict):
        return None
    if isinstance(region.get("constant_value"), str):
        return str(region["constant_value"])
    for reference in region.get("references", []):
        if reference.startswith("var.") and isinstance(plan.variable_value(reference[4:]), str):
            return str(plan.variable_value(reference[4:]))
    return None


_ACCOUNT_SAMPLE = 500
"""Resources whose ARNs vote for the env's account id (enough to outvote a few cross-account ARNs)."""


def _account_id(plan: Plan) -> str | None:
    """The account id most ARNs in the plan carry: a bucket policy naming another account, or
    a shared ECR registry, must not become the env's account id."""
    sample: list[bytes] = []
    configured = len(plan.attribute_names)  # a row's first values
    for record, row in zip(plan.changes[:_ACCOUNT_SAMPLE], plan.rows, strict=False):
        sample += map(bytes, (*(row[:configured] if row is not None else ()), record.change.before))
    for drifted in plan.drift[:_ACCOUNT_SAMPLE]:
        sample += map(bytes, (drifted.change.before, drifted.change.after))
    votes = Counter(_ARN_ACCOUNT.findall(b"\x1e".join(sample)))  # \x1e: never inside JSON text
    if not votes:
        return None
    return votes.most_common(1)[0][0].decode()


@dataclass(frozen=True)
class Releases:
    """The release an env runs and the one its normal plan was made with."""

    runs: str
    planned: str

    @property
    def differ(self) -> bool:
        return self.runs != self.planned


@dataclass
class EnvPlans:
    """One env's input to the drift engine: its identity, and the plans read for it."""

    env: str
    identity: EnvIdentity
    plan: Plan | None = None
    """The normal plan (pending changes, parity; also live drift when there is no refresh plan)."""
    refresh: Plan | None = None
    """The refresh-only plan (live drift)."""
    releases: Releases | None = None
    """Known when the release the env runs was looked up: an env on another release than the
    planned one awaits its promotion, so its pending changes are expected. None (plans read
    from files, or `--version`): pending changes are drift."""


def identity_paths(plan: Plan, identity: EnvIdentity) -> frozenset[tuple[str, ValuePath]]:
    """Where the plan's root variables hold the env's own name, region or account id."""
    found: set[tuple[str, ValuePath]] = set()

    def walk(name: str, value: Any, path: ValuePath) -> None:
        if identity.is_identity(value):
            found.add((name, path))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(name, item, (*path, key))
        elif isinstance(value, list):
            for position, item in enumerate(value):
                walk(name, item, (*path, position))

    for name in plan.variables:
        walk(name, plan.variable_value(name), ())
    return frozenset(found)
