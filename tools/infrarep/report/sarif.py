"""SARIF 2.1.0 for code scanning: one result per finding to act on, at the resource's block.

Pure: where each resource is written arrives as `Sources` (resource address -> file and line,
read from the HCL elsewhere; env -> its root's main file as the fallback). A finding found in
neither has a logical location only (its address), which code scanning cannot place on a line.
Drift is an error, an unknown verdict a warning; expected differences are notes, only with
--show-expected.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..drift import DriftFinding, DriftReport, History, Kind, Status, Verdict, scope_envs
from .common import finding_reason, value_text

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "infrarep"
MESSAGE_VALUE_LIMIT = 200
FINGERPRINT = "infrarepFinding/v1"
"""The partialFingerprints key: a finding keeps its alert across runs however its line moves."""

_LEVELS = {Verdict.DRIFT: "error", Verdict.UNKNOWN: "warning", Verdict.EXPECTED: "note"}
_BASELINE_STATES = {Status.NEW: "new", Status.PERSISTING: "unchanged"}
"""SARIF's `baselineState` of a result compared with a baseline."""
_INSTANCE_KEY = re.compile(r"\[[^\]]*\]")


@dataclass(frozen=True)
class SourceLocation:
    path: str
    """Relative to the repository root, `/`-separated (the SARIF uri under %SRCROOT%)."""
    line: int = 1


@dataclass(frozen=True)
class Sources:
    blocks: Mapping[str, SourceLocation] = field(default_factory=dict)
    """Resource address (with or without instance keys) -> the line of its block."""
    env_roots: Mapping[str, SourceLocation] = field(default_factory=dict)
    """Env -> its root's main file: where a finding without a block of its own is shown."""


@dataclass(frozen=True)
class _Rule:
    id: str
    name: str
    short: str
    full: str


RULES = {
    Kind.LIVE: _Rule(
        "infrarep/live-drift",
        "LiveDrift",
        "Changed outside terraform",
        "The cloud no longer matches the state terraform recorded: something changed or deleted "
        "the resource outside terraform.",
    ),
    Kind.PENDING: _Rule(
        "infrarep/pending-change",
        "PendingChange",
        "Terraform would change the deployed resource",
        "Applying the code would create, update, replace or delete the resource: the env does not "
        "run what the code says.",
    ),
    Kind.PARITY: _Rule(
        "infrarep/parity-drift",
        "ParityDrift",
        "Envs differ in something that is not a per-env setting",
        "Two neighbouring envs plan a different value that no declared per-env variable, "
        "provider-assigned value or accepted policy entry explains.",
    ),
}


def sarif_document(
    report: DriftReport,
    sources: Sources = Sources(),
    show_expected: bool = False,
    tool_version: str = "",
    history: History | None = None,
) -> dict[str, Any]:
    """With a history, each drift result has its `baselineState` (new, unchanged) and the run's
    properties list the drift resolved since the baseline (a result needs a rule's finding)."""
    kinds = list(Kind)
    driver: dict[str, Any] = {
        "name": TOOL_NAME,
        "rules": [_rule_document(RULES[kind]) for kind in kinds],
    }
    if tool_version:
        driver["version"] = tool_version
    results = [
        _result(finding, kinds.index(finding.kind), sources, history)
        for finding in report.findings
        if finding.verdict is not Verdict.EXPECTED or show_expected
    ]
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "automationDetails": {"id": "infrarep/drift-report/"},
        "results": results,
    }
    if history is not None:
        run["properties"] = {
            "baseline": history.baseline,
            "resolved": [str(key) for key in history.resolved],
        }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def sarif(
    report: DriftReport,
    sources: Sources = Sources(),
    show_expected: bool = False,
    tool_version: str = "",
    history: History | None = None,
) -> str:
    document = sarif_document(report, sources, show_expected, tool_version, history)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _rule_document(rule: _Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.short},
        "fullDescription": {"text": rule.full},
        "help": {"text": f"{rule.full} See docs/drift.md.", "markdown": f"{rule.full} See `docs/drift.md`."},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["terraform", "drift"], "precision": "high"},
    }


def _result(
    finding: DriftFinding, rule_index: int, sources: Sources, history: History | None
) -> dict[str, Any]:
    logical = {"fullyQualifiedName": finding.address, "name": finding.type, "kind": "resource"}
    location: dict[str, Any] = {"logicalLocations": [logical]}
    where = source_of(finding, sources)
    if where is not None:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": where.path, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": max(where.line, 1)},
        }
    identity = "\0".join((finding.kind.value, finding.scope, finding.address, finding.change.value))
    found: dict[str, Any] = {
        "ruleId": RULES[finding.kind].id,
        "ruleIndex": rule_index,
        "level": _LEVELS[finding.verdict],
        "message": {"text": _message(finding)},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT: hashlib.sha256(identity.encode()).hexdigest()[:32]},
        "properties": {
            "scope": finding.scope,
            "verdict": finding.verdict.value,
            "change": finding.change.value,
        },
    }
    status = history.status(finding) if history is not None else None
    if status is not None:
        found["baselineState"] = _BASELINE_STATES[status]
    return found


def source_of(finding: DriftFinding, sources: Sources) -> SourceLocation | None:
    """The resource's block (its address as is, then without instance keys), else the main file
    of the env root the finding is about (for a pair, the later env's first)."""
    for address in (finding.address, _INSTANCE_KEY.sub("", finding.address)):
        if address in sources.blocks:
            return sources.blocks[address]
    for env in reversed(scope_envs(finding.scope)):
        if env in sources.env_roots:
            return sources.env_roots[env]
    return None


def _message(finding: DriftFinding) -> str:
    lines = [f"{finding.kind.value} · {finding.scope}: {finding.address} {finding.change.value}"]
    reason = finding_reason(finding)
    if reason:
        lines[0] += f": {reason}"
    for diff in finding.attributes:
        before = value_text(diff.before, MESSAGE_VALUE_LIMIT)
        after = value_text(diff.after, MESSAGE_VALUE_LIMIT)
        line = f"- {diff.path}: {before} -> {after} ({diff.verdict.value}"
        lines.append(line + (f": {diff.reason})" if diff.reason else ")"))
    return "\n".join(lines)
