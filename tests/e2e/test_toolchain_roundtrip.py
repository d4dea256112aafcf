"""The toolchain proof: real terraform + real hashicorp/aws provider against the local AWS,
resources in two regions, remote state in the local AWS, applied, verified, destroyed."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from infrarep import plans, render
from infrarep.config import Target
from infrarep.files import write_atomic
from infrarep.terraform import PlanOutcome

pytestmark = pytest.mark.e2e

PRIMARY, SECONDARY = "us-east-1", "eu-west-1"
STATE_BUCKET = "infrarep-e2e-state"


def _lambda_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("handler.py", date_time=(1980, 1, 1, 0, 0, 0))
        archive.writestr(info, "def handler(event, context):\n    return {'ok': True}\n")
    return path


def _prepare(root, aws, name: str) -> None:
    workdir = root.workdir
    for file_name, text in render.local_files(["", "secondary"]).items():
        write_atomic(workdir / file_name, text or "")
    write_atomic(
        workdir / "backend.hcl", render.backend_config(STATE_BUCKET, f"{name}/terraform.tfstate", PRIMARY)
    )
    local_backend = render.generated_files(Target.LOCAL, backend=True)[render.LOCAL_BACKEND_FILE]
    write_atomic(workdir / render.LOCAL_BACKEND_FILE, local_backend or "")
    zip_path = _lambda_zip(workdir / "function.zip")
    write_atomic(
        workdir / "test.auto.tfvars",
        "".join(
            f"{key} = {render.hcl(value)}\n"
            for key, value in {
                "name": name,
                "primary_region": PRIMARY,
                "secondary_region": SECONDARY,
                "lambda_zip": str(zip_path),
            }.items()
        ),
    )
    s3 = aws("s3", PRIMARY)
    if STATE_BUCKET not in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=STATE_BUCKET)
        s3.put_bucket_versioning(Bucket=STATE_BUCKET, VersioningConfiguration={"Status": "Enabled"})


def test_apply_verify_destroy_in_two_regions(terraform_root, aws, tools, tmp_path):
    name = "roundtrip"
    root = terraform_root("two_regions")
    _prepare(root, aws, name)

    root.init(backend_config=render.backend_files(root.workdir, Target.LOCAL))
    lock = (root.workdir / ".terraform.lock.hcl").read_text()
    if tools.provider_h1:
        assert tools.provider_h1 in lock, "terraform's h1 of the mirrored provider differs from ours"

    plan = tmp_path / "apply.tfplan"
    assert root.plan(plan) is PlanOutcome.CHANGES
    root.apply(plan)

    s3, dynamodb = aws("s3", PRIMARY), aws("dynamodb", SECONDARY)
    bucket = f"{name}-config"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    key_arn = rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]
    assert aws("kms", PRIMARY).get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"]

    table = dynamodb.describe_table(TableName=f"{name}-ledger")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TableArn"].split(":")[3] == SECONDARY
    backups = dynamodb.describe_continuous_backups(TableName=f"{name}-ledger")
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    assert aws("dynamodb", PRIMARY).list_tables()["TableNames"] == []

    function = aws("lambda", PRIMARY).get_function(FunctionName=f"{name}-function")["Configuration"]
    assert function["Architectures"] == ["arm64"]
    assert function["Handler"] == "handler.handler"
    assert function["Runtime"] == "python3.12"

    state = s3.get_object(Bucket=STATE_BUCKET, Key=f"{name}/terraform.tfstate")
    assert b'"aws_lambda_function"' in state["Body"].read()
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=STATE_BUCKET).get("Contents", [])]
    assert f"{name}/terraform.tfstate.tflock" not in keys, "the S3 lockfile was not released"

    again = tmp_path / "again.tfplan"
    if root.plan(again) is not PlanOutcome.NO_CHANGES:
        summary = plans.summarise(root.show_json(again, tmp_path / "again.json"))
        changed = [(a.address, a.action.value) for a in summary.actions]
        pytest.fail(f"a fresh apply must plan clean, but: {changed}")

    destroy = tmp_path / "destroy.tfplan"
    assert root.plan(destroy, destroy=True) is PlanOutcome.CHANGES
    root.apply(destroy)

    assert bucket not in [item["Name"] for item in s3.list_buckets()["Buckets"]]
    assert dynamodb.list_tables()["TableNames"] == []
    assert aws("lambda", PRIMARY).list_functions()["Functions"] == []
