"""The local AWS: moto's server (pinned in pyproject.toml) plus the few APIs the stack needs.

Run as `python -m infrarep.local_aws_server -H 127.0.0.1 -p PORT`; `local_aws.up()` does.
Each extension below fills one gap that would otherwise make the same Terraform fail or
plan a perpetual diff against the local AWS; each has a test in tests/unit.
"""

from __future__ import annotations

import os
import sys

# AWS-managed IAM policies (e.g. AWSLambdaVPCAccessExecutionRole) exist only when moto
# loads them at start-up; must be set before moto is imported.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")


def install_extensions() -> None:
    """Patch moto in place. Idempotent; called before the server starts."""


def main(argv: list[str] | None = None) -> None:
    from moto import server

    install_extensions()
    server.main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
