"""`--format sarif`: the shape GitHub code scanning accepts, one result per finding to act on,
each at its resource's block, else at its env root's main file, else at a logical location."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infrarep import report
from infrarep.app import drift_report
from infrarep.drift import Kind, Verdict
from infrarep.report import Format, SourceLocation, Sources
from infrarep.report.sarif import FINGERPRINT, RULES

from ..report_cases import FIXTURES, UNTRACED, fixture_report, with_unknown

ROOT = Path(__file__).resolve().parents[2]
LEVELS = {"none", "note", "warning", "error"}


def github_problems(document: dict[str, Any]) -> list[str]:
    """What GitHub's SARIF upload requires of a file (docs: "SARIF support for code scanning")."""
    problems = []
    if document.get("version") != "2.1.0":
        problems.append("version is not 2.1.0")
    if not str(document.get("$schema", "")).endswith("sarif-2.1.0.json"):
        problems.append("$schema is not the SARIF 2.1.0 schema")
    runs = document.get("runs")
    if not isinstance(runs, list) or not runs:
        return [*problems, "no runs"]
    for run in runs:
        driver = run.get("tool", {}).get("driver", {})
        if not driver.get("name"):
            problems.append("run without tool.driver.name")
        rules = driver.get("rules")
        if not isinstance(rules, list):
            problems.append("run without tool.driver.rules")
            rules = []
        ids = [rule.get("id") for rule in rules]
        for rule in rules:
            if not rule.get("id") or not rule.get("shortDescription", {}).get("text"):
                problems.append(f"rule without id or shortDescription: {rule}")
        for result in run.get("results", []):
            where = f"result {result.get('ruleId')}"
            if result.get("ruleId") not in ids:
                problems.append(f"{where}: ruleId not among the rules")
            elif "ruleIndex" in result and ids[result["ruleIndex"]] != result["ruleId"]:
                problems.append(f"{where}: ruleIndex points at another rule")
            if result.get("level", "warning") not in LEVELS:
                problems.append(f"{where}: level {result.get('level')!r}")
            if not result.get("message", {}).get("text"):
                problems.append(f"{where}: no message.text")
            locations = result.get("locations")
            if not isinstance(locations, list) or not locations:
                problems.append(f"{where}: no locations")
                continue
            physical = locations[0].get("physicalLocation")
            if physical is None:
                problems.append(f"{where}: no physicalLocation")
                continue
            uri = physical.get("artifactLocation", {}).get("uri", "")
            if not uri or uri.startswith("/") or "\\" in uri:
                problems.append(f"{where}: artifactLocation.uri {uri!r} is not a relative path")
            line = physical.get("region", {}).get("startLine")
            if not isinstance(line, int) or line < 1:
                problems.append(f"{where}: region.startLine {line!r}")
    return problems


ROOTS = Sources(env_roots={env: SourceLocation(f"envs/{env}/main.tf") for env in ("dev", "staging", "prod")})


def test_the_document_has_the_shape_github_accepts():
    document = json.loads(report.render(fixture_report(), Format.SARIF, sources=ROOTS, tool_version="0.1.0"))

    assert github_problems(document) == []
    driver = document["runs"][0]["tool"]["driver"]
    assert driver["name"] == "infrarep" and driver["version"] == "0.1.0"
    assert [rule["id"] for rule in driver["rules"]] == [
        "infrarep/live-drift",
        "infrarep/pending-change",
        "infrarep/parity-drift",
    ]


def test_one_result_per_drift_finding_with_its_kinds_rule():
    found = with_unknown(fixture_report())

    results = json.loads(report.sarif(found, ROOTS))["runs"][0]["results"]

    drift = [finding for finding in found.findings if finding.verdict is Verdict.DRIFT]
    errors = [result for result in results if result["level"] == "error"]
    assert len(errors) == len(drift) == 24  # live dev 4, pending dev 4 + prod 15, parity 1
    assert [result["ruleId"] for result in errors] == [RULES[finding.kind].id for finding in drift]
    (warning,) = [result for result in results if result["level"] == "warning"]  # the unknown one
    assert warning["ruleId"] == "infrarep/parity-drift"
    assert "cannot trace it" in warning["message"]["text"]
    assert not any(result["level"] == "note" for result in results)  # expected: left out
    fingerprints = [result["partialFingerprints"][FINGERPRINT] for result in results]
    assert len(set(fingerprints)) == len(results)  # one alert each, though many share a line


def test_the_message_says_what_differs_and_why():
    results = json.loads(report.sarif(fixture_report(), ROOTS))["runs"][0]["results"]

    parity = next(result for result in results if result["ruleId"] == "infrarep/parity-drift")
    text = parity["message"]["text"]
    assert text.startswith("parity · staging~prod: module.app.aws_sqs_queue.jobs differs")
    assert "- message_retention_seconds: 345600 -> 1209600 (drift: configured differently" in text


def test_a_result_sits_at_its_resource_block_else_at_its_env_root():
    block = SourceLocation("modules/app/queues.tf", 12)
    sources = Sources({"module.app.aws_sqs_queue.jobs": block}, ROOTS.env_roots)

    results = json.loads(report.sarif(fixture_report(), sources))["runs"][0]["results"]

    def where(result: dict[str, Any]) -> tuple[str, int]:
        physical = result["locations"][0]["physicalLocation"]
        return physical["artifactLocation"]["uri"], physical["region"]["startLine"]

    by_address = {}
    for result in results:
        address = result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        by_address.setdefault((result["properties"]["scope"], address), where(result))
    assert by_address[("staging~prod", "module.app.aws_sqs_queue.jobs")] == ("modules/app/queues.tf", 12)
    assert by_address[("dev", "module.app.aws_sqs_queue.jobs")] == ("modules/app/queues.tf", 12)
    assert by_address[("dev", "module.app.aws_lambda_function.fn")] == ("envs/dev/main.tf", 1)
    assert by_address[("prod", "module.app.aws_sqs_queue.worker[0]")] == ("envs/prod/main.tf", 1)


def test_instance_keys_fall_back_to_the_block_of_the_resource():
    sources = Sources({"module.app.aws_sqs_queue.worker": SourceLocation("modules/app/queues.tf", 30)})

    results = json.loads(report.sarif(with_unknown(fixture_report()), sources))["runs"][0]["results"]

    untraced = next(result for result in results if result["level"] == "warning")
    assert untraced["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == UNTRACED
    assert untraced["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "modules/app/queues.tf"


def test_without_sources_a_result_has_a_logical_location_only():
    results = json.loads(report.sarif(fixture_report()))["runs"][0]["results"]

    assert results
    for result in results:
        (location,) = result["locations"]
        assert "physicalLocation" not in location
        assert location["logicalLocations"][0]["kind"] == "resource"


@pytest.mark.parametrize("show_expected", [False, True])
def test_expected_differences_are_notes_only_when_asked_for(show_expected):
    results = json.loads(report.sarif(fixture_report(), ROOTS, show_expected))["runs"][0]["results"]

    notes = [result for result in results if result["level"] == "note"]
    assert bool(notes) is show_expected


def test_the_command_places_findings_at_the_env_roots_of_the_project(tmp_path):
    delivered: list[str] = []
    options = drift_report.DriftReportOptions(
        config_path=ROOT / "envs" / "environments.yaml",
        plan_files=[f"{env}={FIXTURES / f'parity_{env}.json'}" for env in ("dev", "staging", "prod")],
        kinds=frozenset({Kind.PARITY}),
        format=Format.SARIF,
    )

    drift_report.drift_report(options, lambda _line: None, delivered.append)

    document = json.loads(delivered[0])
    assert github_problems(document) == []
    (result,) = document["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "envs/prod/main.tf"
