"""The terminal table: the summary, then findings grouped by kind, scope and resource."""

from __future__ import annotations

from ..drift import DriftReport
from .common import (
    finding_reason,
    headline,
    hidden_count,
    section_title,
    sections,
    shown_attributes,
    value_text,
)

TABLE_VALUE_LIMIT = 60


def table(report: DriftReport, show_expected: bool = False) -> str:
    lines = [headline(report), ""]
    header = ("kind", "scope", "resources", "drift", "expected", "unknown", "noise")
    lines.append("  {:<8} {:<20} {:>9} {:>6} {:>8} {:>8} {:>6}".format(*header))
    for summary in report.summaries:
        lines.append(
            f"  {summary.kind.value:<8} {summary.scope:<20} {summary.resources:>9} {summary.drift:>6} "
            f"{summary.expected:>8} {summary.unknown:>8} {summary.normalised:>6}"
        )
    for env, built in report.manifests.items():
        lines.append(
            f"  manifest {env:<12} sha256:{built.resources_sha256()[:16]}  ({built.entries} entries)"
        )
    hidden = hidden_count(report)
    if hidden and not show_expected:
        lines.append(
            f"  ({hidden} expected difference(s) not listed; --show-expected lists them with the reason)"
        )
    for kind, scope, findings in sections(report, show_expected):
        lines += ["", section_title(kind, scope)]
        for finding in findings:
            lines.append(
                f"  {finding.address}  [{finding.type}]  {finding.change.value}: {finding_reason(finding)}"
            )
            attributes = shown_attributes(finding, show_expected)
            width = max((len(diff.path) for diff in attributes), default=0)
            for diff in attributes:
                before = value_text(diff.before, TABLE_VALUE_LIMIT)
                after = value_text(diff.after, TABLE_VALUE_LIMIT)
                lines.append(f"      {diff.path:<{width}}  {before} -> {after}")
                if diff.reason:
                    lines.append(f"      {'':<{width}}  {diff.verdict.value}: {diff.reason}")
    return "\n".join(lines) + "\n"
