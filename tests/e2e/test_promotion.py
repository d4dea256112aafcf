"""dev -> staging -> prod -> prod-us through the real CLI on the local AWS: gates, approvals,
a short soak, a two-step promotion, a rollback of prod, and Ctrl-C during a deploy.

The scratch project has a fourth env the repository's environments.yaml lacks: `prod-us`
(us-east-2, after prod), so nothing may assume three names or three regions, and a name with
a dash must work everywhere. It is deployed once (version 1); later versions stop at prod.
Two accounts, as a team that keeps production apart would have them: dev and the control
plane in the caller's (123456789012), staging, prod and prod-us in another (222222222222), each
reached through its deployer role. Every promotion, the parity pairs, replication, the
rollback events and the scheduled builds cross that line.

One module-scoped local AWS and scratch project; the tests run in file order and build on
each other (each fixture is one phase of the story). The four stacks are created once.
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from infrarep import config, drift, env_roots, local_target, planfile, plans, records, render
from infrarep.terraform import TerraformRoot

from .env_checks import ACCOUNT, as_role, assert_stack_matches, assert_workload_matches
from .projects import run_infrarep, running_local_aws, scratch_project

pytestmark = pytest.mark.e2e

REGIONS = {"dev": "us-east-1", "staging": "us-west-2", "prod": "eu-west-1", "prod-us": "us-east-2"}
ONCALL = "oncall@example.com"
FOURTH = "prod-us"
"""The env after prod: added to the scratch project only, with its own region and CIDR."""
OTHER_ACCOUNT = "222222222222"
ACCOUNTS = {"dev": ACCOUNT, "staging": OTHER_ACCOUNT, "prod": OTHER_ACCOUNT, FOURTH: OTHER_ACCOUNT}
"""Where each env lives: dev beside the control plane, the rest in the other account."""


def deployer(env: str) -> str:
    return f"arn:aws:iam::{ACCOUNTS[env]}:role/infrarep-deployer"


FOURTH_SETTINGS = {
    "region": REGIONS[FOURTH],
    "vpc_cidr": "10.3.0.0/16",
    "approval_required": True,
    "allowed_origins": ["https://pay.us.example.com"],
    "payments": {
        "lambda_memory_mb": 1024,
        "api_rate_limit": 1000,
        "api_burst_limit": 2000,
        "alarm_error_threshold": 1,
        "alarm_p99_latency_ms": 1000,
    },
}


def add_fourth_env(project: Path) -> None:
    """prod-us after prod in promotion.order, and its root: the hand-written files every env
    root shares (render writes the rest). Every env outside the caller's account gets that
    account and its deployer role."""
    path = project / "envs" / "environments.yaml"
    document = yaml.safe_load(path.read_text())
    document["control_account_id"] = ACCOUNT
    document["environments"][FOURTH] = FOURTH_SETTINGS
    for env, account in ACCOUNTS.items():
        if account != ACCOUNT:
            document["environments"][env].update(account_id=account, role_arn=deployer(env))
    document["promotion"]["order"].append(FOURTH)
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    settings = config.load(path)
    dev, fourth = project / "envs" / "dev", project / "envs" / FOURTH
    fourth.mkdir()
    rendered = render.env_files(settings, settings.env("dev"))
    for name in env_roots.hand_written([path.name for path in dev.iterdir()], rendered):
        shutil.copy2(dev / name, fourth / name)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = scratch_project(tmp_path_factory.mktemp("promotion-project"))
    add_fourth_env(project)
    return project


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory):
    yield from running_local_aws(tmp_path_factory.mktemp("promotion-state"))


Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def infrarep(project: Path, target) -> Run:
    state_dir, _ = target

    def run(*args: str, soak_seconds: int | None = None) -> subprocess.CompletedProcess[str]:
        env = {
            "LOGNAME": "e2e",
            "USER": "e2e",
            "INFRAREP_SOAK_SECONDS": "" if soak_seconds is None else str(soak_seconds),
        }
        return run_infrarep(project, state_dir, *args, env=env, timeout=2400)

    return run


def ok(done: subprocess.CompletedProcess[str], code: int = 0) -> subprocess.CompletedProcess[str]:
    assert done.returncode == code, f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-4000:]}"
    return done


def newest_run_file(state_dir: Path, env: str, name: str) -> Path:
    """`name` as the newest run of `env` that wrote one left it (.infrarep/runs/<env>/<run>/)."""
    return sorted((state_dir / "runs" / env).glob(f"*/{name}"))[-1]


@pytest.fixture(scope="module")
def env_aws(target, aws_for) -> Callable[[str, str], object]:
    """`env_aws("prod", "s3")`: a boto3 client in the env's region and account."""
    _, started = target

    def client(env: str, service: str) -> object:
        if ACCOUNTS[env] != ACCOUNT:
            return as_role(started, service, REGIONS[env], deployer(env))
        return aws_for(started, service, REGIONS[env])

    return client


@pytest.fixture
def ledger(env_aws) -> Callable[[str], list[dict[str, str]]]:
    """`ledger("prod")`: the env's rows, newest first, as plain strings."""

    def rows(env: str) -> list[dict[str, str]]:
        items = env_aws(env, "dynamodb").query(
            TableName=f"infrarep-{env}-ledger",
            KeyConditionExpression="#e = :e",
            ExpressionAttributeNames={"#e": "env"},
            ExpressionAttributeValues={":e": {"S": env}},
            ScanIndexForward=False,
        )["Items"]
        return [{name: value["S"] for name, value in item.items()} for item in items]

    return rows


@pytest.fixture(scope="module")
def v1_in_dev(project: Path, infrarep: Run) -> None:
    # prod alerts an on-call address: its subscriptions give the drift test one to delete.
    config = project / "envs" / "environments.yaml"
    document = yaml.safe_load(config.read_text())
    document["environments"]["prod"]["alert_emails"] = [ONCALL]
    config.write_text(yaml.safe_dump(document, sort_keys=False))
    ok(infrarep("render"))
    ok(infrarep("bootstrap"))
    ok(infrarep("deploy", "--env", "dev", "--version", "e2e-1", "--actor", "ci"))


def test_staging_without_approval_is_refused_and_says_how_to_approve(v1_in_dev, infrarep: Run):
    refused = ok(infrarep("promote", "--to", "staging"), code=3)
    assert "approval: staging needs an approval: answer the prompt, or pass --approve NAME" in refused.stderr
    assert "staging    refused" in refused.stdout


@pytest.fixture(scope="module")
def v1_in_staging(v1_in_dev, infrarep: Run) -> dict:
    done = ok(infrarep("promote", "--to", "staging", "--approve", "alice", "--json"))
    return json.loads(done.stdout)


def test_staging_runs_the_promoted_version_with_its_approver(v1_in_staging, ledger):
    step = v1_in_staging["steps"][0]
    assert (step["target"], step["version"], step["deployed"], step["approver"]) == (
        "staging",
        "e2e-1",
        True,
        "alice",
    )
    gates = {gate["gate"]: gate["passed"] for gate in step["gates"]}
    assert gates == {
        "deployed_in_previous_env": True,
        "same_code_version": True,
        "no_live_drift": True,
        "approval": True,
    }
    newest = ledger("staging")[0]
    assert (newest["version"], newest["event_type"], newest["status"]) == ("e2e-1", "DEPLOY", "SUCCEEDED")
    assert (newest["actor"], newest["approver"]) == ("e2e", "alice")


@pytest.fixture(scope="module")
def v1_in_prod(v1_in_staging, infrarep: Run) -> dict:
    # An hour's soak, had it applied, would refuse: staging ran e2e-1 for minutes only.
    done = ok(infrarep("promote", "--to", "prod", "--approve", "bob", "--json", soak_seconds=3600))
    return json.loads(done.stdout)


def test_prod_is_not_the_last_env_so_no_soak_holds_it(v1_in_prod, ledger):
    step = v1_in_prod["steps"][0]
    assert (step["target"], step["source"], step["deployed"]) == ("prod", "staging", True)
    assert [gate["gate"] for gate in step["gates"]] == [
        "deployed_in_previous_env",
        "same_code_version",
        "no_live_drift",
        "approval",
    ]
    newest = ledger("prod")[0]
    assert (newest["version"], newest["status"], newest["approver"]) == ("e2e-1", "SUCCEEDED", "bob")
    assert "soak" not in (newest.get("reason") or "")


def test_the_last_env_before_the_soak_is_refused_with_the_time_remaining(v1_in_prod, infrarep: Run):
    refused = ok(infrarep("promote", "--to", FOURTH, "--approve", "dana", soak_seconds=3600), code=3)
    assert "soak set to 60 min 0 s by INFRAREP_SOAK_SECONDS" in refused.stderr
    assert "soak_time: e2e-1 must soak in prod for 60 min 0 s; " in refused.stderr
    assert " remain" in refused.stderr


@pytest.fixture(scope="module")
def v1_in_prod_us(v1_in_prod, infrarep: Run) -> subprocess.CompletedProcess[str]:
    return ok(infrarep("promote", "--to", FOURTH, "--approve", "dana", soak_seconds=1))


def test_the_last_env_runs_the_promoted_version_after_a_short_soak(v1_in_prod_us, ledger):
    assert "soak shortened to 1 s by INFRAREP_SOAK_SECONDS" in v1_in_prod_us.stderr
    assert f"{FOURTH}    promoted      e2e-1 (from prod)" in v1_in_prod_us.stdout
    newest = ledger(FOURTH)[0]
    assert (newest["env"], newest["version"], newest["event_type"], newest["status"]) == (
        FOURTH,
        "e2e-1",
        "DEPLOY",
        "SUCCEEDED",
    )
    assert (newest["actor"], newest["approver"]) == ("e2e", "dana")
    assert newest["reason"].startswith("soak shortened to 1 s by INFRAREP_SOAK_SECONDS")


def settings_of(project: Path) -> config.Settings:
    return config.load(project / "envs" / "environments.yaml")


def test_every_env_runs_the_stack_and_the_workload_with_its_values(
    v1_in_prod_us, project, target, aws_for, env_aws
):
    _, started = target
    assert [env.name for env in settings_of(project).ordered()] == list(REGIONS)
    for env in settings_of(project).ordered():
        client = lambda service, name=env.name: env_aws(name, service)  # noqa: E731
        state = lambda service, region=env.region: aws_for(started, service, region)  # noqa: E731
        assert_stack_matches(env, client, version="e2e-1", state_client=state)
        assert_workload_matches(env, client)


def test_each_env_is_in_its_account_and_only_there(v1_in_prod_us, target, aws_for, env_aws):
    """Each env's table, config store and functions are in its account, none in the other one.
    The caller's account holds every env's state."""
    _, started = target

    def in_account(account: str, service: str, region: str):
        if account == ACCOUNT:
            return aws_for(started, service, region)
        return as_role(started, service, region, f"arn:aws:iam::{account}:role/infrarep-deployer")

    def buckets(account: str) -> set[str]:
        return {bucket["Name"] for bucket in in_account(account, "s3", "us-east-1").list_buckets()["Buckets"]}

    for env, region in REGIONS.items():
        account, other = ACCOUNTS[env], ({ACCOUNT, OTHER_ACCOUNT} - {ACCOUNTS[env]}).pop()
        table = f"infrarep-{env}-ledger"
        own = env_aws(env, "dynamodb").describe_table(TableName=table)["Table"]
        assert own["TableArn"].split(":")[4] == account, env
        assert table not in in_account(other, "dynamodb", region).list_tables()["TableNames"], env
        functions = env_aws(env, "lambda").list_functions()["Functions"]
        assert {function["FunctionArn"].split(":")[4] for function in functions} == {account}, env
        assert not in_account(other, "lambda", region).list_functions()["Functions"], env
    for account in (ACCOUNT, OTHER_ACCOUNT):
        envs = [env for env in REGIONS if ACCOUNTS[env] == account]
        owners = {env for name in buckets(account) for env in REGIONS if name.startswith(f"infrarep-{env}-")}
        assert owners == set(envs), account
        assert {f"infrarep-{env}-config-{account}" for env in envs} <= buckets(account)
    assert {f"infrarep-tfstate-{region}" for region in REGIONS.values()} <= buckets(ACCOUNT)


@pytest.fixture(scope="module")
def parity_report(v1_in_prod_us, infrarep: Run) -> dict:
    report = ok(infrarep("drift-report", "--kind", "parity", "--format", "json", "--show-expected"))
    return json.loads(report.stdout)


def test_parity_report_shows_exactly_the_declared_variations(parity_report, project):
    result = parity_report
    assert result["drift"] is False
    reasons = [
        attribute["reason"]
        for finding in result["findings"]
        for attribute in finding.get("attributes") or [finding]
    ]
    unexpected = [finding for finding in result["findings"] if finding["verdict"] != "expected"]
    assert not unexpected, json.dumps(unexpected, indent=1)[:6000]
    named = {name for reason in reasons for name in re.findall(r"var\.([a-z_]+)", reason)}
    declared = set(render.env_variables(settings_of(project), settings_of(project).env("prod")))
    assert named <= declared, named - declared
    assert {"payments", "vpc_cidr", "az_count", "deletion_protection", "allowed_origins"} <= named
    # dev is in the control region: what forwards accepted rollbacks there exists in staging
    # (and prod) only, a difference the parity report explains rather than calls drift.
    only_in = {
        finding["address"]: finding["reason"]
        for finding in result["findings"]
        if finding["change"] == "only_in" and finding["envs"] == ["dev", "staging"]
    }
    for part in ["rule", "target"]:
        address = f"module.stack.aws_cloudwatch_event_{part}.rollback_accepted[0]"
        assert only_in[address].startswith("only in staging: count/for_each"), only_in
    manifests = {env: entry["resources_sha256"] for env, entry in result["manifests"].items()}
    assert manifests["prod"] != manifests["staging"]  # prod alone subscribes an on-call address


def test_parity_pairs_follow_the_promotion_order_to_the_fourth_env(parity_report):
    pairs = [summary for summary in parity_report["summary"] if summary["kind"] == "parity"]
    assert [summary["scope"] for summary in pairs] == ["dev~staging", "staging~prod", f"prod~{FOURTH}"]
    assert all(summary["drift"] == 0 for summary in pairs), pairs
    fourth = next(summary for summary in pairs if summary["scope"] == f"prod~{FOURTH}")
    assert fourth["envs"] == ["prod", FOURTH]
    assert fourth["expected"] > 0, fourth
    found = {
        (finding["address"], attribute["path"]): attribute
        for finding in parity_report["findings"]
        if finding["scope"] == f"prod~{FOURTH}"
        for attribute in finding["attributes"]
    }
    # `prod` and `prod-us` are each their own env's name: names built from them are equal once
    # normalised, so no difference at all, not even an expected one.
    ledger_table = "module.stack.module.ledger.aws_dynamodb_table.this"
    for path in ("name", "arn", "tags_all.Environment"):
        assert (ledger_table, path) not in found, found[(ledger_table, path)]
    cidr = found[("module.stack.module.network.aws_vpc.this", "cidr_block")]
    assert (cidr["before"], cidr["after"], cidr["verdict"]) == ("10.2.0.0/16", "10.3.0.0/16", "expected")


def test_each_deploy_stored_the_manifest_drift_report_computes(parity_report, target, env_aws):
    """deploy builds the manifest from the env's state after the apply (terraform is not run
    again for it), drift-report from fresh plans: the two agree. dev, staging and prod plan
    the same code, so one kept configuration serves all three."""
    state_dir, _ = target
    for env in REGIONS:
        s3 = env_aws(env, "s3")
        bucket = next(
            found["Name"]
            for found in s3.list_buckets()["Buckets"]
            if re.fullmatch(rf"infrarep-{env}-config-[0-9]{{12}}", found["Name"])
        )
        stored = records.Manifest.from_json(
            s3.get_object(Bucket=bucket, Key=records.manifest_key(env))["Body"].read()
        )
        assert (stored.env, stored.version) == (env, "e2e-1")
        assert stored.resources_sha256() == parity_report["manifests"][env]["resources_sha256"], env
    (digest,) = {planfile.read(newest_run_file(state_dir, env, "plan.tfplan")).code_digest for env in REGIONS}
    assert (state_dir / "configurations" / f"{digest}.json").is_file()


def test_live_drift_names_exactly_the_out_of_band_changes(
    v1_in_prod_us, infrarep: Run, target, env_aws, ledger, tools, project: Path
):
    """With --notify each env gets its metric, ledger row and (on drift) a drift-topic message.
    Then re-applying each env makes the report clean again."""
    state_dir, started = target
    report = ("drift-report", "--kind", "live", "--format", "json")
    # The envs changed out of band; the report with --notify covers prod-us too (no findings there).
    changed_envs = ("--env", "dev", "--env", "staging", "--env", "prod")
    clean = json.loads(ok(infrarep(*report, *changed_envs)).stdout)
    assert clean["drift"] is False, clean["findings"]

    sns_dev = env_aws("dev", "sns")
    topics = [topic["TopicArn"] for topic in sns_dev.list_topics()["Topics"]]
    topic = next(arn for arn in topics if arn.endswith(":infrarep-dev-drift"))
    sns_dev.tag_resource(ResourceArn=topic, Tags=[{"Key": "Owner", "Value": "someone"}])
    env_aws("staging", "dynamodb").update_continuous_backups(
        TableName="infrarep-staging-ledger",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False},
    )
    env_aws("prod", "lambda").update_function_configuration(
        FunctionName="infrarep-prod-drift-validator", MemorySize=512
    )
    sns_prod = env_aws("prod", "sns")
    subscription = next(
        s["SubscriptionArn"]
        for s in sns_prod.list_subscriptions()["Subscriptions"]
        if s["TopicArn"].endswith(":infrarep-prod-drift") and s["Endpoint"] == ONCALL
    )
    sns_prod.unsubscribe(SubscriptionArn=subscription)

    # Out of band too, and not in any state: a queue that reads prod's drift topic.
    sqs_prod = env_aws("prod", "sqs")
    inbox = sqs_prod.create_queue(QueueName="drift-inbox")["QueueUrl"]
    inbox_arn = sqs_prod.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]
    prod_topic = next(
        topic["TopicArn"]
        for topic in sns_prod.list_topics()["Topics"]
        if topic["TopicArn"].endswith(":infrarep-prod-drift")
    )
    sns_prod.subscribe(TopicArn=prod_topic, Protocol="sqs", Endpoint=inbox_arn["QueueArn"])

    drifted = ok(infrarep(*report, "--notify"), code=2)
    findings = {
        (finding["scope"], finding["address"]): finding
        for finding in json.loads(drifted.stdout)["findings"]
        if finding["verdict"] == "drift"
    }
    topic_address = 'module.stack.module.notifications.aws_sns_topic.this["drift"]'
    table_address = "module.stack.module.ledger.aws_dynamodb_table.this"
    function_address = 'module.stack.module.function["drift_validator"].aws_lambda_function.this'
    subscription_address = (
        f'module.stack.module.notifications.aws_sns_topic_subscription.this["drift:email:{ONCALL}"]'
    )
    assert set(findings) == {
        ("dev", topic_address),
        ("staging", table_address),
        ("prod", function_address),
        ("prod", subscription_address),
    }

    def changes(env: str, address: str) -> dict:
        return {a["path"]: (a["before"], a["after"]) for a in findings[(env, address)]["attributes"]}

    assert changes("dev", topic_address) == {"tags.Owner": ("(absent)", "someone")}
    assert changes("staging", table_address) == {  # with PITR off, AWS reports no recovery period
        "point_in_time_recovery[0].enabled": (True, False),
        "point_in_time_recovery[0].recovery_period_in_days": (35, 0),
    }
    assert changes("prod", function_address) == {"memory_size": (256, 512)}
    assert findings[("prod", subscription_address)]["change"] == "missing"

    # The report read each saved refresh plan itself (its two states); terraform's own JSON of
    # the same plan gives the same findings and counts.
    for env in REGIONS:
        runs = newest_run_file(state_dir, env, "refresh.tfplan").parent
        terraform = TerraformRoot(
            tools.binary(),
            project / "envs" / env,
            env={**tools.terraform_env(), **local_target.terraform_env(started)},
        )
        shown = terraform.show_json(runs / "refresh.tfplan", runs / "terraform-refresh.json")
        ours = drift.live_findings(env, plans.load(runs / "refresh.json"))
        assert drift.live_findings(env, plans.load(shown)) == ours, env

    (delivered,) = sqs_prod.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10)["Messages"]
    told = json.loads(json.loads(delivered["Body"])["Message"])
    assert (told["env"], told["drift"]) == ("prod", True)
    assert {finding["address"] for finding in told["findings"]} == {function_address, subscription_address}
    for env, found in (("dev", 1), ("staging", 1), ("prod", 2)):
        row = ledger(env)[0]
        assert (row["event_type"], row["status"]) == ("DRIFT_CHECK", "SUCCEEDED"), row
        assert f"live {env} {found}" in row["reason"]
    shown = json.loads(ok(infrarep("status", "--json")).stdout)["environments"]
    checks = {row["env"]: row["drift"] for row in shown}
    assert checks[FOURTH]["found"] is False, checks[FOURTH]
    for env, found in (("dev", 1), ("staging", 1), ("prod", 2)):
        assert checks[env]["found"] is True, checks[env]
        assert f"live {env} {found}" in checks[env]["result"]
        assert (
            checks[env]["checked_at"]
            == records.parse_timestamp(ledger(env)[0]["deployed_at"].split("#")[0]).isoformat()
        )
    metrics = env_aws("prod", "cloudwatch").list_metrics(
        Namespace="Infrarep", MetricName="DriftDetected", Dimensions=[{"Name": "Env", "Value": "prod"}]
    )["Metrics"]
    assert {"Name": "Kind", "Value": "live"} in [d for metric in metrics for d in metric["Dimensions"]]

    for env in ("dev", "staging", "prod"):
        ok(infrarep("deploy", "--env", env, "--version", "e2e-1", "--actor", "ci"))
    again = json.loads(ok(infrarep(*report, *changed_envs)).stdout)
    assert again["drift"] is False, again["findings"]


@pytest.fixture(scope="module")
def v2_in_prod(v1_in_prod_us, project: Path, infrarep: Run) -> subprocess.CompletedProcess[str]:
    """Version 2 turns off the prod ledger's deletion protection, then goes dev -> staging -> prod
    in one two-step promotion. It stops there: prod-us is deployed once, with version 1."""
    config = project / "envs" / "environments.yaml"
    document = yaml.safe_load(config.read_text())
    document["environments"]["prod"]["deletion_protection"] = False
    config.write_text(yaml.safe_dump(document, sort_keys=False))
    ok(infrarep("render"))
    ok(infrarep("deploy", "--env", "dev", "--version", "e2e-2", "--actor", "ci"))
    return ok(infrarep("promote", "--to", "staging", "--to", "prod", "--approve", "carol"))


def test_two_step_promotion_reaches_prod(v2_in_prod, env_aws, ledger):
    assert "staging    promoted      e2e-2 (from dev)" in v2_in_prod.stdout
    assert "prod       promoted      e2e-2 (from staging)" in v2_in_prod.stdout
    assert ledger("prod")[0]["version"] == "e2e-2"
    table = env_aws("prod", "dynamodb").describe_table(TableName="infrarep-prod-ledger")
    assert table["Table"]["DeletionProtectionEnabled"] is False


@pytest.fixture(scope="module")
def prod_rolled_back(v2_in_prod, infrarep: Run) -> subprocess.CompletedProcess[str]:
    return ok(infrarep("rollback", "--env", "prod", "--to", "e2e-1", "--reason", "e2e: bad release"))


def test_rollback_restores_the_snapshot_and_records_why(prod_rolled_back, env_aws, ledger):
    newest = ledger("prod")[0]
    assert (newest["event_type"], newest["status"], newest["version"]) == ("ROLLBACK", "SUCCEEDED", "e2e-1")
    assert (newest["reason"], newest["actor"]) == ("e2e: bad release", "e2e")
    table = env_aws("prod", "dynamodb").describe_table(TableName="infrarep-prod-ledger")
    assert table["Table"]["DeletionProtectionEnabled"] is True  # e2e-1's snapshot, not the yaml
    current = env_aws("prod", "s3").get_object(
        Bucket=f"infrarep-prod-config-{ACCOUNTS['prod']}", Key="parameters/prod.json"
    )
    assert json.loads(current["Body"].read())["deletion_protection"] is True
    assert current["Metadata"]["infrarep-version"] == "e2e-1"


def test_rollback_to_an_unknown_version_names_env_and_version(prod_rolled_back, infrarep: Run):
    failed = ok(infrarep("rollback", "--env", "prod", "--to", "e2e-9"), code=1)
    assert "error: prod: no deployment of version 'e2e-9' in the ledger" in failed.stderr
    assert "hint: versions deployed to prod, newest first: e2e-2, e2e-1" in failed.stderr


CONTROL_REGION = "us-east-1"
RELEASES = "infrarep-control-config-123456789012"
DEPLOY_PROJECT = "infrarep-control-deploy"
ROLLBACK_EVENT = {
    "version": "0",
    "id": "e2e-rollback-request-1",
    "detail-type": "RollbackRequested",
    "source": "infrarep",
    "account": ACCOUNTS["prod"],
    "region": REGIONS["prod"],
    "resources": [],
    "detail": {"env": "prod", "to_version": "e2e-2", "reason": "e2e: e2e-1 is broken", "initiator": "erin"},
}


def rollback_command(buildspec: str, variables: dict[str, str]) -> list[str]:
    """The `infrarep rollback ...` the deploy build runs, its variables filled in as bash would."""
    (command,) = yaml.safe_load(buildspec)["phases"]["build"]["commands"]
    run = command[command.index("infrarep rollback") :].split(";")[0]
    return [re.sub(r"\$([A-Z_]+)", lambda name: variables[name.group(1)], arg) for arg in shlex.split(run)]


def release_checkout(project: Path, where: Path) -> Path:
    """A git commit of the project, so `infrarep release` can bundle it; the shared project stays
    without one (its deploys recorded source commit "unknown", which a rollback checks)."""
    shutil.copytree(project, where, ignore=shutil.ignore_patterns(".terraform", "dist"))
    for args in (["init", "--quiet"], ["add", "-A"], ["commit", "--quiet", "-m", "e2e"]):
        git = ["git", "-c", "user.name=e2e", "-c", "user.email=e2e@example.com", *args]
        subprocess.run(git, cwd=where, check=True, capture_output=True)
    return where


@pytest.fixture(scope="module")
def rollback_executor(project: Path, target, env_aws, tmp_path_factory) -> Callable[[dict], dict]:
    """`invoke(event)`: prod's rollback executor as deployed (its zip's code, its settings and its
    execution role's credentials, so it acts in prod's account), run here against the local AWS,
    which cannot run functions itself."""
    _, started = target
    function = env_aws("prod", "lambda").get_function_configuration(
        FunctionName="infrarep-prod-rollback-executor"
    )
    assert function["Role"].split(":")[4] == ACCOUNTS["prod"]
    credentials = started.client("sts", REGIONS["prod"]).assume_role(
        RoleArn=function["Role"], RoleSessionName="infrarep-prod-rollback-executor"
    )["Credentials"]
    code = tmp_path_factory.mktemp("rollback-executor")
    with zipfile.ZipFile(project / "dist/lambda/rollback_executor.zip") as deployed:
        deployed.extractall(code)
    run_handler = (
        "import json, sys, types; import handler; "
        "context = types.SimpleNamespace(function_name='infrarep-prod-rollback-executor', "
        "function_version='$LATEST', memory_limit_in_mb=256, aws_request_id='e2e', "
        f"invoked_function_arn='{function['FunctionArn']}', "
        "log_group_name='/aws/lambda/infrarep-prod-rollback-executor', log_stream_name='e2e'); "
        "print(json.dumps(handler.handler(json.load(sys.stdin), context)))"
    )
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(code),  # the deployed zip's code (boto3 comes with the runtime)
        **function["Environment"]["Variables"],
        "AWS_ENDPOINT_URL": started.endpoint,
        "AWS_CA_BUNDLE": started.ca_bundle,
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
        "AWS_DEFAULT_REGION": REGIONS["prod"],
        "AWS_REGION": REGIONS["prod"],
    }

    def invoke(event: dict) -> dict:
        done = subprocess.run(
            [sys.executable, "-c", run_handler],
            input=json.dumps(event),
            cwd=code,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    invoke.settings = function["Environment"]["Variables"]  # type: ignore[attr-defined]
    return invoke


@pytest.fixture(scope="module")
def rollback_requested(
    prod_rolled_back, project: Path, target, infrarep: Run, rollback_executor, tmp_path_factory
) -> dict:
    """prod runs e2e-1 (rolled back). The control plane is deployed (its real Terraform: the
    RollbackAccepted rule and the deploy project) and e2e-2 released to it; then prod's
    rollback executor is asked to go back to e2e-2, with the event its EventBridge rule
    delivers. The local AWS carries what follows as AWS would: the RollbackAccepted event on
    eu-west-1's default bus, prod's rule forwarding it to us-east-1, the control rule starting
    the deploy build."""
    state_dir, _ = target
    ok(infrarep("control-plane", "--version", "e2e-2"))
    checkout = release_checkout(project, tmp_path_factory.mktemp("release") / "checkout")
    release = ok(run_infrarep(checkout, state_dir, "release", "--version", "e2e-2", "--json"))
    released = json.loads(release.stdout)
    event = {**ROLLBACK_EVENT, "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    return {"result": rollback_executor(event), "event": event, "release": released}


def test_an_accepted_rollback_reaches_the_control_plane_as_a_build_of_that_version(
    rollback_requested, rollback_executor, target, aws_for, ledger
):
    _, started = target
    result = rollback_requested["result"]
    assert (result["requested"], result["version"], result["status"]) == (True, "e2e-2", "REQUESTED")
    assert result["accepted_event_id"]
    # Everything the function is told names its own region's resources.
    settings = rollback_executor.settings
    assert {"ROLLBACK_BUILD_PROJECT", "ROLLBACK_BUILD_REGION", "RELEASE_BUCKET"}.isdisjoint(settings)
    assert settings["ROLLBACK_TOPIC_ARN"].startswith(f"arn:aws:sns:{REGIONS['prod']}:")

    newest = ledger("prod")[0]
    assert (newest["event_type"], newest["status"], newest["version"]) == ("ROLLBACK", "REQUESTED", "e2e-2")
    assert (newest["actor"], newest["reason"]) == ("erin", "e2e: e2e-1 is broken")

    # The chain ended in one build of the deploy project, for prod and e2e-2, on e2e-2's own bundle.
    codebuild = aws_for(started, "codebuild", CONTROL_REGION)
    (build_id,) = codebuild.list_builds_for_project(projectName=DEPLOY_PROJECT)["ids"]
    (build,) = codebuild.batch_get_builds(ids=[build_id])["builds"]
    variables = {v["name"]: v["value"] for v in build["environment"]["environmentVariables"]}
    assert {name: variables[name] for name in variables if name != "DEPLOYER_ROLE_ARN"} == {
        "DEPLOY_ENV": "prod",
        "ROLLBACK_TO": "e2e-2",
        "ROLLBACK_REASON": "e2e: e2e-1 is broken",
        "ROLLBACK_ACTOR": "erin",
        "ROLLBACK_REQUEST_ID": "e2e-rollback-request-1",
    }
    bundle_key = "releases/e2e-2/source.zip"
    assert (build["source"]["type"], build["source"]["location"]) == ("S3", f"{RELEASES}/{bundle_key}")
    bundle = aws_for(started, "s3", CONTROL_REGION).get_object(Bucket=RELEASES, Key=bundle_key)
    assert bundle["Metadata"]["sha256"] == rollback_requested["release"]["sha256"]
    with zipfile.ZipFile(io.BytesIO(bundle["Body"].read())) as archive:
        assert json.loads(archive.read("RELEASE.json"))["version"] == "e2e-2"

    # A redelivered request is recorded once and starts no second build.
    again = rollback_executor(rollback_requested["event"])
    assert again["already_requested"] is True and again["accepted_event_id"] is None
    assert codebuild.list_builds_for_project(projectName=DEPLOY_PROJECT)["ids"] == [build_id]


def test_the_control_plane_promotes_through_every_env_with_the_soak_before_the_last(
    rollback_requested, target, aws_for, env_aws
):
    """The control plane deployed from the four-env project: its pipeline follows the order to
    prod-us, soaking in prod; the primary store replicates to every env outside its region."""
    _, started = target
    pipeline = aws_for(started, "codepipeline", CONTROL_REGION).get_pipeline(
        name="infrarep-control-promotion"
    )
    assert [stage["name"] for stage in pipeline["pipeline"]["stages"]] == [
        "Source",
        "Deploy-dev",
        "Validate-dev",
        "Approve-staging",
        "Deploy-staging",
        "Validate-staging",
        "Approve-prod",
        "Deploy-prod",
        "Soak-prod",
        "Validate-prod",
        f"Approve-{FOURTH}",
        f"Deploy-{FOURTH}",
    ]
    replication = aws_for(started, "s3", CONTROL_REGION).get_bucket_replication(Bucket=RELEASES)
    destinations = {
        rule["Destination"]["Bucket"]: rule["Destination"]
        for rule in replication["ReplicationConfiguration"]["Rules"]
    }
    replicated = [env for env in REGIONS if REGIONS[env] != CONTROL_REGION]
    assert set(destinations) == {f"arn:aws:s3:::infrarep-{env}-config-{ACCOUNTS[env]}" for env in replicated}
    # Across accounts the destination account owns the replicas, and lets the replication in.
    for env in replicated:
        bucket = f"infrarep-{env}-config-{ACCOUNTS[env]}"
        across = destinations[f"arn:aws:s3:::{bucket}"]
        assert (across["Account"], across["AccessControlTranslation"]) == (
            ACCOUNTS[env],
            {"Owner": "Destination"},
        ), env
        policy = json.loads(env_aws(env, "s3").get_bucket_policy(Bucket=bucket)["Policy"])
        principals = json.dumps([statement.get("Principal") for statement in policy["Statement"]])
        assert f":{ACCOUNT}:role/" in principals, policy


def test_a_requested_rollback_changes_nothing_until_the_build_applies_it(
    rollback_requested, infrarep: Run, target, aws_for, env_aws, ledger
):
    _, started = target
    codebuild = aws_for(started, "codebuild", CONTROL_REGION)
    (build_id,) = codebuild.list_builds_for_project(projectName=DEPLOY_PROJECT)["ids"]
    (build,) = codebuild.batch_get_builds(ids=[build_id])["builds"]
    variables = {v["name"]: v["value"] for v in build["environment"]["environmentVariables"]}

    # A REQUESTED row alone changes nothing: prod still runs e2e-1, and status says so.
    def prod_status() -> dict:
        shown = json.loads(ok(infrarep("status", "--json")).stdout)["environments"]
        return next(env for env in shown if env["env"] == "prod")

    before = prod_status()
    assert before["version"] == "e2e-1"
    assert (before["last_attempt"]["event"], before["last_attempt"]["status"]) == ("ROLLBACK", "REQUESTED")

    # What that build runs (the project's buildspec, from the control plane's Terraform) flips it.
    (project,) = codebuild.batch_get_projects(names=[DEPLOY_PROJECT])["projects"]
    assert project["source"]["buildspec"] == build["source"]["buildspec"]
    command = rollback_command(build["source"]["buildspec"], variables)
    assert command[:6] == ["infrarep", "rollback", "--env", "prod", "--to", "e2e-2"]
    ok(infrarep(*command[1:]))

    newest = ledger("prod")[0]
    assert (newest["event_type"], newest["status"], newest["version"]) == ("ROLLBACK", "SUCCEEDED", "e2e-2")
    assert (newest["actor"], newest["reason"]) == ("erin", "e2e: e2e-1 is broken")
    assert newest["plan_digest"]
    assert prod_status()["version"] == "e2e-2"
    table = env_aws("prod", "dynamodb").describe_table(TableName="infrarep-prod-ledger")
    assert table["Table"]["DeletionProtectionEnabled"] is False  # e2e-2's snapshot applied


def test_ctrl_c_during_deploy_stops_terraform_cleanly(v1_in_dev, project: Path, target, aws_for, ledger):
    """SIGINT while terraform applies: forwarded once, state saved, lock released, INTERRUPTED, 130.

    Needs only dev (`-k ctrl_c` runs it alone); in a full run the scheduled-drift tests after it
    deploy dev again before they check it."""
    state_dir, started = target
    before = ledger("dev")[0]["version"]
    process = subprocess.Popen(
        [sys.executable, "-m", "infrarep.cli", "deploy", "--env", "dev", "--version", "e2e-3", "--verbose"],
        cwd=project,
        env={**os.environ, "INFRAREP_STATE_DIR": str(state_dir), "LOGNAME": "e2e", "USER": "e2e"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As in a terminal: a test runner started in the background may have SIGINT ignored,
        # and an ignored signal stays ignored across exec.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines: list[str] = []
    modifying = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if ": Modifying..." in line:
                modifying.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 1200
    while not modifying.is_set() and process.poll() is None and time.monotonic() < deadline:
        modifying.wait(timeout=1)
    assert modifying.is_set(), "".join(lines[-40:])
    process.send_signal(signal.SIGINT)
    returncode = process.wait(timeout=600)
    reader.join(timeout=10)
    output = "".join(lines)
    assert returncode == 130, output[-4000:]
    assert "Interrupt received" in output  # terraform's own answer to the forwarded SIGINT
    assert "terraform stopped (exit" in output

    newest = ledger("dev")[0]
    assert (newest["version"], newest["event_type"], newest["status"]) == ("e2e-3", "DEPLOY", "INTERRUPTED")

    s3 = aws_for(started, "s3", "us-east-1")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="infrarep-tfstate-us-east-1")["Contents"]]
    assert "dev/terraform.tfstate" in keys
    assert "dev/terraform.tfstate.tflock" not in keys, "terraform did not release the lock"
    assert "dev/terraform.tfstate.infrarep-lock" not in keys, "infrarep did not release the env"
    state = json.loads(
        s3.get_object(Bucket="infrarep-tfstate-us-east-1", Key="dev/terraform.tfstate")["Body"].read()
    )
    versions = {
        instance["attributes"].get("tags_all", {}).get("Version")
        for resource in state["resources"]
        if resource["mode"] == "managed"
        for instance in resource["instances"]
        if isinstance(instance["attributes"].get("tags_all"), dict)
    }
    assert before in versions, "the apply was not stopped: every resource carries the new version"


# --- Scheduled drift: each build of the control plane's batch, run here as CodeBuild would ----

SCHEDULED_DRIFT = "infrarep-control-scheduled-drift"
LEDGER_TABLE = "module.stack.module.ledger.aws_dynamodb_table.this"
PLANTED = {("staging", "live", LEDGER_TABLE), ("staging", "pending", LEDGER_TABLE)}
"""The out-of-band change the batch must find: staging's ledger table loses point-in-time
recovery. It is live drift, and a pending change too (applying the code would turn it back on)."""
RUNNING = {"version": "e2e-2", "source_commit": "unknown"}
"""The release the bundle holds, and the one dev, staging and prod run once dev catches up:
e2e-2, deployed from this scratch project, which has no git commit (so its source commit is
unknown). prod-us stays on e2e-1: it awaits its promotion."""
FROM_STORE = ("drift-report", "--from-store", "--kind", "live", "--kind", "pending", "--format", "json")
"""The fleet's own drift as the stored reports tell it (parity from the stored manifests names
every difference of the stacks, declared or not: another matter than the batch's)."""


@pytest.fixture(scope="module")
def drift_batch(rollback_requested, target, aws_for) -> dict:
    """The scheduled-drift batch project as the control plane applied it (the scratch project's
    environments.yaml sets `drift.schedule`): its buildspec, read back from the local AWS."""
    _, started = target
    codebuild = aws_for(started, "codebuild", CONTROL_REGION)
    (batch_project,) = codebuild.batch_get_projects(names=[SCHEDULED_DRIFT])["projects"]
    return yaml.safe_load(batch_project["source"]["buildspec"])


def run_side_by_side(commands: dict[str, tuple[list[str], dict[str, str]]], cwd: Path, logs: Path) -> dict:
    """Each `name: (argv, env)` as its own process, all at once; when all have ended, each one's
    exit code, stdout and stderr, and the wall and CPU seconds (these processes and theirs) of the
    whole."""
    logs.mkdir(parents=True, exist_ok=True)
    cpu_before, started = os.times(), time.monotonic()
    running = {}
    for name, (argv, env) in commands.items():
        out, err = (logs / f"{name}.out").open("w"), (logs / f"{name}.err").open("w")
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        running[name] = (process, out, err)
    done = {}
    for name, (process, out, err) in running.items():
        returncode = process.wait(timeout=1800)
        out.close()
        err.close()
        done[name] = subprocess.CompletedProcess(
            process.args, returncode, (logs / f"{name}.out").read_text(), (logs / f"{name}.err").read_text()
        )
    cpu_after = os.times()
    cpu = (cpu_after.children_user - cpu_before.children_user) + (
        cpu_after.children_system - cpu_before.children_system
    )
    return {"done": done, "wall": time.monotonic() - started, "cpu": cpu}


@pytest.fixture(scope="module")
def fleet_mid_promotion(drift_batch, project: Path, target) -> dict[str, str]:
    """The fleet as mid-promotion: dev, staging and prod run e2e-2, the release RELEASE.json
    names (dev, whose deploy of e2e-3 Ctrl-C stopped half-way, is deployed with it again), and
    prod-us still runs e2e-1. A build plans its env with the bundle it unpacks, so e2e-2's tags
    are prod-us's pending changes: expected until e2e-2 is promoted there, not drift. Returns
    the CLI's environment."""
    state_dir, _ = target
    cli_env = {**os.environ, "INFRAREP_STATE_DIR": str(state_dir), "LOGNAME": "e2e", "USER": "e2e"}
    deploy = [
        sys.executable,
        "-m",
        "infrarep.cli",
        "deploy",
        "--version",
        RUNNING["version"],
        "--actor",
        "ci",
    ]
    done = subprocess.run([*deploy, "--env", "dev"], cwd=project, env=cli_env, capture_output=True, text=True)
    assert done.returncode == 0, f"dev: exit {done.returncode}\n{done.stderr[-4000:]}"
    (project / "RELEASE.json").write_text(json.dumps(RUNNING) + "\n")
    return cli_env


@pytest.fixture(scope="module")
def drift_builds(drift_batch, fleet_mid_promotion, project: Path, tmp_path_factory) -> Callable[..., dict]:
    """`run(*envs)`: the batch's entries (of those envs; none: all), each run as its build would,
    all side by side, in the project standing in for the release bundle a build unpacks.

    The local AWS runs no builds, so each entry's build phase runs here verbatim, with bash, with
    the entry's variables (ENV, ENV_REGION, DEPLOYER_ROLE_ARN) over the CLI's environment for the
    local target. The install phase cannot: `aws configure set ... credential_source
    EcsContainer` needs a container's credentials and `make setup package` the network. Its
    local equivalent: the same `deployer` profile in an AWS config file (AWS_CONFIG_FILE) with
    `credential_source = Environment`; the project has its toolchain and packages already, and
    its `.venv/bin/infrarep` is this virtualenv's. On the local target infrarep's own clients use
    the local AWS's test credentials, so the profile is there because the command names it."""
    home = tmp_path_factory.mktemp("drift-build")
    install = drift_batch["phases"]["install"]["commands"]
    assert install == [
        'aws configure set profile.deployer.role_arn "$DEPLOYER_ROLE_ARN"',
        "aws configure set profile.deployer.credential_source EcsContainer",
        "make setup package",
    ]
    (project / ".venv").symlink_to(Path(sys.prefix))
    assert (project / ".venv" / "bin" / "infrarep").is_file()
    commands = "\n".join(drift_batch["phases"]["build"]["commands"])
    entries = {
        entry["env"]["variables"]["ENV"]: entry["env"]["variables"]
        for entry in drift_batch["batch"]["build-list"]
    }
    assert list(entries) == list(REGIONS)
    runs: list[str] = []

    def build_env(variables: dict[str, str]) -> dict[str, str]:
        config_file = home / f"{variables['ENV']}.config"
        role = variables["DEPLOYER_ROLE_ARN"]
        config_file.write_text(f"[profile deployer]\nrole_arn = {role}\ncredential_source = Environment\n")
        return {**fleet_mid_promotion, **variables, "AWS_CONFIG_FILE": str(config_file)}

    def run(*envs: str) -> dict:
        chosen = envs or tuple(entries)
        runs.append(",".join(chosen))
        builds = {env: (["bash", "-ec", commands], build_env(entries[env])) for env in chosen}
        ran = run_side_by_side(builds, project, home / f"run-{len(runs)}")
        print(f"builds of {', '.join(chosen)} side by side: {ran['wall']:.0f} s wall, {ran['cpu']:.0f} CPU-s")
        return ran

    return run


def stored_report(env_aws, env: str) -> dict:
    """`drift/<env>/latest.json` in the env's config store (in the env's account)."""
    stored = env_aws(env, "s3").get_object(
        Bucket=f"infrarep-{env}-config-{ACCOUNTS[env]}", Key=records.latest_drift_key(env)
    )
    return json.loads(stored["Body"].read())


def keys_by_status(report: dict) -> dict[str, set[tuple[str, str, str]]]:
    """A json report's history: (scope, kind, address) of its new, persisting and resolved drift."""
    return {
        status: {(key["scope"], key["kind"], key["address"]) for key in report["history"][status]}
        for status in ("new", "persisting", "resolved")
    }


def own_drift(report: dict) -> dict[tuple[str, str, str], str | None]:
    """A json report's drift findings: (scope, kind, address) -> its status (new, persisting)."""
    return {
        (finding["scope"], finding["kind"], finding["address"]): finding.get("status")
        for finding in report["findings"]
        if finding["verdict"] == "drift"
    }


@pytest.fixture(scope="module")
def drift_inbox(fleet_mid_promotion, env_aws) -> Callable[[], list[dict]]:
    """`received()`: the messages staging's drift topic delivered since the last call (to a queue
    subscribed before the first scheduled run)."""
    sns, sqs = env_aws("staging", "sns"), env_aws("staging", "sqs")
    topic = next(
        found["TopicArn"]
        for found in sns.list_topics()["Topics"]
        if found["TopicArn"].endswith(":infrarep-staging-drift")
    )
    inbox = sqs.create_queue(QueueName="scheduled-drift-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)

    def received() -> list[dict]:
        messages = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10).get("Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=inbox, ReceiptHandle=message["ReceiptHandle"])
        return [json.loads(json.loads(message["Body"])["Message"]) for message in messages]

    return received


@pytest.fixture(scope="module")
def first_scheduled_run(drift_builds, drift_inbox, env_aws, infrarep: Run) -> dict:
    """Out of band, staging's ledger table loses point-in-time recovery; then the whole batch runs."""
    env_aws("staging", "dynamodb").update_continuous_backups(
        TableName="infrarep-staging-ledger",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False},
    )
    ran = drift_builds()
    return {**ran, "fleet": infrarep(*FROM_STORE), "told": drift_inbox()}


def test_the_scheduled_batch_finds_the_planted_change_in_its_env_alone(first_scheduled_run, env_aws):
    builds = first_scheduled_run["done"]
    exits = {env: done.returncode for env, done in builds.items()}
    assert exits == {"dev": 0, "staging": 2, "prod": 0, FOURTH: 0}, {
        env: done.stderr[-3000:] for env, done in builds.items() if done.returncode not in (0, 2)
    } or {env: own_drift(json.loads(done.stdout)) for env, done in builds.items()}
    for env, done in builds.items():
        printed = json.loads(done.stdout)
        assert printed["envs"] == [env]
        stored = stored_report(env_aws, env)
        assert (stored["env"], stored["envs"], stored["findings"]) == (env, [env], printed["findings"])
        assert (
            f"store    {env}: s3://infrarep-{env}-config-{ACCOUNTS[env]}/drift-history/{env}/" in done.stderr
        )
    staging = json.loads(builds["staging"].stdout)
    assert own_drift(staging) == dict.fromkeys(PLANTED, "new")

    awaits = f"{FOURTH} runs e2e-1, planned with e2e-2: expected until e2e-2 is deployed there"
    assert f"{FOURTH:<10} runs    e2e-1, planned with e2e-2: its pending changes" in builds[FOURTH].stderr
    promoted_later = [
        finding for finding in json.loads(builds[FOURTH].stdout)["findings"] if finding["kind"] == "pending"
    ]
    assert promoted_later, "e2e-2's tags are pending changes of prod-us"
    assert all(
        finding["verdict"] == "expected" and finding["reason"].endswith(awaits) for finding in promoted_later
    ), promoted_later[:3]

    fleet = ok(first_scheduled_run["fleet"], code=2)
    report = json.loads(fleet.stdout)
    assert report["envs"] == list(REGIONS)
    assert own_drift(report) == dict.fromkeys(PLANTED, "new")
    assert keys_by_status(report) == {"new": PLANTED, "persisting": set(), "resolved": set()}
    assert report["checked"] == {env: stored_report(env_aws, env)["checked_at"] for env in REGIONS}

    (told,) = first_scheduled_run["told"]
    assert told["env"] == "staging" and told["drift"] is True
    assert {finding["address"] for finding in told["findings"]} == {LEDGER_TABLE}


@pytest.fixture(scope="module")
def second_scheduled_run(first_scheduled_run, drift_builds, drift_inbox, env_aws, infrarep: Run) -> dict:
    """Staging's build again, nothing changed since (the other envs' reports stay the first run's)."""
    before = {env: stored_report(env_aws, env)["checked_at"] for env in REGIONS}
    ran = drift_builds("staging")
    return {**ran, "before": before, "fleet": infrarep(*FROM_STORE), "told": drift_inbox()}


def test_a_second_run_reports_the_finding_as_persisting_and_tells_no_one_again(second_scheduled_run, ledger):
    build = second_scheduled_run["done"]["staging"]
    assert build.returncode == 2, build.stderr[-3000:]
    assert own_drift(json.loads(build.stdout)) == dict.fromkeys(PLANTED, "persisting")
    assert "notify   staging: metric, ledger" in build.stderr  # no drift topic message
    assert second_scheduled_run["told"] == []
    row = ledger("staging")[0]
    assert (row["event_type"], row["status"]) == ("DRIFT_CHECK", "SUCCEEDED")

    report = json.loads(ok(second_scheduled_run["fleet"], code=2).stdout)
    assert own_drift(report) == dict.fromkeys(PLANTED, "persisting")
    assert keys_by_status(report) == {"new": set(), "persisting": PLANTED, "resolved": set()}
    before = second_scheduled_run["before"]
    assert report["checked"]["staging"] > before["staging"]
    assert {env: report["checked"][env] for env in REGIONS if env != "staging"} == {
        env: before[env] for env in REGIONS if env != "staging"
    }


@pytest.fixture(scope="module")
def third_scheduled_run(second_scheduled_run, drift_builds, drift_inbox, env_aws, infrarep: Run) -> dict:
    """Point-in-time recovery is turned back on (as the table's Terraform sets it); staging's build again."""
    env_aws("staging", "dynamodb").update_continuous_backups(
        TableName="infrarep-staging-ledger",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )
    ran = drift_builds("staging")
    return {**ran, "fleet": infrarep(*FROM_STORE), "told": drift_inbox()}


def test_after_the_fix_a_third_run_reports_the_finding_resolved(third_scheduled_run):
    build = third_scheduled_run["done"]["staging"]
    assert build.returncode == 0, build.stderr[-3000:]
    assert own_drift(json.loads(build.stdout)) == {}
    assert third_scheduled_run["told"] == []

    report = json.loads(ok(third_scheduled_run["fleet"]).stdout)
    assert report["drift"] is False and own_drift(report) == {}
    assert keys_by_status(report) == {"new": set(), "persisting": set(), "resolved": PLANTED}
