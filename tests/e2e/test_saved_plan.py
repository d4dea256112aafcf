"""The saved-plan reader against the configured terraform (or tofu): what `planfile` reads
from a plan file is what `show -json` shows for it. A version passes these tests before it
goes into pins.VERIFIED_PLANFILE_FORMATS: they read its plans directly whatever the list says."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from infrarep import applied, cli, drift, local_target, pins, planfile, plans, recording, render, runner
from infrarep.files import write_atomic
from infrarep.terraform import TerraformBinary, TerraformRoot

pytestmark = pytest.mark.e2e

FIXTURE = Path(__file__).parents[1] / "fixtures" / "saved_plan"
REGION = "us-east-1"


def test_the_saved_plan_holds_the_variables_show_json_shows(tools, tmp_path):
    for name in ("main.tf", "values.tfvars.json"):
        shutil.copy(FIXTURE / name, tmp_path / name)
    root = TerraformRoot(tools.binary(), tmp_path, env=dict(tools.terraform_env()))
    root.init()
    root.plan(tmp_path / "saved.tfplan", var_files=[tmp_path / "values.tfvars.json"])
    shown = root.show_json(tmp_path / "saved.tfplan", tmp_path / "saved.json").read_bytes()

    saved = planfile.read(tmp_path / "saved.tfplan")
    assert (
        applied.root_variables(saved.variables, applied.configuration_of(shown))
        == json.loads(shown)["variables"]
    )
    assert saved.terraform_version == json.loads(shown)["terraform_version"]


def _code(moved: bool) -> str:
    topic = "moved" if moved else "original"
    return f"""
terraform {{
  required_providers {{
    aws = {{ source = "hashicorp/aws" }}
  }}
}}

provider "aws" {{
  region = "{REGION}"
}}

variable "token" {{
  type      = string
  sensitive = true
}}

resource "aws_sqs_queue" "changed" {{
  name = "infrarep-planfile-changed"
  tags = {{ Team = "payments", Token = var.token }}
}}

resource "aws_sqs_queue" "deleted" {{
  name = "infrarep-planfile-deleted"
}}

resource "aws_sns_topic" "{topic}" {{
  name = "infrarep-planfile-topic"
}}
""" + ("moved {\n  from = aws_sns_topic.original\n  to   = aws_sns_topic.moved\n}\n" if moved else "")


@dataclass(frozen=True)
class Drifted:
    root: TerraformRoot
    refresh: Path
    """A saved refresh-only plan that finds a changed, a deleted and a moved-and-changed object."""


@pytest.fixture(scope="module")
def drifted(tools, local, tmp_path_factory: pytest.TempPathFactory) -> Drifted:
    workdir = tmp_path_factory.mktemp("saved-plan-drift")
    for name, text in render.local_files([""]).items():
        write_atomic(workdir / name, text or "")
    write_atomic(workdir / "main.tf", _code(moved=False))
    write_atomic(workdir / "values.tfvars.json", json.dumps({"token": "s3cret"}))
    values = [workdir / "values.tfvars.json"]
    root = TerraformRoot(
        tools.binary(), workdir, env={**tools.terraform_env(), **local_target.terraform_env(local)}
    )
    root.init()
    root.plan(workdir / "apply.tfplan", var_files=values)
    root.apply(workdir / "apply.tfplan")

    session = {"region_name": REGION, "endpoint_url": local.endpoint, "verify": local.ca_bundle}
    credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    sqs = boto3.client("sqs", **session, **credentials)
    changed = sqs.get_queue_url(QueueName="infrarep-planfile-changed")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=changed, Attributes={"DelaySeconds": "7"})
    sqs.tag_queue(QueueUrl=changed, Tags={"Token": "rotated", "Owner": "someone"})
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName="infrarep-planfile-deleted")["QueueUrl"])
    sns = boto3.client("sns", **session, **credentials)
    topic = next(
        t["TopicArn"]
        for t in sns.list_topics()["Topics"]
        if t["TopicArn"].endswith(":infrarep-planfile-topic")
    )
    sns.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="renamed")

    write_atomic(workdir / "main.tf", _code(moved=True))
    root.plan(workdir / "refresh.tfplan", refresh_only=True, var_files=values)
    return Drifted(root, workdir / "refresh.tfplan")


def _refresh_run(
    plan_files: runner.PlanFiles, root: TerraformRoot, plan_file: Path, out: Path
) -> runner.PlannedRun:
    """The run `Runner.plan` returns for a refresh-only plan: its JSON form exported on first
    use, once."""
    exported: list[Path] = []

    def export_json(background: bool = False) -> Path:
        if not exported:
            exported.append(plan_files.export(root, plan_file, out, True, background))
        return exported[0]

    return runner.PlannedRun("dev", root.workdir, plan_file, plans.PlanSummary(()), 0.0, export_json)


def _marked(mask: object, path: tuple[object, ...] = ()) -> set[tuple[object, ...]]:
    """The paths a sensitive mask marks (terraform's mask also spells out unmarked maps)."""
    if mask is True:
        return {path}
    items = mask.items() if isinstance(mask, dict) else enumerate(mask) if isinstance(mask, list) else ()
    return {marked for key, value in items for marked in _marked(value, (*path, key))}


def _drift_records(plan_json: Path) -> list[tuple[object, ...]]:
    return sorted(
        (
            record.address,
            record.change.action.value,
            plans.decode_json(record.change.before),
            plans.decode_json(record.change.after),
            _marked(plans.decode_json(record.change.before_sensitive)),
            _marked(plans.decode_json(record.change.after_sensitive)),
        )
        for record in plans.load(plan_json).drift
    )


def test_both_ways_of_reading_a_saved_plan_find_the_same_live_drift(drifted, tmp_path, monkeypatch, capsys):
    """One saved refresh-only plan read through `show -json` (a version not in the list: said
    once on stderr) and from the plan file itself (the toolchain's version, verified: no
    terraform runs): the same drift, the same findings, the same inputs for a deploy's config
    manifest."""
    binary = drifted.root.binary
    monkeypatch.setattr(pins, "VERIFIED_PLANFILE_FORMATS", frozenset())
    unverified = runner.PlanFiles(binary, tmp_path / "unverified", cli.progress)
    run = _refresh_run(unverified, drifted.root, drifted.refresh, tmp_path / "shown.json")
    shown = run.plan_json
    shown_inputs = recording.ManifestInputs(unverified, run)
    assert not (tmp_path / "unverified").exists()  # nothing kept by a digest it did not read

    monkeypatch.setattr(pins, "VERIFIED_PLANFILE_FORMATS", frozenset({(binary.flavour, binary.version_text)}))
    direct = runner.PlanFiles(binary, tmp_path / "configurations", cli.progress)
    # The code's configuration, as the first plan JSON exported of it keeps it.
    kept = direct.configuration_path(planfile.read(drifted.refresh).code_digest)
    write_atomic(kept, applied.configuration_of(shown.read_bytes()))
    no_terraform = TerraformRoot(
        TerraformBinary(tmp_path / "absent", binary.flavour, binary.version), tmp_path
    )
    direct_run = _refresh_run(direct, no_terraform, drifted.refresh, tmp_path / "direct.json")
    read_directly = direct_run.plan_json
    direct_inputs = recording.ManifestInputs(direct, direct_run)

    assert _drift_records(read_directly) == _drift_records(shown)
    findings, summary = drift.live_findings("dev", plans.load(read_directly))
    assert (findings, summary) == drift.live_findings("dev", plans.load(shown))
    changes = {finding.address: (finding.change, finding.attributes) for finding in findings}
    assert {address: change for address, (change, _) in changes.items()} == {
        "aws_sqs_queue.changed": drift.Change.CHANGED,
        "aws_sqs_queue.deleted": drift.Change.MISSING,
        "aws_sns_topic.moved": drift.Change.CHANGED,  # moved and changed
    }
    assert [(a.path, a.before, a.after) for a in changes["aws_sqs_queue.changed"][1]] == [
        ("delay_seconds", 0, 7),
        ("tags.Owner", drift.Marker.ABSENT, "someone"),
        ("tags.Token", drift.Marker.SENSITIVE, drift.Marker.SENSITIVE),
    ]
    assert [(a.path, a.after) for a in changes["aws_sns_topic.moved"][1]] == [("display_name", "renamed")]

    state = (drifted.root.workdir / "terraform.tfstate").read_bytes()
    assert shown_inputs.document(state, "state") == direct_inputs.document(state, "state")

    said = [line for line in capsys.readouterr().err.splitlines() if "format not verified" in line]
    assert said == [
        f"plans      {binary.flavour} {binary.version_text}: saved-plan format not verified (verified: none);"
        " reading plans with `show -json` instead (slower)"
    ]
