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


# --- --source ENV=DIR: module sources for given plans ---

TRACED = FIXTURES / "src" / "traced"
LIFECYCLE = "module.logs.aws_s3_bucket_lifecycle_configuration.this[0]"


def _traced_report(tmp_path: Path, sources: list[str]) -> tuple[dict, list[str]]:  # type: ignore[type-arg]
    lines: list[str] = []
    options = drift_report.DriftReportOptions(
        config_path=tmp_path / "absent.yaml",
        plan_files=[f"{env}={FIXTURES / f'traced_{env}.json'}" for env in ("dev", "prod")],
        kinds=frozenset({Kind.PARITY}),
        format=Format.JSON,
        show_expected=True,
        source_dirs=sources,
    )
    result = drift_report.drift_report(options, lines.append, lambda _: None)
    findings = {finding["address"]: finding for finding in json.loads(result.text)["findings"]}
    return findings, lines


def _lifecycle_verdicts(findings: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {diff["path"]: diff["verdict"] for diff in findings[LIFECYCLE]["attributes"]}


def test_given_plans_with_their_env_roots_are_traced_through_the_module_sources(tmp_path):
    abort = "rule[0].abort_incomplete_multipart_upload[0].days_after_initiation"
    expiration = "rule[0].expiration[0].days"

    offline, _ = _traced_report(tmp_path, [])
    traced, lines = _traced_report(tmp_path, [f"{env}={TRACED / f'root_{env}'}" for env in ("dev", "prod")])

    # Without sources the literal in the dynamic block is unknown; with them, drift.
    assert _lifecycle_verdicts(offline) == {abort: "unknown", expiration: "expected"}
    assert _lifecycle_verdicts(traced) == {abort: "drift", expiration: "expected"}
    assert not any("drift-report:" in line for line in lines)  # every module dir read


def test_a_root_whose_modules_are_missing_is_said_in_one_line_and_traced_from_plan_json(tmp_path):
    (tmp_path / "root_dev").mkdir()
    (tmp_path / "root_dev" / "main.tf").write_text((TRACED / "root_dev" / "main.tf").read_text())

    findings, lines = _traced_report(tmp_path, [f"dev={tmp_path / 'root_dev'}"])

    assert (
        "drift-report: dev: module.logs: source '../modules/bucket' is not on disk (run terraform init)"
        in lines
    )
    assert _lifecycle_verdicts(findings) == _lifecycle_verdicts(_traced_report(tmp_path, [])[0])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("dev", "--source 'dev': expected ENV=DIR, e.g. --source prod=envs/prod"),
        ("dev=", "--source 'dev=': expected ENV=DIR, e.g. --source prod=envs/prod"),
        ("qa={root}", "--source qa={root}: no plan for env 'qa' (given: dev, prod)"),
        ("dev={root}/nowhere", "--source dev={root}/nowhere: '{root}/nowhere' is not a directory"),
    ],
)
def test_a_bad_source_is_one_line_naming_the_option(tmp_path, spec, message):
    with pytest.raises(ConfigError) as raised:
        drift_report.source_roots([spec.format(root=tmp_path)], ["dev", "prod"])

    assert str(raised.value) == message.format(root=tmp_path)


def test_a_second_source_for_one_env_or_one_without_plans_is_refused(tmp_path, write_config):
    with pytest.raises(ConfigError, match=r"dev already has a source dir"):
        drift_report.source_roots([f"dev={tmp_path}", f"dev={tmp_path}"], ["dev"])
    options = drift_report.DriftReportOptions(
        config_path=write_config(tmp_path), source_dirs=[f"dev={tmp_path}"]
    )
    with pytest.raises(ConfigError) as raised:
        drift_report.drift_report(options, lambda _: None, lambda _: None)
    assert str(raised.value) == "--source: only with --plan (without it, each env's root is read anyway)"
