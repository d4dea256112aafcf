"""Drift reports in the config store: `drift-report --store` keeps one document per env in the
env's config bucket (where deploys keep its manifest), `--from-store` reads the newest back.

Each run writes `records.drift_report_key(env, checked_at)`, then `records.latest_drift_key(env)`:
an S3 put is all or nothing, and `latest.json` moves only once the run's own report is there.
The document is the json report of the env's part (`drift.env_part`) plus its `env` and
`checked_at`; its history says what was new since the report before it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import drift, records
from . import report as reporting
from .drift import DriftReport, History
from .errors import InfrarepError
from .ledger import EnvResources
from .records import Manifest


class StoreUnavailable(InfrarepError):
    """The config store could not be read or written."""


@dataclass(frozen=True)
class Previous:
    """What a run compares with: the envs' newest stored reports (an env without one is absent)."""

    reports: Mapping[str, reporting.ReadReport]

    def keys(self) -> frozenset[drift.FindingKey]:
        found = (drift.report_keys(read.report.findings) for read in self.reports.values())
        return frozenset().union(*found)

    def label(self) -> str:
        """What the history says it compared with."""
        if len(self.reports) == 1:
            ((env, read),) = self.reports.items()
            when = reporting.timestamp(read.checked_at) if read.checked_at else "?"
            return f"the previous stored report of {env} ({when})"
        return "each env's previous stored report"


def compare_with_previous(report: DriftReport, previous: Previous) -> History:
    """The report's drift against the previous stored reports: an env without one has only new drift."""
    return drift.compare(report.findings, previous.keys(), drift.covered_scopes(report), previous.label())


def env_document(report: DriftReport, env: str, history: History | None, checked_at: datetime) -> bytes:
    """The stored report of one env (pure)."""
    part = drift.env_part(report, env)
    own = drift.within(history, drift.covered_scopes(part)) if history is not None else None
    found: dict[str, Any] = reporting.document(part, own)
    found["env"] = env
    found["checked_at"] = reporting.timestamp(checked_at)
    return (json.dumps(found, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _url(where: EnvResources, key: str) -> str:
    return f"s3://{where.config_bucket}/{key}"


def write(s3: Any, where: EnvResources, body: bytes, checked_at: datetime) -> str:
    """Store one env's report (`env_document`): the dated object, then latest. Returns its URL."""
    dated = records.drift_report_key(where.env, checked_at)
    try:
        for key in (dated, records.latest_drift_key(where.env)):
            s3.put_object(Bucket=where.config_bucket, Key=key, Body=body, ContentType="application/json")
    except Exception as err:  # botocore's errors: one line naming the bucket
        raise StoreUnavailable(f"config store {where.config_bucket} ({where.region}): {err}") from err
    return _url(where, dated)


def _get(s3: Any, where: EnvResources, key: str) -> bytes | None:
    try:
        data: bytes = s3.get_object(Bucket=where.config_bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    except Exception as err:
        raise StoreUnavailable(f"config store {where.config_bucket} ({where.region}): {err}") from err
    return data


def read_latest(s3: Any, where: EnvResources) -> reporting.ReadReport | None:
    """The env's newest stored report; None if it was never checked with --store. Unreadable
    (truncated, another schema, another env's) is an error naming the object."""
    key = records.latest_drift_key(where.env)
    data = _get(s3, where, key)
    if data is None:
        return None
    found = reporting.read_document(data, _url(where, key))
    if found.env != where.env or found.checked_at is None:
        raise reporting.UnreadableReport(
            f"{_url(where, key)}: not a stored drift report of {where.env} (env {found.env!r}, "
            f"checked_at {found.checked_at})"
        )
    return found


def read_manifest(s3: Any, where: EnvResources) -> Manifest | None:
    """The config manifest the env's last deploy stored; None if there is none."""
    key = records.manifest_key(where.env)
    data = _get(s3, where, key)
    if data is None:
        return None
    try:
        return Manifest.from_json(data, where=_url(where, key))
    except records.InvalidRecord as err:
        raise StoreUnavailable(str(err)) from None
