"""`drift-report --notify`: tell each env's AWS what the report found.

Per env of the report: the `DriftDetected` metric (what the stack's alarm watches), a
message to the env's drift SNS topic when drift involves the env, and a `DRIFT_CHECK`
row in the env's ledger. Compared with a baseline (a history), the message tells only new
drift, and none is sent when nothing is new: each finding is told once, not at every run.
Building the metric data and the message is pure; `notify` is the adapter that sends them
(`ledger.Clients` come in from the caller).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import ledger, records, report
from .drift import DriftReport, History, Kind, ScopeSummary, Status, Verdict, scope_envs
from .errors import InfrarepError

SUBJECT_LIMIT = 100  # SNS
MESSAGE_FINDINGS = 50
"""At most this many findings per SNS message (the rest are counted); SNS takes 256 KiB."""
MESSAGE_VALUE_LIMIT = 200
REASON_LIMIT = 500


class NotifyFailed(InfrarepError):
    """The drift topic, the metric or the ledger could not be written."""


@dataclass(frozen=True)
class EnvTarget:
    """Where one env receives drift results (its stack's outputs)."""

    env: str
    region: str
    drift_topic_arn: str
    ledger_table: str
    config_bucket: str


def involves(scope: str, env: str) -> bool:
    return env in scope_envs(scope)


def metric_data(drift_report: DriftReport, env: str) -> list[dict[str, Any]]:
    """`DriftDetected` (1 drift, 0 none) for every scope involving `env`: dimensions Env + Kind
    (live, pending), SourceEnv + TargetEnv + Kind (parity), and Env alone (the stack's alarm)."""
    data = []
    found = False
    for summary in drift_report.summaries:
        if not involves(summary.scope, env):
            continue
        found = found or summary.drift > 0
        data.append(_datum(summary))
    data.append(
        {
            "MetricName": records.METRIC_DRIFT_DETECTED,
            "Dimensions": [{"Name": "Env", "Value": env}],
            "Value": 1.0 if found else 0.0,
            "Unit": "Count",
        }
    )
    return data


def _datum(summary: ScopeSummary) -> dict[str, Any]:
    if summary.kind is Kind.PARITY:
        source, target = scope_envs(summary.scope)
        dimensions = [{"Name": "SourceEnv", "Value": source}, {"Name": "TargetEnv", "Value": target}]
    else:
        dimensions = [{"Name": "Env", "Value": summary.scope}]
    return {
        "MetricName": records.METRIC_DRIFT_DETECTED,
        "Dimensions": [*dimensions, {"Name": "Kind", "Value": summary.kind.value}],
        "Value": 1.0 if summary.drift else 0.0,
        "Unit": "Count",
    }


def drift_involving(drift_report: DriftReport, env: str, history: History | None = None) -> int:
    """The drift findings involving `env` to tell: all of them, or with a history the new ones."""
    return sum(
        1
        for finding in drift_report.findings
        if finding.verdict is Verdict.DRIFT
        and involves(finding.scope, env)
        and (history is None or history.status(finding) is Status.NEW)
    )


def message(
    drift_report: DriftReport, env: str, history: History | None = None
) -> tuple[str, dict[str, Any]]:
    """Subject and JSON body of the SNS message about `env`: its summaries, then its drift (with
    a history, its new drift, and what it was compared with)."""
    full = report.document(drift_report, history)
    findings = [
        _cut_values(finding)
        for finding in full["findings"]
        if finding["verdict"] == Verdict.DRIFT.value
        and env in finding["envs"]
        and finding.get("status", Status.NEW.value) == Status.NEW.value
    ]
    body = {
        "env": env,
        "drift": bool(findings),
        "summary": [summary for summary in full["summary"] if env in summary["envs"]],
        "findings": findings[:MESSAGE_FINDINGS],
        "findings_not_listed": max(0, len(findings) - MESSAGE_FINDINGS),
        "manifest": full["manifests"].get(env),
    }
    if history is not None:
        body["compared_with"] = history.baseline
    new = "new " if history is not None else ""
    subject = f"infrarep: {new}drift involving {env}: {len(findings)} finding(s)"
    return subject[:SUBJECT_LIMIT], body


def _cut_values(finding: dict[str, Any]) -> dict[str, Any]:
    attributes = [
        {
            **attribute,
            "before": report.value_text(attribute["before"], MESSAGE_VALUE_LIMIT),
            "after": report.value_text(attribute["after"], MESSAGE_VALUE_LIMIT),
        }
        for attribute in finding["attributes"]
    ]
    return {**finding, "attributes": attributes}


def ledger_reason(drift_report: DriftReport, env: str) -> str:
    """`drift: live dev 4, parity staging~prod 1` or `no drift (live, parity)`."""
    parts = [
        f"{summary.kind.value} {summary.scope} {summary.drift}"
        for summary in drift_report.summaries
        if involves(summary.scope, env) and summary.drift
    ]
    if not parts:
        kinds = ", ".join(kind.value for kind in drift_report.kinds)
        return f"no drift ({kinds})"
    return (records.DRIFT_FOUND_PREFIX + ", ".join(parts))[:REASON_LIMIT]


def notify(
    clients_for: Callable[[EnvTarget], ledger.Clients],
    targets: Sequence[EnvTarget],
    drift_report: DriftReport,
    entries: Mapping[str, records.LedgerEntry],
    history: History | None = None,
) -> list[str]:
    """Send each target env its metric data, SNS message (only on drift; with a history, only
    on new drift) and ledger row. Returns one line per env saying what was sent."""
    done = []
    for target in targets:
        clients = clients_for(target)
        sent = []
        try:
            clients.cloudwatch.put_metric_data(
                Namespace=records.METRIC_NAMESPACE, MetricData=metric_data(drift_report, target.env)
            )
            sent.append("metric")
            if drift_involving(drift_report, target.env, history):
                subject, body = message(drift_report, target.env, history)
                clients.sns.publish(
                    TopicArn=target.drift_topic_arn,
                    Subject=subject,
                    Message=json.dumps(body, ensure_ascii=False, sort_keys=True),
                )
                sent.append("sns")
        except Exception as err:  # botocore errors share no useful base beyond this
            raise NotifyFailed(f"{target.env} ({target.region}): drift notification failed: {err}") from err
        entry = entries.get(target.env)
        if entry is not None:
            where = ledger.EnvResources(target.env, target.region, target.ledger_table, target.config_bucket)
            ledger.record(clients, where, entry)
            sent.append("ledger")
        done.append(f"{target.env}: {', '.join(sent)}")
    return done


def drift_check_entries(
    drift_report: DriftReport,
    envs: Iterable[str],
    *,
    at: datetime,
    event_ids: Mapping[str, str],
    version: str,
    source_commit: str,
    actor: str,
) -> dict[str, records.LedgerEntry]:
    """One DRIFT_CHECK row per env: SUCCEEDED (the check ran), the reason says what it found."""
    entries = {}
    for env in envs:
        built = drift_report.manifests.get(env)
        entries[env] = records.LedgerEntry.create(
            env=env,
            at=at,
            event_id=event_ids[env],
            version=version,
            source_commit=source_commit,
            event_type=records.EventType.DRIFT_CHECK,
            status=records.Status.SUCCEEDED,
            actor=actor,
            manifest_sha256=built.sha256() if built is not None else None,
            reason=ledger_reason(drift_report, env),
        )
    return entries
