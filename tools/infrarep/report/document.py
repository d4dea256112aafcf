"""The json report: one document, stable snake_case keys, every value in full; and reading one
back (`read_document`: a `--baseline` file, a report stored by `drift-report --store`).

With a history, each drift finding carries its `status` (new, persisting) and `history` lists
the keys of new, persisting and resolved drift; with check times, `checked` says when each env
was checked (null: never). A stored report adds its `env` and `checked_at`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..drift import (
    AttributeDiff,
    Change,
    DriftFinding,
    DriftReport,
    FindingKey,
    History,
    Kind,
    Marker,
    ScopeSummary,
    Verdict,
    scope_envs,
)
from ..errors import InfrarepError
from .common import plain, timestamp

SCHEMA_VERSION = 1


class UnreadableReport(InfrarepError):
    """A json drift report that cannot be read back: not JSON, truncated, another schema."""


def document(
    report: DriftReport,
    history: History | None = None,
    checked: Mapping[str, datetime | None] | None = None,
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "drift": report.drift,
        "envs": list(report.envs),
        "kinds": [kind.value for kind in report.kinds],
        "pairs": [list(pair) for pair in report.pairs],
        "summary": [_summary_document(summary) for summary in report.summaries],
        "findings": [_finding_document(finding, history) for finding in report.findings],
        "manifests": {
            env: {
                "version": built.version,
                "sha256": built.sha256(),
                "resources_sha256": built.resources_sha256(),
                "entries": built.entries,
            }
            for env, built in report.manifests.items()
        },
    }
    if history is not None:
        found["history"] = {
            "baseline": history.baseline,
            "new": [_key_document(key) for key in sorted(history.new)],
            "persisting": [_key_document(key) for key in sorted(history.persisting)],
            "resolved": [_key_document(key) for key in history.resolved],
        }
    if checked:
        found["checked"] = {env: timestamp(at) if at else None for env, at in checked.items()}
    return found


def _summary_document(summary: ScopeSummary) -> dict[str, Any]:
    return {
        "kind": summary.kind.value,
        "scope": summary.scope,
        "envs": list(scope_envs(summary.scope)),
        "resources": summary.resources,
        "drift": summary.drift,
        "expected": summary.expected,
        "unknown": summary.unknown,
        "normalised": summary.normalised,
    }


def _finding_document(finding: DriftFinding, history: History | None) -> dict[str, Any]:
    found = {
        "kind": finding.kind.value,
        "scope": finding.scope,
        "envs": list(scope_envs(finding.scope)),
        "address": finding.address,
        "type": finding.type,
        "change": finding.change.value,
        "verdict": finding.verdict.value,
        "reason": finding.reason,
        "attributes": [
            {
                "path": diff.path,
                "before": plain(diff.before),
                "after": plain(diff.after),
                "verdict": diff.verdict.value,
                "reason": diff.reason,
            }
            for diff in finding.attributes
        ],
    }
    if history is not None:
        status = history.status(finding)
        found["status"] = status.value if status else None
    return found


def _key_document(key: FindingKey) -> dict[str, str]:
    return {"scope": key.scope, "kind": key.kind.value, "address": key.address, "attribute": key.attribute}


def to_json(
    report: DriftReport,
    history: History | None = None,
    checked: Mapping[str, datetime | None] | None = None,
) -> str:
    return json.dumps(document(report, history, checked), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --- reading a json report back ---


@dataclass(frozen=True)
class ReadReport:
    report: DriftReport
    """Without manifests (a document holds their digests only) or inventory."""
    history: History | None = None
    env: str | None = None
    """A stored report's env."""
    checked_at: datetime | None = None
    """When a stored report's env was checked."""


def read_document(data: bytes | str, where: str) -> ReadReport:
    """A json report (or a stored one) read back; `where` (file, S3 URL) starts each error."""
    try:
        found = json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise UnreadableReport(f"{where}: not a whole JSON document, truncated or not JSON ({err})") from None
    if not isinstance(found, dict) or "schema_version" not in found:
        raise UnreadableReport(f"{where}: not a drift report (no schema_version)")
    if found["schema_version"] != SCHEMA_VERSION:
        raise UnreadableReport(
            f"{where}: a drift report of schema version {found['schema_version']!r}; this infrarep reads "
            f"version {SCHEMA_VERSION}",
            hint="read it with the infrarep that wrote it, or remove it",
        )
    try:
        return _read(found)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise UnreadableReport(f"{where}: not a drift report ({type(err).__name__}: {err})") from None


def _read(found: dict[str, Any]) -> ReadReport:
    report = DriftReport(
        envs=tuple(_strings(found["envs"])),
        kinds=tuple(Kind(kind) for kind in found["kinds"]),
        pairs=tuple(_pair(pair) for pair in found["pairs"]),
        findings=tuple(_read_finding(item) for item in found["findings"]),
        summaries=tuple(_read_summary(item) for item in found["summary"]),
    )
    history = None
    if found.get("history") is not None:
        stored = found["history"]
        history = History(
            baseline=str(stored["baseline"]),
            new=frozenset(_read_key(item) for item in stored["new"]),
            persisting=frozenset(_read_key(item) for item in stored["persisting"]),
            resolved=tuple(sorted(_read_key(item) for item in stored["resolved"])),
        )
    env = found.get("env")
    if env is not None and not isinstance(env, str):
        raise TypeError(f"env: expected a string, got {type(env).__name__}")
    checked_at = found.get("checked_at")
    return ReadReport(report, history, env, datetime.fromisoformat(checked_at) if checked_at else None)


def _strings(items: Any) -> list[str]:
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise TypeError(f"expected a list of strings, got {items!r:.80}")
    return items


def _pair(pair: Any) -> tuple[str, str]:
    left, right = _strings(pair)
    return left, right


def _value(value: Any) -> Any:
    """A value as the engine had it: a marker's text back to the marker."""
    if isinstance(value, str):
        for marker in Marker:
            if value == marker.value:
                return marker
    return value


def _text(item: Mapping[str, Any], name: str) -> str:
    value = item[name]
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected a string, got {type(value).__name__}")
    return value


def _read_finding(item: Mapping[str, Any]) -> DriftFinding:
    return DriftFinding(
        kind=Kind(item["kind"]),
        scope=_text(item, "scope"),
        address=_text(item, "address"),
        type=_text(item, "type"),
        change=Change(item["change"]),
        verdict=Verdict(item["verdict"]),
        reason=_text(item, "reason"),
        attributes=tuple(
            AttributeDiff(
                _text(diff, "path"),
                _value(diff["before"]),
                _value(diff["after"]),
                Verdict(diff["verdict"]),
                _text(diff, "reason"),
            )
            for diff in item["attributes"]
        ),
    )


def _read_summary(item: Mapping[str, Any]) -> ScopeSummary:
    numbers = [item[name] for name in ("resources", "drift", "expected", "unknown", "normalised")]
    if not all(isinstance(number, int) for number in numbers):
        raise TypeError(f"summary of {item.get('scope')!r}: counts must be integers")
    return ScopeSummary(Kind(item["kind"]), _text(item, "scope"), *numbers)


def _read_key(item: Mapping[str, Any]) -> FindingKey:
    return FindingKey(
        _text(item, "scope"), Kind(item["kind"]), _text(item, "address"), _text(item, "attribute")
    )
