"""analyse: every kind at once, in order, and the plans each kind needs."""

from __future__ import annotations

import weakref
from collections.abc import Iterator

import pytest

from infrarep import drift, plans
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


def test_envs_read_one_after_another_give_the_same_report_and_are_let_go_of():
    """An env's plans are dropped once no pair still to compare needs them: with default pairs,
    dev's plan is gone by the time prod's is read."""
    expected = drift.analyse(parity_envs())
    alive: dict[str, weakref.ref[plans.Plan]] = {}
    alive_when_prod_is_read: list[str] = []

    def one_by_one() -> Iterator[drift.EnvPlans]:
        for env in ("dev", "staging", "prod"):
            if env == "prod":
                alive_when_prod_is_read.extend(name for name, plan in alive.items() if plan() is not None)
            loaded = env_plans(env, f"parity_{env}.json")
            assert loaded.plan is not None
            alive[env] = weakref.ref(loaded.plan)
            yield loaded

    report = drift.analyse(one_by_one())

    assert alive_when_prod_is_read == ["staging"]
    assert report == expected
    assert report.pairs == (("dev", "staging"), ("staging", "prod"))


def test_explicit_pairs_keep_an_env_until_its_last_pair():
    envs = parity_envs()
    pairs = [("staging", "prod"), ("dev", "prod")]

    report = drift.analyse(iter(envs), [Kind.PARITY], pairs=pairs)

    assert report == drift.analyse(envs, [Kind.PARITY], pairs=pairs)
    assert [summary.scope for summary in report.summaries] == ["staging~prod", "dev~prod"]
