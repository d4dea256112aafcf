"""`app.drift_report` without the CLI: which kinds a report on given plans covers, which version
its manifests and ledger rows name, and a whole report over the real plan fixtures."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from infrarep import drift_runs, records
from infrarep.app import drift_report
from infrarep.drift import Kind
from infrarep.errors import ConfigError
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


# --- env aliases and the day policy acceptances are judged by ---


def _coded(tmp_path: Path, env: str, code: str) -> str:
    """`--plan ENV=FILE` of the env's real plan as if its names were written with `code`."""
    path = tmp_path / f"{env}.json"
    path.write_text((FIXTURES / f"parity_{env}.json").read_text().replace(f"fx-{env}-", f"fx-{code}-"))
    return f"{env}={path}"


def _shape(report) -> list:  # type: ignore[no-untyped-def]
    return sorted(
        (f.kind, f.scope, f.address, f.verdict, tuple((d.path, d.verdict) for d in f.attributes))
        for f in report.findings
    )


def test_names_written_with_codes_given_as_aliases_report_as_the_names_do(tmp_path):
    def report(plan_files: list[str], aliases: list[str]) -> drift_report.DriftReportResult:
        options = drift_report.DriftReportOptions(
            config_path=tmp_path / "absent.yaml", plan_files=plan_files, aliases=aliases
        )
        return drift_report.drift_report(options, lambda _: None, lambda _: None)

    named = report([f"{env}={FIXTURES / f'parity_{env}.json'}" for env in ("dev", "staging", "prod")], [])
    coded = [
        f"dev={FIXTURES / 'parity_dev.json'}",
        _coded(tmp_path, "staging", "stg"),
        _coded(tmp_path, "prod", "p"),
    ]

    assert _shape(report(coded, ["staging=stg", "prod=p"]).report) == _shape(named.report)
    assert _shape(report(coded, []).report) != _shape(named.report)


def test_aliases_merge_the_config_and_the_command_line():
    declared = {"prod": ("prd",)}
    envs = ["dev", "staging", "prod"]

    assert drift_report.env_aliases(declared, [], envs) == {"prod": ("prd",)}
    merged = drift_report.env_aliases(declared, ["prod=p", "staging=stg", "prod=prd"], envs)
    assert merged == {"staging": ("stg",), "prod": ("prd", "p")}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("prd", "--alias 'prd': expected ENV=CODE, e.g. --alias prod=prd"),
        ("prod=", "--alias 'prod=': expected ENV=CODE, e.g. --alias prod=prd"),
        ("prdo=p", "--alias prdo=p: no environment 'prdo' (known: dev, staging, prod)"),
        ("staging=prd", "--alias staging=prd: 'prd' is also an alias of prod"),
        ("prod=dev", "--alias prod=dev: 'dev' is the name of environment dev"),
        ("prod=P", "--alias prod=P: 'P' is not an alias: lowercase letters and digits, at least one letter"),
    ],
)
def test_a_bad_alias_is_one_line_naming_the_option(spec, message):
    with pytest.raises(ConfigError) as raised:
        drift_report.env_aliases({"prod": ("prd",)}, [spec], ["dev", "staging", "prod"])
    assert raised.value.message.startswith(message)


def test_the_policy_is_judged_by_the_given_day(tmp_path):
    policy = tmp_path / "drift-policy.yaml"
    policy.write_text(
        "accepted:\n"
        "  - address: 'module.app.aws_sqs_queue.*'\n"
        "    attribute: message_retention_seconds\n"
        "    reason: prod keeps jobs two weeks for audits\n"
        "    expires: 2026-11-30\n"
    )

    def retention(today: date) -> dict:
        options = drift_report.DriftReportOptions(
            config_path=tmp_path / "absent.yaml",
            plan_files=[f"{env}={FIXTURES / f'parity_{env}.json'}" for env in ("staging", "prod")],
            kinds=frozenset({Kind.PARITY}),
            policy_path=policy,
            format=Format.JSON,
            today=today,
        )
        document = json.loads(drift_report.drift_report(options, lambda _: None, lambda _: None).text)
        (jobs,) = [f for f in document["findings"] if f["address"] == "module.app.aws_sqs_queue.jobs"]
        (found,) = [a for a in jobs["attributes"] if a["path"] == "message_retention_seconds"]
        return found

    assert retention(date(2026, 11, 30))["verdict"] == "expected"
    lapsed = retention(date(2026, 12, 1))
    assert lapsed["verdict"] == "drift"
    assert lapsed["reason"].endswith(
        "acceptance by drift-policy.yaml lapsed after 2026-11-30: prod keeps jobs two weeks for audits"
    )
