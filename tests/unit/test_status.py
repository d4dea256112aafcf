"""`infrarep status`: what each env runs and what its last drift check found, from ledger rows
(pure), and the ledger read in full however many rows came after the deploy (moto in-process)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from infrarep import ledger, records
from infrarep.status import EnvStatus

from ..ledger_rows import row
from ..moto_world import create_ledger_table

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)

CHECK = records.EventType.DRIFT_CHECK

DEPLOYED = row("prod", "v1", NOW - timedelta(days=2))


def test_an_env_never_checked_says_so():
    shown = EnvStatus.of("prod", "eu-west-1", [DEPLOYED]).to_dict()
    assert shown["version"] == "v1"
    assert shown["drift"] == {"result": "never checked", "found": None, "checked_at": None, "version": None}


def test_the_newest_drift_check_is_shown_with_its_result_and_time():
    older = row("prod", "v1", NOW - timedelta(hours=6), event_type=CHECK, reason="drift: live prod 2")
    newer = row(
        "prod", "v1", NOW - timedelta(hours=1), event_type=CHECK, reason="no drift (live, pending, parity)"
    )
    status = EnvStatus.of("prod", "eu-west-1", [newer, DEPLOYED, older])
    assert status.to_dict()["drift"] == {
        "result": "no drift (live, pending, parity)",
        "found": False,
        "checked_at": "2026-12-02T08:00:00+00:00",
        "version": "v1",
    }
    assert status.line().endswith("drift: no drift (live, pending, parity) at 2026-12-02T08:00:00+00:00")
    drifted = EnvStatus.of("prod", "eu-west-1", [older, DEPLOYED])
    assert drifted.drift_found is True
    assert drifted.to_dict()["drift"]["result"] == "drift: live prod 2"


def test_a_drift_check_is_not_the_last_deploy_attempt():
    failed = row("prod", "v2", NOW - timedelta(days=1), records.Status.FAILED)
    check = row("prod", "v1", NOW, event_type=CHECK, reason="no drift (live)")
    status = EnvStatus.of("prod", "eu-west-1", [check, failed, DEPLOYED])
    assert status.to_dict()["last_attempt"] == {
        "version": "v2",
        "status": "FAILED",
        "event": "DEPLOY",
        "at": "2026-12-01T09:00:00+00:00",
    }
    assert "(last: DEPLOY v2 FAILED)" in status.line()


def test_only_drift_check_rows_can_say_drift_was_found():
    with pytest.raises(records.InvalidRecord, match="a DEPLOY row is not a drift check"):
        records.drift_found(DEPLOYED)


@pytest.fixture
def dynamodb(aws):
    clients = ledger.make_clients("eu-west-1")
    create_ledger_table(clients.dynamodb, "infrarep-prod-ledger")
    return clients


def test_the_deploy_is_found_behind_any_number_of_newer_rows(dynamodb):
    where = ledger.EnvResources("prod", "eu-west-1", "infrarep-prod-ledger", "unused")
    ledger.record(dynamodb, where, DEPLOYED)
    for hour in range(150):  # a drift check every hour since the deploy
        check = row("prod", "v1", NOW - timedelta(hours=hour), event_type=CHECK)
        ledger.record(dynamodb, where, check)
    rows = ledger.history(dynamodb, where)
    assert len(rows) == 151 and rows[0].at == NOW
    assert EnvStatus.of("prod", "eu-west-1", rows).to_dict()["version"] == "v1"
