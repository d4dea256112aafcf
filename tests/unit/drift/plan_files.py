"""Plans of the drift tests: real terraform runs (tests/fixtures/plans, see its README).

dev and staging were deployed from the same root with their tfvars; prod's root hard-codes
`retention_seconds` and was only planned; dev then changed out of band (live_dev, pending_dev).
A few tests derive a variant from a real plan with one targeted edit, said where it happens.
"""

from __future__ import annotations

import json
from pathlib import Path

from infrarep import drift, plans
from infrarep.drift import EnvPlans

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "plans"
REGIONS = {"dev": "us-east-1", "staging": "us-west-2", "prod": "eu-west-1"}
TOKENS = ("dev-token-not-secret-really", "staging-token-do-not-print", "prod-token-do-not-print")


def env_plans(env: str, *files: str | Path) -> EnvPlans:
    loaded = [plans.load(file if isinstance(file, Path) else FIXTURES / file) for file in files]
    normal = next((plan for plan in loaded if plan.has_changes), None)
    refresh = next((plan for plan in loaded if not plan.has_changes), None)
    identity = drift.detect_identity(env, normal or refresh, REGIONS[env])  # type: ignore[arg-type]
    return EnvPlans(env, identity, normal, refresh)


def parity_envs() -> list[EnvPlans]:
    return [env_plans(env, f"parity_{env}.json") for env in ("dev", "staging", "prod")]


def variant(tmp_path: Path, fixture: str, edit) -> Path:  # type: ignore[no-untyped-def]
    """A copy of a real plan with one edit applied to its JSON document."""
    document = json.loads((FIXTURES / fixture).read_text())
    edited = edit(document)
    path = tmp_path / f"edited_{fixture}"
    path.write_text(json.dumps(document if edited is None else edited))
    return path


def by_address(findings, scope=None):  # type: ignore[no-untyped-def]
    return {finding.address: finding for finding in findings if scope is None or finding.scope == scope}


def attributes(finding):  # type: ignore[no-untyped-def]
    return {diff.path: diff for diff in finding.attributes}
