"""Promotion gates, with an injected clock: nothing sleeps for the soak."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from infrarep import promote, records
from infrarep.errors import ConfigError

from ..ledger_rows import row

ORDER = ("dev", "staging", "prod")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def request(target: str, version: str = "v2", approver: str | None = "alice", approval: bool = True):
    return promote.PromotionRequest(
        target=target,
        version=version,
        order=ORDER,
        soak=timedelta(minutes=60),
        approval_required=approval,
        approver=approver,
    )


def failed(results) -> dict[str, str]:
    return {str(r.gate): r.detail for r in results if not r.passed}


def test_staging_promotion_passes_when_dev_runs_the_version():
    results = promote.evaluate(request("staging"), [row("dev", "v2", NOW - timedelta(minutes=5))], False, NOW)
    assert failed(results) == {}
    assert [str(r.gate) for r in results] == ["deployed_in_previous_env", "no_live_drift", "approval"]


def test_out_of_order_promotion_names_what_to_deploy_first():
    rows = [row("staging", "v1", NOW - timedelta(hours=5))]
    problems = failed(promote.evaluate(request("prod"), rows, False, NOW))
    assert problems["deployed_in_previous_env"] == "staging runs v1, not v2: deploy v2 to staging first"
    assert problems["soak_time"] == "v2 has not started soaking in staging"


def test_prod_waits_for_the_soak_and_says_how_long_remains():
    rows = [row("staging", "v2", NOW - timedelta(minutes=45))]
    problems = failed(promote.evaluate(request("prod"), rows, False, NOW))
    assert problems == {"soak_time": "v2 must soak in staging for 60 min 0 s; 15 min 0 s remain"}


def test_prod_passes_once_the_soak_has_elapsed():
    rows = [row("staging", "v2", NOW - timedelta(minutes=61))]
    assert failed(promote.evaluate(request("prod"), rows, False, NOW)) == {}


def test_a_failed_deploy_does_not_count():
    rows = [row("dev", "v2", NOW, status=records.Status.FAILED), row("dev", "v1", NOW - timedelta(days=1))]
    problems = failed(promote.evaluate(request("staging"), rows, False, NOW))
    assert problems["deployed_in_previous_env"].startswith("dev runs v1, not v2")


def test_missing_approval_and_live_drift_both_refuse_and_each_says_what_would_pass():
    rows = [row("dev", "v2", NOW)]
    results = promote.evaluate(request("staging", approver=None), rows, True, NOW)
    assert set(failed(results)) == {"approval", "no_live_drift"}
    assert "approval: staging needs an approval: answer the prompt, or pass --approve NAME" in (
        promote.refusal_lines(results)
    )


def test_unchecked_drift_fails_closed():
    problems = failed(promote.evaluate(request("staging"), [row("dev", "v2", NOW)], None, NOW))
    assert problems == {"no_live_drift": "live drift of dev could not be checked"}


def test_no_approval_needed_where_config_says_so():
    results = promote.evaluate(
        request("staging", approver=None, approval=False), [row("dev", "v2", NOW)], False, NOW
    )
    assert failed(results) == {}


def test_the_first_env_is_deployed_not_promoted():
    with pytest.raises(ConfigError, match="dev is the first environment"):
        promote.evaluate(request("dev"), [], False, NOW)
    with pytest.raises(ConfigError, match="no environment 'qa'"):
        promote.previous_env(ORDER, "qa")


def test_soak_remaining_never_goes_negative():
    assert promote.soak_remaining(NOW - timedelta(hours=3), NOW, timedelta(hours=1)) == timedelta(0)
    assert promote.soak_remaining(NOW, NOW, timedelta(hours=1)) == timedelta(hours=1)
