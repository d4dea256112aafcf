"""`drift-report --plan ENV=FILE` inside the project: an env of environments.yaml is traced through
its own root envs/<env> when its plan was made from it (same resource blocks and module calls),
said in one line; a plan of other code, or a run outside the project, uses plan JSON alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from infrarep.app import drift_report
from infrarep.drift import Kind
from infrarep.report import Format

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plans"
TRACED = FIXTURES / "src" / "traced"
LIFECYCLE = "module.logs.aws_s3_bucket_lifecycle_configuration.this[0]"
ABORT = "rule[0].abort_incomplete_multipart_upload[0].days_after_initiation"
EXPIRATION = "rule[0].expiration[0].days"


def project(tmp_path: Path, write_config) -> Path:  # type: ignore[no-untyped-def]
    """A project whose dev and prod roots are the ones the traced plans were made in."""
    config = write_config(tmp_path, prod={"region": "eu-west-1"})
    for env in ("dev", "prod"):
        shutil.copytree(TRACED / f"root_{env}", tmp_path / "envs" / env)
    shutil.copytree(TRACED / "modules", tmp_path / "envs" / "modules")  # the roots call ../modules
    return config


def lifecycle(config: Path) -> tuple[dict[str, str], list[str]]:
    lines: list[str] = []
    options = drift_report.DriftReportOptions(
        config_path=config,
        plan_files=[f"{env}={FIXTURES / f'traced_{env}.json'}" for env in ("dev", "prod")],
        kinds=frozenset({Kind.PARITY}),
        format=Format.JSON,
        show_expected=True,
    )
    result = drift_report.drift_report(options, lines.append, lambda _: None)
    findings = {finding["address"]: finding for finding in json.loads(result.text)["findings"]}
    return {diff["path"]: diff["verdict"] for diff in findings[LIFECYCLE]["attributes"]}, lines


def test_an_env_of_the_project_is_traced_through_its_own_root(tmp_path, write_config):
    verdicts, lines = lifecycle(project(tmp_path, write_config))

    assert verdicts == {ABORT: "drift", EXPIRATION: "expected"}  # the literal seen in the source
    for env in ("dev", "prod"):
        root = tmp_path / "envs" / env
        assert f"drift-report: {env}: module sources from {root} (--source ENV=DIR for another)" in lines


def test_a_plan_not_made_from_the_envs_root_is_judged_on_plan_json_alone(tmp_path, write_config):
    config = project(tmp_path, write_config)
    for env in ("dev", "prod"):
        main = tmp_path / "envs" / env / "main.tf"
        main.write_text(main.read_text() + '\nresource "aws_sqs_queue" "added_since" {}\n')

    verdicts, lines = lifecycle(config)

    assert verdicts == {ABORT: "unknown", EXPIRATION: "expected"}  # as without sources
    root = tmp_path / "envs" / "dev"
    assert (
        f"drift-report: dev: not traced through {root} (the root module in {root}: "
        "resource aws_sqs_queue.added_since is on disk only): plan JSON alone"
    ) in lines


def test_outside_a_project_plans_are_judged_on_plan_json_alone(tmp_path):
    verdicts, lines = lifecycle(tmp_path / "absent.yaml")

    assert verdicts == {ABORT: "unknown", EXPIRATION: "expected"}
    assert not any("module sources" in line for line in lines)
