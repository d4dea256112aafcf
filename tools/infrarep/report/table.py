"""The terminal table: the summary, then findings grouped by kind, scope and resource."""

from __future__ import annotations

from ..drift import DriftReport, History
from .common import (
    Checked,
    checked_lines,
    finding_reason,
    headline,
    hidden_count,
    section_title,
    sections,
    shown_attributes,
    status_of,
    value_text,
)

TABLE_VALUE_LIMIT = 60


def table(
    report: DriftReport,
    show_expected: bool = False,
    history: History | None = None,
    checked: Checked | None = None,
) -> str:
    lines = [headline(report)]
    lines += [f"  {line}" for line in checked_lines(checked)]
    if history is not None:
        lines.append(f"  {history.summary()}")
    lines.append("")
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
            status = status_of(finding, history)
            lines.append(
                f"  {f'[{status}] ' if status else ''}{finding.address}  [{finding.type}]  "
                f"{finding.change.value}: {finding_reason(finding)}"
            )
            attributes = shown_attributes(finding, show_expected)
            width = max((len(diff.path) for diff in attributes), default=0)
            for diff in attributes:
                before = value_text(diff.before, TABLE_VALUE_LIMIT)
                after = value_text(diff.after, TABLE_VALUE_LIMIT)
                lines.append(f"      {diff.path:<{width}}  {before} -> {after}")
                if diff.reason:
                    lines.append(f"      {'':<{width}}  {diff.verdict.value}: {diff.reason}")
    if history is not None and history.resolved:
        lines += ["", f"resolved since {history.baseline}"]
        lines += [f"  {key}" for key in history.resolved]
    return "\n".join(lines) + "\n"
