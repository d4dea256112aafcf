"""The drift engine: the three kinds of drift, kept apart, as pure functions over plans read by
`plans.load`.

1. live drift (`live.py`): the cloud changed behind terraform - `resource_drift` of a
   refresh-only plan, never terraform's exit code;
2. pending change (`pending.py`): `resource_changes` that are not no-ops;
3. parity drift (`parity.py`): two envs differ in something that is not a declared per-env
   variation. Why a difference is expected or drift is decided in `verdicts.py`, from where
   `tracing.py` finds each value set in the plan's `configuration`.

Values are compared after normalising each env's name, region and account id (`identity.py`)
and provider noise (`noise.py`); `values.py` holds the diffs and terraform's masks,
`policy.py` the differences a team accepts, `manifests.py` each env's config manifest, and
`analysis.py` puts it all together. `history.py` tells new drift from persisting and resolved;
`fleet.py` reports the fleet from stored reports and config manifests, without plans.
`model.py`, at the bottom, holds the findings and the report. Each module imports only those
below it (`tests/unit/drift/test_layering.py`).

The names below are what the rest of infrarep uses; the modules hold the rest.
"""

from .analysis import analyse
from .fleet import StoredEnv, env_part, fleet_report
from .history import (
    FindingKey,
    History,
    Status,
    compare,
    covered_scopes,
    finding_keys,
    new_drift,
    report_keys,
    within,
)
from .identity import EnvIdentity, EnvPlans, Releases, detect_identity
from .live import live_findings
from .manifests import env_manifest
from .model import (
    AttributeDiff,
    Change,
    DriftFinding,
    DriftReport,
    Kind,
    Marker,
    ScopeSummary,
    Verdict,
    scope_envs,
)
from .policy import DEFAULT_POLICY_NAME, load_policy
from .sources import Sources, mismatch, read_sources

__all__ = [
    "DEFAULT_POLICY_NAME",
    "AttributeDiff",
    "Change",
    "DriftFinding",
    "DriftReport",
    "EnvIdentity",
    "EnvPlans",
    "FindingKey",
    "History",
    "Kind",
    "Marker",
    "Releases",
    "ScopeSummary",
    "Sources",
    "Status",
    "StoredEnv",
    "Verdict",
    "analyse",
    "compare",
    "covered_scopes",
    "detect_identity",
    "env_manifest",
    "env_part",
    "finding_keys",
    "fleet_report",
    "live_findings",
    "load_policy",
    "mismatch",
    "new_drift",
    "read_sources",
    "report_keys",
    "scope_envs",
    "within",
]
