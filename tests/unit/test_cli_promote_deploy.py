"""The deploy path promote and rollback share: its plan summary comes from terraform's
streamed `plan -json` UI (no `show -json` before apply)."""

from __future__ import annotations

import json
from pathlib import Path

from infrarep import plans, runner
from infrarep.terraform import StreamedChange, TerraformBinary, TerraformRoot


def ui(kind: str, **fields: object) -> str:
    return json.dumps({"@level": "info", "@message": f"{kind} message", "type": kind, **fields})


def planned(address: str, resource_type: str, action: str) -> str:
    resource = {"addr": address, "resource_type": resource_type}
    return ui("planned_change", change={"resource": resource, "action": action})


def test_streamed_ui_lines_yield_changes_errors_and_readable_progress():
    shown: list[str] = []
    root = TerraformRoot(
        TerraformBinary(Path("terraform"), "terraform", (1, 11, 4)), Path(), on_line=shown.append
    )
    changes: list[StreamedChange] = []
    errors: list[str] = []
    lines = [
        ui("version", terraform="1.11.4"),
        planned("aws_sqs_queue.work", "aws_sqs_queue", "update"),
        planned('module.stack.aws_s3_bucket.this["a"]', "aws_s3_bucket", "replace"),
        planned("data.aws_caller_identity.current", "aws_caller_identity", "read"),
        json.dumps(
            {"@level": "error", "@message": "Error: bad", "diagnostic": {"summary": "bad", "detail": "why"}}
        ),
        "not json",
    ]
    for line in lines:
        root._ui_line(line, changes, errors)
    assert [(c.address, c.action) for c in changes] == [
        ("aws_sqs_queue.work", "update"),
        ('module.stack.aws_s3_bucket.this["a"]', "replace"),
        ("data.aws_caller_identity.current", "read"),
    ]
    assert errors == ["Error: bad why"]
    assert shown[:2] == ["version message", "planned_change message"]
    assert shown[-1] == "not json"


def test_streamed_summary_counts_managed_changes_like_the_plan_json_summary():
    summary = runner.streamed_summary(
        [
            StreamedChange("aws_sqs_queue.work", "aws_sqs_queue", "update"),
            StreamedChange("aws_s3_bucket.this", "aws_s3_bucket", "replace"),
            StreamedChange("aws_sns_topic.drift", "aws_sns_topic", "create"),
            StreamedChange("data.aws_caller_identity.current", "aws_caller_identity", "read"),
            StreamedChange("aws_sqs_queue.old", "aws_sqs_queue", "move"),
        ]
    )
    assert summary.headline() == "+2 ~1 -1"
    assert summary.by_type() == {
        "aws_s3_bucket": {"replace": 1},
        "aws_sns_topic": {"create": 1},
        "aws_sqs_queue": {"update": 1},
    }
    assert all(isinstance(action.action, plans.Action) for action in summary.actions)
