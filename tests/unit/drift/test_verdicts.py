"""Why a parity difference is expected (a declared per-env variation, a value each env
assigns itself) or drift, and the reason the finding gives."""

from __future__ import annotations

from infrarep import drift
from infrarep.drift import Change, Kind, Verdict

from .plan_files import attributes, by_address, env_plans, parity_envs, variant


def test_per_env_variables_are_expected_not_drift():
    report = drift.analyse(parity_envs()[:2], [Kind.PARITY])

    assert not report.drift
    found = by_address(report.findings, "dev~staging")
    memory = attributes(found["module.app.aws_lambda_function.fn"])["memory_size"]
    assert (memory.before, memory.after, memory.verdict) == (256, 512, Verdict.EXPECTED)
    assert memory.reason == "declared per-env variation: var.memory_mb (dev: 256, staging: 512)"
    retention = attributes(found["module.app.aws_sqs_queue.jobs"])["message_retention_seconds"]
    assert retention.verdict is Verdict.EXPECTED
    assert "var.retention_seconds (dev: 86400, staging: 345600)" in retention.reason


def test_count_and_for_each_instances_from_variables_are_expected():
    report = drift.analyse(parity_envs()[:2], [Kind.PARITY])

    found = by_address(report.findings, "dev~staging")
    worker = found["module.app.aws_sqs_queue.worker[1]"]
    assert (worker.change, worker.verdict) == (Change.ONLY_IN, Verdict.EXPECTED)
    assert "var.workers (staging: 2, dev: 1)" in worker.reason
    replay = found['module.app.aws_sqs_queue.extra["replay"]']
    assert (replay.change, replay.verdict) == (Change.ONLY_IN, Verdict.EXPECTED)
    assert "var.queues" in replay.reason
    assert 'module.app.aws_sqs_queue.extra["audit"]' not in found  # in both, equal


def test_hard_coded_value_in_one_env_root_is_parity_drift():
    report = drift.analyse(parity_envs(), [Kind.PARITY])

    drifted = [finding for finding in report.findings if finding.verdict is Verdict.DRIFT]
    assert [(finding.scope, finding.address) for finding in drifted] == [
        ("staging~prod", "module.app.aws_sqs_queue.jobs")
    ]
    retention = attributes(drifted[0])["message_retention_seconds"]
    assert (retention.before, retention.after) == (345600, 1209600)
    assert retention.reason == (
        "configured differently: staging: var.retention_seconds; "
        "prod: module.app call argument retention_seconds = 1209600"
    )


def test_nested_module_resource_is_compared():
    report = drift.analyse(parity_envs(), [Kind.PARITY])

    bucket = by_address(report.findings, "staging~prod")["module.app.module.store.aws_s3_bucket.this"]
    diff = attributes(bucket)["bucket"]
    assert diff.verdict is Verdict.EXPECTED
    assert "data.aws_caller_identity.current" in diff.reason
    assert "module.app.module.store.aws_s3_bucket_policy.this" in report.inventory["prod"]


def display_names(tmp_path, dev_name, staging_name):  # type: ignore[no-untyped-def]
    """The topic display name (module.app's local.label) set to these values in dev and staging."""

    def edit(name):  # type: ignore[no-untyped-def]
        def apply(document):  # type: ignore[no-untyped-def]
            for change in document["resource_changes"]:
                if change["address"] == "module.app.aws_sns_topic.alerts":
                    change["change"]["after"]["display_name"] = name

        return apply

    dev = env_plans("dev", variant(tmp_path, "parity_dev.json", edit(dev_name)))
    staging = env_plans("staging", variant(tmp_path, "parity_staging.json", edit(staging_name)))
    report = drift.analyse([dev, staging], [Kind.PARITY])
    return attributes(by_address(report.findings)["module.app.aws_sns_topic.alerts"])["display_name"]


def test_a_child_module_local_stands_for_the_module_inputs(tmp_path):
    # plan JSON leaves out locals, but module.app is the same code in both envs, so the
    # difference can only come through its inputs; retention_seconds differs and is declared,
    # and the name tracks it.
    diff = display_names(tmp_path, "FX-DEV-86400", "FX-STAGING-345600")

    assert diff.verdict is Verdict.EXPECTED
    assert diff.reason == (
        "through module.app.local.label "
        "(module sources not on disk: a local stands for all its module's inputs): "
        "declared per-env variation: var.retention_seconds (dev: 86400, staging: 345600)"
    )


def test_a_child_module_local_does_not_explain_a_value_that_tracks_none_of_its_inputs(tmp_path):
    # retention_seconds differs, but the name does not follow it: the local may read a literal.
    diff = display_names(tmp_path, "FX-DEV", "FX-STAGING-345600")

    assert diff.verdict is Verdict.UNKNOWN
    assert diff.reason.startswith("comes through module.app.local.label, which plan JSON leaves out")
    assert "module sources not on disk" in diff.reason
