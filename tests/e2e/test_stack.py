"""The shared stack on the local AWS, through the real CLI: deploy, verify, re-plan clean.

dev is the session's one deployed dev (`shared_dev`, tests/e2e/conftest.py), beside the control
plane: bootstrapped and deployed once for this file and test_soak.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from infrarep import config, env_lock, package, planfile, records, render
from infrarep_local_aws import LocalAws

from .env_checks import assert_workload_matches
from .projects import REPO, DeployedEnv, run_infrarep

pytestmark = pytest.mark.e2e

CONTROL_FUNCTIONS = package.functions(REPO / "lambda_src")["control"]


@pytest.fixture(scope="module")
def project(shared_dev: DeployedEnv) -> Path:
    return shared_dev.world.project


@pytest.fixture(scope="module")
def stack_aws(shared_dev: DeployedEnv) -> tuple[Path, LocalAws]:
    return shared_dev.world.state_dir, shared_dev.world.local


infrarep = run_infrarep


@pytest.fixture(scope="module")
def deployed_dev(shared_dev: DeployedEnv) -> dict:
    """`deploy --env dev --json` of the shared dev (tests/e2e/conftest.py)."""
    return shared_dev.applied


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


def test_the_deployment_is_in_the_ledger(shared_dev: DeployedEnv, stack_aws, aws_for):
    _, target = stack_aws
    rows = shared_dev.ledger_after
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


@pytest.fixture(scope="module")
def replanned(deployed_dev, project, stack_aws):
    """`plan --env dev` of the deployed version, right after the deploy."""
    state_dir, _ = stack_aws
    again = infrarep(project, state_dir, "plan", "--env", "dev", "--version", "e2e-1", "--json")
    assert again.returncode == 0, f"perpetual diff: {again.stdout[-3000:]} {again.stderr[-2000:]}"
    return json.loads(again.stdout)


def test_a_fresh_deploy_plans_clean(replanned):
    assert replanned["changes"] is False


def test_each_run_plans_into_its_own_file(deployed_dev, replanned):
    """A second run of an env never replaces the saved plan the first applies."""
    applied, planned = Path(deployed_dev["plan_file"]), Path(replanned["plan_file"])
    assert applied != planned
    assert applied.parent.parent == planned.parent.parent  # .infrarep/runs/dev/<run>/
    assert planfile.read(applied).variables["release_version"] == "e2e-1"
    assert planfile.read(planned).variables["release_version"] == "e2e-1"


def test_dev_runs_the_payments_workload_with_its_declared_limits(deployed_dev, stack_aws, aws_for):
    _, target = stack_aws
    settings = config.load(REPO / "envs/environments.yaml")
    dev = settings.env("dev")
    assert_workload_matches(dev, lambda service: aws_for(target, service, dev.region))


def test_status_shows_what_runs_where(shared_dev: DeployedEnv):
    by_env = {row["env"]: row for row in shared_dev.status_after["environments"]}
    assert (by_env["dev"]["version"], by_env["dev"]["by"]) == ("e2e-1", "ci")
    assert by_env["staging"]["version"] is None and by_env["prod"]["version"] is None
    assert by_env["dev"]["drift"] == {
        "result": "never checked",
        "found": None,
        "checked_at": None,
        "version": None,
    }
    assert list(by_env) == ["dev", "staging", "prod"]


STATE_BUCKET = "infrarep-tfstate-us-east-1"
ENV_LOCK = "dev/terraform.tfstate.infrarep-lock"


def test_a_fresh_clone_deploys_without_a_render_step(deployed_dev, project, stack_aws, aws_for):
    """The scratch project has none of the local target's generated files (git keeps none):
    bootstrap and deploy wrote them, and the local force_destroy reached the buckets."""
    _, target = stack_aws
    for root, names in {
        "envs/dev": render.GENERATED_FILES,
        "terraform/bootstrap": tuple(
            name for name in render.GENERATED_FILES if name != render.LOCAL_BACKEND_FILE
        ),
    }.items():
        assert sorted(path.name for path in (project / root).glob("local*")) == sorted(names), root
    state = json.loads(
        aws_for(target, "s3", "us-east-1")
        .get_object(Bucket=STATE_BUCKET, Key="dev/terraform.tfstate")["Body"]
        .read()
    )
    buckets = [
        instance["attributes"]
        for resource in state["resources"]
        if resource["type"] == "aws_s3_bucket" and resource["mode"] == "managed"
        for instance in resource["instances"]
    ]
    assert buckets and all(bucket["force_destroy"] for bucket in buckets)


def lock_versions(s3) -> list[str]:
    """The env lock's history in the (versioned) state bucket: `put` and `delete`, oldest first."""
    listed = s3.list_object_versions(Bucket=STATE_BUCKET, Prefix=ENV_LOCK)
    events = [(v["LastModified"], "put") for v in listed.get("Versions", [])]
    events += [(m["LastModified"], "delete") for m in listed.get("DeleteMarkers", [])]
    return [kind for _, kind in sorted(events, key=lambda event: event[0])]


def run_dirs(state_dir: Path) -> list[str]:
    runs = state_dir / "runs" / "dev"
    return sorted(path.name for path in runs.iterdir()) if runs.is_dir() else []


def test_a_deploy_held_dev_from_plan_to_apply_and_released_it(deployed_dev, stack_aws, aws_for):
    _, target = stack_aws
    s3 = aws_for(target, "s3", "us-east-1")
    assert lock_versions(s3)[:2] == ["put", "delete"]
    assert "Contents" not in s3.list_objects_v2(Bucket=STATE_BUCKET, Prefix=ENV_LOCK)


def test_a_second_run_meets_the_env_lock_before_it_plans(deployed_dev, project, stack_aws, aws_for):
    """Held by another run (here the test, as a run on another machine would), a deploy is refused
    in one line naming the holder, before it plans or writes anything; `unlock` releases it."""
    state_dir, target = stack_aws
    s3 = aws_for(target, "s3", "us-east-1")
    since = datetime.now(UTC) - timedelta(minutes=7)
    holder = env_lock.Holder("0123456789ab", "dev", "bob", "ci-7", 4242, "infrarep deploy --env dev", since)
    s3.put_object(Bucket=STATE_BUCKET, Key=ENV_LOCK, Body=holder.to_json())
    before = run_dirs(state_dir)

    refused = infrarep(project, state_dir, "deploy", "--env", "dev", "--version", "e2e-2")
    assert refused.returncode == 1, refused.stderr[-3000:]
    assert refused.stderr.splitlines() == [
        f"error: dev: held by bob on ci-7 (pid 4242, `infrarep deploy --env dev`) since "
        f"{since:%Y-%m-%d %H:%M:%S} UTC (7 min ago); nothing was planned",
        "hint: wait for that run to end; if it is gone, release its lock: "
        "infrarep unlock --env dev --id 0123456789ab",
    ]
    assert run_dirs(state_dir) == before  # nothing planned, no tfvars written
    assert s3.get_object(Bucket=STATE_BUCKET, Key=ENV_LOCK)["Body"].read() == holder.to_json()

    wrong = infrarep(project, state_dir, "unlock", "--env", "dev", "--id", "ffffffffffff")
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("error: dev: the lock is 0123456789ab, not ffffffffffff: held by bob")
    released = infrarep(project, state_dir, "unlock", "--env", "dev", "--id", "0123456789ab", "--json")
    assert released.returncode == 0, released.stderr[-2000:]
    document = json.loads(released.stdout)
    assert (document["released"], document["holder"]["actor"], document["holder"]["host"]) == (
        True,
        "bob",
        "ci-7",
    )
    assert "Contents" not in s3.list_objects_v2(Bucket=STATE_BUCKET, Prefix=ENV_LOCK)
    again = infrarep(project, state_dir, "unlock", "--env", "dev", "--id", "0123456789ab")
    assert (again.returncode, again.stdout) == (0, "dev: not locked\n")


def test_terraforms_own_state_lock_is_one_line_and_the_failed_run_releases_the_env(
    deployed_dev, project, stack_aws, aws_for
):
    """terraform run by hand (not through infrarep) holds the state: the deploy's plan fails on
    terraform's lock, said in one line instead of terraform's 15, and the env lock is released."""
    state_dir, target = stack_aws
    s3 = aws_for(target, "s3", "us-east-1")
    terraform_lock = {
        "ID": "5e1f0c2a-7d4b-4c3e-9a8b-1f2e3d4c5b6a",
        "Operation": "OperationTypeApply",
        "Info": "",
        "Who": "carol@laptop",
        "Version": "1.11.4",
        "Created": "2026-12-02T07:12:03.123456Z",
        "Path": f"{STATE_BUCKET}/dev/terraform.tfstate",
    }
    s3.put_object(Bucket=STATE_BUCKET, Key="dev/terraform.tfstate.tflock", Body=json.dumps(terraform_lock))
    held_before = lock_versions(s3).count("put")
    try:
        failed = infrarep(project, state_dir, "deploy", "--env", "dev", "--version", "e2e-1")
    finally:
        s3.delete_object(Bucket=STATE_BUCKET, Key="dev/terraform.tfstate.tflock")
    assert failed.returncode == 1, failed.stderr[-3000:]
    errors = [line for line in failed.stderr.splitlines() if line.startswith(("error:", "hint:"))]
    assert errors == [
        f"error: `terraform plan` in {project / 'envs/dev'}: the state is locked by carol@laptop since "
        "2026-12-02 07:12:03 UTC (terraform apply, lock ID 5e1f0c2a-7d4b-4c3e-9a8b-1f2e3d4c5b6a)",
        "hint: wait for that terraform run to end; if it is gone, release its lock: "
        f"terraform -chdir={project / 'envs/dev'} force-unlock 5e1f0c2a-7d4b-4c3e-9a8b-1f2e3d4c5b6a",
    ]
    assert "Terraform acquires a state lock" not in failed.stderr
    assert lock_versions(s3).count("put") == held_before + 1  # the env was held for the run ...
    assert "Contents" not in s3.list_objects_v2(Bucket=STATE_BUCKET, Prefix=ENV_LOCK)  # ... and released


def test_live_drift_report_is_clean_then_names_an_out_of_band_change(
    deployed_dev, project, stack_aws, aws_for
):
    """Runs last in this file: it changes dev behind terraform's back, and puts it back (dev is
    shared with test_soak)."""
    state_dir, target = stack_aws
    args = ("drift-report", "--env", "dev", "--kind", "live", "--format", "json", "--version", "e2e-1")
    clean = infrarep(project, state_dir, *args)
    assert clean.returncode == 0, f"{clean.stdout[-3000:]} {clean.stderr[-2000:]}"
    assert clean.stdout.startswith("{"), f"stdout: {clean.stdout[-1000:]!r} stderr: {clean.stderr[-3000:]}"
    assert json.loads(clean.stdout)["drift"] is False, clean.stderr[-3000:]

    name = "infrarep-dev-drift-validator"
    functions = aws_for(target, "lambda", "us-east-1")
    memory = functions.get_function_configuration(FunctionName=name)["MemorySize"]
    functions.update_function_configuration(FunctionName=name, MemorySize=512)
    try:
        drifted = infrarep(project, state_dir, *args)
    finally:
        functions.update_function_configuration(FunctionName=name, MemorySize=memory)
    assert drifted.returncode == 2, f"{drifted.stdout[-3000:]} {drifted.stderr[-2000:]}"
    findings = [f for f in json.loads(drifted.stdout)["findings"] if f["verdict"] == "drift"]
    assert [f["address"] for f in findings] == [
        'module.stack.module.function["drift_validator"].aws_lambda_function.this'
    ]
    changed = {a["path"]: (a["before"], a["after"]) for a in findings[0]["attributes"]}
    assert changed == {"memory_size": (256, 512)}
