"""Live drift: what changed outside terraform, from a refresh-only plan's `resource_drift`."""

from __future__ import annotations

from pathlib import Path

from infrarep import drift
from infrarep.drift import Change, Kind, Marker, Verdict
from infrarep.drift.policy import parse_policy

from .plan_files import attributes, by_address, env_plans


def test_live_drift_lists_exactly_what_changed_out_of_band():
    report = drift.analyse([env_plans("dev", "live_dev.json")], [Kind.LIVE])

    found = by_address(report.findings)
    assert set(found) == {
        "module.app.aws_lambda_function.fn",
        "module.app.aws_sns_topic.alerts",
        "module.app.aws_sns_topic_subscription.jobs",
        "module.app.aws_sqs_queue.jobs",
    }
    memory = attributes(found["module.app.aws_lambda_function.fn"])
    assert set(memory) == {"memory_size"}
    assert (memory["memory_size"].before, memory["memory_size"].after) == (256, 512)
    tags = attributes(found["module.app.aws_sns_topic.alerts"])
    assert set(tags) == {"tags.Owner"}  # tags_all repeats it and is not listed twice
    assert (tags["tags.Owner"].before, tags["tags.Owner"].after) == (Marker.ABSENT, "someone")
    queue = attributes(found["module.app.aws_sqs_queue.jobs"])
    assert (queue["visibility_timeout_seconds"].before, queue["visibility_timeout_seconds"].after) == (30, 60)
    assert all(finding.verdict is Verdict.DRIFT for finding in report.findings)
    assert report.drift


def test_resource_deleted_out_of_band_is_missing():
    report = drift.analyse([env_plans("dev", "live_dev.json")], [Kind.LIVE])

    subscription = by_address(report.findings)["module.app.aws_sns_topic_subscription.jobs"]
    assert subscription.change is Change.MISSING
    assert subscription.reason == "deleted outside terraform"


def test_live_policy_can_accept_a_known_difference():
    policy = parse_policy(
        "accepted:\n"
        "  - type: aws_lambda_function\n"
        "    attribute: memory_size\n"
        "    reason: ops tunes memory by hand\n"
        "    kinds: [live]\n",
        Path("drift-policy.yaml"),
    )
    report = drift.analyse([env_plans("dev", "live_dev.json")], [Kind.LIVE], policy=policy)

    fn = by_address(report.findings)["module.app.aws_lambda_function.fn"]
    assert fn.verdict is Verdict.EXPECTED
    assert attributes(fn)["memory_size"].reason == "accepted by drift-policy.yaml: ops tunes memory by hand"
    assert report.drift  # the other three are still drift
