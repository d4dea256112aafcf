"""Pending changes: the resource changes of a normal plan that are not no-ops."""

from __future__ import annotations

from infrarep import drift, plans
from infrarep.drift import Change, Kind, Marker

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
