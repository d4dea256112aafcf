"""`app.drift_report` without the CLI: which kinds a report on given plans covers, which version
its manifests and ledger rows name, and a whole report over the real plan fixtures."""

from __future__ import annotations

import json
from pathlib import Path

from infrarep import drift_runs, records
from infrarep.app import drift_report
from infrarep.drift import Kind
from infrarep.report import Format
from infrarep.runner import Release

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plans"
RELEASE = Release("v7", "abc123")


def _read(**files: str) -> list:
    given = {env: [FIXTURES / name] for env, name in files.items()}
    return drift_runs.from_files(given, list(given), {}, lambda _: None)


def test_without_kinds_a_report_covers_what_the_given_plans_answer():
    normal = _read(dev="parity_dev.json", staging="parity_staging.json")
    assert drift_report.reported_kinds(frozenset(), normal) == (frozenset(Kind), None)

    mixed = _read(dev="parity_dev.json", staging="live_dev.json")
    kinds, note = drift_report.reported_kinds(frozenset(), mixed)
    assert kinds == frozenset({Kind.LIVE})
    assert note == "drift-report: no normal plan for staging: live drift only (--kind to choose)"


def test_requested_kinds_hold_whatever_the_plans():
    mixed = _read(dev="parity_dev.json", staging="live_dev.json")
    assert drift_report.reported_kinds(frozenset({Kind.PARITY}), mixed) == (frozenset({Kind.PARITY}), None)


def test_the_version_is_the_requested_one_else_the_planned_release_else_unknown():
    assert drift_report.manifest_version("v9", RELEASE) == "v9"
    assert drift_report.manifest_version(None, RELEASE) == "v7"
    assert drift_report.manifest_version(None, None) == records.UNKNOWN
    # A DRIFT_CHECK row never records "unknown": plans read from files name this checkout's release.
    assert drift_report.ledger_version(records.UNKNOWN, RELEASE) == "v7"
    assert drift_report.ledger_version("v9", RELEASE) == "v9"


def test_a_report_on_given_plans_is_delivered_and_says_whether_it_found_drift(tmp_path):
    delivered: list[str] = []
    lines: list[str] = []
    options = drift_report.DriftReportOptions(
        config_path=tmp_path / "absent.yaml",  # plans given: no environments.yaml needed
        plan_files=[f"{env}={FIXTURES / f'parity_{env}.json'}" for env in ("dev", "staging", "prod")],
        format=Format.JSON,
    )

    result = drift_report.drift_report(options, lines.append, delivered.append)

    assert delivered == [result.text]
    document = json.loads(result.text)
    assert result.drift is True and document["drift"] is True
    assert sorted(document["kinds"]) == sorted(kind.value for kind in Kind)
    assert [line.split()[0] for line in lines] == ["dev", "staging", "prod"]  # one "read" line each


def test_a_clean_live_plan_reports_no_drift(tmp_path):
    options = drift_report.DriftReportOptions(
        config_path=tmp_path / "absent.yaml", plan_files=[f"dev={FIXTURES / 'live_clean_dev.json'}"]
    )
    lines: list[str] = []
    result = drift_report.drift_report(options, lines.append, lambda _text: None)
    assert result.drift is False
    assert "drift-report: no normal plan for dev: live drift only (--kind to choose)" in lines
