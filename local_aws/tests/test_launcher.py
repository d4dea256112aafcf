"""The local AWS launcher: free port, health check, PID file, stop by PID, clear failures."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infrarep_local_aws import LocalAwsError, launcher


def _gone(pid: int, deadline: float = 10.0) -> bool:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it is our own zombie child
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_up_serves_aws_and_down_stops_it_by_pid(tmp_path, aws_for):
    started = launcher.up(tmp_path)
    try:
        assert launcher.healthy(started.port, Path(started.ca_bundle))
        record = json.loads((tmp_path / launcher.STATE_FILE).read_text())
        assert record["pid"] == started.pid and record["port"] == started.port
        assert launcher.up(tmp_path) == started, "a second `up` reuses the running server"
        sqs = aws_for(started, "sqs", "us-west-2")
        sqs.create_queue(QueueName="probe")
        assert sqs.list_queues()["QueueUrls"][0].endswith("/probe")
    finally:
        stopped = launcher.down(tmp_path)
    assert stopped == started
    assert _gone(started.pid)
    assert not (tmp_path / launcher.STATE_FILE).exists()
    assert launcher.down(tmp_path) is None


def test_taken_port_is_refused_before_anything_starts(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(LocalAwsError, match=f"127.0.0.1:{port} is already in use"):
            launcher.up(tmp_path, port=port)
    assert not (tmp_path / launcher.STATE_FILE).exists()


def test_server_that_dies_during_start_up_is_reported_with_its_log(tmp_path, monkeypatch):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        # Lose the race on purpose: the port looks free, the server then cannot bind it.
        monkeypatch.setattr(launcher, "port_in_use", lambda _port: False)
        with pytest.raises(LocalAwsError, match="exited during start-up") as caught:
            launcher.up(tmp_path, port=port, start_timeout=30)
    assert "full log" in (caught.value.hint or "")
    assert not (tmp_path / launcher.STATE_FILE).exists()


def test_a_server_that_died_is_forgotten(tmp_path):
    started = launcher.up(tmp_path)
    os.kill(started.pid, signal.SIGKILL)
    assert _gone(started.pid)
    assert launcher.status(tmp_path) is None
    assert not (tmp_path / launcher.STATE_FILE).exists()


def test_a_recycled_pid_is_never_signalled(tmp_path):
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / launcher.STATE_FILE).write_text(
            json.dumps({"pid": bystander.pid, "port": 1, "proxy_port": 2, "log": "x", "ca_bundle": "x"})
        )
        assert launcher.down(tmp_path) is not None
        assert bystander.poll() is None, "down() signalled a process that is not our server"
    finally:
        bystander.kill()
        bystander.wait()


def test_tls_only_bucket_policy_allows_tls_requests_and_denies_by_statement(tmp_path, aws_for):
    started = launcher.up(tmp_path)
    try:
        s3 = aws_for(started, "s3", "us-east-1")
        s3.create_bucket(Bucket="guarded")
        arn = "arn:aws:s3:::guarded"
        tls_only = {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
        no_deletes = {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": f"{arn}/*"}
        s3.put_bucket_policy(Bucket="guarded", Policy=json.dumps({"Statement": [tls_only, no_deletes]}))

        s3.put_object(Bucket="guarded", Key="dev/terraform.tfstate", Body=b"{}")
        assert s3.get_object(Bucket="guarded", Key="dev/terraform.tfstate")["Body"].read() == b"{}"
        with pytest.raises(s3.exceptions.ClientError, match=r"AccessDenied|403"):
            s3.delete_object(Bucket="guarded", Key="dev/terraform.tfstate")
    finally:
        launcher.down(tmp_path)


def test_rpc_v2_cbor_clients_reach_cloudwatch_and_codebuild(tmp_path, aws_for, monkeypatch):
    """The Go SDK speaks Smithy RPCv2 CBOR to these services; botocore can too when asked,
    which makes it an independent client for the launcher's CBOR translation."""
    from botocore import model

    monkeypatch.setattr(
        model, "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS", ("smithy-rpc-v2-cbor", "json", "query")
    )
    started = launcher.up(tmp_path)
    try:
        cloudwatch = aws_for(started, "cloudwatch", "eu-west-1")
        assert cloudwatch.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
        cloudwatch.put_metric_alarm(
            AlarmName="drift",
            Namespace="Infrarep",
            MetricName="DriftDetected",
            Statistic="Maximum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=0.5,
            ComparisonOperator="GreaterThanThreshold",
        )
        alarm = cloudwatch.describe_alarms(AlarmNames=["drift"])["MetricAlarms"][0]
        assert (alarm["Threshold"], alarm["Period"]) == (0.5, 300)
        assert alarm["AlarmConfigurationUpdatedTimestamp"].year >= 2026
        with pytest.raises(cloudwatch.exceptions.ClientError, match="does not exist"):
            cloudwatch.get_dashboard(DashboardName="missing")

        codebuild = aws_for(started, "codebuild", "eu-west-1")
        with pytest.raises(codebuild.exceptions.ResourceNotFoundException):
            codebuild.update_project(name="missing", description="x")
    finally:
        launcher.down(tmp_path)


def test_rest_api_tags_change_through_the_server(aws):
    # The server decodes the ARN's %2F before routing: the route for REST API ARNs is ours.
    apigateway = aws("apigateway", "us-east-1")
    api = apigateway.create_rest_api(name="tags", tags={"Version": "v1", "Team": "pay"})["id"]
    arn = f"arn:aws:apigateway:us-east-1::/restapis/{api}"
    apigateway.tag_resource(resourceArn=arn, tags={"Version": "v2"})
    apigateway.untag_resource(resourceArn=arn, tagKeys=["Team"])
    assert apigateway.get_rest_api(restApiId=api)["tags"] == {"Version": "v2"}
