"""Pending changes: the resource changes of a normal plan that are not no-ops."""

from __future__ import annotations

import dataclasses

from infrarep import drift, plans
from infrarep.drift import Change, EnvPlans, Kind, Marker, Verdict
from infrarep.drift.policy import parse_policy

from .plan_files import FIXTURES, attributes, by_address, env_plans


def test_pending_changes_are_the_non_noop_resource_changes():
    report = drift.analyse([env_plans("dev", "pending_dev.json")], [Kind.PENDING])

    found = by_address(report.findings)
    assert {address: finding.change for address, finding in found.items()} == {
        "module.app.aws_lambda_function.fn": Change.UPDATE,
        "module.app.aws_sns_topic.alerts": Change.UPDATE,
        "module.app.aws_sns_topic_subscription.jobs": Change.CREATE,
        "module.app.aws_sqs_queue.jobs": Change.UPDATE,
    }
    memory = attributes(found["module.app.aws_lambda_function.fn"])["memory_size"]
    assert (memory.before, memory.after) == (512, 256)  # now -> after apply
    tags = attributes(found["module.app.aws_sns_topic.alerts"])
    assert (tags["tags_all.Owner"].before, tags["tags_all.Owner"].after) == ("someone", Marker.ABSENT)


def test_pending_leaves_out_no_ops_and_data_source_reads():
    prod = plans.load(FIXTURES / "parity_prod.json")
    assert any(record.change.action is plans.Action.READ for record in prod.changes)

    report = drift.analyse([env_plans("prod", "parity_prod.json")], [Kind.PENDING])

    assert len(report.findings) == 15
    assert all(finding.change is Change.CREATE for finding in report.findings)
    assert not any(".data." in finding.address for finding in report.findings)
    clean = drift.analyse([env_plans("dev", "parity_dev.json")], [Kind.PENDING])
    assert clean.findings == ()  # 13 no-ops


def on_release(runs: str, planned: str) -> EnvPlans:
    return dataclasses.replace(env_plans("dev", "pending_dev.json"), releases=drift.Releases(runs, planned))


def test_an_env_on_another_release_awaits_its_promotion_its_pending_changes_are_expected():
    report = drift.analyse([on_release("v1", "v2")], [Kind.PENDING])

    assert len(report.findings) == 4 and not report.drift
    assert {finding.verdict for finding in report.findings} == {Verdict.EXPECTED}
    awaits = "dev runs v1, planned with v2: expected until v2 is deployed there"
    for finding in report.findings:
        assert finding.reason.endswith(f"; {awaits}")
        assert all((diff.verdict, diff.reason) == (Verdict.EXPECTED, awaits) for diff in finding.attributes)
    (summary,) = report.summaries
    assert (summary.drift, summary.expected) == (0, 4)


def test_an_env_on_the_planned_release_has_its_pending_changes_as_drift():
    same = drift.analyse([on_release("v2", "v2")], [Kind.PENDING])
    unknown = drift.analyse([env_plans("dev", "pending_dev.json")], [Kind.PENDING])

    assert same.findings == unknown.findings
    assert same.drift_count(Kind.PENDING) == 4


def test_what_the_policy_accepts_keeps_the_policys_reason(tmp_path):
    policy = parse_policy(
        "accepted:\n  - type: aws_sqs_queue\n    kinds: [pending]\n    reason: queue tuning\n",
        tmp_path / "drift-policy.yaml",
    )

    report = drift.analyse([on_release("v1", "v2")], [Kind.PENDING], policy=policy)

    queue = by_address(report.findings)["module.app.aws_sqs_queue.jobs"]
    assert queue.verdict is Verdict.EXPECTED
    assert {diff.reason for diff in queue.attributes} == {"accepted by drift-policy.yaml: queue tuning"}
