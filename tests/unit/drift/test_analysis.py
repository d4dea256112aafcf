"""analyse: every kind at once, in order, and the plans each kind needs."""

from __future__ import annotations

import pytest

from infrarep import drift
from infrarep.drift import Kind
from infrarep.errors import ConfigError

from .plan_files import env_plans, parity_envs, variant


def test_analyse_rejects_a_pair_without_a_plan():
    with pytest.raises(ConfigError, match="pair dev~qa: no plan for env 'qa'"):
        drift.analyse(parity_envs(), [Kind.PARITY], pairs=[("dev", "qa")])


def test_analyse_says_which_plan_a_kind_needs():
    live_only = env_plans("dev", "live_dev.json")

    with pytest.raises(ConfigError, match="dev: pending changes need a normal plan"):
        drift.analyse([live_only], [Kind.PENDING])
    with pytest.raises(ConfigError, match="dev: parity needs a normal plan"):
        drift.analyse([live_only], [Kind.PARITY])


def test_findings_are_ordered_by_kind_then_env_order():
    envs = [env_plans("dev", "live_dev.json", "pending_dev.json"), *parity_envs()[1:]]

    report = drift.analyse(envs)

    kinds = [finding.kind for finding in report.findings]
    assert kinds == sorted(kinds, key=list(Kind).index)
    assert [summary.scope for summary in report.summaries if summary.kind is Kind.PARITY] == [
        "dev~staging",
        "staging~prod",
    ]
    assert report.drift_count(Kind.LIVE, "dev") == 4
    assert report.drift_count(Kind.PENDING, "dev") == 4
    assert report.drift_count(Kind.PARITY) == 1


def test_plans_without_managed_resources_compare_clean(tmp_path):
    def only_data(document):  # type: ignore[no-untyped-def]
        document["resource_changes"] = [r for r in document["resource_changes"] if r["mode"] == "data"]

    envs = [env_plans(env, variant(tmp_path, f"parity_{env}.json", only_data)) for env in ("staging", "prod")]

    report = drift.analyse(envs, [Kind.PARITY, Kind.PENDING])

    assert report.findings == ()
    assert report.inventory == {"staging": (), "prod": ()}
