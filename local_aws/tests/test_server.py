"""The local AWS's bucket-policy evaluation: conditions count, as they do in AWS."""

from __future__ import annotations

import pytest

from infrarep_local_aws.server import ALLOWED, DENIED, NEUTRAL, policy_effect, statement_effect

BUCKET = "arn:aws:s3:::config"
TLS_ONLY = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": [BUCKET, f"{BUCKET}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


@pytest.mark.parametrize(("secure", "expected"), [("true", NEUTRAL), ("false", DENIED)])
def test_tls_only_deny_applies_only_to_plain_http(secure, expected):
    context = {"aws:securetransport": secure}
    assert statement_effect(TLS_ONLY, "s3:PutObject", f"{BUCKET}/env/terraform.tfstate", context) == expected


def test_unconditional_deny_still_denies_over_tls():
    deny = {**TLS_ONLY, "Condition": None}
    assert (
        policy_effect({"Statement": [deny]}, "s3:GetObject", f"{BUCKET}/a", {"aws:securetransport": "true"})
        == DENIED
    )


def test_deny_wins_over_allow():
    allow = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"}
    policy = {"Statement": [allow, TLS_ONLY]}
    assert policy_effect(policy, "s3:GetObject", f"{BUCKET}/a", {"aws:securetransport": "false"}) == DENIED
    assert policy_effect(policy, "s3:GetObject", f"{BUCKET}/a", {"aws:securetransport": "true"}) == ALLOWED


def test_other_actions_and_resources_are_untouched():
    context = {"aws:securetransport": "false"}
    narrow = {**TLS_ONLY, "Action": "s3:DeleteObject", "Resource": f"{BUCKET}/locked/*"}
    assert statement_effect(narrow, "s3:PutObject", f"{BUCKET}/locked/x", context) == NEUTRAL
    assert statement_effect(narrow, "s3:DeleteObject", f"{BUCKET}/open/x", context) == NEUTRAL
    assert statement_effect(narrow, "s3:DeleteObject", f"{BUCKET}/locked/x", context) == DENIED


def test_service_principal_statements_are_not_evaluated_for_callers():
    logging = {
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{BUCKET}/*",
    }
    assert statement_effect(logging, "s3:PutObject", f"{BUCKET}/x", {}) == NEUTRAL


@pytest.mark.parametrize(
    ("operator", "expected", "actual", "holds"),
    [
        ("StringEquals", "a", "a", True),
        ("StringEquals", ["a", "b"], "c", False),
        ("StringLike", "arn:aws:s3:::b*", "arn:aws:s3:::bucket", True),
        ("ArnLike", "arn:aws:s3:::other", "arn:aws:s3:::bucket", False),
        ("StringNotEquals", "a", "b", True),
        ("BoolIfExists", "false", None, True),
        ("Bool", "false", None, False),
        ("NumericLessThan", "3", "1", False),  # unknown operators never apply
    ],
)
def test_condition_operators(operator, expected, actual, holds):
    statement = {**TLS_ONLY, "Condition": {operator: {"aws:SourceArn": expected}}}
    context = {} if actual is None else {"aws:sourcearn": actual}
    assert (statement_effect(statement, "s3:GetObject", f"{BUCKET}/x", context) == DENIED) is holds


def _zip() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(e, c):\n    return e\n")
    return buffer.getvalue()


def test_lambda_reports_back_dlq_key_and_logging_like_aws(local_moto):
    import boto3

    iam = boto3.client("iam", region_name="us-east-1")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    functions = boto3.client("lambda", region_name="us-east-1")
    functions.create_function(
        FunctionName="f",
        Role=role,
        Runtime="python3.12",
        Handler="handler.handler",
        Code={"ZipFile": _zip()},
        DeadLetterConfig={"TargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq"},
        KMSKeyArn="arn:aws:kms:us-east-1:123456789012:key/k",
        LoggingConfig={"LogFormat": "JSON", "LogGroup": "/aws/lambda/f"},
    )
    config = functions.get_function_configuration(FunctionName="f")
    assert config["DeadLetterConfig"] == {"TargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq"}
    assert config["KMSKeyArn"] == "arn:aws:kms:us-east-1:123456789012:key/k"
    assert config["LoggingConfig"] == {
        "LogFormat": "JSON",
        "LogGroup": "/aws/lambda/f",
        "ApplicationLogLevel": "INFO",
        "SystemLogLevel": "INFO",
    }

    functions.update_function_configuration(
        FunctionName="f", TracingConfig={"Mode": "Active"}, LoggingConfig={"LogFormat": "Text"}
    )
    updated = functions.get_function_configuration(FunctionName="f")
    assert updated["TracingConfig"] == {"Mode": "Active"}
    assert updated["LoggingConfig"]["LogFormat"] == "Text"
    assert updated["DeadLetterConfig"]["TargetArn"].endswith(":dlq")


def test_lambda_defaults_match_aws_when_nothing_is_set():
    from infrarep_local_aws.server import lambda_settings

    assert lambda_settings({}, "f") == {
        "LoggingConfig": {"LogFormat": "Text", "LogGroup": "/aws/lambda/f"},
        "TracingConfig": {"Mode": "PassThrough"},
    }


def test_s3_reports_eventbridge_notifications_and_replication_rules_like_aws(local_moto):
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1")
    for name in ("source", "replica"):
        s3.create_bucket(Bucket=name)
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(
        Bucket="source", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    assert "EventBridgeConfiguration" in s3.get_bucket_notification_configuration(Bucket="source")
    assert "EventBridgeConfiguration" not in s3.get_bucket_notification_configuration(Bucket="replica")

    rule = {
        "ID": "to-replica",
        "Priority": 1,
        "Status": "Enabled",
        "Filter": {},
        "DeleteMarkerReplication": {"Status": "Enabled"},
        "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
        "Destination": {"Bucket": "arn:aws:s3:::replica"},
    }
    s3.put_bucket_replication(
        Bucket="source",
        ReplicationConfiguration={"Role": "arn:aws:iam::123456789012:role/r", "Rules": [rule]},
    )
    read = s3.get_bucket_replication(Bucket="source")["ReplicationConfiguration"]["Rules"][0]
    assert read["DeleteMarkerReplication"] == {"Status": "Enabled"}
    assert read["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    assert read["Destination"]["Bucket"] == "arn:aws:s3:::replica"


SOAK = {
    "StartAt": "Soak",
    "States": {"Soak": {"Type": "Wait", "Seconds": 3600, "Next": "Done"}, "Done": {"Type": "Succeed"}},
}


def test_asl_diagnostics_accept_a_soak_and_name_each_problem():
    import json

    from infrarep_local_aws.server import asl_diagnostics

    assert asl_diagnostics(json.dumps(SOAK)) == []
    broken = {
        "StartAt": "Nowhere",
        "States": {"Soak": {"Type": "Wait", "Next": "Gone"}, "Odd": {"Type": "Sleep"}},
    }
    codes = {(d["code"], d["location"]) for d in asl_diagnostics(json.dumps(broken))}
    assert codes == {
        ("MISSING_TRANSITION_TARGET", "/StartAt"),
        ("MISSING_TRANSITION_TARGET", "/States/Soak"),
        ("SCHEMA_VALIDATION_FAILED", "/States/Soak"),
        ("SCHEMA_VALIDATION_FAILED", "/States/Odd/Type"),
    }
    assert asl_diagnostics("{")[0]["code"] == "INVALID_JSON_DESCRIPTION"


def test_step_functions_validate_and_list_versions(local_moto):
    import json

    import boto3

    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    ok = sfn.validate_state_machine_definition(definition=json.dumps(SOAK), type="STANDARD")
    assert ok["result"] == "OK" and ok["diagnostics"] == []
    bad = sfn.validate_state_machine_definition(definition='{"States": {}}', type="STANDARD")
    assert bad["result"] == "FAIL"

    arn = sfn.create_state_machine(
        name="soak",
        definition=json.dumps(SOAK),
        roleArn="arn:aws:iam::123456789012:role/sfn",
        publish=True,
    )["stateMachineArn"]
    versions = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in versions] == [f"{arn}:1"]


def test_a_state_machine_runs_again_after_its_first_execution():
    """moto's interpreter runs each execution on a copy of its state machine; moto's own copy
    takes the region's earlier executions (and their locks) along and fails."""
    import json
    import time

    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    from infrarep_local_aws.server import install_extensions

    install_extensions()
    backend = StepFunctionsParserBackend("us-east-1", "123456789012")
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    machine = backend.create_state_machine(
        name="twice", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/sfn"
    )
    runs = [backend.start_execution(machine.arn, name=name, execution_input="{}") for name in ("one", "two")]
    deadline = time.monotonic() + 10
    while any(run.status == "RUNNING" for run in runs) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [run.status for run in runs] == ["SUCCEEDED", "SUCCEEDED"]
    assert [run.name for run in machine.executions] == ["one", "two"]


def test_codebuild_pipeline_projects_keep_their_key_and_can_be_updated(local_moto):
    import json

    import boto3

    iam = boto3.client("iam", region_name="us-east-1")
    trust = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "codebuild.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ]
        }
    )
    role = iam.create_role(RoleName="build", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    codebuild = boto3.client("codebuild", region_name="us-east-1")
    key = "arn:aws:kms:us-east-1:123456789012:key/k"
    codebuild.create_project(
        name="deploy",
        source={"type": "CODEPIPELINE", "buildspec": "version: 0.2"},
        artifacts={"type": "CODEPIPELINE"},
        environment={"type": "ARM_CONTAINER", "image": "img", "computeType": "BUILD_GENERAL1_SMALL"},
        serviceRole=role,
        encryptionKey=key,
    )
    project = codebuild.batch_get_projects(names=["deploy"])["projects"][0]
    assert project["encryptionKey"] == key
    assert "location" not in project["source"]

    codebuild.update_project(name="deploy", timeoutInMinutes=30, description="deploys an env")
    project = codebuild.batch_get_projects(names=["deploy"])["projects"][0]
    assert (project["timeoutInMinutes"], project["description"]) == (30, "deploys an env")

    with pytest.raises(codebuild.exceptions.InvalidInputException, match="location is required"):
        codebuild.create_project(
            name="s3",
            source={"type": "S3"},
            artifacts={"type": "NO_ARTIFACTS"},
            environment={"type": "ARM_CONTAINER", "image": "img", "computeType": "BUILD_GENERAL1_SMALL"},
            serviceRole=role,
        )


def test_a_batch_project_keeps_its_batch_settings(local_moto):
    import boto3

    codebuild = boto3.client("codebuild", region_name="us-east-1")
    batch = {
        "serviceRole": "arn:aws:iam::123456789012:role/batch",
        "combineArtifacts": False,
        "restrictions": {"maximumBuildsAllowed": 3, "computeTypesAllowed": ["BUILD_GENERAL1_SMALL"]},
        "timeoutInMins": 90,
    }
    codebuild.create_project(
        name="drift",
        source={"type": "S3", "location": "bucket/releases/source.zip", "buildspec": "version: 0.2"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "ARM_CONTAINER", "image": "img", "computeType": "BUILD_GENERAL1_SMALL"},
        serviceRole="arn:aws:iam::123456789012:role/build",
        buildBatchConfig=batch,
    )
    (project,) = codebuild.batch_get_projects(names=["drift"])["projects"]
    assert project["buildBatchConfig"] == batch


def test_a_started_build_reports_its_source_and_variable_overrides(local_moto):
    import boto3

    codebuild = boto3.client("codebuild", region_name="us-east-1")
    codebuild.create_project(
        name="deploy",
        source={"type": "CODEPIPELINE", "buildspec": "version: 0.2"},
        artifacts={"type": "CODEPIPELINE"},
        environment={
            "type": "ARM_CONTAINER",
            "image": "img",
            "computeType": "BUILD_GENERAL1_SMALL",
            "environmentVariables": [{"name": "DEPLOYER_ROLE_ARN", "value": "role", "type": "PLAINTEXT"}],
        },
        serviceRole="arn:aws:iam::123456789012:role/build",
    )
    started = codebuild.start_build(
        projectName="deploy",
        sourceTypeOverride="S3",
        sourceLocationOverride="releases/source.zip",
        sourceVersion="v-1",
        artifactsOverride={"type": "NO_ARTIFACTS"},
        environmentVariablesOverride=[{"name": "ROLLBACK_TO", "value": "v6", "type": "PLAINTEXT"}],
    )["build"]

    (build,) = codebuild.batch_get_builds(ids=[started["id"]])["builds"]
    assert (build["source"]["type"], build["source"]["location"]) == ("S3", "releases/source.zip")
    assert build["source"]["buildspec"] == "version: 0.2"  # the project's buildspec still runs
    assert build["sourceVersion"] == "v-1"
    variables = {v["name"]: v["value"] for v in build["environment"]["environmentVariables"]}
    assert variables == {"DEPLOYER_ROLE_ARN": "role", "ROLLBACK_TO": "v6"}


def test_xray_sampling_rules_groups_and_tags(local_moto):
    import boto3

    xray = boto3.client("xray", region_name="eu-west-1")
    rule = {
        "RuleName": "payments",
        "ResourceARN": "*",
        "Priority": 100,
        "FixedRate": 0.05,
        "ReservoirSize": 1,
        "ServiceName": "*",
        "ServiceType": "*",
        "Host": "*",
        "HTTPMethod": "*",
        "URLPath": "*",
        "Version": 1,
    }
    created = xray.create_sampling_rule(SamplingRule=rule, Tags=[{"Key": "Env", "Value": "prod"}])
    arn = created["SamplingRuleRecord"]["SamplingRule"]["RuleARN"]
    assert arn == "arn:aws:xray:eu-west-1:123456789012:sampling-rule/payments"
    xray.update_sampling_rule(SamplingRuleUpdate={"RuleName": "payments", "FixedRate": 0.1})
    rules = xray.get_sampling_rules()["SamplingRuleRecords"]
    assert [r["SamplingRule"]["FixedRate"] for r in rules] == [0.1]
    assert xray.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "Env", "Value": "prod"}]
    with pytest.raises(xray.exceptions.InvalidRequestException):
        xray.create_sampling_rule(SamplingRule=rule)

    group = xray.create_group(
        GroupName="payments",
        FilterExpression='service("payments")',
        InsightsConfiguration={"InsightsEnabled": True, "NotificationsEnabled": False},
    )["Group"]
    fetched = xray.get_group(GroupARN=group["GroupARN"])["Group"]
    assert fetched["InsightsConfiguration"]["InsightsEnabled"] is True
    xray.delete_group(GroupName="payments")
    assert xray.get_groups()["Groups"] == []
    xray.delete_sampling_rule(RuleName="payments")
    with pytest.raises(xray.exceptions.ClientError, match="not found"):
        xray.get_group(GroupName="payments")


def test_autoscaling_targets_carry_tags(local_moto):
    import boto3

    scaling = boto3.client("application-autoscaling", region_name="us-west-2")
    scaling.register_scalable_target(
        ServiceNamespace="dynamodb",
        ResourceId="table/transactions",
        ScalableDimension="dynamodb:table:ReadCapacityUnits",
        MinCapacity=5,
        MaxCapacity=100,
        Tags={"Environment": "staging"},
    )
    arn = scaling.describe_scalable_targets(ServiceNamespace="dynamodb")["ScalableTargets"][0][
        "ScalableTargetARN"
    ]
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Environment": "staging"}
    scaling.tag_resource(ResourceARN=arn, Tags={"Version": "v2"})
    scaling.untag_resource(ResourceARN=arn, TagKeys=["Environment"])
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Version": "v2"}
    with pytest.raises(scaling.exceptions.ResourceNotFoundException):
        scaling.list_tags_for_resource(ResourceARN=arn + "x")


def test_create_bucket_tags_are_read_from_the_configuration():
    from infrarep_local_aws.server import create_bucket_tags

    body = (
        "<CreateBucketConfiguration><Tags>"
        "<Tag><Key>System</Key><Value>infrarep</Value></Tag>"
        "<Tag><Key>Empty</Key><Value></Value></Tag>"
        "</Tags></CreateBucketConfiguration>"
    )
    assert create_bucket_tags(body) == [{"Key": "System", "Value": "infrarep"}, {"Key": "Empty", "Value": ""}]
    assert create_bucket_tags("<CreateBucketConfiguration/>") == []
    assert create_bucket_tags(b"") == []


def test_bucket_tags_are_visible_through_s3_control(local_moto):
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="tagged")
    s3.put_bucket_tagging(Bucket="tagged", Tagging={"TagSet": [{"Key": "Env", "Value": "dev"}]})
    control = boto3.client("s3control", region_name="us-east-1")
    arn = "arn:aws:s3:::tagged"
    assert control.list_tags_for_resource(AccountId="123456789012", ResourceArn=arn)["Tags"] == [
        {"Key": "Env", "Value": "dev"}
    ]
    control.tag_resource(AccountId="123456789012", ResourceArn=arn, Tags=[{"Key": "Team", "Value": "pay"}])
    control.untag_resource(AccountId="123456789012", ResourceArn=arn, TagKeys=["Env"])
    assert s3.get_bucket_tagging(Bucket="tagged")["TagSet"] == [{"Key": "Team", "Value": "pay"}]


def test_cbor_values_translate_both_ways_by_shape():
    from datetime import UTC, datetime

    import botocore.session
    import cbor2

    from infrarep_local_aws.server import cbor_to_json_value, json_to_cbor_value

    request = {"When": datetime(2026, 11, 23, tzinfo=UTC), "Blob": b"\x00\x01", "Items": [{"N": 1}]}
    assert cbor_to_json_value(request) == {"When": 1795392000.0, "Blob": "AAE=", "Items": [{"N": 1}]}

    model = botocore.session.get_session().get_service_model("cloudwatch")
    output = model.operation_model("DescribeAlarms").output_shape
    answer = {"MetricAlarms": [{"Threshold": 1, "Period": 300.0, "StateUpdatedTimestamp": 1795392000}]}
    alarm = json_to_cbor_value(answer, output)["MetricAlarms"][0]
    assert alarm["Threshold"] == 1.0 and isinstance(alarm["Threshold"], float)
    assert alarm["Period"] == 300 and isinstance(alarm["Period"], int)
    assert alarm["StateUpdatedTimestamp"] == cbor2.CBORTag(1, 1795392000.0)


def test_put_events_succeeds_with_lambda_targets_and_still_delivers_to_sqs(local_moto):
    import json

    import boto3

    events = boto3.client("events", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue = sqs.create_queue(QueueName="seen")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name="updates", EventPattern=json.dumps({"source": ["infrarep"]}))
    events.put_targets(
        Rule="updates",
        Targets=[
            {"Id": "recorder", "Arn": "arn:aws:lambda:us-east-1:123456789012:function:recorder"},
            {"Id": "queue", "Arn": queue_arn},
        ],
    )
    answer = events.put_events(
        Entries=[{"Source": "infrarep", "DetailType": "EnvironmentUpdate", "Detail": '{"env": "dev"}'}]
    )
    assert answer["FailedEntryCount"] == 0
    message = sqs.receive_message(QueueUrl=queue)["Messages"][0]
    assert json.loads(message["Body"])["detail"] == {"env": "dev"}
    assert len(events.list_targets_by_rule(Rule="updates")["Targets"]) == 2


def test_a_codebuild_target_starts_a_build_with_the_transformed_input_as_start_build(local_moto):
    import json

    import boto3

    codebuild = boto3.client("codebuild", region_name="us-east-1")
    events = boto3.client("events", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    codebuild.create_project(
        name="deploy",
        source={"type": "CODEPIPELINE", "buildspec": "version: 0.2"},
        artifacts={"type": "CODEPIPELINE"},
        environment={"type": "ARM_CONTAINER", "image": "img", "computeType": "BUILD_GENERAL1_SMALL"},
        serviceRole="arn:aws:iam::123456789012:role/build",
    )
    queue = sqs.create_queue(QueueName="seen")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    template = {
        "sourceTypeOverride": "S3",
        "sourceLocationOverride": "store/releases/<to_version>/source.zip",
        "artifactsOverride": {"type": "NO_ARTIFACTS"},
        "environmentVariablesOverride": [
            {"name": "DEPLOY_ENV", "value": "<env>", "type": "PLAINTEXT"},
            {"name": "ROLLBACK_TO", "value": "<to_version>", "type": "PLAINTEXT"},
        ],
    }
    events.put_rule(Name="accepted", EventPattern=json.dumps({"detail-type": ["RollbackAccepted"]}))
    events.put_targets(
        Rule="accepted",
        Targets=[
            {
                "Id": "deploy",
                "Arn": "arn:aws:codebuild:us-east-1:123456789012:project/deploy",
                "RoleArn": "arn:aws:iam::123456789012:role/start-deploy",
                "InputTransformer": {
                    "InputPathsMap": {"env": "$.detail.env", "to_version": "$.detail.to_version"},
                    "InputTemplate": json.dumps(template),
                },
            },
            {"Id": "gone", "Arn": "arn:aws:codebuild:us-east-1:123456789012:project/deleted"},
            {"Id": "queue", "Arn": queue_arn},
        ],
    )

    # Put in another region and forwarded here, as an env stack forwards it: the delivery on
    # this bus happens inside the delivery on that one.
    env_events = boto3.client("events", region_name="eu-west-1")
    env_events.put_rule(Name="forward", EventPattern=json.dumps({"detail-type": ["RollbackAccepted"]}))
    env_events.put_targets(
        Rule="forward",
        Targets=[
            {"Id": "control", "Arn": "arn:aws:events:us-east-1:123456789012:event-bus/default"},
            {"Id": "not-simulated", "Arn": "arn:aws:lambda:eu-west-1:123456789012:function:f"},
        ],
    )
    answer = env_events.put_events(
        Entries=[
            {
                "Source": "infrarep",
                "DetailType": "RollbackAccepted",
                "Detail": json.dumps({"env": "prod", "to_version": "v6"}),
            }
        ]
    )

    assert answer["FailedEntryCount"] == 0  # the project that is gone fails only its delivery
    (build_id,) = codebuild.list_builds_for_project(projectName="deploy")["ids"]
    (build,) = codebuild.batch_get_builds(ids=[build_id])["builds"]
    source = build["source"]
    assert (source["type"], source["location"]) == ("S3", "store/releases/v6/source.zip")
    assert build["source"]["buildspec"] == "version: 0.2"
    variables = {v["name"]: v["value"] for v in build["environment"]["environmentVariables"]}
    assert variables == {"DEPLOY_ENV": "prod", "ROLLBACK_TO": "v6"}
    message = sqs.receive_message(QueueUrl=queue)["Messages"][0]
    assert json.loads(message["Body"])["detail"] == {"env": "prod", "to_version": "v6"}
    assert len(events.list_targets_by_rule(Rule="accepted")["Targets"]) == 3

    env_events.put_events(Entries=[{"Source": "infrarep", "DetailType": "Other", "Detail": "{}"}])
    assert len(codebuild.list_builds_for_project(projectName="deploy")["ids"]) == 1  # no match, no build


def test_prefix_list_egress_rules_keep_their_description(local_moto):
    import boto3

    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="fn", Description="fn", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_egress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "PrefixListIds": [{"PrefixListId": "pl-63a5400a", "Description": "HTTPS to s3"}],
            }
        ],
    )
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])
    by_prefix = {r.get("PrefixListId"): r for r in rules["SecurityGroupRules"]}
    assert by_prefix["pl-63a5400a"]["Description"] == "HTTPS to s3"


def test_aurora_clusters_and_instances_report_what_was_set(local_moto):
    import boto3

    rds = boto3.client("rds", region_name="eu-west-1")
    cluster = rds.create_db_cluster(
        DBClusterIdentifier="payments",
        Engine="aurora-postgresql",
        MasterUsername="payments",
        ManageMasterUserPassword=True,
        StorageType="aurora-iopt1",
    )["DBCluster"]
    assert cluster["StorageType"] == "aurora-iopt1"
    described = rds.describe_db_clusters(DBClusterIdentifier="payments")["DBClusters"][0]
    assert "ScalingConfigurationInfo" not in described  # provisioned: AWS leaves it out
    rds.create_db_instance(
        DBInstanceIdentifier="payments-1",
        DBClusterIdentifier="payments",
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
        EnablePerformanceInsights=True,
        MonitoringInterval=60,
        MonitoringRoleArn="arn:aws:iam::123456789012:role/monitoring",
    )
    instance = rds.describe_db_instances(DBInstanceIdentifier="payments-1")["DBInstances"][0]
    assert instance["PerformanceInsightsEnabled"] is True
    assert instance["PerformanceInsightsRetentionPeriod"] == 7
    assert instance["MonitoringInterval"] == 60

    rds.modify_db_instance(DBInstanceIdentifier="payments-1", MonitoringInterval=0, ApplyImmediately=True)
    instance = rds.describe_db_instances(DBInstanceIdentifier="payments-1")["DBInstances"][0]
    assert (instance["MonitoringInterval"], instance["PerformanceInsightsEnabled"]) == (0, True)


def test_serverless_v1_clusters_keep_their_scaling_configuration(local_moto):
    import boto3

    rds = boto3.client("rds", region_name="eu-west-1")
    rds.create_db_cluster(
        DBClusterIdentifier="v1",
        Engine="aurora-postgresql",
        EngineMode="serverless",
        MasterUsername="payments",
        MasterUserPassword="not-a-real-secret-1",
        ScalingConfiguration={"MinCapacity": 2, "MaxCapacity": 8},
    )
    described = rds.describe_db_clusters(DBClusterIdentifier="v1")["DBClusters"][0]
    assert described["ScalingConfigurationInfo"]["MaxCapacity"] == 8


def test_sqs_redrive_policy_reads_back_compact(local_moto):
    import json

    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}, separators=(",", ":"))
    queue = sqs.create_queue(QueueName="work", Attributes={"RedrivePolicy": policy})["QueueUrl"]
    read = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["RedrivePolicy"])["Attributes"]
    assert read["RedrivePolicy"] == policy


def test_access_log_permission_reads_policies_with_wildcard_principals():
    from infrarep_local_aws.server import allows_access_logs

    logging_statement = {
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::logs/s3-access/*",
    }
    policy = {"Statement": [{**TLS_ONLY, "Resource": "arn:aws:s3:::logs/*"}, logging_statement]}
    assert allows_access_logs(policy, "logs", "s3-access/")
    assert not allows_access_logs(policy, "logs", "elsewhere/")
    assert not allows_access_logs({"Statement": [TLS_ONLY]}, "logs", "s3-access/")


def test_codepipeline_metadata_carries_epoch_timestamps(local_moto):
    import json

    import boto3
    from moto.codepipeline.models import codepipeline_backends

    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "codepipeline.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ]
    }
    role = boto3.client("iam", region_name="us-east-1").create_role(
        RoleName="pipeline", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    action = {
        "name": "a",
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
    }
    boto3.client("codepipeline", region_name="us-east-1").create_pipeline(
        pipeline={
            "name": "promotion",
            "roleArn": role,
            "artifactStore": {"type": "S3", "location": "artifacts"},
            "stages": [{"name": "Source", "actions": [action]}, {"name": "Next", "actions": [action]}],
        }
    )
    metadata = codepipeline_backends["123456789012"]["us-east-1"].pipelines["promotion"].metadata
    assert isinstance(metadata["created"], float) and isinstance(metadata["updated"], float)
    assert json.loads(json.dumps(metadata))["created"] == metadata["created"]


def test_dynamodb_retagging_a_key_replaces_its_value(local_moto):
    import boto3

    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    arn = dynamodb.create_table(
        TableName="ledger",
        KeySchema=[{"AttributeName": "env", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "env", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": "Version", "Value": "v1"}, {"Key": "System", "Value": "infrarep"}],
    )["TableDescription"]["TableArn"]
    dynamodb.tag_resource(ResourceArn=arn, Tags=[{"Key": "Version", "Value": "v2"}])
    tags = dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"]
    assert sorted((tag["Key"], tag["Value"]) for tag in tags) == [
        ("System", "infrarep"),
        ("Version", "v2"),
    ]


def test_rest_api_tags_can_be_changed_and_removed(local_moto):
    import boto3

    from infrarep_local_aws.server import rest_api_id

    assert rest_api_id("arn:aws:apigateway:eu-west-1::/restapis/abc123") == "abc123"
    assert rest_api_id("arn:aws:apigateway:eu-west-1::/restapis/abc123/stages/v1") is None
    apigateway = boto3.client("apigateway", region_name="eu-west-1")
    api = apigateway.create_rest_api(name="payments", tags={"Version": "v1", "Team": "pay"})["id"]
    arn = f"arn:aws:apigateway:eu-west-1::/restapis/{api}"
    apigateway.tag_resource(resourceArn=arn, tags={"Version": "v2"})
    apigateway.untag_resource(resourceArn=arn, tagKeys=["Team"])
    assert apigateway.get_rest_api(restApiId=api)["tags"] == {"Version": "v2"}


def _moto_app():
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from infrarep_local_aws.server import install_extensions

    install_extensions()
    return DomainDispatcherApplication(create_backend_app)


def _signed_for(service: str) -> dict[str, str]:
    scope = f"test/20261129/us-east-1/{service}/aws4_request"
    return {"Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=x"}


def test_backends_serve_one_request_at_a_time(monkeypatch):
    import threading
    import time

    from moto.iam.models import IAMBackend
    from werkzeug.test import Client

    app = _moto_app()
    original = IAMBackend.create_role
    inside, most_inside, guard = [0], [0], threading.Lock()

    def slow_create_role(self, *args, **kwargs):
        with guard:
            inside[0] += 1
            most_inside[0] = max(most_inside[0], inside[0])
        time.sleep(0.02)  # long enough for every other thread to arrive while this one is in
        with guard:
            inside[0] -= 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(IAMBackend, "create_role", slow_create_role)
    policy = '{"Version":"2012-10-17","Statement":[]}'
    statuses: list[int] = []

    def create(name: str) -> None:
        form = {"Action": "CreateRole", "RoleName": name, "AssumeRolePolicyDocument": policy}
        statuses.append(Client(app).post("/", data=form, headers=_signed_for("iam")).status_code)

    threads = [threading.Thread(target=create, args=(f"serial-{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 8
    assert most_inside[0] == 1


def test_sqs_long_polling_lets_other_requests_in():
    import threading
    import time

    from werkzeug.test import Client

    app = _moto_app()
    client = Client(app)
    assert (
        client.post(
            "/", data={"Action": "CreateQueue", "QueueName": "polled"}, headers=_signed_for("sqs")
        ).status_code
        == 200
    )
    queue = "https://127.0.0.1/123456789012/polled"
    received: dict[str, object] = {}

    def poll() -> None:
        started = time.monotonic()
        form = {"Action": "ReceiveMessage", "QueueUrl": queue, "WaitTimeSeconds": "10"}
        answer = Client(app).post("/", data=form, headers=_signed_for("sqs"))
        received.update(body=answer.get_data(as_text=True), seconds=time.monotonic() - started)

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.3)  # the poller is waiting inside moto by now
    sent = client.post(
        "/",
        data={"Action": "SendMessage", "QueueUrl": queue, "MessageBody": "hello"},
        headers=_signed_for("sqs"),
    )
    poller.join(timeout=15)
    assert sent.status_code == 200
    assert "<Body>hello</Body>" in received["body"]
    assert received["seconds"] < 5  # delivered on arrival, not after the 10 s wait ran out


def test_a_request_body_is_read_before_the_backends_are_entered():
    import io

    from infrarep_local_aws.server import with_body_read

    fixed = with_body_read({"CONTENT_LENGTH": "5", "wsgi.input": io.BytesIO(b"helloTRAILING")})
    chunked = with_body_read({"wsgi.input_terminated": True, "wsgi.input": io.BytesIO(b"all of it")})
    empty = with_body_read({"wsgi.input": io.BytesIO(b"never read")})
    assert fixed["wsgi.input"].read() == b"hello"
    assert chunked["wsgi.input"].read() == b"all of it"
    assert empty["wsgi.input"].read() == b""


def _read_until_closed(connection) -> bytes:  # type: ignore[no-untyped-def]
    """What arrives until the peer closes, resets or goes quiet (the socket's timeout)."""
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except OSError:  # reset or timed out
        pass
    return received


def _answer_then_close(closer) -> bytes:  # type: ignore[no-untyped-def]
    """A server answers 300 kB to a client that sent more than the server read and is slow
    to read (a busy provider): what the client gets once `closer` has closed the server side."""
    import socket
    import threading
    import time

    answer = b"x" * 300_000
    with socket.create_server(("127.0.0.1", 0)) as listener, socket.socket() as client:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.connect(listener.getsockname())
        connection, _ = listener.accept()
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        client.sendall(b"request\n" + b"and bytes the server never reads")
        assert connection.recv(8) == b"request\n"
        time.sleep(0.05)  # the unread bytes are in the server's receive buffer now
        connection.sendall(answer)  # most of it waits in the server's send buffer
        closing = threading.Thread(target=closer, args=(connection,))
        closing.start()
        time.sleep(0.2)  # the server closes while the client is still busy
        received = _read_until_closed(client)
        client.close()
        closing.join()
    return received


def test_a_plain_close_with_unread_bytes_loses_the_answer():
    assert len(_answer_then_close(lambda connection: connection.close())) < 300_000  # reset


def test_lingering_close_delivers_the_whole_answer():
    from infrarep_local_aws.server import lingering_close

    assert _answer_then_close(lingering_close) == b"x" * 300_000


def test_the_connect_tunnel_passes_a_half_close_on_and_still_carries_the_answer():
    import contextlib
    import socket
    import threading

    from infrarep_local_aws.server import pipe

    with socket.create_server(("127.0.0.1", 0)) as upstream_listener:

        def answer_after_the_whole_request() -> None:  # like a server reading to EOF
            connection, _ = upstream_listener.accept()
            with connection:
                request = b""
                while chunk := connection.recv(1024):
                    request += chunk
                connection.sendall(b"answer to " + request)

        upstream_thread = threading.Thread(target=answer_after_the_whole_request)
        upstream_thread.start()
        client, tunnel_end = socket.socketpair()
        client.settimeout(5)
        upstream = socket.create_connection(upstream_listener.getsockname())
        tunnel = threading.Thread(target=pipe, args=(tunnel_end, upstream))
        tunnel.start()
        client.sendall(b"ping")
        client.shutdown(socket.SHUT_WR)
        received = _read_until_closed(client)
        for end in (tunnel_end, upstream):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)  # frees the threads if the tunnel stopped early
        tunnel.join(timeout=5)
        upstream_thread.join(timeout=5)
        for end in (client, tunnel_end, upstream):
            end.close()
    assert received == b"answer to ping"


def test_a_refused_request_is_logged_with_its_operation_and_error():
    import io

    from infrarep_local_aws.server import refusal_line

    form = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
        "wsgi.input": io.BytesIO(b"Action=CreateRole&RoleName=app&Version=2010-05-08"),
    }
    xml = (
        b"<ErrorResponse><Error><Code>EntityAlreadyExists</Code>"
        b"<Message>Role with name app already exists.</Message></Error></ErrorResponse>"
    )
    assert refusal_line(form, "409 CONFLICT", xml) == (
        "local AWS refused POST / CreateRole: 409 CONFLICT: "
        "EntityAlreadyExists: Role with name app already exists."
    )
    target = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.CreateTable",
    }
    body = (
        b'{"__type": "com.amazonaws.dynamodb.v20120810#ResourceInUseException", '
        b'"message": "Table already exists"}'
    )
    assert refusal_line(target, "400 BAD REQUEST", body).endswith(
        "DynamoDB_20120810.CreateTable: 400 BAD REQUEST: "
        "com.amazonaws.dynamodb.v20120810#ResourceInUseException: Table already exists"
    )


def test_a_retry_of_an_invocation_that_succeeded_gets_the_first_answer(monkeypatch, capsys):
    from moto.iam.models import IAMBackend
    from werkzeug.test import Client

    app = _moto_app()
    original = IAMBackend.create_role
    created: list[str] = []

    def counting_create_role(self, role_name, *args, **kwargs):  # type: ignore[no-untyped-def]
        created.append(role_name)
        return original(self, role_name, *args, **kwargs)

    monkeypatch.setattr(IAMBackend, "create_role", counting_create_role)
    form = {"Action": "CreateRole", "RoleName": "replayed", "AssumeRolePolicyDocument": "{}"}

    def attempt(invocation: str, number: int):  # type: ignore[no-untyped-def]
        headers = {
            **_signed_for("iam"),
            "amz-sdk-invocation-id": invocation,
            "amz-sdk-request": f"attempt={number}; max=6",
        }
        return Client(app).post("/", data=form, headers=headers)

    first, retry = attempt("6f1c-first", 1), attempt("6f1c-first", 2)
    other = attempt("9a2e-another", 1)  # a new invocation creating the same role: a real conflict
    assert (first.status_code, retry.status_code, other.status_code) == (200, 200, 409)
    assert retry.get_data() == first.get_data()
    assert created == ["replayed", "replayed"]  # the retry did not reach moto; the new one did
    logged = capsys.readouterr().out
    assert "local AWS replayed POST / CreateRole invocation 6f1c-first (attempt=2; max=6): 200 OK" in logged
    assert "local AWS refused POST / CreateRole: 409 CONFLICT: EntityAlreadyExists" in logged
