"""The drift report's formats: table (terminal), json, markdown (PR comments), html (one file).

Pure: a `drift.DriftReport` in, text out. Every format starts with the summary, then
groups details by kind, env or env pair, and resource. Long values are cut everywhere
except json, which carries every value in full. Sensitive values never reach a report:
the engine replaces them with `(sensitive)` before they get here.
"""

from __future__ import annotations

import html as html_escape
import json
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from .drift import AttributeDiff, DriftFinding, DriftReport, Kind, Marker, ScopeSummary, Verdict, scope_envs

SCHEMA_VERSION = 1
TABLE_VALUE_LIMIT = 60
MARKDOWN_VALUE_LIMIT = 80
HTML_VALUE_LIMIT = 120
HTML_MATRIX_ROWS = 2000
"""Above this many resources the html matrix lists only rows with a difference."""


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"


def render(report: DriftReport, fmt: Format, show_expected: bool = False) -> str:
    if fmt is Format.JSON:
        return to_json(report)
    if fmt is Format.MARKDOWN:
        return markdown(report, show_expected)
    if fmt is Format.HTML:
        return html(report, show_expected)
    return table(report, show_expected)


# --- values ---


def value_text(value: Any, limit: int | None = None) -> str:
    """A value as one line: markers as they are, everything else as JSON, cut to `limit`."""
    text = value.value if isinstance(value, Marker) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    if limit is not None and len(text) > limit:
        return f"{text[: limit - 1]}… ({len(text)} chars; full value in --format json)"
    return text


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Marker) else value


def _headline(report: DriftReport) -> str:
    state = "DRIFT FOUND" if report.drift else "no drift"
    return f"drift-report: {state} ({len(report.envs)} env(s): {', '.join(report.envs)})"


def _sections(report: DriftReport, show_expected: bool) -> list[tuple[Kind, str, list[DriftFinding]]]:
    """(kind, scope, findings) in report order, only the findings to show."""
    sections: list[tuple[Kind, str, list[DriftFinding]]] = []
    for finding in report.findings:
        if finding.verdict is Verdict.EXPECTED and not show_expected:
            continue
        if not sections or sections[-1][:2] != (finding.kind, finding.scope):
            sections.append((finding.kind, finding.scope, []))
        sections[-1][2].append(finding)
    return sections


def _attributes(finding: DriftFinding, show_expected: bool) -> list[AttributeDiff]:
    return [diff for diff in finding.attributes if show_expected or diff.verdict is Verdict.DRIFT]


def _hidden(report: DriftReport) -> int:
    return sum(
        1
        for finding in report.findings
        for item in (finding.attributes or (finding,))
        if item.verdict is Verdict.EXPECTED
    )


def _section_title(kind: Kind, scope: str) -> str:
    if kind is Kind.PARITY:
        left, right = scope_envs(scope)
        return f"parity · {scope}  (values: {left} -> {right})"
    if kind is Kind.LIVE:
        return f"live drift · {scope}  (values: recorded in state -> found in the cloud)"
    return f"pending changes · {scope}  (values: now -> after apply)"


def _finding_reason(finding: DriftFinding) -> str:
    if finding.reason:
        return finding.reason
    drift = sum(1 for diff in finding.attributes if diff.verdict is Verdict.DRIFT)
    expected = len(finding.attributes) - drift
    return f"{drift} drifted, {expected} expected attribute(s)"


# --- table ---


def table(report: DriftReport, show_expected: bool = False) -> str:
    lines = [_headline(report), ""]
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
    hidden = _hidden(report)
    if hidden and not show_expected:
        lines.append(
            f"  ({hidden} expected difference(s) not listed; --show-expected lists them with the reason)"
        )
    for kind, scope, findings in _sections(report, show_expected):
        lines += ["", _section_title(kind, scope)]
        for finding in findings:
            lines.append(
                f"  {finding.address}  [{finding.type}]  {finding.change.value}: {_finding_reason(finding)}"
            )
            attributes = _attributes(finding, show_expected)
            width = max((len(diff.path) for diff in attributes), default=0)
            for diff in attributes:
                before = value_text(diff.before, TABLE_VALUE_LIMIT)
                after = value_text(diff.after, TABLE_VALUE_LIMIT)
                lines.append(f"      {diff.path:<{width}}  {before} -> {after}")
                if diff.reason:
                    lines.append(f"      {'':<{width}}  {diff.verdict.value}: {diff.reason}")
    return "\n".join(lines) + "\n"


# --- json ---


def document(report: DriftReport) -> dict[str, Any]:
    """The json report: one document, stable snake_case keys, every value in full."""
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
                "before": _plain(diff.before),
                "after": _plain(diff.after),
                "verdict": diff.verdict.value,
                "reason": diff.reason,
            }
            for diff in finding.attributes
        ],
    }


def to_json(report: DriftReport) -> str:
    return json.dumps(document(report), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --- markdown ---


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_value(value: Any) -> str:
    text = _md(value_text(value, MARKDOWN_VALUE_LIMIT)).replace("`", "'")
    return f"`{text}`"


def markdown(report: DriftReport, show_expected: bool = False) -> str:
    lines = [f"## {_headline(report)}", ""]
    lines += [
        "| kind | scope | resources | drift | expected | unknown | noise |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for summary in report.summaries:
        lines.append(
            f"| {summary.kind.value} | {summary.scope} | {summary.resources} | {summary.drift} | "
            f"{summary.expected} | {summary.unknown} | {summary.normalised} |"
        )
    if report.manifests:
        lines += ["", "| env | manifest sha256 (resources) | entries |", "|---|---|---:|"]
        for env, built in report.manifests.items():
            lines.append(f"| {env} | `{built.resources_sha256()}` | {built.entries} |")
    hidden = _hidden(report)
    if hidden and not show_expected:
        lines += ["", f"_{hidden} expected difference(s) not listed (`--show-expected` lists them)._"]
    for kind, scope, findings in _sections(report, show_expected):
        lines += ["", f"### {_md(_section_title(kind, scope))}", ""]
        lines += ["| resource | attribute | before | after | verdict | why |", "|---|---|---|---|---|---|"]
        for finding in findings:
            resource = f"`{_md(finding.address)}`"
            attributes = _attributes(finding, show_expected)
            if not attributes:
                lines.append(
                    f"| {resource} | | | | {finding.verdict.value} | {_md(finding.change.value)}: "
                    f"{_md(_finding_reason(finding))} |"
                )
            for diff in attributes:
                lines.append(
                    f"| {resource} | `{_md(diff.path)}` | {_md_value(diff.before)} | "
                    f"{_md_value(diff.after)} | {diff.verdict.value} | {_md(diff.reason)} |"
                )
    return "\n".join(lines) + "\n"


# --- html ---

_STATES = {
    "drift": ("drift", "#f8d7da", "#842029"),
    "expected": ("expected", "#cfe2ff", "#084298"),
    "in_sync": ("in sync", "#d1e7dd", "#0f5132"),
    "absent": ("—", "#eeeeee", "#666666"),
}

_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; position: sticky; top: 0; }
td.num { text-align: right; }
code { font: 12px ui-monospace, monospace; word-break: break-all; }
.legend span { display: inline-block; padding: 2px 8px; margin-right: 6px; border-radius: 3px; }
""".strip()


def _e(text: str) -> str:
    return html_escape.escape(text, quote=True)


def _cell(state: str, why: str = "") -> str:
    label, background, colour = _STATES[state]
    title = f' title="{_e(why)}"' if why else ""
    return f'<td style="background:{background};color:{colour}"{title}>{_e(label)}</td>'


def _matrix(report: DriftReport) -> tuple[list[str], list[list[str]], int]:
    """Columns (each env, then each pair) and one row of cells per resource."""
    columns: list[tuple[Kind | None, str]] = []
    env_kinds = [kind for kind in report.kinds if kind is not Kind.PARITY]
    if env_kinds:
        columns += [(None, env) for env in report.envs]
    columns += [(Kind.PARITY, f"{left}~{right}") for left, right in report.pairs]
    verdicts: dict[tuple[str, str], tuple[str, str]] = {}
    for finding in report.findings:
        column = finding.scope
        state = "drift" if finding.verdict is Verdict.DRIFT else "expected"
        reason = _finding_reason(finding)
        previous = verdicts.get((column, finding.address))
        if previous is None or previous[0] != "drift":
            verdicts[(column, finding.address)] = (state, reason)
    present = {env: set(addresses) for env, addresses in report.inventory.items()}
    addresses = sorted(
        {address for _, address in verdicts} | {a for found in present.values() for a in found}
    )
    listed = addresses
    if len(addresses) > HTML_MATRIX_ROWS:
        listed = sorted({address for _, address in verdicts})
    rows = []
    for address in listed:
        cells = [f"<td><code>{_e(address)}</code></td>"]
        for _, column in columns:
            state_reason = verdicts.get((column, address))
            if state_reason:
                cells.append(_cell(*state_reason))
                continue
            envs = scope_envs(column)
            known = [env for env in envs if env in present]
            if known and not all(address in present[env] for env in known):
                cells.append(_cell("absent"))
            else:
                cells.append(_cell("in_sync"))
        rows.append(cells)
    return [column for _, column in columns], rows, len(addresses) - len(listed)


def html(report: DriftReport, show_expected: bool = False) -> str:
    title = _headline(report)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        "<table><tr><th>kind</th><th>scope</th><th>resources</th><th>drift</th><th>expected</th>"
        "<th>unknown</th><th>noise</th></tr>",
    ]
    for summary in report.summaries:
        parts.append(
            f"<tr><td>{summary.kind.value}</td><td>{_e(summary.scope)}</td>"
            + "".join(
                f"<td class=num>{number}</td>"
                for number in (
                    summary.resources,
                    summary.drift,
                    summary.expected,
                    summary.unknown,
                    summary.normalised,
                )
            )
            + "</tr>"
        )
    parts.append("</table>")
    if report.manifests:
        parts.append("<table><tr><th>env</th><th>manifest sha256 (resources)</th><th>entries</th></tr>")
        for env, built in report.manifests.items():
            parts.append(
                f"<tr><td>{_e(env)}</td><td><code>{built.resources_sha256()}</code></td>"
                f"<td class=num>{built.entries}</td></tr>"
            )
        parts.append("</table>")
    columns, rows, left_out = _matrix(report)
    parts.append("<h2>Resources by env and env pair</h2>")
    parts.append(
        '<p class="legend">'
        + "".join(
            f'<span style="background:{background};color:{colour}">{_e(label)}</span>'
            for label, background, colour in (_STATES[state] for state in ("in_sync", "expected", "drift"))
        )
        + f'<span style="background:{_STATES["absent"][1]}">— not in that env</span>'
        + " Hover a cell for the reason.</p>"
    )
    parts.append(
        "<table><tr><th>resource</th>" + "".join(f"<th>{_e(column)}</th>" for column in columns) + "</tr>"
    )
    parts += ["<tr>" + "".join(cells) + "</tr>" for cells in rows]
    parts.append("</table>")
    if left_out:
        parts.append(f"<p>{left_out} resources in sync in every column are not listed.</p>")
    for kind, scope, findings in _sections(report, show_expected):
        parts.append(f"<h2>{_e(_section_title(kind, scope))}</h2>")
        parts.append(
            "<table><tr><th>resource</th><th>attribute</th><th>before</th><th>after</th><th>verdict</th><th>why</th></tr>"
        )
        for finding in findings:
            parts += _html_rows(finding, show_expected)
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_value(value: Any) -> str:
    full = value_text(value)
    shown = value_text(value, HTML_VALUE_LIMIT)
    title = f' title="{_e(full)}"' if shown != full else ""
    return f"<code{title}>{_e(shown)}</code>"


def _html_rows(finding: DriftFinding, show_expected: bool) -> Iterable[str]:
    resource = f"<code>{_e(finding.address)}</code><br><small>{_e(finding.type)}</small>"
    attributes = _attributes(finding, show_expected)
    if not attributes:
        state = "drift" if finding.verdict is Verdict.DRIFT else "expected"
        yield (
            f"<tr><td>{resource}</td><td></td><td></td><td></td>{_cell(state)}"
            f"<td>{_e(finding.change.value)}: {_e(_finding_reason(finding))}</td></tr>"
        )
        return
    for diff in attributes:
        state = "drift" if diff.verdict is Verdict.DRIFT else "expected"
        yield (
            f"<tr><td>{resource}</td><td><code>{_e(diff.path)}</code></td><td>{_html_value(diff.before)}</td>"
            f"<td>{_html_value(diff.after)}</td>{_cell(state)}<td>{_e(diff.reason)}</td></tr>"
        )
