"""The control plane on the local AWS, through the real CLI: bootstrap, control-plane, verify, re-plan clean.

The env stacks are not deployed here: replication is checked as configuration (the local AWS
does not replicate, and does not require the destination buckets to exist yet).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infrarep import config, local_aws, records

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ACCOUNT = "123456789012"
STORE = f"infrarep-control-config-{ACCOUNT}"
PIPELINE = "infrarep-control-promotion"
TAG_KEYS = {"System", "Environment", "ManagedBy", "CostCenter", "Version", "SourceCommit"}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch copy of the project's Terraform: runs never touch the repo."""
    copy = tmp_path_factory.mktemp("project")
    for folder in ("modules", "envs", "terraform"):
        shutil.copytree(
            REPO / folder, copy / folder, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*")
        )
    return copy


@pytest.fixture(scope="module")
def control_aws(tmp_path_factory: pytest.TempPathFactory):
    state_dir = tmp_path_factory.mktemp("control-state")
    started = local_aws.up(state_dir)
    yield state_dir, started
    local_aws.down(state_dir)


def infrarep(project: Path, state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infrarep.cli", *args],
        cwd=project,
        env={**os.environ, "INFRAREP_STATE_DIR": str(state_dir)},
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )


@pytest.fixture(scope="module")
def deployed(project, control_aws) -> dict[str, Any]:
    state_dir, _ = control_aws
    boot = infrarep(project, state_dir, "bootstrap")
    assert boot.returncode == 0, boot.stderr[-3000:]
    applied = infrarep(project, state_dir, "control-plane", "--version", "cp-1", "--json")
    assert applied.returncode == 0, applied.stderr[-3000:]
    return json.loads(applied.stdout)


@pytest.fixture
def aws(control_aws, aws_for) -> Callable[..., Any]:
    _, target = control_aws
    return lambda service, region=REGION: aws_for(target, service, region)


@pytest.fixture(scope="module")
def settings(project) -> config.Settings:
    return config.load(project / "envs" / "environments.yaml")


def test_the_primary_store_replicates_to_every_other_env_region(deployed, aws, settings):
    s3 = aws("s3")
    assert s3.get_bucket_versioning(Bucket=STORE)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=STORE)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4

    rules = s3.get_bucket_replication(Bucket=STORE)["ReplicationConfiguration"]["Rules"]
    remote = {env.name: env.region for env in settings.ordered() if env.region != settings.control_region}
    assert set(remote) == {"staging", "prod"}
    by_bucket = {rule["Destination"]["Bucket"]: rule for rule in rules}
    assert set(by_bucket) == {f"arn:aws:s3:::infrarep-{env}-config-{ACCOUNT}" for env in remote}
    for env, region in remote.items():
        rule = by_bucket[f"arn:aws:s3:::infrarep-{env}-config-{ACCOUNT}"]
        assert rule["Status"] == "Enabled"
        assert rule["DeleteMarkerReplication"] == {"Status": "Enabled"}
        assert rule["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
        destination = rule["Destination"]
        assert destination["ReplicationTime"] == {"Status": "Enabled", "Time": {"Minutes": 15}}
        assert destination["Metrics"] == {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}
        replica_key = destination["EncryptionConfiguration"]["ReplicaKmsKeyID"]
        assert replica_key == f"arn:aws:kms:{region}:{ACCOUNT}:alias/infrarep-{env}"


def test_the_replication_role_may_encrypt_only_with_the_destination_aliases(deployed, aws):
    iam = aws("iam")
    role = f"{STORE}-replication"
    document = iam.get_role_policy(RoleName=role, PolicyName="replicate")["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    encrypt = [s for s in document["Statement"] if "kms:Encrypt" in s["Action"]]
    aliases = sorted(s["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"] for s in encrypt)
    assert aliases == ["alias/infrarep-prod", "alias/infrarep-staging"]
    assert all(s["Resource"].endswith(":key/*") for s in encrypt)
    actions = [
        a
        for s in document["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert "*" not in actions and not any(a.endswith(":*") for a in actions)


def test_the_pipeline_promotes_in_order_with_approvals_and_a_soak(deployed, aws, settings):
    pipeline = aws("codepipeline").get_pipeline(name=PIPELINE)["pipeline"]
    stages = {stage["name"]: stage["actions"] for stage in pipeline["stages"]}
    assert list(stages) == [
        "Source",
        "Deploy-dev",
        "Validate-dev",
        "Approve-staging",
        "Deploy-staging",
        "Soak-staging",
        "Validate-staging",
        "Approve-prod",
        "Deploy-prod",
    ]
    source = stages["Source"][0]
    assert source["actionTypeId"]["provider"] == "S3"
    assert source["configuration"]["S3Bucket"] == STORE

    for env in ("staging", "prod"):
        (approval,) = stages[f"Approve-{env}"]
        assert (approval["actionTypeId"]["category"], approval["actionTypeId"]["provider"]) == (
            "Approval",
            "Manual",
        )
        assert approval["configuration"]["NotificationArn"].endswith(":infrarep-control-approvals")

    codebuild = aws("codebuild")
    for env in ("dev", "staging", "prod"):
        (deploy,) = stages[f"Deploy-{env}"]
        assert deploy["actionTypeId"]["provider"] == "CodeBuild"
        variables = json.loads(deploy["configuration"]["EnvironmentVariables"])
        assert variables == [{"name": "DEPLOY_ENV", "type": "PLAINTEXT", "value": env}]
        (project,) = codebuild.batch_get_projects(names=[deploy["configuration"]["ProjectName"]])["projects"]
        assert 'make deploy ENV="$DEPLOY_ENV"' in project["source"]["buildspec"]
        assert project["environment"]["type"] == "ARM_CONTAINER"
        assert project["encryptionKey"].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")

    (soak,) = stages["Soak-staging"]
    assert (soak["actionTypeId"]["category"], soak["actionTypeId"]["provider"]) == ("Invoke", "StepFunctions")
    sfn = aws("stepfunctions")
    definition = json.loads(
        sfn.describe_state_machine(stateMachineArn=soak["configuration"]["StateMachineArn"])["definition"]
    )
    waits = [state for state in definition["States"].values() if state["Type"] == "Wait"]
    assert waits, "the soak state machine has no Wait state"
    assert sum(wait["Seconds"] for wait in waits) >= settings.promotion.soak_minutes * 60 >= 3600


def test_a_new_release_bundle_starts_the_pipeline(deployed, aws):
    s3 = aws("s3")
    assert s3.get_bucket_notification_configuration(Bucket=STORE).get("EventBridgeConfiguration") == {}
    events = aws("events")
    pattern = json.loads(events.describe_rule(Name="infrarep-control-release")["EventPattern"])
    assert pattern["detail"] == {"bucket": {"name": [STORE]}, "object": {"key": ["releases/source.zip"]}}
    (target,) = events.list_targets_by_rule(Rule="infrarep-control-release")["Targets"]
    assert target["Arn"] == f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:{PIPELINE}"


def test_control_plane_roles_have_no_wildcard_actions(deployed, aws):
    iam = aws("iam")
    roles = [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("infrarep-control")]
    assert len(roles) == 5  # replication, builds, soak, pipeline, trigger
    for role in roles:
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            for statement in document["Statement"]:
                actions = (
                    [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
                )
                assert not any(a == "*" or a.endswith(":*") for a in actions), f"{role}/{name}: {actions}"
                if statement["Resource"] == "*":  # only where AWS has no resource-level permissions
                    assert all(a.startswith(("logs:", "xray:")) for a in actions), f"{role}/{name}: {actions}"
        assert not iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"], role


def test_the_dashboard_reads_the_metrics_the_cli_publishes(deployed, aws, settings):
    body = json.loads(aws("cloudwatch").get_dashboard(DashboardName="infrarep-drift")["DashboardBody"])
    metrics = [
        metric
        for widget in body["widgets"]
        if widget["type"] == "metric"
        for metric in widget["properties"]["metrics"]
    ]

    def dimensions(metric: list[Any]) -> tuple[str, str, dict[str, str], str]:
        *names, options = metric
        namespace, name, *pairs = names
        return namespace, name, dict(zip(pairs[::2], pairs[1::2], strict=True)), options["region"]

    seen = [dimensions(metric) for metric in metrics]
    assert {namespace for namespace, *_ in seen} == {records.METRIC_NAMESPACE}
    envs = settings.ordered()
    for source, target in itertools.pairwise(envs):
        parity = {"SourceEnv": source.name, "TargetEnv": target.name, "Kind": "parity"}
        assert (records.METRIC_NAMESPACE, records.METRIC_DRIFT_DETECTED, parity, target.region) in seen
    for env in envs:
        by_env = {"Env": env.name}
        assert (records.METRIC_NAMESPACE, records.METRIC_DRIFT_DETECTED, by_env, env.region) in seen
        assert (records.METRIC_NAMESPACE, records.METRIC_ENVIRONMENT_UPDATE, by_env, env.region) in seen

    (alarms,) = [widget["properties"]["alarms"] for widget in body["widgets"] if widget["type"] == "alarm"]
    for env in envs:
        assert f"arn:aws:cloudwatch:{env.region}:{ACCOUNT}:alarm:infrarep-{env.name}-drift-detected" in alarms
    text = " ".join(
        widget["properties"]["markdown"] for widget in body["widgets"] if widget["type"] == "text"
    )
    assert PIPELINE in text
    assert all(f"infrarep-{env.name}-ledger" in text for env in envs)


def _control_state(aws: Callable[..., Any]) -> dict[str, Any]:
    state = aws("s3").get_object(Bucket=f"infrarep-tfstate-{REGION}", Key="control-plane/terraform.tfstate")
    return json.loads(state["Body"].read())


def _tags_of(aws: Callable[..., Any], kind: str, attributes: dict[str, Any]) -> dict[str, str]:
    """The tags the service itself reports for one resource of the state."""
    arn = attributes.get("arn", "")
    if kind == "aws_s3_bucket":
        pairs = aws("s3").get_bucket_tagging(Bucket=attributes["bucket"])["TagSet"]
        return {tag["Key"]: tag["Value"] for tag in pairs}
    if kind == "aws_kms_key":
        pairs = aws("kms").list_resource_tags(KeyId=attributes["key_id"])["Tags"]
        return {tag["TagKey"]: tag["TagValue"] for tag in pairs}
    if kind == "aws_cloudwatch_log_group":
        return aws("logs").list_tags_for_resource(resourceArn=arn.removesuffix(":*"))["tags"]
    if kind == "aws_sns_topic":
        pairs = aws("sns").list_tags_for_resource(ResourceArn=arn)["Tags"]
        return {tag["Key"]: tag["Value"] for tag in pairs}
    if kind == "aws_sfn_state_machine":
        pairs = aws("stepfunctions").list_tags_for_resource(resourceArn=arn)["tags"]
        return {tag["key"]: tag["value"] for tag in pairs}
    if kind == "aws_iam_role":
        pairs = aws("iam").list_role_tags(RoleName=attributes["name"])["Tags"]
        return {tag["Key"]: tag["Value"] for tag in pairs}
    if kind == "aws_codebuild_project":
        (project,) = aws("codebuild").batch_get_projects(names=[attributes["name"]])["projects"]
        return {tag["key"]: tag["value"] for tag in project.get("tags", [])}
    if kind == "aws_codepipeline":
        pairs = aws("codepipeline").list_tags_for_resource(resourceArn=arn)["tags"]
        return {tag["key"]: tag["value"] for tag in pairs}
    if kind == "aws_cloudwatch_event_rule":
        pairs = aws("events").list_tags_for_resource(ResourceARN=arn)["Tags"]
        return {tag["Key"]: tag["Value"] for tag in pairs}
    raise AssertionError(f"{kind}: taggable, but this test cannot read its tags yet")


def test_every_taggable_resource_carries_the_tagging_scheme(deployed, aws):
    checked = []
    for resource in _control_state(aws)["resources"]:
        if resource["mode"] != "managed":
            continue
        for instance in resource["instances"]:
            attributes = instance["attributes"]
            if "tags_all" not in attributes:
                continue
            address = f"{resource.get('module', '')}.{resource['type']}.{resource['name']}"
            tags = _tags_of(aws, resource["type"], attributes)
            assert set(tags) >= TAG_KEYS, f"{address}: missing {sorted(TAG_KEYS - set(tags))}"
            assert (tags["Environment"], tags["System"], tags["Version"]) == ("control", "infrarep", "cp-1")
            checked.append(resource["type"])
    assert {
        "aws_s3_bucket",
        "aws_kms_key",
        "aws_codepipeline",
        "aws_codebuild_project",
        "aws_sfn_state_machine",
        "aws_iam_role",
        "aws_sns_topic",
        "aws_cloudwatch_log_group",
        "aws_cloudwatch_event_rule",
    } <= set(checked)


def test_a_fresh_apply_plans_clean(deployed, project, control_aws):
    assert deployed["changes"]
    state_dir, _ = control_aws
    again = infrarep(project, state_dir, "control-plane", "--plan-only", "--version", "cp-1", "--json")
    assert again.returncode == 0, f"perpetual diff: {again.stdout[-3000:]} {again.stderr[-2000:]}"
    assert json.loads(again.stdout)["changes"] is False
