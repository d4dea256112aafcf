"""Accepted differences expire: `expires: YYYY-MM-DD` holds through that day (UTC); after it,
the difference is drift again and its reason says the acceptance lapsed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from infrarep import drift
from infrarep.drift import Change, DriftFinding, Kind, Verdict
from infrarep.drift.policy import apply_policy, load_policy, parse_policy
from infrarep.errors import ConfigError

from .plan_files import attributes, by_address, parity_envs

RETENTION = (
    "version: 1\n"
    "accepted:\n"
    "  - address: 'module.app.aws_sqs_queue.*'\n"
    "    attribute: message_retention_seconds\n"
    "    reason: prod keeps jobs two weeks for audits\n"
    "    expires: 2026-11-30\n"
)


def _retention(today: date) -> drift.AttributeDiff:
    policy = parse_policy(RETENTION, Path("envs/drift-policy.yaml"), today)
    report = drift.analyse(parity_envs(), [Kind.PARITY], policy=policy, manifests=False)
    jobs = by_address(report.findings, "staging~prod")["module.app.aws_sqs_queue.jobs"]
    return attributes(jobs)["message_retention_seconds"]


def test_an_acceptance_holds_through_its_expiry_day():
    for today in (date(2026, 1, 1), date(2026, 11, 30)):
        retention = _retention(today)
        assert retention.verdict is Verdict.EXPECTED
        assert retention.reason == "accepted by drift-policy.yaml: prod keeps jobs two weeks for audits"


def test_the_day_after_it_the_difference_is_drift_again_and_says_the_acceptance_lapsed():
    unjudged = drift.analyse(parity_envs(), [Kind.PARITY], manifests=False)
    jobs = by_address(unjudged.findings, "staging~prod")["module.app.aws_sqs_queue.jobs"]
    why_drift = attributes(jobs)["message_retention_seconds"].reason
    assert why_drift

    retention = _retention(date(2026, 12, 1))

    assert retention.verdict is Verdict.DRIFT
    assert retention.reason == (
        f"{why_drift}; acceptance by drift-policy.yaml lapsed after 2026-11-30: "
        "prod keeps jobs two weeks for audits"
    )


def test_a_rule_in_force_wins_over_a_lapsed_one_whatever_their_order():
    text = (
        "accepted:\n"
        "  - {type: aws_sqs_queue, reason: old, expires: 2026-01-31}\n"
        "  - {type: aws_sqs_queue, reason: renewed, expires: 2026-12-31}\n"
    )
    policy = parse_policy(text, Path("p.yaml"), date(2026, 6, 1))
    assert policy.accepts(Kind.PARITY, "aws_sqs_queue", "a.b", None) == "accepted by p.yaml: renewed"

    later = parse_policy(text, Path("p.yaml"), date(2027, 1, 1))
    assert later.accepts(Kind.PARITY, "aws_sqs_queue", "a.b", None) is None
    judged = later.judge(Kind.PARITY, "aws_sqs_queue", "a.b", None)
    assert judged == (False, "acceptance by p.yaml lapsed after 2026-01-31: old")


def test_a_whole_finding_whose_acceptance_lapsed_stays_drift():
    text = (
        "accepted:\n  - {type: aws_sqs_queue, reason: a spare queue, kinds: [parity], expires: 2026-11-30}\n"
    )
    finding = DriftFinding(
        Kind.PARITY, "staging~prod", "aws_sqs_queue.spare", "aws_sqs_queue", Change.ONLY_IN, Verdict.DRIFT,
        "only in prod: not in staging's configuration",
    )  # fmt: skip

    in_force = apply_policy(finding, parse_policy(text, Path("p.yaml"), date(2026, 11, 30)))
    lapsed = apply_policy(finding, parse_policy(text, Path("p.yaml"), date(2026, 12, 1)))

    assert in_force.verdict is Verdict.EXPECTED
    assert lapsed.verdict is Verdict.DRIFT
    assert lapsed.reason == (
        "only in prod: not in staging's configuration; "
        "acceptance by p.yaml lapsed after 2026-11-30: a spare queue"
    )


def test_without_a_day_given_the_clock_decides(tmp_path):
    path = tmp_path / "drift-policy.yaml"
    path.write_text(
        "accepted:\n"
        "  - {type: aws_sqs_queue, reason: long gone, expires: 2000-01-01}\n"
        "  - {type: aws_sns_topic, reason: for ages, expires: 2999-12-31}\n"
    )
    policy = load_policy(path)

    assert policy.accepts(Kind.PARITY, "aws_sqs_queue", "a.b", None) is None
    assert (
        policy.accepts(Kind.PARITY, "aws_sns_topic", "a.b", None) == "accepted by drift-policy.yaml: for ages"
    )


def test_dates_are_read_only_where_a_date_is_expected():
    policy = parse_policy(
        "accepted:\n  - {type: x, reason: 2024-13-45, expires: 2026-11-30}\n",
        Path("p.yaml"),
        date(2026, 1, 1),
    )
    (rule,) = policy.accepted
    assert rule.reason == "2024-13-45"  # text, as written
    assert rule.expires == date(2026, 11, 30)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("tomorrow", "'tomorrow' is not a date: write YYYY-MM-DD, e.g. 2026-11-30"),
        ("2026-02-30", "'2026-02-30' is not a date (day is out of range for month)"),
        ("2026-11-30T10:00:00", "'2026-11-30T10:00:00' is not a date: write YYYY-MM-DD"),
        ("30/11/2026", "'30/11/2026' is not a date: write YYYY-MM-DD"),
        ("20261130", "'20261130' is not a date: write YYYY-MM-DD"),
        ("[2026-11-30]", "\"['2026-11-30']\" is not a date: write YYYY-MM-DD"),
    ],
)
def test_an_expiry_that_is_not_a_date_names_file_and_field(tmp_path, value, message):
    path = tmp_path / "drift-policy.yaml"
    path.write_text(
        f"accepted:\n  - type: aws_x\n    reason: r\n  - type: aws_y\n    reason: r\n    expires: {value}\n"
    )

    with pytest.raises(ConfigError) as raised:
        load_policy(path, date(2026, 1, 1))

    assert raised.value.message.startswith(f"{path}: accepted.1.expires: {message}")
    assert "\n" not in raised.value.message
