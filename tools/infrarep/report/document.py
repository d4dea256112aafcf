"""The json report: one document, stable snake_case keys, every value in full."""

from __future__ import annotations

import json
from typing import Any

from ..drift import DriftFinding, DriftReport, ScopeSummary, scope_envs
from .common import plain

SCHEMA_VERSION = 1


def document(report: DriftReport) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "drift": report.drift,
        "envs": list(report.envs),
        "kinds": [kind.value for kind in report.kinds],
        "pairs": [list(pair) for pair in report.pairs],
        "summary": [_summary_document(summary) for summary in report.summaries],
        "findings": [_finding_document(finding) for finding in report.findings],
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


def _finding_document(finding: DriftFinding) -> dict[str, Any]:
    return {
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


def to_json(report: DriftReport) -> str:
    return json.dumps(document(report), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
