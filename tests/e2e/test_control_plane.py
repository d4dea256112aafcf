"""The control plane on the local AWS, through the real CLI: bootstrap, control-plane, verify, re-plan clean.

The env stacks are not deployed here: replication is checked as configuration (the local AWS
does not replicate, and does not require the destination buckets to exist yet).
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from infrarep import config, records

from .projects import REPO, ControlPlane, run_infrarep
from .tagging import assert_every_taggable_resource_tagged, state_of

pytestmark = pytest.mark.e2e

REGION = "us-east-1"
ACCOUNT = "123456789012"
STORE = f"infrarep-control-config-{ACCOUNT}"
PIPELINE = "infrarep-control-promotion"
SCHEDULED_DRIFT = "infrarep-control-scheduled-drift"
DEPLOYER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/infrarep-deployer"


@pytest.fixture(scope="module")
def project(control_plane: ControlPlane) -> Path:
    return control_plane.project


@pytest.fixture(scope="module")
def control_aws(control_plane: ControlPlane):
    return control_plane.state_dir, control_plane.local


infrarep = run_infrarep


@pytest.fixture(scope="module")
def deployed(control_plane: ControlPlane) -> dict[str, Any]:
    return control_plane.applied


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


def test_every_state_bucket_is_versioned_encrypted_private_and_tls_only(deployed, aws, settings):
    regions = {settings.control_region, *(env.region for env in settings.ordered())}
    assert len(regions) == 3
    for region in sorted(regions):
        s3 = aws("s3", region)
        bucket = f"{settings.state.bucket_prefix}-{region}"
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled", bucket
        (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        key = rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]
        assert key.startswith(f"arn:aws:kms:{region}:{ACCOUNT}:key/"), f"{bucket}: {key}"
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block.values()) and len(block) == 4, bucket
        (expiry,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        assert expiry["NoncurrentVersionExpiration"]["NoncurrentDays"] == 365, bucket
        assert "EventBridgeConfiguration" in s3.get_bucket_notification_configuration(Bucket=bucket), bucket
        (statement,) = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
        assert statement["Effect"] == "Deny", bucket
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}, bucket
        assert set(statement["Resource"]) == {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"}


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


def test_a_rollback_is_approved_then_requested(deployed, aws, settings):
    """The rollback pipeline (like the soak's drift check, tests/e2e/test_soak.py) ends in the
    rollback state machine, which puts `RollbackRequested` on the default bus; for envs in other
    regions a rule forwards it to that region's default bus, where the env's rollback executor
    listens (modules/stack)."""
    pipeline = aws("codepipeline").get_pipeline(name="infrarep-control-rollback")["pipeline"]
    stages = {stage["name"]: stage["actions"] for stage in pipeline["stages"]}
    assert list(stages) == ["Source", "Approve", "RequestRollback"]
    (approval,) = stages["Approve"]
    assert approval["actionTypeId"]["category"] == "Approval"
    (request,) = stages["RequestRollback"]
    assert request["actionTypeId"]["provider"] == "StepFunctions"
    assert json.loads(request["configuration"]["Input"])["to_version"] == "#{variables.TO}"
    rollback_arn = request["configuration"]["StateMachineArn"]

    sfn = aws("stepfunctions")
    rollback = json.loads(sfn.describe_state_machine(stateMachineArn=rollback_arn)["definition"])
    (entry,) = rollback["States"]["RequestRollback"]["Parameters"]["Entries"]
    assert (entry["Source"], entry["DetailType"]) == ("infrarep", "RollbackRequested")
    assert entry["Detail"]["request_id.$"] == "$$.Execution.Name"  # one request per execution

    events = aws("events")
    remote = {env.name: env.region for env in settings.ordered() if env.region != settings.control_region}
    for env, region in remote.items():
        rule = f"infrarep-control-rollback-requested-{env}"
        pattern = json.loads(events.describe_rule(Name=rule)["EventPattern"])
        assert pattern == {
            "source": ["infrarep"],
            "detail-type": ["RollbackRequested"],
            "detail": {"env": [env]},
        }
        (target,) = events.list_targets_by_rule(Rule=rule)["Targets"]
        assert target["Arn"] == f"arn:aws:events:{region}:{ACCOUNT}:event-bus/default"


def test_a_new_release_bundle_starts_the_pipeline(deployed, aws):
    s3 = aws("s3")
    assert s3.get_bucket_notification_configuration(Bucket=STORE).get("EventBridgeConfiguration") == {}
    events = aws("events")
    pattern = json.loads(events.describe_rule(Name="infrarep-control-release")["EventPattern"])
    assert pattern["detail"] == {"bucket": {"name": [STORE]}, "object": {"key": ["releases/source.zip"]}}
    (target,) = events.list_targets_by_rule(Rule="infrarep-control-release")["Targets"]
    assert target["Arn"] == f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:{PIPELINE}"


def test_infrarep_release_uploads_the_bundle_the_pipeline_starts_from(
    deployed, project, control_aws, aws, tmp_path
):
    state_dir, _ = control_aws
    # A git repository of its own: the shared project stays without one (its SourceCommit tags).
    checkout = tmp_path / "checkout"
    shutil.copytree(project, checkout, ignore=shutil.ignore_patterns(".terraform"))
    shutil.copy(REPO / ".gitignore", checkout / ".gitignore")
    for args in (["init", "--quiet"], ["add", "."], ["commit", "--quiet", "-m", "release under test"]):
        git = ["git", "-c", "user.name=e2e", "-c", "user.email=e2e@example.com", *args]
        subprocess.run(git, cwd=checkout, check=True, capture_output=True)

    versions = []
    for version in ("rel-1", "rel-2"):
        done = infrarep(checkout, state_dir, "release", "--version", version, "--json")
        assert done.returncode == 0, done.stderr[-3000:]
        reported = json.loads(done.stdout)
        stored = aws("s3").get_object(Bucket=STORE, Key="releases/source.zip")
        data = stored["Body"].read()
        assert reported["location"] == f"s3://{STORE}/releases/source.zip"
        assert hashlib.sha256(data).hexdigest() == reported["sha256"]
        assert stored["VersionId"] == reported["version_id"]
        assert stored["Metadata"] == {
            "version": version,
            "source-commit": reported["source_commit"],
            "sha256": reported["sha256"],
        }
        with zipfile.ZipFile(io.BytesIO(data)) as bundle:
            assert json.loads(bundle.read("RELEASE.json"))["version"] == version
            assert "envs/environments.yaml" in bundle.namelist()
            assert not any(
                name.startswith(".terraform") or "/.terraform/" in name for name in bundle.namelist()
            )
        versions.append(stored["VersionId"])
    assert versions[0] != versions[1], "each release is a new object version: the pipeline starts on each"


def test_control_plane_roles_have_no_wildcard_actions(deployed, aws):
    iam = aws("iam")
    roles = [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("infrarep-control")]
    # replication, 2 builds, state machines, pipeline, trigger, rollback routing, rollback builds,
    # the scheduled drift check's build, batch and scheduler
    assert len(roles) == 11
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


def test_every_taggable_resource_carries_the_tagging_scheme(deployed, aws):
    state = state_of(aws, f"infrarep-tfstate-{REGION}", "control-plane/terraform.tfstate")
    expected = {"Environment": "control", "System": "infrarep", "Version": "cp-1"}
    checked = assert_every_taggable_resource_tagged(state, aws, expected)
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
    } <= checked


def test_a_fresh_apply_plans_clean(deployed, project, control_aws):
    assert deployed["changes"]
    state_dir, _ = control_aws
    again = infrarep(project, state_dir, "control-plane", "--plan-only", "--version", "cp-1", "--json")
    assert again.returncode == 0, f"perpetual diff: {again.stdout[-3000:]} {again.stderr[-2000:]}"
    assert json.loads(again.stdout)["changes"] is False


# --- Scheduled drift: the schedule, the batch project and their roles, read back ---------------


def _statements(iam: Any, role: str) -> list[dict[str, Any]]:
    """Every statement of the role's inline policies, each Action and Resource as a list."""
    statements = []
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        for statement in document["Statement"]:
            statements.append(
                {
                    **statement,
                    "Action": sorted(_as_list(statement["Action"])),
                    "Resource": sorted(_as_list(statement["Resource"])),
                }
            )
    return statements


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def test_the_drift_schedule_starts_the_batch_through_codebuilds_api(deployed, aws, settings):
    assert settings.drift.schedule == "rate(6 hours)"
    schedule = aws("scheduler").get_schedule(Name=SCHEDULED_DRIFT)
    assert schedule["ScheduleExpression"] == settings.drift.schedule
    assert schedule["State"] == "ENABLED"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = schedule["Target"]
    assert target["Arn"] == "arn:aws:scheduler:::aws-sdk:codebuild:startBuildBatch"
    assert json.loads(target["Input"]) == {"ProjectName": SCHEDULED_DRIFT}
    assert target["RoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/{SCHEDULED_DRIFT}-scheduler"
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 3}


def test_the_scheduler_role_may_only_start_the_batch(deployed, aws):
    iam = aws("iam")
    role = f"{SCHEDULED_DRIFT}-scheduler"
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "scheduler.amazonaws.com"}]
    project_arn = f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/{SCHEDULED_DRIFT}"
    assert [(s["Effect"], s["Action"], s["Resource"]) for s in _statements(iam, role)] == [
        ("Allow", ["codebuild:StartBuildBatch"], [project_arn])
    ]
    assert not iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]


def test_the_batch_has_one_build_per_env_in_promotion_order_each_as_its_role(deployed, aws, settings):
    codebuild = aws("codebuild")
    (project,) = codebuild.batch_get_projects(names=[SCHEDULED_DRIFT])["projects"]
    assert project["source"]["type"] == "S3"
    assert project["source"]["location"] == f"{STORE}/releases/source.zip"
    assert project["artifacts"]["type"] == "NO_ARTIFACTS"
    assert project["environment"]["computeType"] == "BUILD_GENERAL1_SMALL"
    assert project["encryptionKey"].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")

    buildspec = yaml.safe_load(project["source"]["buildspec"])
    builds = buildspec["batch"]["build-list"]
    envs = settings.ordered()
    assert [build["env"]["variables"]["ENV"] for build in builds] == [env.name for env in envs]
    assert [build["identifier"] for build in builds] == [
        f"drift_{env.name.replace('-', '_')}" for env in envs
    ]
    for build, env in zip(builds, envs, strict=True):
        assert build["env"]["variables"] == {
            "ENV": env.name,
            "ENV_REGION": env.region,
            "DEPLOYER_ROLE_ARN": DEPLOYER_ROLE,  # no env has a role_arn of its own yet
        }
    assert buildspec["batch"]["fast-fail"] is False
    # Each build runs the report of its env as the role the install phase makes its profile.
    assert buildspec["phases"]["install"]["commands"][:2] == [
        'aws configure set profile.deployer.role_arn "$DEPLOYER_ROLE_ARN"',
        "aws configure set profile.deployer.credential_source EcsContainer",
    ]
    assert buildspec["phases"]["build"]["commands"] == [
        'AWS_PROFILE=deployer .venv/bin/infrarep drift-report --env "$ENV" --notify --store --format json'
    ]

    batch = project["buildBatchConfig"]
    assert batch["restrictions"] == {
        "maximumBuildsAllowed": len(envs),
        "computeTypesAllowed": ["BUILD_GENERAL1_SMALL"],
    }
    assert batch["combineArtifacts"] is False
    iam = aws("iam")
    build_role = f"{SCHEDULED_DRIFT}-build"
    assert project["serviceRole"] == f"arn:aws:iam::{ACCOUNT}:role/{build_role}"
    becomes = [s["Resource"] for s in _statements(iam, build_role) if "sts:AssumeRole" in s["Action"]]
    assert becomes == [[DEPLOYER_ROLE]], "the build role may assume the env roles, and only those"
    batch_role = f"{SCHEDULED_DRIFT}-batch"
    assert batch["serviceRole"] == f"arn:aws:iam::{ACCOUNT}:role/{batch_role}"
    assert [(s["Action"], s["Resource"]) for s in _statements(iam, batch_role)] == [
        (
            ["codebuild:RetryBuild", "codebuild:StartBuild", "codebuild:StopBuild"],
            [f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/{SCHEDULED_DRIFT}"],
        )
    ]


def test_the_dashboard_shows_live_and_pending_drift_per_env(deployed, aws, settings):
    body = json.loads(aws("cloudwatch").get_dashboard(DashboardName="infrarep-drift")["DashboardBody"])
    for kind in ("live", "pending"):
        (widget,) = [
            w for w in body["widgets"] if w["type"] == "metric" and f"({kind})" in w["properties"]["title"]
        ]
        assert widget["properties"]["metrics"] == [
            [
                records.METRIC_NAMESPACE,
                records.METRIC_DRIFT_DETECTED,
                "Env",
                env.name,
                "Kind",
                kind,
                {"region": env.region, "label": env.name},
            ]
            for env in settings.ordered()
        ]
