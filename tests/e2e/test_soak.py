"""The soak's drift check on the local AWS: the control plane applied by real terraform, dev
deployed, and the validate build's command (taken from the deployed project) run as the soak's
drift check runs it. Drift makes it start the rollback state machine, which runs in moto's
interpreter and puts its RollbackRequested event on the bus; no drift starts nothing.

The soak's Wait (at least an hour) and the CodeBuild `.sync` task that runs the build cannot run
here: the soak state machine is checked as read back from the local AWS instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from infrarep import config, records, release

from .projects import ControlPlane, DeployedEnv

pytestmark = pytest.mark.e2e

REGION = "us-east-1"
ENV = "dev"  # deployed in the control region: the request stays on this bus
VALIDATE_PROJECT = "infrarep-control-validate"
SOAK = "infrarep-control-soak"
ROLLBACK = "infrarep-control-rollback"


@pytest.fixture(scope="module")
def deployed(shared_dev: DeployedEnv) -> Iterator[ControlPlane]:
    """The shared control plane with the shared dev (tests/e2e/conftest.py), its project made the
    working copy of a build: a release bundle (RELEASE.json) of the version dev runs, after the
    install phase's `make setup` (.venv)."""
    project = shared_dev.world.project
    bundle = project / release.RELEASE_FILE
    bundle.write_text(json.dumps({"version": shared_dev.version, "source_commit": "e2e"}))
    venv = project / ".venv"
    venv.symlink_to(sys.prefix)
    try:
        yield shared_dev.world
    finally:
        venv.unlink()
        bundle.unlink()


@pytest.fixture
def aws(control_plane: ControlPlane, aws_for) -> Callable[..., Any]:
    return lambda service, region=REGION: aws_for(control_plane.local, service, region)


def state_machine_arn(aws: Callable[..., Any], name: str) -> str:
    machines = aws("stepfunctions").list_state_machines()["stateMachines"]
    return next(machine["stateMachineArn"] for machine in machines if machine["name"] == name)


@pytest.fixture(scope="module")
def soak_states(control_plane: ControlPlane, aws_for) -> dict[str, Any]:
    def aws(service: str, region: str = REGION) -> Any:
        return aws_for(control_plane.local, service, region)

    arn = state_machine_arn(aws, SOAK)
    return json.loads(aws("stepfunctions").describe_state_machine(stateMachineArn=arn)["definition"])[
        "States"
    ]


def test_the_soak_waits_then_runs_the_drift_check_whose_failure_fails_it(soak_states, control_plane):
    settings = config.load(control_plane.project / "envs" / "environments.yaml")
    assert soak_states["Soak"] == {
        "Type": "Wait",
        "Seconds": settings.promotion.soak_minutes * 60,
        "Next": "CheckDrift",
    }
    check = soak_states["CheckDrift"]
    assert check["Resource"] == "arn:aws:states:::codebuild:startBuild.sync"
    assert check["Parameters"]["ProjectName"] == VALIDATE_PROJECT
    assert check["Parameters"]["EnvironmentVariablesOverride"] == [
        {"Name": "DRIFT_ENVS", "Value.$": "$.env", "Type": "PLAINTEXT"},
        {"Name": "ROLLBACK_ON_DRIFT", "Value": "true", "Type": "PLAINTEXT"},
    ]
    assert check["ResultPath"] is None, "the build decides; its output is not read"
    assert check["Next"] == "Soaked" and soak_states["Soaked"] == {"Type": "Succeed"}
    (catch,) = check["Catch"]
    assert catch["ErrorEquals"] == ["States.ALL"]
    failed = soak_states[catch["Next"]]
    assert failed["Type"] == "Fail"
    assert "found drift" in failed["Cause"] and "requested a rollback" in failed["Cause"]
    assert set(soak_states) == {"Soak", "CheckDrift", catch["Next"], "Soaked"}


@pytest.fixture(scope="module")
def requests_seen(deployed: ControlPlane, aws_for):
    """A test-only rule on the default bus that copies every RollbackRequested event to a queue."""
    events, sqs = aws_for(deployed.local, "events", REGION), aws_for(deployed.local, "sqs", REGION)
    queue = sqs.create_queue(QueueName="e2e-rollback-requests")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    rule = "e2e-rollback-requests"
    events.put_rule(
        Name=rule, EventPattern=json.dumps({"source": ["infrarep"], "detail-type": ["RollbackRequested"]})
    )
    events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": queue_arn}])
    yield queue
    events.remove_targets(Rule=rule, Ids=["queue"])
    events.delete_rule(Name=rule)
    sqs.delete_queue(QueueUrl=queue)


def drift_check(
    deployed: ControlPlane, aws_for, soak_states: dict[str, Any], tmp_path: Path
) -> tuple[subprocess.CompletedProcess[str], str]:
    """The deployed validate project's build command, run as the soak's CheckDrift runs it: the
    project's variables, the soak's overrides (DRIFT_ENVS from its input {"env": ...}), and the
    variables CodeBuild sets. Credentials stand in for the install phase's deployer profile."""
    target = deployed.local
    (built,) = aws_for(target, "codebuild", REGION).batch_get_projects(names=[VALIDATE_PROJECT])["projects"]
    (command,) = yaml.safe_load(built["source"]["buildspec"])["phases"]["build"]["commands"]
    variables = {item["name"]: item["value"] for item in built["environment"]["environmentVariables"]}
    for override in soak_states["CheckDrift"]["Parameters"]["EnvironmentVariablesOverride"]:
        variables[override["Name"]] = ENV if override.get("Value.$") == "$.env" else override["Value"]
    build_id = f"{VALIDATE_PROJECT}:{uuid.uuid4()}"
    profiles = tmp_path / "aws-config"
    profiles.write_text("[profile deployer]\naws_access_key_id = test\naws_secret_access_key = test\n")
    env = {
        **os.environ,
        **variables,
        "CODEBUILD_BUILD_ID": build_id,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": str(profiles),
        "AWS_ACCESS_KEY_ID": "test",  # the build's own role
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_ENDPOINT_URL_SFN": target.endpoint,
        "AWS_CA_BUNDLE": target.ca_bundle,
        "INFRAREP_STATE_DIR": str(deployed.state_dir),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",  # `aws` (awscli)
    }
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=deployed.project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    return done, build_id


def executions(aws: Callable[..., Any]) -> list[dict[str, Any]]:
    arn = state_machine_arn(aws, ROLLBACK)
    return aws("stepfunctions").list_executions(stateMachineArn=arn)["executions"]


@pytest.fixture(scope="module")
def clean_check(deployed, requests_seen, aws_for, soak_states, tmp_path_factory):
    return drift_check(deployed, aws_for, soak_states, tmp_path_factory.mktemp("clean"))


def test_without_drift_the_check_passes_and_requests_nothing(clean_check, requests_seen, aws):
    done, _ = clean_check
    assert done.returncode == 0, f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert executions(aws) == []
    assert "Messages" not in aws("sqs").receive_message(QueueUrl=requests_seen, WaitTimeSeconds=0)


@pytest.fixture(scope="module")
def drifted_check(clean_check, deployed, aws_for, soak_states, tmp_path_factory):
    """An out-of-band change in dev (a tag on its drift topic), then the same check. The tag is
    removed afterwards: dev is shared."""
    sns = aws_for(deployed.local, "sns", REGION)
    topic = next(
        found["TopicArn"]
        for found in sns.list_topics()["Topics"]
        if found["TopicArn"].endswith(f":infrarep-{ENV}-drift")
    )
    sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "Owner", "Value": "someone"}])
    try:
        started = datetime.now(UTC)
        done, build_id = drift_check(deployed, aws_for, soak_states, tmp_path_factory.mktemp("drift"))
        yield done, build_id, started
    finally:
        sns.untag_resource(ResourceArn=topic, TagKeys=["Owner"])


def test_drift_fails_the_check_and_the_rollback_request_runs_to_the_bus(drifted_check, requests_seen, aws):
    done, build_id, started = drifted_check
    assert done.returncode == 2, f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert f"requested a rollback of {ENV} to its previous version" in done.stdout

    (execution,) = executions(aws)
    assert execution["name"] == build_id.replace(":", "-")
    sfn = aws("stepfunctions")
    deadline = time.monotonic() + 60
    while (described := sfn.describe_execution(executionArn=execution["executionArn"]))[
        "status"
    ] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["input"]) == {
        "env": ENV,
        "to_version": "previous",
        "reason": f"live drift in {ENV} after the soak (drift report of build {build_id})",
        "initiator": build_id,
    }

    sqs = aws("sqs")
    deadline = time.monotonic() + 30
    seen: list[dict[str, Any]] = []
    while not seen and time.monotonic() < deadline:
        seen = sqs.receive_message(QueueUrl=requests_seen, WaitTimeSeconds=1).get("Messages", [])
    (message,) = seen
    event = json.loads(message["Body"])
    assert (event["source"], event["detail-type"]) == ("infrarep", "RollbackRequested")
    assert execution["executionArn"] in event["resources"]
    detail = event["detail"]
    assert {name: detail[name] for name in ("env", "to_version", "reason", "initiator")} == json.loads(
        described["input"]
    )
    assert detail["request_id"] == execution["name"]  # one request per execution
    requested_at = records.parse_timestamp(detail["requested_at"])
    assert started - timedelta(seconds=1) <= requested_at <= datetime.now(UTC)


def test_only_the_validate_build_may_start_the_rollback_machine(deployed, aws):
    iam = aws("iam")
    rollback = state_machine_arn(aws, ROLLBACK)

    def starts(role: str) -> list[list[str]]:
        """The resources of every statement of the role's inline policies that starts executions."""
        found = []
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            document = json.loads(document) if isinstance(document, str) else document
            found += [
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                for statement in document["Statement"]
                if "states:StartExecution" in statement["Action"]
            ]
        return found

    assert starts("infrarep-control-validate-build") == [[rollback]]
    assert starts("infrarep-control-deploy-build") == []
    assert starts("infrarep-control-state-machines") == []
    (project,) = aws("codebuild").batch_get_projects(names=[VALIDATE_PROJECT])["projects"]
    assert project["serviceRole"].endswith(":role/infrarep-control-validate-build")
