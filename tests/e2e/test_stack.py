"""The shared stack on the local AWS, through the real CLI: bootstrap, deploy, verify, re-plan clean."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from infrarep import config, records

from .env_checks import assert_workload_matches
from .projects import REPO, run_infrarep, running_local_aws, scratch_project

pytestmark = pytest.mark.e2e

CONTROL_FUNCTIONS = ["deployment_recorder", "drift_validator", "rollback_executor"]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scratch_project(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="module")
def stack_aws(tmp_path_factory: pytest.TempPathFactory):
    yield from running_local_aws(tmp_path_factory.mktemp("stack-state"))


infrarep = run_infrarep


@pytest.fixture(scope="module")
def deployed_dev(project, stack_aws):
    state_dir, _ = stack_aws
    boot = infrarep(project, state_dir, "bootstrap")
    assert boot.returncode == 0, boot.stderr[-3000:]
    deploy = infrarep(
        project, state_dir, "deploy", "--env", "dev", "--version", "e2e-1", "--actor", "ci", "--json"
    )
    assert deploy.returncode == 0, deploy.stderr[-3000:]
    return json.loads(deploy.stdout)


def test_dev_deploys_with_the_settings_the_stack_promises(deployed_dev, stack_aws, aws_for):
    _, target = stack_aws
    assert deployed_dev["changes"]
    region = "us-east-1"
    dynamodb = aws_for(target, "dynamodb", region)
    table = dynamodb.describe_table(TableName="infrarep-dev-ledger")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    pitr = dynamodb.describe_continuous_backups(TableName="infrarep-dev-ledger")[
        "ContinuousBackupsDescription"
    ]
    assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"

    s3 = aws_for(target, "s3", region)
    bucket = "infrarep-dev-config-123456789012"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4

    functions = aws_for(target, "lambda", region)
    for name in CONTROL_FUNCTIONS:
        config = functions.get_function(FunctionName=f"infrarep-dev-{name.replace('_', '-')}")[
            "Configuration"
        ]
        assert config["Architectures"] == ["arm64"]
        assert config["Handler"] == "handler.handler"
        assert config["TracingConfig"]["Mode"] == "Active"
        assert config["VpcConfig"]["SubnetIds"]
        assert config["DeadLetterConfig"]["TargetArn"].endswith(f"infrarep-dev-{name.replace('_', '-')}-dlq")
        environment = config["Environment"]["Variables"]
        assert environment["LEDGER_TABLE"] == "infrarep-dev-ledger"
        assert environment["CONFIG_BUCKET"] == bucket
        assert environment["ENV"] == "dev"
        assert environment["DRIFT_TOPIC_ARN"].endswith(":infrarep-dev-drift")
        assert environment["ROLLBACK_TOPIC_ARN"].endswith(":infrarep-dev-rollback")

    endpoints = aws_for(target, "ec2", region).describe_vpc_endpoints()["VpcEndpoints"]
    services = {endpoint["ServiceName"].rsplit(".", 1)[1] for endpoint in endpoints}
    assert {
        "s3",
        "dynamodb",
        "lambda",
        "sns",
        "events",
        "sts",
        "logs",
        "states",
        "kms",
        "monitoring",
    } <= services


def test_the_deployment_is_in_the_ledger(deployed_dev, stack_aws, aws_for):
    _, target = stack_aws
    rows = aws_for(target, "dynamodb", "us-east-1").query(
        TableName="infrarep-dev-ledger",
        KeyConditionExpression="#e = :e",
        ExpressionAttributeNames={"#e": "env"},
        ExpressionAttributeValues={":e": {"S": "dev"}},
    )["Items"]
    assert [(r["version"]["S"], r["status"]["S"], r["actor"]["S"]) for r in rows] == [
        ("e2e-1", "SUCCEEDED", "ci")
    ]
    s3 = aws_for(target, "s3", "us-east-1")
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    bucket = next(name for name in buckets if re.fullmatch(r"infrarep-dev-config-[0-9]{12}", name))
    body = s3.get_object(Bucket=bucket, Key=records.manifest_key("dev"))["Body"].read()
    manifest = records.Manifest.from_json(body)
    assert (manifest.env, manifest.version) == ("dev", "e2e-1")
    assert rows[0]["manifest_sha256"]["S"] == manifest.sha256() == hashlib.sha256(body).hexdigest()


def test_a_fresh_deploy_plans_clean(deployed_dev, project, stack_aws):
    state_dir, _ = stack_aws
    again = infrarep(project, state_dir, "plan", "--env", "dev", "--version", "e2e-1", "--json")
    assert again.returncode == 0, f"perpetual diff: {again.stdout[-3000:]} {again.stderr[-2000:]}"
    assert json.loads(again.stdout)["changes"] is False


def test_dev_runs_the_payments_workload_with_its_declared_limits(deployed_dev, stack_aws, aws_for):
    _, target = stack_aws
    settings = config.load(REPO / "envs/environments.yaml")
    dev = settings.env("dev")
    assert_workload_matches(dev, lambda service: aws_for(target, service, dev.region))


def test_status_shows_what_runs_where(deployed_dev, project, stack_aws):
    state_dir, _ = stack_aws
    shown = infrarep(project, state_dir, "status", "--json")
    assert shown.returncode == 0, shown.stderr[-2000:]
    by_env = {row["env"]: row for row in json.loads(shown.stdout)["environments"]}
    assert (by_env["dev"]["version"], by_env["dev"]["by"]) == ("e2e-1", "ci")
    assert by_env["staging"]["version"] is None and by_env["prod"]["version"] is None
    assert by_env["dev"]["drift"] == {
        "result": "never checked",
        "found": None,
        "checked_at": None,
        "version": None,
    }
    assert list(by_env) == ["dev", "staging", "prod"]


def test_live_drift_report_is_clean_then_names_an_out_of_band_change(
    deployed_dev, project, stack_aws, aws_for
):
    """Runs last in this file: it changes dev behind terraform's back."""
    state_dir, target = stack_aws
    args = ("drift-report", "--env", "dev", "--kind", "live", "--format", "json", "--version", "e2e-1")
    clean = infrarep(project, state_dir, *args)
    assert clean.returncode == 0, f"{clean.stdout[-3000:]} {clean.stderr[-2000:]}"
    assert clean.stdout.startswith("{"), f"stdout: {clean.stdout[-1000:]!r} stderr: {clean.stderr[-3000:]}"
    assert json.loads(clean.stdout)["drift"] is False, clean.stderr[-3000:]

    name = "infrarep-dev-drift-validator"
    aws_for(target, "lambda", "us-east-1").update_function_configuration(FunctionName=name, MemorySize=512)
    drifted = infrarep(project, state_dir, *args)
    assert drifted.returncode == 2, f"{drifted.stdout[-3000:]} {drifted.stderr[-2000:]}"
    findings = [f for f in json.loads(drifted.stdout)["findings"] if f["verdict"] == "drift"]
    assert [f["address"] for f in findings] == [
        'module.stack.module.function["drift_validator"].aws_lambda_function.this'
    ]
    changed = {a["path"]: (a["before"], a["after"]) for a in findings[0]["attributes"]}
    assert changed == {"memory_size": (256, 512)}
