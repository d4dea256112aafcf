"""Parity on real plans of public modules (tests/fixtures/public_modules, see its README): every
difference planted in the env roots, and every one that follows from them, is reported with the
verdict its set's truth.yaml gives; values planted equal are not reported.

Rows the engine gets wrong today are strict xfails with the reason (issue 19): the test says
what is missing and flips to a failure, to be unmarked, when the engine gets the row right."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from infrarep import drift, plans
from infrarep.drift import AttributeDiff, DriftReport, EnvPlans, Kind

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "public_modules"
SETS = ("eventbridge", "step-functions", "sns")

DYNAMIC = "set inside a dynamic block, which plan JSON leaves out: never compared"
DATA_DOCUMENT = "built by a data source's dynamic blocks: judged provider-assigned, so expected"
LOCAL_ALL_INPUTS = "through a module local, charged with every input of the module call"
READ_BACK = "read back from a separate policy resource: judged drift although configured alike"

# Rows the engine gets wrong today, and how.
KNOWN_WRONG = {
    "eventbridge:retry-attempts": DYNAMIC,
    "eventbridge:retry-event-age": DYNAMIC,
    "eventbridge:webhook-api-key": DYNAMIC,
    "eventbridge:orders-description": LOCAL_ALL_INPUTS
    + ": expected, for differing root variables it never reads",
    "eventbridge:audit-state": LOCAL_ALL_INPUTS + ": the reason names unrelated root variables",
    "step-functions:log-level": DYNAMIC,
    "step-functions:log-execution-data": DYNAMIC,
    "step-functions:state-machine-kms-key": DYNAMIC,
    "sns:publish-actions": DATA_DOCUMENT + ", although a literal in the statements differs",
    "sns:alerts-name": LOCAL_ALL_INPUTS + ": the reason also names the topic_policy_statements argument",
    "sns:audit-name": LOCAL_ALL_INPUTS + ": the reason also names var.auditor_role_arn",
    "sns:auditor-principal": DATA_DOCUMENT + ": right verdict, but the reason names no root variable",
    "sns:audit-topic-policy-read-back": READ_BACK,
}


def truth(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((FIXTURES / name / "truth.yaml").read_text())
    return loaded


@cache
def parity_report(name: str) -> DriftReport:
    envs = []
    for env, region in truth(name)["envs"].items():
        plan = plans.load(FIXTURES / name / f"plan_{env}.json")
        envs.append(EnvPlans(env, drift.detect_identity(env, plan, region), plan, None))
    return drift.analyse(envs, [Kind.PARITY], manifests=False)


def reported(name: str) -> dict[tuple[str, str], AttributeDiff]:
    return {
        (finding.address, diff.path): diff
        for finding in parity_report(name).findings
        for diff in finding.attributes
    }


def rows(section: str) -> list[Any]:
    cases = []
    for name in SETS:
        for row in truth(name)[section]:
            case_id = f"{name}:{row.get('id', row['address'] + ' ' + row['attribute'])}"
            marks = []
            if case_id in KNOWN_WRONG:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_WRONG[case_id]))
            cases.append(pytest.param(name, row, id=case_id, marks=marks))
    return cases


@pytest.mark.parametrize(("name", "row"), rows("differences"))
def test_each_difference_is_reported_with_its_verdict(name: str, row: dict[str, Any]) -> None:
    diff = reported(name).get((row["address"], row["attribute"]))

    assert diff is not None, f"not reported ({row['why']})"
    assert diff.verdict == row["verdict"], f"{diff.verdict}: {diff.reason} ({row['why']})"
    for named in row.get("reason_names", []):
        assert named in diff.reason
    for unrelated in row.get("reason_omits", []):
        assert unrelated not in diff.reason


@pytest.mark.parametrize(("name", "row"), rows("equal"))
def test_values_planted_equal_are_not_reported(name: str, row: dict[str, Any]) -> None:
    assert (row["address"], row["attribute"]) not in reported(name)


@pytest.mark.parametrize("name", SETS)
def test_nothing_is_reported_that_the_truth_does_not_list(name: str) -> None:
    listed = {(row["address"], row["attribute"]) for row in truth(name)["differences"]}

    assert sorted(reported(name).keys() - listed) == []
