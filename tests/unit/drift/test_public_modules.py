"""Parity on real plans of public modules (tests/fixtures/public_modules, see its README): every
difference planted in the env roots, and every one that follows from them, is reported with the
verdict its set's truth.yaml gives; values planted equal are not reported.

Two modes, named in the test ids:

- `offline`: plan JSON alone (always; CI has no module sources). A row with an `offline:` entry
  must come out as that entry says (the engine cannot know more without the sources: unknown,
  with the reason); the other rows as their truth says.
- `sources`: with each env root given as `--source ENV=DIR` would (only when the fetched sources
  are in `.sources/<set>`): every row as its truth says, reasons included.

A row the engine still gets wrong in a mode would be a strict xfail here, with the reason."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from infrarep import drift, plans
from infrarep.app import drift_report
from infrarep.drift import AttributeDiff, DriftReport, EnvPlans, Kind

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "public_modules"
SETS = ("eventbridge", "step-functions", "sns")
MODES = ("offline", "sources")

KNOWN_WRONG: dict[str, str] = {}
"""`mode:set:row` -> how the engine gets the row wrong (none today)."""


def truth(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((FIXTURES / name / "truth.yaml").read_text())
    return loaded


def has_sources(name: str) -> bool:
    return (FIXTURES / ".sources" / name).is_dir()


@cache
def parity_report(name: str, mode: str) -> DriftReport:
    envs = []
    for env, region in truth(name)["envs"].items():
        plan = plans.load(FIXTURES / name / f"plan_{env}.json")
        envs.append(EnvPlans(env, drift.detect_identity(env, plan, region), plan, None))
    sources = {}
    if mode == "sources":  # the path `drift-report --plan ENV=FILE --source ENV=DIR` takes
        said: list[str] = []
        specs = [f"{env.env}={FIXTURES / name / env.env}" for env in envs]
        roots = drift_report.source_roots(specs, [env.env for env in envs])
        sources = drift_report.given_sources(roots, envs, said.append)
        assert said == []  # every module dir found, every file parsed
    return drift.analyse(envs, [Kind.PARITY], manifests=False, sources=sources)


def reported(name: str, mode: str) -> dict[tuple[str, str], AttributeDiff]:
    return {
        (finding.address, diff.path): diff
        for finding in parity_report(name, mode).findings
        for diff in finding.attributes
    }


def cases(section: str | None) -> list[Any]:
    found = []
    for mode in MODES:
        for name in SETS:
            marks = [] if mode == "offline" else [needs_sources(name)]
            for row in truth(name)[section] if section else [None]:
                case_id = f"{mode}:{name}" + (f":{row_id(row)}" if row else "")
                wrong = KNOWN_WRONG.get(case_id)
                row_marks = [*marks, pytest.mark.xfail(strict=True, reason=wrong)] if wrong else marks
                found.append(pytest.param(mode, name, row, id=case_id, marks=row_marks))
    return found


def row_id(row: dict[str, Any]) -> str:
    return str(row.get("id", f"{row['address']} {row['attribute']}"))


def needs_sources(name: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(not has_sources(name), reason=f"no module sources in .sources/{name}")


@pytest.mark.parametrize(("mode", "name", "row"), cases("differences"))
def test_each_difference_is_reported_with_its_verdict(mode: str, name: str, row: dict[str, Any]) -> None:
    diff = reported(name, mode).get((row["address"], row["attribute"]))

    assert diff is not None, f"not reported ({row['why']})"
    offline = row.get("offline") if mode == "offline" else None
    if offline is not None:  # without sources the engine cannot know more: it says what it lacks
        assert (diff.verdict, offline["reason"] in diff.reason) == (offline["verdict"], True), diff.reason
        return
    assert diff.verdict == row["verdict"], f"{diff.verdict}: {diff.reason} ({row['why']})"
    for named in row.get("reason_names", []):
        assert named in diff.reason
    for unrelated in row.get("reason_omits", []):
        assert unrelated not in diff.reason


@pytest.mark.parametrize(("mode", "name", "row"), cases("equal"))
def test_values_planted_equal_are_not_reported(mode: str, name: str, row: dict[str, Any]) -> None:
    assert (row["address"], row["attribute"]) not in reported(name, mode)


@pytest.mark.parametrize(("mode", "name", "row"), cases(None))
def test_nothing_is_reported_that_the_truth_does_not_list(mode: str, name: str, row: None) -> None:
    listed = {(row["address"], row["attribute"]) for row in truth(name)["differences"]}

    assert sorted(reported(name, mode).keys() - listed) == []


def test_a_row_that_reads_otherwise_offline_says_what_of_the_sources_it_needs() -> None:
    for name in SETS:
        for row in truth(name)["differences"]:
            if "offline" in row:
                assert row.get("needs_sources"), f"{name}:{row_id(row)}"
