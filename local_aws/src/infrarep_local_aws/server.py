"""The local AWS: moto's server (pinned in local_aws/pyproject.toml) plus what the stack needs of it.

Run as `python -m infrarep_local_aws.server -H 127.0.0.1 -p PORT -c CERT -k KEY`;
`infrarep_local_aws.up()` does. Each extension below fills one gap that would otherwise make
the same Terraform fail, or plan a perpetual diff, against the local AWS. Each is tested in
local_aws/tests/test_server.py.
"""

from __future__ import annotations

import base64
import contextvars
import functools
import hashlib
import inspect
import io
import json
import logging
import os
import re
import select
import socket
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

# Whether the request being served arrived over TLS (set per request by the WSGI wrapper).
_secure_transport: contextvars.ContextVar[bool] = contextvars.ContextVar("secure_transport", default=False)

_installed = False


# --- S3 bucket policies ---------------------------------------------------------------------
#
# moto evaluates bucket policies without their Condition: an unmet condition makes any
# statement DENY, so the standard TLS-only policy (Deny s3:* if aws:SecureTransport is
# false) blocks every object call, Terraform state included. Here a statement applies only
# when its conditions hold for the request, with aws:SecureTransport taken from the real
# transport (the local AWS serves TLS). Principal "*" statements are evaluated, as moto does.

ALLOWED, DENIED, NEUTRAL = "allowed", "denied", "neutral"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _glob(pattern: str, value: str) -> bool:
    return re.fullmatch(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."), value) is not None


def _condition_holds(operator: str, expected: Any, actual: str | None) -> bool:
    """One condition operator over one key; an absent key fails all but the ...IfExists forms."""
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    if actual is None:
        return if_exists or (operator == "Null" and str(expected).lower() == "true")
    wanted = [str(item) for item in _as_list(expected)]
    if operator == "Bool":
        return actual.lower() in (item.lower() for item in wanted)
    if operator in ("StringEquals", "ArnEquals"):
        return actual in wanted
    if operator == "StringNotEquals":
        return actual not in wanted
    if operator in ("StringLike", "ArnLike"):
        return any(_glob(item, actual) for item in wanted)
    if operator == "StringNotLike":
        return not any(_glob(item, actual) for item in wanted)
    if operator == "Null":
        return str(expected).lower() == "false"
    return False  # an operator this evaluator does not know never grants or denies


def statement_effect(
    statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str]
) -> str:
    """ALLOWED, DENIED or NEUTRAL for one policy statement and one request."""
    if statement.get("Principal") not in ("*", {"AWS": "*"}, {"AWS": ["*"]}):
        return NEUTRAL
    if "Action" in statement and not any(_glob(p, action) for p in _as_list(statement["Action"])):
        return NEUTRAL
    if "NotAction" in statement and any(_glob(p, action) for p in _as_list(statement["NotAction"])):
        return NEUTRAL
    if "Resource" in statement and not any(_glob(p, resource) for p in _as_list(statement["Resource"])):
        return NEUTRAL
    for operator, keys in (statement.get("Condition") or {}).items():
        for key, expected in keys.items():
            if not _condition_holds(operator, expected, context.get(key.lower())):
                return NEUTRAL
    return DENIED if statement.get("Effect") == "Deny" else ALLOWED


def policy_effect(policy: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str]) -> str:
    """An explicit deny wins, then an allow; otherwise the policy is silent."""
    effects = {statement_effect(s, action, resource, context) for s in _as_list(policy.get("Statement", []))}
    return DENIED if DENIED in effects else ALLOWED if ALLOWED in effects else NEUTRAL


def request_context() -> dict[str, str]:
    return {"aws:securetransport": "true" if _secure_transport.get() else "false"}


def allows_access_logs(policy: Mapping[str, Any], bucket: str, prefix: str) -> bool:
    """Whether a bucket policy lets S3 server access logging write under `prefix` (moto's own
    check assumes every Principal is an object and crashes on `"Principal": "*"`)."""
    target = f"arn:aws:s3:::{bucket}/{prefix}example"
    for statement in _as_list(policy.get("Statement", [])):
        principal = statement.get("Principal")
        services = _as_list(principal.get("Service", [])) if isinstance(principal, Mapping) else []
        if statement.get("Effect") != "Allow" or "logging.s3.amazonaws.com" not in services:
            continue
        if any(_glob(a, "s3:PutObject") for a in _as_list(statement.get("Action", []))) and any(
            _glob(r, target) for r in _as_list(statement.get("Resource", []))
        ):
            return True
    return False


def _patch_bucket_policies() -> None:
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    results = {
        ALLOWED: PermissionResult.PERMITTED,
        DENIED: PermissionResult.DENIED,
        NEUTRAL: PermissionResult.NEUTRAL,
    }

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = json.loads(self.policy)
        return results[policy_effect(policy, action, resource, request_context())]

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]

    def log_permissions(target_bucket: FakeBucket, target_prefix: str | None) -> bool:
        if not target_bucket.policy:
            return False
        return allows_access_logs(json.loads(target_bucket.policy), target_bucket.name, target_prefix or "")

    FakeBucket._log_permissions_enabled_policy = staticmethod(log_permissions)  # type: ignore[method-assign]


# --- Smithy RPCv2 CBOR -----------------------------------------------------------------------------
#
# The Go SDK in provider 6.x talks RPCv2 CBOR to CloudWatch, CodeBuild and CodePipeline
# (POST /service/<target prefix>/operation/<Op>, application/cbor); moto only speaks their
# JSON protocol. A CBOR request is translated to the equivalent awsJson request for moto, and
# moto's JSON answer back to CBOR, guided by botocore's shapes (timestamps are CBOR tag 1,
# blobs are byte strings, numbers take their modelled type).

_RPC_V2_PATH = re.compile(r"^/service/(?P<prefix>[^/]+)/operation/(?P<operation>[A-Za-z0-9]+)$")
_CBOR_SERVICES = ("cloudwatch", "codebuild", "codepipeline")


@functools.cache
def _cbor_service_models() -> dict[str, Any]:
    import botocore.session

    session = botocore.session.get_session()
    models = [session.get_service_model(name) for name in _CBOR_SERVICES]
    return {model.metadata["targetPrefix"]: model for model in models}


def cbor_to_json_value(value: Any) -> Any:
    """A decoded CBOR request value as the awsJson protocol writes it."""
    from datetime import datetime

    if isinstance(value, dict):
        return {key: cbor_to_json_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [cbor_to_json_value(item) for item in value]
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def json_to_cbor_value(value: Any, shape: Any) -> Any:
    """A JSON response value in the CBOR form its botocore shape calls for."""
    import cbor2

    if value is None or shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {key: json_to_cbor_value(item, shape.members.get(key)) for key, item in value.items()}
    if kind == "list" and isinstance(value, list):
        return [json_to_cbor_value(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: json_to_cbor_value(item, shape.value) for key, item in value.items()}
    if kind == "timestamp":
        from datetime import datetime

        epoch = datetime.fromisoformat(value).timestamp() if isinstance(value, str) else float(value)
        return cbor2.CBORTag(1, epoch)
    if kind == "blob" and isinstance(value, str):
        return base64.b64decode(value)
    if kind in ("double", "float") and isinstance(value, int | float):
        return float(value)
    if kind in ("integer", "long") and isinstance(value, int | float):
        return int(value)
    return value


class RpcV2CborTranslator:
    """WSGI middleware: RPCv2 CBOR in front of moto's awsJson implementation."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        match = _RPC_V2_PATH.match(environ.get("PATH_INFO", ""))
        model = _cbor_service_models().get(match["prefix"]) if match else None
        if match is None or model is None:
            return self.app(environ, start_response)
        import cbor2

        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        request = cbor_to_json_value(cbor2.loads(raw)) if raw else {}
        body = json.dumps(request).encode()
        json_version = model.metadata.get("jsonVersion", "1.0")
        environ = {
            **environ,
            "PATH_INFO": "/",
            "CONTENT_TYPE": f"application/x-amz-json-{json_version}",
            "HTTP_X_AMZ_TARGET": f"{match['prefix']}.{match['operation']}",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
        captured: dict[str, Any] = {}

        def capture(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return lambda _chunk: None

        answer = b"".join(self.app(environ, capture))
        output = model.operation_model(match["operation"]).output_shape
        ok = captured["status"].startswith("2")
        decoded = json.loads(answer) if answer.strip() else {}
        payload = cbor2.dumps(json_to_cbor_value(decoded, output) if ok else decoded)
        headers = [
            (name, value)
            for name, value in captured["headers"]
            if name.lower() not in ("content-type", "content-length")
        ]
        headers += [
            ("Content-Type", "application/cbor"),
            ("Content-Length", str(len(payload))),
            ("smithy-protocol", "rpc-v2-cbor"),
        ]
        start_response(captured["status"], headers)
        return [payload]


# --- One request at a time ---------------------------------------------------------------------
#
# moto's backends are plain dicts and lists, not safe for concurrent use: under Terraform's
# parallel apply a request fails now and then with "dictionary changed size during
# iteration" (a 500). The SDK retries a 500, and when the failed request had already created its
# resource the retry meets EntityAlreadyExists. The server still accepts and reads on many
# threads; the backends see one request at a time. Python runs one thread at a time anyway,
# so this costs no throughput. The one place moto waits for another request (SQS long
# polling) lets the others in while it waits.


class OneAtATime:
    """A lock that its holder can step out of while it waits for another holder's work."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder = threading.local()

    def __enter__(self) -> None:
        self._lock.acquire()
        self._holder.held = True

    def __exit__(self, *_: object) -> None:
        self._holder.held = False
        self._lock.release()

    def stepping_out(self, wait: Callable[[], Any]) -> Any:
        """Run `wait` without the lock if this thread holds it (as it does inside a request)."""
        if not getattr(self._holder, "held", False):
            return wait()
        self.__exit__()
        try:
            return wait()
        finally:
            self.__enter__()


backend_access = OneAtATime()


def with_body_read(environ: dict[str, Any]) -> dict[str, Any]:
    """The request with its body already off the socket, so a slow sender holds no lock."""
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):  # chunked: the server's stream ends with the body
        body = stream.read()
    else:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = stream.read(length) if length > 0 else b""
    return {**environ, "wsgi.input": io.BytesIO(body)}


def served_whole(
    app: Callable[..., Iterable[bytes]], environ: dict[str, Any], start_response: Any
) -> list[bytes]:
    """Run a WSGI app to the end of its answer (a lazy body would touch the backends later)."""
    answer = app(environ, start_response)
    try:
        return list(answer)
    finally:
        close = getattr(answer, "close", None)
        if close is not None:
            close()


def _patch_sqs_long_polling() -> None:
    from moto.sqs.models import Queue

    original = Queue.wait_for_messages

    def wait_for_messages(self: Queue, timeout: int) -> None:
        backend_access.stepping_out(lambda: original(self, timeout))

    Queue.wait_for_messages = wait_for_messages  # type: ignore[method-assign]


_ERROR_CODE = re.compile(rb"<Code>([^<]{1,100})</Code>|\"(?:__type|code)\"\s*:\s*\"([^\"]{1,200})\"")
_ERROR_MESSAGE = re.compile(rb"<Message>([^<]{1,300})</Message>|\"[Mm]essage\"\s*:\s*\"([^\"]{1,300})\"")


def operation_line(environ: Mapping[str, Any]) -> str:
    """`POST / CreateRole`: method, path and, where the path does not say it, the operation
    (the access log says only `POST /`). The body must have been read (`with_body_read`)."""
    operation = environ.get("HTTP_X_AMZ_TARGET", "")
    if not operation and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        form = environ["wsgi.input"].getvalue().decode("utf-8", "replace")
        operation = next((part[7:] for part in form.split("&") if part.startswith("Action=")), "")
    return f"{environ.get('REQUEST_METHOD', '')} {environ.get('PATH_INFO', '')} {operation or '-'}"


def refusal_line(environ: Mapping[str, Any], status: str, body: bytes) -> str:
    """One log line naming the operation and AWS's error for a refused request."""
    code = next((group for match in _ERROR_CODE.finditer(body) for group in match.groups() if group), b"")
    message = next(
        (group for match in _ERROR_MESSAGE.finditer(body) for group in match.groups() if group), b""
    )
    said = f"{code.decode('utf-8', 'replace')}: {message.decode('utf-8', 'replace')}".strip(": ")
    return f"local AWS refused {operation_line(environ)}: {status}: {said or '(no error body)'}"


# --- Retries of an attempt that succeeded ----------------------------------------------------
#
# Under load the provider now and then loses the answer to a request the local AWS
# served (the server logs 200; the SDK reports "use of closed network connection" and sends
# the request again). For a create, the second attempt then fails with EntityAlreadyExists.
# The AWS SDKs (Go and botocore) send the same `amz-sdk-invocation-id` with every attempt of
# one operation, and never retry an attempt whose answer they received: so a second attempt
# of an invocation that already succeeded means the first answer was lost, and it gets that
# answer again instead of running twice. Each replay is logged.

ANSWERS_KEPT = 4096
"""Successful answers remembered for replay (by invocation id), oldest dropped first."""


class AnsweredInvocations:
    """The successful answers of recent SDK invocations, to replay to a retry of one of them."""

    def __init__(self, capacity: int = ANSWERS_KEPT) -> None:
        self._answers: OrderedDict[str, tuple[str, list[tuple[str, str]], bytes]] = OrderedDict()
        self._capacity = capacity

    def get(self, invocation: str) -> tuple[str, list[tuple[str, str]], bytes] | None:
        return self._answers.get(invocation)

    def keep(self, invocation: str, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self._answers[invocation] = (status, headers, body)
        self._answers.move_to_end(invocation)
        while len(self._answers) > self._capacity:
            self._answers.popitem(last=False)


answered = AnsweredInvocations()


def _invocation(environ: Mapping[str, Any]) -> str | None:
    """The SDK invocation id of a request that changes something (reads are safe to rerun)."""
    if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
        return None
    return environ.get("HTTP_AMZ_SDK_INVOCATION_ID") or None


def _patch_request_entry() -> None:
    """Every request, one at a time: note its transport (TLS or not), translate RPCv2 CBOR if it
    is that, answer a retry of an invocation that already succeeded with its first answer."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original: Callable[..., Iterable[bytes]] = DomainDispatcherApplication.__call__

    def call(
        self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any
    ) -> Iterable[bytes]:
        token = _secure_transport.set(environ.get("wsgi.url_scheme") == "https")
        try:
            translator = RpcV2CborTranslator(lambda env, respond: original(self, env, respond))
            request = with_body_read(environ)
            invocation = _invocation(request)
            sent: dict[str, Any] = {}

            def respond(status: str, headers: Any, exc_info: Any = None) -> Any:
                sent.setdefault("status", status)
                sent.setdefault("headers", list(headers))
                return start_response(status, headers, exc_info)

            with backend_access:
                earlier = answered.get(invocation) if invocation else None
                if earlier is None:
                    answer = served_whole(translator, request, respond)
            if earlier is not None:
                status, headers, body = earlier
                start_response(status, headers)
                attempt = environ.get("HTTP_AMZ_SDK_REQUEST", "")
                print(
                    f"local AWS replayed {operation_line(request)} invocation {invocation} "
                    f"({attempt}): {status}; the first answer never reached the client",
                    flush=True,
                )
                return [body]
            status = sent.get("status", "")
            if invocation and status.startswith("2"):
                answered.keep(invocation, status, sent["headers"], b"".join(answer))
            elif status[:1] in ("4", "5") and not status.startswith("404"):
                print(refusal_line(request, status, b"".join(answer)), flush=True)
            return answer
        finally:
            _secure_transport.reset(token)

    DomainDispatcherApplication.__call__ = call  # type: ignore[method-assign]


# --- Lambda configuration read-back --------------------------------------------------------
#
# moto accepts DeadLetterConfig, KMSKeyArn and LoggingConfig but never returns them (and
# ignores TracingConfig on update), so every plan would show a diff on each function.

_LAMBDA_SETTINGS = ("DeadLetterConfig", "KMSKeyArn", "LoggingConfig", "TracingConfig")


def lambda_settings(spec: Mapping[str, Any], function_name: str) -> dict[str, Any]:
    """The optional settings AWS reports back, with AWS's defaults where the spec is silent."""
    settings: dict[str, Any] = {
        "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function_name}"},
        "TracingConfig": {"Mode": "PassThrough"},
    }
    for key in _LAMBDA_SETTINGS:
        if spec.get(key):
            settings[key] = dict(spec[key]) if isinstance(spec[key], Mapping) else spec[key]
    logging = settings["LoggingConfig"]
    logging.setdefault("LogGroup", f"/aws/lambda/{function_name}")
    logging.setdefault("LogFormat", "Text")
    if logging["LogFormat"] == "JSON":
        logging.setdefault("ApplicationLogLevel", "INFO")
        logging.setdefault("SystemLogLevel", "INFO")
    return settings


def _patch_lambda_configuration() -> None:
    from moto.awslambda.models import LambdaFunction

    original_init = LambdaFunction.__init__
    original_get = LambdaFunction.get_configuration
    original_update = LambdaFunction.update_configuration

    def init(self: LambdaFunction, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.infrarep_settings = lambda_settings(spec, self.function_name)

    def get_configuration(self: LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original_get(self, *args, **kwargs)
        settings = getattr(self, "infrarep_settings", {})
        config.update({key: value for key, value in settings.items() if key != "TracingConfig"})
        return config

    def update_configuration(self: LambdaFunction, updates: dict[str, Any]) -> dict[str, Any]:
        settings = getattr(self, "infrarep_settings", lambda_settings({}, self.function_name))
        merged = {**settings, **{key: updates[key] for key in _LAMBDA_SETTINGS if key in updates}}
        self.infrarep_settings = lambda_settings(merged, self.function_name)
        if "TracingConfig" in updates:
            self.tracing_config = updates["TracingConfig"]
        return original_update(self, updates)

    LambdaFunction.__init__ = init  # type: ignore[method-assign]
    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]
    LambdaFunction.update_configuration = update_configuration  # type: ignore[method-assign]


# --- S3 read-back ----------------------------------------------------------------------------
#
# moto stores a bucket's EventBridge notification switch and each replication rule's
# DeleteMarkerReplication and SourceSelectionCriteria, but GetBucketNotificationConfiguration
# leaves the first out and GetBucketReplication reports the others as disabled/absent.


def replication_rule_view(rule: Mapping[str, Any]) -> dict[str, Any]:
    """One stored replication rule as GetBucketReplication reports it in AWS."""
    view: dict[str, Any] = {
        "ID": rule["ID"],
        "Priority": rule["Priority"],
        "Status": rule["Status"],
        "DeleteMarkerReplication": rule.get("DeleteMarkerReplication") or {"Status": "Disabled"},
        "Filter": rule.get("Filter") or {"Prefix": ""},
        "Destination": rule["Destination"],
    }
    if rule.get("SourceSelectionCriteria"):
        view["SourceSelectionCriteria"] = rule["SourceSelectionCriteria"]
    return view


def notification_view(item: Any, arn_key: str) -> dict[str, Any]:
    view: dict[str, Any] = {"Id": item.id, arn_key: item.arn, "Events": item.events}
    if item.filters:
        view["Filter"] = {"Key": {"FilterRules": item.filters["S3Key"]["FilterRule"]}}
    return view


_BUCKET_ARN = re.compile(r"arn:aws[a-z-]*:s3:::[^/]+")


def _patch_s3control_bucket_tags() -> None:
    """Provider 6.x tags buckets with S3 PutBucketTagging but reads them back through
    S3 Control's ListTagsForResource; moto keeps those in two unrelated stores. Bucket ARNs
    are served from the bucket's own tags, as in AWS."""
    from moto.core.responses import ActionResult, EmptyResult
    from moto.s3.models import s3_backends
    from moto.s3control.responses import S3ControlResponse
    from moto.utilities.utils import get_partition

    original = {
        name: getattr(S3ControlResponse, name)
        for name in ("list_tags_for_resource", "tag_resource", "untag_resource")
    }

    def bucket_tagger(self: S3ControlResponse) -> Any:
        arn = self._get_param("ResourceArn") or ""
        if not _BUCKET_ARN.fullmatch(arn):
            return None
        return s3_backends[self.current_account][get_partition(self.region)].tagger

    def list_tags_for_resource(self: S3ControlResponse) -> Any:
        tagger = bucket_tagger(self)
        if tagger is None:
            return original["list_tags_for_resource"](self)
        return ActionResult({"Tags": tagger.list_tags_for_resource(self._get_param("ResourceArn"))["Tags"]})

    def tag_resource(self: S3ControlResponse) -> Any:
        tagger = bucket_tagger(self)
        if tagger is None:
            return original["tag_resource"](self)
        tagger.tag_resource(self._get_param("ResourceArn"), self._get_param("Tags", []))
        return EmptyResult()

    def untag_resource(self: S3ControlResponse) -> Any:
        tagger = bucket_tagger(self)
        if tagger is None:
            return original["untag_resource"](self)
        tagger.untag_resource_using_names(self._get_param("ResourceArn"), self._get_param("TagKeys", []))
        return EmptyResult()

    S3ControlResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[method-assign]
    S3ControlResponse.tag_resource = tag_resource  # type: ignore[method-assign]
    S3ControlResponse.untag_resource = untag_resource  # type: ignore[method-assign]


def create_bucket_tags(body: bytes | str | None) -> list[dict[str, str]]:
    """Tags given in CreateBucketConfiguration (how provider 6.x tags a new bucket)."""
    import xmltodict

    if not body:
        return []
    try:
        configuration = xmltodict.parse(body).get("CreateBucketConfiguration") or {}
    except Exception:  # not XML: no configuration, so no tags
        return []
    tags = (configuration.get("Tags") or {}).get("Tag") or []
    return [{"Key": tag["Key"], "Value": tag.get("Value") or ""} for tag in _as_list(tags)]


def _patch_create_bucket_tags() -> None:
    from moto.s3.responses import S3Response

    original = S3Response._bucket_response_put

    def bucket_response_put(
        self: S3Response, request: Any, bucket_name: str, querystring: dict[str, Any]
    ) -> Any:
        response = original(self, request, bucket_name, querystring)
        tags = [] if querystring else create_bucket_tags(self.body)
        if tags:
            bucket = self.backend.get_bucket(bucket_name)
            self.backend.tagger.tag_resource(bucket.arn, tags)
        return response

    S3Response._bucket_response_put = bucket_response_put  # type: ignore[method-assign]


def _patch_s3_read_back() -> None:
    from moto.core.responses import ActionResult
    from moto.s3.responses import S3Response

    def get_bucket_notification(self: S3Response) -> Any:
        from moto.core.responses import EmptyResult

        self.data["Action"] = "GetBucketNotificationConfiguration"
        configuration = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if not configuration:
            return self.serialized(EmptyResult())
        groups = {
            "TopicConfigurations": ("TopicArn", configuration.topic),
            "QueueConfigurations": ("QueueArn", configuration.queue),
            "LambdaFunctionConfigurations": ("LambdaFunctionArn", configuration.cloud_function),
        }
        result: dict[str, Any] = {
            group: [notification_view(item, arn_key) for item in items]
            for group, (arn_key, items) in groups.items()
        }
        if configuration.event_bridge is not None:
            result["EventBridgeConfiguration"] = {}
        return self.serialized(ActionResult(result))

    def get_bucket_replication(self: S3Response) -> Any:
        from moto.s3.exceptions import ReplicationConfigurationNotFoundError

        self.data["Action"] = "GetBucketReplication"
        replication = self.backend.get_bucket_replication(self.bucket_name)
        if not replication:
            raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
        rules = [replication_rule_view(rule) for rule in replication["Rule"]]
        return self.serialized(
            ActionResult({"ReplicationConfiguration": {"Role": replication["Role"], "Rules": rules}})
        )

    S3Response.get_bucket_notification = get_bucket_notification  # type: ignore[method-assign]
    S3Response.get_bucket_replication = get_bucket_replication  # type: ignore[method-assign]


# --- Step Functions ---------------------------------------------------------------------------
#
# The provider validates every state machine definition at plan time
# (ValidateStateMachineDefinition) and lists versions on every read (ListStateMachineVersions);
# moto implements neither, so a state machine fails every plan.

_WAIT_FIELDS = ("Seconds", "Timestamp", "SecondsPath", "TimestampPath")
_STATE_TYPES = {"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}


def asl_diagnostics(definition: str) -> list[dict[str, str]]:
    """Structural checks of an Amazon States Language document, as ValidateStateMachineDefinition
    reports them: valid JSON, StartAt naming a state, known types, reachable Next targets, each
    non-terminal state with a Next or End, and Wait states with exactly one duration field."""

    def problem(code: str, message: str, location: str = "") -> dict[str, str]:
        return {"severity": "ERROR", "code": code, "message": message, "location": location}

    try:
        document = json.loads(definition)
    except ValueError as err:
        return [problem("INVALID_JSON_DESCRIPTION", f"definition is not JSON: {err}")]
    if not isinstance(document, dict) or not isinstance(document.get("States"), dict):
        return [problem("SCHEMA_VALIDATION_FAILED", "definition needs a States object", "/States")]
    states: dict[str, Any] = document["States"]
    found = []
    if document.get("StartAt") not in states:
        found.append(problem("MISSING_TRANSITION_TARGET", "StartAt names no state", "/StartAt"))
    for name, state in states.items():
        where = f"/States/{name}"
        kind = state.get("Type") if isinstance(state, dict) else None
        if kind not in _STATE_TYPES:
            found.append(problem("SCHEMA_VALIDATION_FAILED", f"unknown state type {kind!r}", f"{where}/Type"))
            continue
        if "Next" in state and state["Next"] not in states:
            found.append(problem("MISSING_TRANSITION_TARGET", f"Next names no state: {state['Next']}", where))
        terminal = kind in ("Succeed", "Fail", "Choice") or state.get("End") is True
        if not terminal and "Next" not in state:
            found.append(problem("SCHEMA_VALIDATION_FAILED", "a non-terminal state needs Next or End", where))
        if kind == "Wait" and sum(field in state for field in _WAIT_FIELDS) != 1:
            found.append(
                problem("SCHEMA_VALIDATION_FAILED", "a Wait state needs exactly one duration", where)
            )
    return found


def _patch_step_functions() -> None:
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def validate_state_machine_definition(self: StepFunctionResponse) -> ActionResult:
        diagnostics = asl_diagnostics(self._get_param("definition") or "")
        return ActionResult(
            {"result": "FAIL" if diagnostics else "OK", "diagnostics": diagnostics, "truncated": False}
        )

    def list_state_machine_versions(self: StepFunctionResponse) -> ActionResult:
        machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
        versions = sorted(getattr(machine, "versions", {}).items(), reverse=True)
        return ActionResult(
            {
                "stateMachineVersions": [
                    {"stateMachineVersionArn": version.arn, "creationDate": version.creation_date}
                    for _, version in versions
                ]
            }
        )

    StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition  # type: ignore[attr-defined]
    StepFunctionResponse.list_state_machine_versions = list_state_machine_versions  # type: ignore[attr-defined]


# --- CodeBuild ----------------------------------------------------------------------------------
#
# moto demands a source location even for CODEPIPELINE and NO_SOURCE projects (AWS forbids
# none and requires none there), forgets the project's encryption key, and has no
# UpdateProject, so any change to a project fails.

_SOURCES_WITHOUT_LOCATION = {"CODEPIPELINE", "NO_SOURCE"}
_PROJECT_IMMUTABLE = {"name", "arn", "created"}
# CreateProject fields moto forgets: the key, and a batch project's settings.
_PROJECT_KEPT = ("encryptionKey", "buildBatchConfig")


def codebuild_source_problem(source: Mapping[str, Any] | None) -> str | None:
    """AWS's rule for a project source, or None when it is acceptable."""
    if not source or source.get("type") not in {
        "BITBUCKET", "CODECOMMIT", "CODEPIPELINE", "GITHUB", "GITHUB_ENTERPRISE", "NO_SOURCE", "S3",
    }:  # fmt: skip
        return "Invalid type provided: Project source type"
    if source["type"] not in _SOURCES_WITHOUT_LOCATION and not source.get("location"):
        return "Project source location is required"
    return None


def codebuild_artifacts_problem(artifacts: Mapping[str, Any] | None) -> str | None:
    if not artifacts or "type" not in artifacts:
        return "Invalid artifacts: type is required"
    if artifacts["type"] == "NO_ARTIFACTS" and artifacts.get("location"):
        return "Invalid artifacts: artifact type NO_ARTIFACTS should have null location"
    if artifacts["type"] == "S3" and not artifacts.get("location"):
        return "Project artifacts location is required"
    return None


def updated_project(metadata: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateProject: every given field replaces the stored one; identity fields stay."""
    return {**metadata, **{key: value for key, value in changes.items() if key not in _PROJECT_IMMUTABLE}}


def started_build(project: Mapping[str, Any], request: Mapping[str, Any]) -> dict[str, Any]:
    """StartBuild: the build's source and environment as AWS reports them, the project's with
    this build's overrides (moto reports a fixed CodeCommit source and no variables)."""
    source = dict(project.get("source") or {})
    if request.get("sourceTypeOverride"):
        source["type"] = request["sourceTypeOverride"]
    if request.get("sourceLocationOverride"):
        source["location"] = request["sourceLocationOverride"]
    if request.get("buildspecOverride"):
        source["buildspec"] = request["buildspecOverride"]
    environment = dict(project.get("environment") or {})
    variables = {item["name"]: item for item in environment.get("environmentVariables", [])}
    variables.update({item["name"]: item for item in request.get("environmentVariablesOverride", [])})
    environment["environmentVariables"] = list(variables.values())
    return {"source": source, "environment": environment}


def _patch_codebuild() -> None:
    from moto.codebuild import responses as codebuild_responses
    from moto.codebuild.exceptions import InvalidInputException, ResourceNotFoundException
    from moto.codebuild.responses import CodeBuildResponse

    def validate_source(source: dict[str, Any]) -> None:
        problem = codebuild_source_problem(source)
        if problem:
            raise InvalidInputException(problem)

    def validate_artifacts(artifacts: dict[str, Any]) -> None:
        problem = codebuild_artifacts_problem(artifacts)
        if problem:
            raise InvalidInputException(problem)

    codebuild_responses._validate_required_params_source = validate_source
    codebuild_responses._validate_required_params_artifacts = validate_artifacts

    original_create = CodeBuildResponse.create_project

    def create_project(self: CodeBuildResponse) -> str:
        created = json.loads(original_create(self))
        project = self.codebuild_backend.codebuild_projects[self._get_param("name")]
        kept = {field: self._get_param(field) for field in _PROJECT_KEPT if self._get_param(field)}
        project.project_metadata.update(kept)
        created["project"].update(kept)
        return json.dumps(created)

    def update_project(self: CodeBuildResponse) -> str:
        name = self._get_param("name")
        project = self.codebuild_backend.codebuild_projects.get(name)
        if project is None:
            raise ResourceNotFoundException(f"Project cannot be found: {name}")
        changes = json.loads(self.body or "{}")
        if "source" in changes:
            validate_source(changes["source"])
        project.project_metadata = updated_project(project.project_metadata, changes)
        return json.dumps({"project": project.project_metadata})

    original_start = CodeBuildResponse.start_build

    def start_build(self) -> str:
        started = json.loads(original_start(self))
        name = self._get_param("projectName")
        request = json.loads(self.body or "{}")
        view = started_build(self.codebuild_backend.codebuild_projects[name].project_metadata, request)
        for build in self.codebuild_backend.build_metadata_history[name]:
            if build["id"] == started["build"]["id"]:
                build.update(view)  # what BatchGetBuilds reports from now on
        started["build"].update(view)
        return json.dumps(started)

    CodeBuildResponse.create_project = create_project  # type: ignore[method-assign]
    CodeBuildResponse.update_project = update_project  # type: ignore[attr-defined]
    CodeBuildResponse.start_build = start_build  # type: ignore[method-assign]


# --- CodePipeline ------------------------------------------------------------------------------
#
# moto writes a pipeline's created/updated as ISO strings; the awsJson protocol carries
# timestamps as epoch seconds, and the Go SDK refuses anything else, so every read fails.


def epoch_seconds(moment: datetime) -> float:
    """A naive UTC datetime (moto's clock) as the epoch seconds awsJson timestamps are."""
    return moment.replace(tzinfo=UTC).timestamp()


def _patch_codepipeline() -> None:
    from moto.codepipeline.models import CodePipeline

    def metadata(self: CodePipeline) -> dict[str, Any]:
        return {
            "pipelineArn": self._arn,
            "created": epoch_seconds(self._created),
            "updated": epoch_seconds(self._updated),
        }

    CodePipeline.metadata = property(metadata)  # type: ignore[method-assign,assignment]


# --- X-Ray sampling rules and groups -----------------------------------------------------------
#
# moto's X-Ray has traces only: sampling rules, groups and their tags answer 404. This keeps
# them per account and region with AWS's request and response shapes.

# Request paths as in the X-Ray API (GetGroups is POST /Groups); moto dispatches on the path.
_XRAY_ACTIONS = (
    "CreateSamplingRule", "GetSamplingRules", "UpdateSamplingRule", "DeleteSamplingRule",
    "CreateGroup", "GetGroup", "Groups", "UpdateGroup", "DeleteGroup",
    "TagResource", "UntagResource", "ListTagsForResource",
)  # fmt: skip


class XRayConfig:
    """Sampling rules, groups and tags of one account and region."""

    def __init__(self, account_id: str, region: str) -> None:
        self.prefix = f"arn:aws:xray:{region}:{account_id}"
        self.rules: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, dict[str, str]] = {}

    def _rule_name(self, request: Mapping[str, Any]) -> str:
        name = request.get("RuleName") or str(request.get("RuleARN", "")).rpartition("/")[2]
        if name not in self.rules:
            raise KeyError(f"Sampling rule {name} not found")
        return name

    def create_rule(self, rule: Mapping[str, Any], tags: list[dict[str, str]], now: float) -> dict[str, Any]:
        name = rule["RuleName"]
        if name in self.rules:
            raise ValueError(f"Sampling rule {name} already exists")
        arn = f"{self.prefix}:sampling-rule/{name}"
        record = {"SamplingRule": {**rule, "RuleARN": arn}, "CreatedAt": now, "ModifiedAt": now}
        self.rules[name] = record
        self.tags[arn] = {tag["Key"]: tag["Value"] for tag in tags}
        return record

    def update_rule(self, update: Mapping[str, Any], now: float) -> dict[str, Any]:
        record = self.rules[self._rule_name(update)]
        changes = {key: value for key, value in update.items() if key not in ("RuleName", "RuleARN")}
        record["SamplingRule"] = {**record["SamplingRule"], **changes}
        record["ModifiedAt"] = now
        return record

    def delete_rule(self, request: Mapping[str, Any]) -> dict[str, Any]:
        record = self.rules.pop(self._rule_name(request))
        self.tags.pop(record["SamplingRule"]["RuleARN"], None)
        return record

    def group_name(self, request: Mapping[str, Any]) -> str:
        """From GroupName, or from GroupARN `arn:aws:xray:<region>:<account>:group/<name>/<id>`."""
        name = (
            request.get("GroupName") or str(request.get("GroupARN", "")).partition(":group/")[2].split("/")[0]
        )
        if name not in self.groups:
            raise KeyError(f"Group {name} not found")
        return name

    def create_group(self, request: Mapping[str, Any]) -> dict[str, Any]:
        name = request["GroupName"]
        if name in self.groups:
            raise ValueError(f"Group {name} already exists")
        arn = f"{self.prefix}:group/{name}/{hashlib.sha256(name.encode()).hexdigest()[:24]}"
        group = {
            "GroupName": name,
            "GroupARN": arn,
            "FilterExpression": request.get("FilterExpression", ""),
            "InsightsConfiguration": request.get("InsightsConfiguration")
            or {"InsightsEnabled": False, "NotificationsEnabled": False},
        }
        self.groups[name] = group
        self.tags[arn] = {tag["Key"]: tag["Value"] for tag in request.get("Tags", [])}
        return group

    def update_group(self, request: Mapping[str, Any]) -> dict[str, Any]:
        group = self.groups[self.group_name(request)]
        for key in ("FilterExpression", "InsightsConfiguration"):
            if key in request:
                group[key] = request[key]
        return group

    def delete_group(self, request: Mapping[str, Any]) -> None:
        group = self.groups.pop(self.group_name(request))
        self.tags.pop(group["GroupARN"], None)

    def resource_tags(self, arn: str) -> dict[str, str]:
        if arn not in self.tags:
            raise KeyError(f"Resource {arn} not found")
        return self.tags[arn]


_xray_configs: dict[tuple[str, str], XRayConfig] = {}


def _patch_xray() -> None:
    from moto.xray import urls
    from moto.xray.responses import XRayResponse

    for action in _XRAY_ACTIONS:
        urls.url_paths[f"{{0}}/{action}$"] = XRayResponse.dispatch

    def config(self: XRayResponse) -> XRayConfig:
        key = (self.current_account, self.region)
        return _xray_configs.setdefault(key, XRayConfig(*key))

    def create_sampling_rule(self: XRayResponse) -> dict[str, Any]:
        rule, tags = self._get_param("SamplingRule"), self._get_param("Tags", [])
        return {"SamplingRuleRecord": config(self).create_rule(rule, tags, time.time())}

    def get_sampling_rules(self: XRayResponse) -> dict[str, Any]:
        return {"SamplingRuleRecords": list(config(self).rules.values())}

    def update_sampling_rule(self: XRayResponse) -> dict[str, Any]:
        update = self._get_param("SamplingRuleUpdate")
        return {"SamplingRuleRecord": config(self).update_rule(update, time.time())}

    def delete_sampling_rule(self: XRayResponse) -> dict[str, Any]:
        return {"SamplingRuleRecord": config(self).delete_rule(self.request_params)}

    def create_group(self: XRayResponse) -> dict[str, Any]:
        return {"Group": config(self).create_group(self.request_params)}

    def get_group(self: XRayResponse) -> dict[str, Any]:
        xray = config(self)
        return {"Group": xray.groups[xray.group_name(self.request_params)]}

    def groups(self: XRayResponse) -> dict[str, Any]:  # GetGroups
        return {"Groups": list(config(self).groups.values())}

    def update_group(self: XRayResponse) -> dict[str, Any]:
        return {"Group": config(self).update_group(self.request_params)}

    def delete_group(self: XRayResponse) -> dict[str, Any]:
        config(self).delete_group(self.request_params)
        return {}

    def tag_resource(self: XRayResponse) -> dict[str, Any]:
        tags = config(self).resource_tags(self._get_param("ResourceARN"))
        tags.update({tag["Key"]: tag["Value"] for tag in self._get_param("Tags", [])})
        return {}

    def untag_resource(self: XRayResponse) -> dict[str, Any]:
        tags = config(self).resource_tags(self._get_param("ResourceARN"))
        for key in self._get_param("TagKeys", []):
            tags.pop(key, None)
        return {}

    def list_tags_for_resource(self: XRayResponse) -> dict[str, Any]:
        tags = config(self).resource_tags(self._get_param("ResourceARN"))
        return {"Tags": [{"Key": key, "Value": value} for key, value in sorted(tags.items())]}

    for handler in (
        create_sampling_rule, get_sampling_rules, update_sampling_rule, delete_sampling_rule,
        create_group, get_group, groups, update_group, delete_group,
        tag_resource, untag_resource, list_tags_for_resource,
    ):  # fmt: skip
        setattr(XRayResponse, handler.__name__, _xray_answer(handler))


def _xray_answer(handler: Callable[[Any], dict[str, Any]]) -> Callable[[Any], Any]:
    """AWS's error shapes: a missing rule or group is 404, a duplicate is 400."""

    def respond(self: Any) -> Any:
        try:
            return json.dumps(handler(self))
        except KeyError as err:
            return json.dumps({"__type": "ResourceNotFoundException", "message": err.args[0]}), {
                "status": 404
            }
        except ValueError as err:
            return json.dumps({"__type": "InvalidRequestException", "message": err.args[0]}), {"status": 400}

    return respond


# --- Application Auto Scaling tags ------------------------------------------------------------
#
# The provider tags every scalable target (default_tags) and lists its tags after each create
# and read; moto has neither TagResource nor ListTagsForResource (HTTP 500).


def _patch_autoscaling_tags() -> None:
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    original_register = ApplicationAutoScalingResponse.register_scalable_target

    def target_by_arn(self: ApplicationAutoScalingResponse, arn: str) -> Any:
        for by_resource in self.applicationautoscaling_backend.targets.values():
            for target in by_resource.values():
                if target.arn == arn:
                    return target
        return None

    def not_found(arn: str) -> tuple[str, dict[str, int]]:
        message = f"No scalable target found for {arn}"
        return json.dumps({"__type": "ResourceNotFoundException", "Message": message}), {"status": 400}

    def register_scalable_target(self: ApplicationAutoScalingResponse) -> str:
        registered = original_register(self)
        target = target_by_arn(self, json.loads(registered)["ScalableTargetARN"])
        target.tags = {**getattr(target, "tags", {}), **(self._get_param("Tags") or {})}
        return registered

    def list_tags_for_resource(self: ApplicationAutoScalingResponse) -> Any:
        target = target_by_arn(self, self._get_param("ResourceARN"))
        if target is None:
            return not_found(self._get_param("ResourceARN"))
        return json.dumps({"Tags": getattr(target, "tags", {})})

    def tag_resource(self: ApplicationAutoScalingResponse) -> Any:
        target = target_by_arn(self, self._get_param("ResourceARN"))
        if target is None:
            return not_found(self._get_param("ResourceARN"))
        target.tags = {**getattr(target, "tags", {}), **self._get_param("Tags", {})}
        return "{}"

    def untag_resource(self: ApplicationAutoScalingResponse) -> Any:
        target = target_by_arn(self, self._get_param("ResourceARN"))
        if target is None:
            return not_found(self._get_param("ResourceARN"))
        removed = set(self._get_param("TagKeys", []))
        target.tags = {key: value for key, value in getattr(target, "tags", {}).items() if key not in removed}
        return "{}"

    ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target  # type: ignore[method-assign]
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.tag_resource = tag_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.untag_resource = untag_resource  # type: ignore[attr-defined]


# --- EventBridge delivery ------------------------------------------------------------------------
#
# moto delivers events to log groups, SQS, buses and archives, and raises for any other target,
# so PutEvents fails (HTTP 500) as soon as a rule targets a Lambda function. In AWS, PutEvents
# accepts the event and delivery happens later; the local AWS cannot run functions (no
# container runtime), so such targets are logged as not delivered and PutEvents succeeds.

_DELIVERED_SERVICES = {"logs", "sqs", "events"}
# Reentrant: delivering to another bus delivers that bus's rules from within this delivery.
_delivery_lock = threading.RLock()
_log = logging.getLogger("infrarep_local_aws")


def deliverable(target_arn: str) -> bool:
    return target_arn.split(":")[2] in _DELIVERED_SERVICES


def _patch_event_delivery() -> None:
    from moto.events.models import Rule

    original = Rule.send_to_targets

    def send_to_targets(self: Rule, *args: Any, **kwargs: Any) -> None:
        skipped = [target for target in self.targets if not deliverable(target["Arn"])]
        for target in skipped:
            _log.warning(
                "event for rule %s not delivered to %s (not simulated locally)", self.name, target["Arn"]
            )
        with _delivery_lock:
            all_targets = self.targets
            self.targets = [target for target in all_targets if deliverable(target["Arn"])]
            try:
                original(self, *args, **kwargs)
            finally:
                self.targets = all_targets

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]


# --- EventBridge -> CodeBuild ---------------------------------------------------------------------
#
# moto raises NotImplementedError for a rule target that is a CodeBuild project. AWS starts a
# build of that project (the target's ARN) with the target's input, after its InputTransformer,
# as the StartBuild request (the API's camelCase fields: sourceVersion, sourceTypeOverride,
# environmentVariablesOverride, ...). Here the build starts through moto's CodeBuild backend
# with those fields and reads back as one started through the API does (`started_build`). A
# build that cannot start is logged as not delivered; PutEvents still succeeds, as in AWS
# (where the event would go to the target's DLQ). Wraps the delivery patch above, so it is
# installed after it; backends see one request at a time (`backend_access`), so the rule's
# targets can be narrowed for the other deliveries without a lock.


def _patch_codebuild_event_targets() -> None:
    from moto.codebuild.models import codebuild_backends
    from moto.events.models import Rule
    from moto.events.utils import EventTemplateParser
    from moto.utilities.arns import parse_arn

    deliver_to_others = Rule.send_to_targets

    def start_build(target: Mapping[str, Any], event: dict[str, Any]) -> str:
        transformer = target.get("InputTransformer")
        if transformer:
            request = EventTemplateParser.parse(
                input_template=transformer.get("InputTemplate"),
                input_paths_map=transformer.get("InputPathsMap", {}),
                event=event,
            )
        else:
            request = json.loads(target["Input"]) if target.get("Input") else {}
        arn = parse_arn(target["Arn"])
        backend = codebuild_backends[arn.account][arn.region]
        project = backend.codebuild_projects[arn.resource_id]
        build = backend.start_build(
            arn.resource_id, request.get("sourceVersion"), request.get("artifactsOverride")
        )
        build.update(started_build(project.project_metadata, request))  # the history holds this dict
        return str(build["id"])

    def send_to_targets(self: Rule, event: dict[str, Any], transform_input: bool = True) -> None:
        builds = [target for target in self.targets if target["Arn"].split(":")[2] == "codebuild"]
        if builds and self.event_pattern.matches_event(event):
            for target in builds:
                try:
                    _log.info("rule %s started build %s", self.name, start_build(target, event))
                except Exception as err:  # a failed delivery never fails PutEvents
                    _log.warning("event for rule %s not delivered to %s: %r", self.name, target["Arn"], err)
        all_targets = self.targets
        self.targets = [target for target in all_targets if target not in builds]
        try:
            deliver_to_others(self, event, transform_input)
        finally:
            self.targets = all_targets

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]


# --- EC2 security group rule descriptions --------------------------------------------------------
#
# DescribeSecurityGroupRules reports a rule's description only when the rule is a CIDR range;
# rules to a prefix list (gateway endpoints) or a security group lose theirs, so every plan
# would set them again.


def _patch_security_group_rule_descriptions() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule

    original_init = SecurityGroupRule.__init__
    signature = inspect.signature(original_init)

    def init(self: SecurityGroupRule, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        given = signature.bind(self, *args, **kwargs).arguments
        prefix_list = given.get("prefix_list_id") or {}
        self.infrarep_description = (
            self.ip_range.get("Description")
            or (self.source_group or {}).get("Description")
            or prefix_list.get("Description")
        )

    SecurityGroupRule.__init__ = init  # type: ignore[method-assign]
    SecurityGroupRule.description = property(  # type: ignore[method-assign,assignment]
        lambda self: getattr(self, "infrarep_description", None) or self.ip_range.get("Description")
    )


# --- RDS -------------------------------------------------------------------------------------------
#
# Aurora clusters with storage type `aurora` or `aurora-iopt1` crash moto's allocated-storage
# lookup (KeyError), and DB instances forget Performance Insights and enhanced-monitoring
# settings, so every plan would turn them on again. A provisioned cluster reports an empty
# ScalingConfigurationInfo that AWS leaves out (Serverless v1 only), so every plan would add
# a scaling configuration.

AURORA_STORAGE_TYPES = {"aurora", "aurora-iopt1"}
_RDS_INSTANCE_SETTINGS = (
    "performance_insights_enabled",
    "performance_insights_kms_key_id",
    "performance_insights_retention_period",
    "monitoring_interval",
    "monitoring_role_arn",
)


def rds_instance_settings(given: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The settings AWS reports after a create or modify: what was given over what was there,
    with AWS's defaults (Performance Insights keeps 7 days unless told otherwise)."""
    settings = {"performance_insights_enabled": False, "monitoring_interval": 0, **current}
    settings.update({key: given[key] for key in _RDS_INSTANCE_SETTINGS if given.get(key) is not None})
    if given.get("enable_performance_insights") is not None:  # the request's name for it
        settings["performance_insights_enabled"] = bool(given["enable_performance_insights"])
    if settings["performance_insights_enabled"] and not settings.get("performance_insights_retention_period"):
        settings["performance_insights_retention_period"] = 7
    return settings


def _patch_rds() -> None:
    from moto.rds.models import DBCluster, DBInstance

    original_allocated = DBCluster.default_allocated_storage

    def default_allocated_storage(engine: str, storage_type: str) -> int:
        if storage_type in AURORA_STORAGE_TYPES:
            return 1  # what Aurora reports: storage grows on its own
        return int(original_allocated(engine, storage_type))

    DBCluster.default_allocated_storage = staticmethod(default_allocated_storage)  # type: ignore[method-assign]

    original_scaling = DBCluster.scaling_configuration_info

    def scaling_configuration_info(self: DBCluster) -> dict[str, Any] | None:
        return original_scaling.fget(self) if self.scaling_configuration else None

    DBCluster.scaling_configuration_info = property(scaling_configuration_info)  # type: ignore[assignment,method-assign]

    original_init = DBInstance.__init__
    original_update = DBInstance.update

    def init(self: DBInstance, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        for key, value in rds_instance_settings(kwargs, {}).items():
            setattr(self, key, value)

    def update(self: DBInstance, *args: Any, **kwargs: Any) -> Any:
        result = original_update(self, *args, **kwargs)
        current = {key: getattr(self, key, None) for key in _RDS_INSTANCE_SETTINGS}
        for key, value in rds_instance_settings(
            kwargs, {k: v for k, v in current.items() if v is not None}
        ).items():
            setattr(self, key, value)
        return result

    DBInstance.__init__ = init  # type: ignore[method-assign]
    DBInstance.update = update  # type: ignore[method-assign]


# --- SQS redrive policies ------------------------------------------------------------------------
#
# moto re-serialises RedrivePolicy with spaces after separators; AWS returns compact JSON, and
# the provider compares the text, so every plan would update each queue with a DLQ.


def _patch_sqs_redrive_policy() -> None:
    from moto.sqs.models import Queue

    original = Queue.attributes

    def attributes(self: Queue) -> dict[str, Any]:
        result = original.fget(self)
        for key in ("RedrivePolicy", "RedriveAllowPolicy"):
            if isinstance(result.get(key), str):
                result[key] = json.dumps(json.loads(result[key]), separators=(",", ":"))
        return result

    Queue.attributes = property(attributes)  # type: ignore[method-assign,assignment]


# --- DynamoDB tags ---------------------------------------------------------------------------------
#
# moto's TagResource appends, so re-tagging a key (a new Version tag on every deploy) leaves the
# old value beside the new one; AWS overwrites it. The provider then waits for ListTagsOfResource
# to match and times out after 2 minutes.


def merged_tags(current: list[dict[str, str]], new: list[dict[str, str]]) -> list[dict[str, str]]:
    """`current` with `new` applied as AWS does: a key that is tagged again takes the new value."""
    values = {tag["Key"]: tag["Value"] for tag in current}
    values.update({tag["Key"]: tag["Value"] for tag in new})
    return [{"Key": key, "Value": value} for key, value in values.items()]


def _patch_dynamodb_tags() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    def tag_resource(self: DynamoDBBackend, table_arn: str, tags: list[dict[str, str]]) -> None:
        for table in self.tables.values():
            if table.table_arn == table_arn:
                table.tags = merged_tags(table.tags, tags)

    DynamoDBBackend.tag_resource = tag_resource  # type: ignore[method-assign]


# --- API Gateway REST API tags ------------------------------------------------------------------
#
# moto tags only stages: TagResource/UntagResource on a REST API's ARN answer 404, so the
# first deploy of a new version (a new `Version` default tag on every resource) fails.


_REST_API_ARN = re.compile(r"arn:[^:]+:apigateway:[^:]*::/restapis/([^/]+)")


def rest_api_id(resource_arn: str) -> str | None:
    """The REST API id of `arn:aws:apigateway:<region>::/restapis/<id>`; None for a stage or
    anything else (moto handles stages itself)."""
    match = _REST_API_ARN.fullmatch(resource_arn)
    return match.group(1) if match else None


def _patch_apigateway_rest_api_tags() -> None:
    from urllib.parse import unquote

    from moto.apigateway import urls
    from moto.apigateway.responses import APIGatewayResponse

    # The server decodes the ARN's %2F before routing, so `/tags/<rest api arn>` matches no
    # route of moto's (it knows only stage ARNs there): add one.
    rest_api_route = (
        "{0}/tags/arn:(?P<partition>[^/]+):apigateway:(?P<region_name>[^/]+)::/restapis/(?P<api_id>[^/]+)$"
    )
    urls.url_paths.setdefault(rest_api_route, APIGatewayResponse.dispatch)

    original_tag = APIGatewayResponse.tag_resource
    original_untag = APIGatewayResponse.untag_resource

    def target(self: APIGatewayResponse) -> str | None:
        return rest_api_id(unquote(self.path.split("/tags/", 1)[1]))

    def tag_resource(self: APIGatewayResponse) -> str:
        api_id = target(self)
        if api_id is None:
            return str(original_tag(self))
        tags = self._get_param("tags") or {}
        api = self.backend.get_rest_api(api_id)
        api.tags = {**(api.tags or {}), **tags}
        return json.dumps({"item": tags})

    def untag_resource(self: APIGatewayResponse) -> str:
        api_id = target(self)
        if api_id is None:
            return str(original_untag(self))
        api = self.backend.get_rest_api(api_id)
        keys = set(self.querystring.get("tagKeys") or [])
        api.tags = {key: value for key, value in (api.tags or {}).items() if key not in keys}
        return json.dumps({"item": ""})

    APIGatewayResponse.tag_resource = tag_resource  # type: ignore[method-assign]
    APIGatewayResponse.untag_resource = untag_resource  # type: ignore[method-assign]


def install_extensions() -> None:
    """Patch moto in place. Idempotent; called before the server starts."""
    global _installed
    if _installed:
        return
    _patch_request_entry()
    _patch_sqs_long_polling()
    _patch_bucket_policies()
    _patch_lambda_configuration()
    _patch_s3_read_back()
    _patch_s3control_bucket_tags()
    _patch_create_bucket_tags()
    _patch_step_functions()
    _patch_state_machine_copies()
    _patch_codebuild()
    _patch_codepipeline()
    _patch_xray()
    _patch_autoscaling_tags()
    _patch_event_delivery()
    _patch_codebuild_event_targets()  # wraps the delivery above
    _patch_security_group_rule_descriptions()
    _patch_rds()
    _patch_sqs_redrive_policy()
    _patch_dynamodb_tags()
    _patch_apigateway_rest_api_tags()
    _installed = True


# --- Step Functions executions ---------------------------------------------------------------
#
# moto stores state machines but runs none unless its interpreter is switched on, and the
# interpreter calls the services a task names at http://localhost:<MOTO_PORT>, which this
# TLS-only server does not answer. Switched on before the first state machine is created (the
# interpreter keeps its own backend), with its calls sent here over TLS, a started execution
# runs: tasks moto can serve (events:putEvents, sqs:sendMessage, ...) act on this local AWS,
# the others (codebuild:startBuild.sync, ...) fail the execution.
#
# Each execution runs on a deep copy of its state machine, and moto's copy takes the machine's
# backend along with every execution in it (locks included), so the second execution in a
# region fails ("cannot pickle '_thread.RLock' object"). The copy here leaves both out.


def state_machine_copy(machine: Any, memo: dict[int, Any]) -> Any:
    """A deep copy of a moto state machine that shares its backend and has no executions."""
    import copy

    clone = copy.copy(machine)
    memo[id(machine)] = clone
    for name, value in vars(machine).items():
        if name not in ("backend", "executions"):
            setattr(clone, name, copy.deepcopy(value, memo))
    clone.executions = []
    return clone


def _patch_state_machine_copies() -> None:
    from moto.stepfunctions.models import StateMachineInstance

    StateMachineInstance.__deepcopy__ = state_machine_copy  # type: ignore[attr-defined]


def run_state_machines(endpoint: str, ca_bundle: str) -> None:
    """Let started executions run, their service calls going to `endpoint` (verified by
    `ca_bundle`). Needs `install_extensions()` (the state machine copies)."""
    import boto3
    from botocore.config import Config
    from moto.core.config import default_user_config
    from moto.stepfunctions.parser.asl.utils import boto_client

    default_user_config["stepfunctions"]["execute_state_machine"] = True
    moto_client_for = boto_client.boto_client_for

    def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=endpoint,
            verify=ca_bundle,
            aws_access_key_id="test",
            aws_secret_access_key="test",  # noqa: S106 - the local AWS checks no credentials
            config=Config(parameter_validation=False),  # as moto's own client: parameters pass as given
        )

    boto_client.boto_client_for = client_for  # modules imported from here on
    for module in list(sys.modules.values()):  # modules that imported it already
        if getattr(module, "boto_client_for", None) is moto_client_for:
            module.boto_client_for = client_for  # type: ignore[attr-defined]


# --- Account-prefixed host names ----------------------------------------------------------------
#
# The SDK puts the account id in front of S3 Control's host (`123456789012.<endpoint host>`),
# which no resolver maps to the local AWS. terraform gets HTTPS_PROXY pointing here: a CONNECT
# proxy on loopback that tunnels every such host to the local AWS. Requests to 127.0.0.1
# itself never use a proxy (Go and boto3 skip proxies for loopback addresses).


def serve_connect_proxy(listen_port: int, target_port: int) -> threading.Thread:
    """Tunnel `CONNECT <any host>:<port>` to 127.0.0.1:target_port, in a daemon thread."""
    import socketserver

    class Tunnel(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            request_line = self.rfile.readline(8192).decode("latin-1")
            while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                pass  # headers of the CONNECT request carry nothing we need
            if not request_line.startswith("CONNECT "):
                self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            with socket.create_connection(("127.0.0.1", target_port), timeout=30) as upstream:
                self.wfile.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                self.wfile.flush()
                pipe(self.connection, upstream)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", listen_port), Tunnel)
    thread = threading.Thread(target=server.serve_forever, name="connect-proxy", daemon=True)
    thread.start()
    return thread


def pipe(left: socket.socket, right: socket.socket) -> None:
    """Copy bytes both ways. A side that closes is passed on as a half-close, and the other
    direction keeps flowing until it closes too: closing the tunnel with bytes unread would
    reset the connection and lose the end of an answer (see lingering_close)."""
    peers = {left: right, right: left}
    while peers:
        readable, _, _ = select.select(list(peers), [], [], 60)
        if not readable:
            return  # idle for a minute: give up
        for source in readable:
            try:
                data = source.recv(65536)
                if data:
                    peers[source].sendall(data)
                    continue
                peers[source].shutdown(socket.SHUT_WR)
            except OSError:
                return  # a side reset: nothing left to deliver
            del peers[source]


# --- Closing connections without a reset --------------------------------------------------------
#
# werkzeug answers every request with `Connection: close` and closes the socket at once. If
# the client has sent anything the server has not read by then (its TLS close_notify, say),
# the kernel answers with a TCP reset, and the reset drops whatever of the answer is still in
# the send buffer. So the server closes the way web servers
# do (a lingering close): it stops writing, reads whatever the client still sends until the
# client closes, then closes. (Some answers are still lost under load; see the replay above.)

LINGER_SECONDS = 2.0
"""How long a closing connection waits for the client's side to close."""


def lingering_close(connection: socket.socket, linger: float = LINGER_SECONDS) -> None:
    """Half-close, drain until the peer closes (or `linger` runs out), then close."""
    deadline = time.monotonic() + linger
    try:
        connection.shutdown(socket.SHUT_WR)  # an SSLSocket drops its TLS layer here: raw reads follow
        while (left := deadline - time.monotonic()) > 0:
            connection.settimeout(left)
            if not connection.recv(65536):
                break
    except OSError:
        pass  # reset, timed out or already gone: nothing left to protect
    finally:
        connection.close()


def serve(host: str, port: int, cert: str, key: str) -> None:
    """moto's WSGI app on werkzeug's threaded server, over TLS, closing connections gently."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import ThreadedWSGIServer

    class Server(ThreadedWSGIServer):
        daemon_threads = True

        def shutdown_request(self, request: Any) -> None:
            lingering_close(request)

    app = DomainDispatcherApplication(create_backend_app)
    server = Server(host, port, app, ssl_context=(cert, key))
    print(f"local AWS: serving https://{host}:{port}", flush=True)
    server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    import argparse
    import signal

    # AWS-managed IAM policies (e.g. AWSLambdaVPCAccessExecutionRole) exist only when moto
    # loads them as its IAM backend starts.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    parser = argparse.ArgumentParser(prog="python -m infrarep_local_aws.server")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    parser.add_argument("-c", "--ssl-cert", required=True)
    parser.add_argument("-k", "--ssl-key", required=True)
    parser.add_argument("--proxy-port", type=int)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds some URLs from it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if args.proxy_port is not None:
        serve_connect_proxy(args.proxy_port, args.port)
    install_extensions()
    run_state_machines(f"https://{args.host}:{args.port}", args.ssl_cert)
    serve(args.host, args.port, args.ssl_cert, args.ssl_key)


if __name__ == "__main__":
    main()
