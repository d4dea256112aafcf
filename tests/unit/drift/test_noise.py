"""Provider noise: live drift right after a clean apply (values the provider fills in later,
reads back empty or as zero, or that another resource owns) is not drift; the same attributes
changed for real are."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from infrarep import drift, plans
from infrarep.drift import DriftFinding, Kind, Marker

from .plan_files import FIXTURES, env_plans


def test_provider_noise_right_after_apply_is_not_drift():
    plan = plans.load(FIXTURES / "live_clean_dev.json")
    # The fixture does carry noise: tags null -> {} on resources that set none.
    role = next(record for record in plan.drift if record.address == "module.app.aws_iam_role.fn")
    before, after = plans.decode_json(role.change.before), plans.decode_json(role.change.after)
    assert (before["tags"], after["tags"]) == (None, {})

    report = drift.analyse([env_plans("dev", "live_clean_dev.json")], [Kind.LIVE])

    assert report.findings == ()
    assert not report.drift
    (summary,) = report.summaries
    assert (summary.resources, summary.drift, summary.normalised) == (7, 0, 7)


def test_owned_bucket_attributes_are_not_live_drift():
    # The bucket reads back `versioning` and `policy` set by aws_s3_bucket_versioning/_policy.
    plan = plans.load(FIXTURES / "live_clean_dev.json")
    bucket = next(record for record in plan.drift if record.type == "aws_s3_bucket")
    before, after = plans.decode_json(bucket.change.before), plans.decode_json(bucket.change.after)
    assert before["policy"] != after["policy"] or before["versioning"] != after["versioning"]

    findings, _ = drift.live_findings("dev", plan)

    assert findings == []


CLEAN = FIXTURES / "live_clean_dev.json"
ARN = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/pay/1"


def drift_record(address: str, kind: str, before: dict, after: dict) -> dict:
    module, _, local = address.rpartition(".aws_")
    return {
        "address": address,
        "module_address": module,
        "mode": "managed",
        "type": kind,
        "name": local.split(".", 1)[1],
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {
            "actions": ["update"],
            "before": before,
            "after": after,
            "after_unknown": {},
            "before_sensitive": {},
            "after_sensitive": {},
        },
    }


def live_findings(tmp_path: Path, records: list[dict], owner: str | None = None) -> list[DriftFinding]:
    document = json.loads(CLEAN.read_text())
    document["resource_drift"] = records
    if owner is not None:  # a configured resource of that type somewhere in the configuration
        document["configuration"]["root_module"].setdefault("resources", []).append(
            {"address": f"{owner}.this", "mode": "managed", "type": owner, "name": "this", "expressions": {}}
        )
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document))
    findings, _ = drift.live_findings("dev", plans.load(path))
    return findings


ALARM = {"alarm_name": "pay-throttles", "metric_query": [{"id": "e1", "period": None, "return_data": True}]}


@pytest.mark.parametrize(("zero", "is_drift"), [(0, False), (False, False), (60, True)])
def test_a_nested_number_read_back_as_zero_is_not_drift(tmp_path, zero, is_drift):
    after = copy.deepcopy(ALARM)
    after["metric_query"][0]["period"] = zero
    record = drift_record(
        "module.pay.aws_cloudwatch_metric_alarm.throttles", "aws_cloudwatch_metric_alarm", ALARM, after
    )

    findings = live_findings(tmp_path, [record])

    assert bool(findings) is is_drift
    if is_drift:
        assert [(d.path, d.before, d.after) for d in findings[0].attributes] == [
            ("metric_query[0].period", Marker.ABSENT, 60)
        ]


def test_a_stage_picks_up_the_web_acl_an_association_in_another_module_attaches(tmp_path):
    record = drift_record(
        "module.api.aws_api_gateway_stage.this",
        "aws_api_gateway_stage",
        {"stage_name": "v1", "web_acl_arn": ""},
        {"stage_name": "v1", "web_acl_arn": ARN},
    )

    assert live_findings(tmp_path, [record], owner="aws_wafv2_web_acl_association") == []
    (unowned,) = live_findings(tmp_path, [record])
    assert [d.path for d in unowned.attributes] == ["web_acl_arn"]
