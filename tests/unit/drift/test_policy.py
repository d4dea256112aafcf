"""drift-policy.yaml: accepted differences, and the errors a bad file gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from infrarep import drift
from infrarep.drift import Kind, Verdict
from infrarep.drift.policy import load_policy, parse_policy
from infrarep.errors import ConfigError

from .plan_files import attributes, by_address, parity_envs


def test_policy_file_accepts_a_parity_difference(tmp_path):
    policy_file = tmp_path / "drift-policy.yaml"
    policy_file.write_text(
        "version: 1\n"
        "accepted:\n"
        "  - address: 'module.app.aws_sqs_queue.*'\n"
        "    attribute: message_retention_seconds\n"
        "    reason: prod keeps jobs two weeks for audits\n"
    )
    policy = load_policy(policy_file)

    report = drift.analyse(parity_envs(), [Kind.PARITY], policy=policy)

    assert not report.drift
    jobs = by_address(report.findings, "staging~prod")["module.app.aws_sqs_queue.jobs"]
    retention = attributes(jobs)["message_retention_seconds"]
    assert retention.verdict is Verdict.EXPECTED
    assert retention.reason == "accepted by drift-policy.yaml: prod keeps jobs two weeks for audits"


def test_policy_rule_without_attribute_covers_whole_resources_of_its_kinds():
    policy = parse_policy(
        "accepted:\n  - type: aws_sqs_queue\n    reason: queues come and go\n", Path("p.yaml")
    )
    assert policy.accepts(Kind.PARITY, "aws_sqs_queue", "module.app.aws_sqs_queue.worker[1]", None)
    assert policy.accepts(Kind.LIVE, "aws_sqs_queue", "x", None) is None  # parity only by default


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("accepted: [", "drift-policy.yaml: line 1: not valid YAML"),
        (
            "accepted:\n  - type: x\n    reason: r\n    expires: 2026-13-45\n",
            "accepted.0.expires: '2026-13-45' is",
        ),
        ('accepted:\n  - type: "\x00"\n', "drift-policy.yaml: line 2: not valid YAML (character #x0000 is"),
        ("- a\n- b\n", "drift-policy.yaml: expected a mapping with `accepted:`"),
        ("accepted:\n  - attribute: x\n    reason: r\n", "drift-policy.yaml: accepted.0: give `type` or"),
        ("accepted:\n  - type: aws_x\n", "drift-policy.yaml: accepted.0.reason: Field required"),
        ("accepted:\n  - type: aws_x\n    reason: r\n    colour: red\n", "accepted.0.colour: Extra inputs"),
        ("version: 2\n", "drift-policy.yaml: version: Input should be 1"),
    ],
)
def test_bad_policy_file_names_file_and_field(tmp_path, text, message):
    path = tmp_path / "drift-policy.yaml"
    path.write_text(text)

    with pytest.raises(ConfigError) as raised:
        load_policy(path)
    assert message in raised.value.message
    assert "\n" not in raised.value.message
    assert raised.value.message.startswith(str(path))
