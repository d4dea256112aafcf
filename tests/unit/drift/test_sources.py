"""Tracing through the module sources what plan JSON leaves out (`dynamic` blocks, module
locals, literals inside expressions), on real plans of modules in the style of public ones
(tests/fixtures/plans/src/traced, see the README there): dev and prod roots differ in three
literals and two root variables, and each env has its own KMS key."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from infrarep import drift, plans
from infrarep.drift import Kind, Verdict, sources

from .plan_files import FIXTURES, attributes, by_address, variant

TRACED = FIXTURES / "src" / "traced"
REGIONS = {"dev": "us-east-1", "prod": "eu-west-1"}

LIFECYCLE = "module.logs.aws_s3_bucket_lifecycle_configuration.this[0]"
ENCRYPTION = "module.logs.aws_s3_bucket_server_side_encryption_configuration.this[0]"
TRUTH = {
    ("module.jobs.aws_sqs_queue.dlq[0]", "kms_master_key_id"): Verdict.EXPECTED,
    ("module.jobs.aws_sqs_queue.dlq[0]", "tags.Team"): Verdict.EXPECTED,
    ("module.jobs.aws_sqs_queue.dlq[0]", "tags_all.Team"): Verdict.EXPECTED,
    ("module.jobs.aws_sqs_queue.this", "kms_master_key_id"): Verdict.EXPECTED,
    ("module.jobs.aws_sqs_queue.this", "message_retention_seconds"): Verdict.DRIFT,
    ("module.jobs.aws_sqs_queue.this", "tags.Team"): Verdict.EXPECTED,
    ("module.jobs.aws_sqs_queue.this", "tags_all.Team"): Verdict.EXPECTED,
    ("module.logs.aws_s3_bucket.this", "tags.CostCenter"): Verdict.DRIFT,
    ("module.logs.aws_s3_bucket.this", "tags_all.CostCenter"): Verdict.DRIFT,
    ("module.logs.aws_s3_bucket.this", "tags.Team"): Verdict.EXPECTED,
    ("module.logs.aws_s3_bucket.this", "tags_all.Team"): Verdict.EXPECTED,
    (LIFECYCLE, "rule[0].abort_incomplete_multipart_upload[0].days_after_initiation"): Verdict.DRIFT,
    (LIFECYCLE, "rule[0].expiration[0].days"): Verdict.EXPECTED,
    (ENCRYPTION, "rule[0].apply_server_side_encryption_by_default[0].kms_master_key_id"): Verdict.EXPECTED,
}
"""Every difference between the traced dev and prod plans, with the verdict it should get."""


def traced_envs() -> list[drift.EnvPlans]:
    found = []
    for env in ("dev", "prod"):
        plan = plans.load(FIXTURES / f"traced_{env}.json")
        found.append(drift.EnvPlans(env, drift.detect_identity(env, plan, REGIONS[env]), plan))
    return found


def read(envs: list[drift.EnvPlans], roots: dict[str, Path] | None = None) -> dict[str, drift.Sources]:
    roots = roots or {env.env: TRACED / f"root_{env.env}" for env in envs}
    return {env.env: drift.read_sources(roots[env.env], env.plan.config) for env in envs}  # type: ignore[union-attr]


def analyse(with_sources: bool = True) -> drift.DriftReport:
    envs = traced_envs()
    return drift.analyse(envs, [Kind.PARITY], sources=read(envs) if with_sources else None)


def verdicts(report: drift.DriftReport) -> dict[tuple[str, str], Verdict]:
    found = {}
    for finding in report.findings:
        for diff in finding.attributes:
            found[(finding.address, diff.path)] = diff.verdict
    return found


def test_every_difference_is_reported_with_the_verdict_its_truth_gives():
    assert verdicts(analyse()) == TRUTH


def test_a_literal_inside_a_dynamic_block_is_drift_and_a_root_variable_there_is_expected():
    found = attributes(by_address(analyse().findings)[LIFECYCLE])

    abort = found["rule[0].abort_incomplete_multipart_upload[0].days_after_initiation"]
    assert (abort.before, abort.after, abort.verdict) == (7, 1, Verdict.DRIFT)
    assert abort.reason == (
        "configured differently: "
        "dev: module.logs call argument lifecycle_rule.abort_incomplete_multipart_upload_days = 7; "
        "prod: module.logs call argument lifecycle_rule.abort_incomplete_multipart_upload_days = 1"
    )
    expiration = found["rule[0].expiration[0].days"]
    assert (expiration.before, expiration.after, expiration.verdict) == (30, 90, Verdict.EXPECTED)
    assert expiration.reason == "declared per-env variation: var.expiration_days (dev: 30, prod: 90)"


@pytest.mark.parametrize("with_sources", [True, False])
def test_a_key_id_through_a_module_local_is_expected_not_blamed_on_an_unrelated_literal(with_sources):
    dlq = attributes(by_address(analyse(with_sources).findings)["module.jobs.aws_sqs_queue.dlq[0]"])

    key = dlq["kms_master_key_id"]
    assert key.verdict is Verdict.EXPECTED
    assert "module.key.aws_kms_key.this.key_id" in key.reason
    assert "message_retention_seconds" not in key.reason


def test_a_local_is_charged_only_with_the_inputs_it_reads():
    bucket = attributes(by_address(analyse().findings)["module.logs.aws_s3_bucket.this"])

    # local.tags = merge(var.tags, {...}): the Team tag follows var.team, CostCenter is a literal.
    assert bucket["tags.Team"].reason == (
        'declared per-env variation: var.team (dev: "payments", prod: "payments-oncall")'
    )
    assert bucket["tags.CostCenter"].reason == (
        'configured differently: dev: module.logs call argument tags.CostCenter = "1001"; '
        'prod: module.logs call argument tags.CostCenter = "2002"'
    )


def test_without_sources_the_plan_json_rule_holds_and_the_reason_says_so():
    report = analyse(with_sources=False)

    found = by_address(report.findings)
    lifecycle = attributes(found[LIFECYCLE])  # plan JSON shows no dynamic block: nothing dropped
    assert sorted(lifecycle) == [
        "rule[0].abort_incomplete_multipart_upload[0].days_after_initiation",
        "rule[0].expiration[0].days",
    ]
    abort = lifecycle["rule[0].abort_incomplete_multipart_upload[0].days_after_initiation"]
    assert abort.verdict is Verdict.UNKNOWN  # a literal hidden in the module call: not seen offline
    assert abort.reason == (
        "set where plan JSON does not show how (a dynamic block?); "
        "module sources not on disk: --source ENV=DIR (the env's root dir) traces it"
    )
    expiration = lifecycle["rule[0].expiration[0].days"]  # the module's code is the same in both envs
    assert expiration.verdict is Verdict.EXPECTED
    assert expiration.reason == (
        "in a block plan JSON does not show, of module.logs (the same code in both envs): "
        "declared per-env variation: var.expiration_days (dev: 30, prod: 90)"
    )
    key = attributes(found[ENCRYPTION])[
        "rule[0].apply_server_side_encryption_by_default[0].kms_master_key_id"
    ]
    assert (key.verdict, key.reason) == (
        Verdict.EXPECTED,
        "a value each env's provider assigns, in a block plan JSON does not show",
    )
    bucket = attributes(found["module.logs.aws_s3_bucket.this"])
    cost = bucket["tags.CostCenter"]
    assert cost.verdict is Verdict.UNKNOWN
    assert "module.logs.local.tags" in cost.reason
    assert cost.reason.endswith(
        "module sources not on disk: a local stands for all its module's inputs); "
        "--source ENV=DIR (the env's root dir) traces it"
    )
    team = bucket["tags.Team"]
    assert team.verdict is Verdict.EXPECTED
    assert "module sources not on disk: a local stands for all its module's inputs" in team.reason
    assert "--source" not in team.reason


def test_unknown_is_not_drift_for_the_exit_code():
    report = analyse(with_sources=False)
    unknown = [finding for finding in report.findings if finding.verdict is Verdict.UNKNOWN]

    # the bucket's tags through a local; the literal the lifecycle's dynamic block sets
    assert [finding.address for finding in unknown] == ["module.logs.aws_s3_bucket.this", LIFECYCLE]
    assert report.drift_count() == 1  # the retention literal only
    summary = report.summaries[0]
    assert (summary.drift, summary.expected, summary.unknown) == (1, 2, 2)


def test_dynamic_block_types_are_decoded_and_compared():
    envs = traced_envs()
    found = read(envs)["dev"]

    assert found.hidden()[(("logs",), "aws_s3_bucket_lifecycle_configuration.this")] == ("rule",)
    plan = plans.with_hidden(envs[0].plan, found.hidden())  # type: ignore[arg-type]
    assert "rule" in plan.attribute_names and "rule" not in envs[0].plan.attribute_names  # type: ignore[union-attr]


def test_each_module_dir_is_read_once(monkeypatch):
    parsed: list[Path] = []
    parse = sources.parse_module

    def counting(directory: Path) -> sources.ModuleSource:
        parsed.append(directory)
        return parse(directory)

    monkeypatch.setattr(sources, "parse_module", counting)
    envs = traced_envs()
    read(envs[:1])

    assert sorted(path.name for path in parsed) == ["bucket", "key", "queue", "root_dev"]


def test_block_location_names_the_file_and_line_of_a_resource_block():
    found = read(traced_envs())["dev"]

    assert found.block_location("module.logs.aws_s3_bucket_lifecycle_configuration.this[0]") == (
        "../modules/bucket/main.tf",
        13,
    )
    assert found.block_location('module.jobs.aws_sqs_queue.dlq["x"]') == ("../modules/queue/main.tf", 16)
    assert found.block_location("module.key.aws_kms_key.this") == ("../modules/key/main.tf", 2)
    assert found.block_location("aws_s3_bucket.nowhere") is None


def test_registry_modules_are_found_through_the_terraform_modules_manifest(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(TRACED / "root_dev", root)
    for name in ("bucket", "queue", "key"):
        shutil.copytree(TRACED / "modules" / name, root / ".terraform" / "modules" / name)
    entries = [{"Key": "", "Source": "", "Dir": "."}] + [
        {"Key": call, "Source": f"registry.terraform.io/x/{name}/aws", "Dir": f".terraform/modules/{name}"}
        for call, name in (("logs", "bucket"), ("jobs", "queue"), ("key", "key"))
    ]
    (root / ".terraform" / "modules" / "modules.json").write_text(json.dumps({"Modules": entries}))
    envs = traced_envs()

    found = read(envs[:1], {"dev": root})["dev"]

    assert found.problems == []
    assert found.block_location("module.logs.aws_s3_bucket.this") == (".terraform/modules/bucket/main.tf", 7)


def test_an_hcl_file_that_does_not_parse_is_named_and_tracing_falls_back(tmp_path):
    shutil.copytree(TRACED, tmp_path / "traced")
    broken = tmp_path / "traced" / "modules" / "bucket" / "main.tf"
    broken.write_text(broken.read_text().replace("locals {", "locals {{", 1))
    envs = traced_envs()
    roots = {env.env: tmp_path / "traced" / f"root_{env.env}" for env in envs}

    found = read(envs, roots)
    report = drift.analyse(envs, [Kind.PARITY], sources=found)

    assert len(found["dev"].problems) == 1
    assert found["dev"].problems[0].startswith(f"{broken}: does not parse (")
    assert "\n" not in found["dev"].problems[0]
    cost = attributes(by_address(report.findings)["module.logs.aws_s3_bucket.this"])["tags.CostCenter"]
    assert cost.verdict is Verdict.UNKNOWN
    assert str(broken) in cost.reason


def test_a_plan_whose_module_sources_are_missing_is_said_in_one_line(tmp_path):
    shutil.copytree(TRACED / "root_dev", tmp_path / "root_dev")  # without ../modules
    envs = traced_envs()

    found = read(envs[:1], {"dev": tmp_path / "root_dev"})["dev"]
    report = drift.analyse(envs, [Kind.PARITY], sources={"dev": found})

    assert found.problems == [
        "module.jobs: source '../modules/queue' is not on disk (run terraform init)",
        "module.key: source '../modules/key' is not on disk (run terraform init)",
        "module.logs: source '../modules/bucket' is not on disk (run terraform init)",
    ]
    assert report.drift_count() >= 1  # judged on what plan JSON shows, without a traceback


def offline_lifecycle(tmp_path: Path, edit) -> dict[str, drift.AttributeDiff] | None:  # type: ignore[no-untyped-def]
    """The lifecycle rule's differences offline, each env's plan edited by `edit(env, change)`."""
    envs = []
    for env in ("dev", "prod"):

        def apply(document, env=env):  # type: ignore[no-untyped-def]
            for change in document["resource_changes"]:
                if change["address"] == LIFECYCLE:
                    edit(env, change["change"])

        plan = plans.load(variant(tmp_path, f"traced_{env}.json", apply))
        envs.append(drift.EnvPlans(env, drift.detect_identity(env, plan, REGIONS[env]), plan))
    found = by_address(drift.analyse(envs, [Kind.PARITY]).findings).get(LIFECYCLE)
    return attributes(found) if found is not None else None


def test_offline_a_hidden_block_known_only_after_apply_is_no_difference(tmp_path):
    def unknown_rule(env, change):  # type: ignore[no-untyped-def]
        if env == "prod":
            change["after_unknown"] = {"rule": True}

    assert offline_lifecycle(tmp_path, unknown_rule) is None


def test_offline_a_hidden_block_equal_once_normalised_is_no_difference(tmp_path):
    def prefixed(folder):  # type: ignore[no-untyped-def]
        def edit(env, change):  # type: ignore[no-untyped-def]
            rule = change["after"]["rule"][0]
            rule["abort_incomplete_multipart_upload"][0]["days_after_initiation"] = 7
            rule["expiration"][0]["days"] = 30
            rule["filter"][0]["prefix"] = f"tr-{env}-{folder(env)}/"  # each env's own name

        return edit

    assert offline_lifecycle(tmp_path, prefixed(lambda env: "logs")) is None
    found = offline_lifecycle(tmp_path, prefixed(lambda env: "logs" if env == "dev" else "archive"))
    assert found is not None and list(found) == ["rule[0].filter[0].prefix"]
    assert found["rule[0].filter[0].prefix"].verdict is Verdict.UNKNOWN


def test_manifests_are_of_the_plan_alone_as_a_deploy_stores_them():
    """A deploy stores each env's manifest without reading module sources; the drift validator
    compares those, so drift-report must compute the same bytes with sources read."""
    with_sources, without = analyse(), analyse(with_sources=False)
    assert with_sources.manifests
    for env, built in with_sources.manifests.items():
        assert built.canonical_bytes() == without.manifests[env].canonical_bytes(), env


def test_sources_a_plan_was_made_from_match_it_and_other_code_is_named(tmp_path):
    envs = traced_envs()
    assert sources.mismatch(read(envs[:1])["dev"], envs[0].plan.config) is None  # type: ignore[union-attr]
    shutil.copytree(TRACED, tmp_path / "traced")
    main = tmp_path / "traced" / "root_dev" / "main.tf"
    main.write_text(main.read_text().replace('source = "../modules/queue"', 'source = "../modules/key"'))
    changed = read(envs[:1], {"dev": tmp_path / "traced" / "root_dev"})["dev"]

    assert sources.mismatch(changed, envs[0].plan.config) == (  # type: ignore[union-attr]
        f"the root module in {tmp_path / 'traced' / 'root_dev'}: "
        "module call jobs (../modules/queue) is in the plan only"
    )
