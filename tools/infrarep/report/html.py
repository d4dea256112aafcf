"""The html report an on-call engineer opens: one self-contained file (no script, nothing
fetched), an env x resource matrix whose cells say what they are and why, then the details.

Live drift, pending changes, the creates of an env never applied, expected and unknown
differences each have their own cell state; the page title names the envs that drifted.
"""

from __future__ import annotations

import html as html_escape
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..drift import Change, DriftFinding, DriftReport, History, Kind, Verdict, scope_envs
from .common import (
    Checked,
    checked_lines,
    cut,
    drifted_envs,
    finding_reason,
    headline,
    not_applied,
    section_title,
    sections,
    shown_attributes,
    status_of,
    value_text,
)

HTML_VALUE_LIMIT = 120
HTML_REASON_LIMIT = 110
"""Reasons in matrix cells are cut here (drift and unknown at twice that); the details below and
the cell's tooltip have them whole."""
HTML_MATRIX_ROWS = 2000
"""Above this many resources the html matrix lists only rows with a difference."""


@dataclass(frozen=True)
class State:
    name: str
    label: str
    background: str
    colour: str
    rank: int
    """The cell takes the colour of its highest-ranked entry."""


STATES = {
    state.name: state
    for state in (
        State("live", "live drift", "#f8d7da", "#842029", 7),
        State("drift", "parity drift", "#f8d7da", "#842029", 7),
        State("unknown", "unknown", "#e2d9f3", "#432874", 6),
        State("pending", "pending change", "#ffe5b4", "#7a4100", 5),
        State("creation", "pending creation", "#e9ecef", "#41464b", 4),
        State("expected", "expected", "#cfe2ff", "#084298", 3),
        State("in_sync", "in sync", "#d1e7dd", "#0f5132", 2),
        State("absent", "not in that env", "#f8f9fa", "#6c757d", 1),
    )
}

_CSS = "\n".join(
    [
        "body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }",
        "h1 { font-size: 1.4em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; margin-top: 2em; }",
        ".sub { color: #555; margin-top: 0; }",
        "table { border-collapse: collapse; margin: 0.5em 0 1em; }",
        "th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }",
        "th { background: #f4f4f4; position: sticky; top: 0; }",
        "th small { display: block; font-weight: normal; color: #41464b; }",
        "td.num { text-align: right; }",
        "code { font: 12px ui-monospace, monospace; word-break: break-all; }",
        "table.matrix td:first-child code { word-break: normal; white-space: nowrap; }",
        ".entry + .entry { margin-top: 4px; border-top: 1px dashed rgba(0, 0, 0, 0.25); padding-top: 3px; }",
        ".label { font-weight: 600; white-space: nowrap; }",
        ".why { display: block; font-size: 12px; max-width: 22em; overflow-wrap: anywhere; }",
        ".legend span { display: inline-block; padding: 2px 8px; margin: 0 6px 4px 0; border-radius: 3px; }",
        "ul.glance { padding-left: 1.2em; } ul.glance li { margin: 2px 0; }",
        "details summary { cursor: pointer; font-weight: 600; margin: 1.5em 0 0.5em; }",
        *(
            f".st-{state.name} {{ background: {state.background}; color: {state.colour}; }}"
            for state in STATES.values()
        ),
    ]
)


def _e(text: str) -> str:
    return html_escape.escape(text, quote=True)


def page_title(report: DriftReport) -> str:
    """What a browser tab says: the envs that drifted (not every env looked at)."""
    drifted = drifted_envs(report)
    parts = [f"DRIFT in {', '.join(drifted)}" if drifted else "no drift"]
    unknown = sum(1 for finding in report.findings if finding.verdict is Verdict.UNKNOWN)
    if unknown:
        parts.append(f"{unknown} unknown")
    never_applied = not_applied(report)
    if never_applied:
        parts.append(f"not applied yet: {', '.join(never_applied)}")
    return f"infrarep drift report: {'; '.join(parts)}"


def finding_state(finding: DriftFinding) -> str:
    if finding.verdict is Verdict.EXPECTED:
        return "expected"
    if finding.verdict is Verdict.UNKNOWN:
        return "unknown"
    if finding.kind is Kind.LIVE:
        return "live"
    if finding.kind is Kind.PARITY:
        return "drift"
    return "creation" if finding.change is Change.CREATE else "pending"


def cell_reason(finding: DriftFinding) -> str:
    """Why, in a matrix cell: the finding's reason and the attributes that carry its verdict."""
    carrying = [diff for diff in finding.attributes if diff.verdict is finding.verdict] or list(
        finding.attributes
    )
    if finding.reason:
        paths = ", ".join(diff.path for diff in carrying)
        return f"{finding.reason}: {paths}" if paths else finding.reason
    return "; ".join(f"{diff.path}: {diff.reason}" if diff.reason else diff.path for diff in carrying)


def _entry_label(finding: DriftFinding, state: str) -> str:
    if state == "pending":
        return f"pending {finding.change.value}"
    if state == "unknown" and finding.kind is not Kind.PARITY:
        return f"{finding.kind.value}: unknown"
    return STATES[state].label


def _entry(state: str, label: str, why: str = "") -> str:
    shown = cut(why, HTML_REASON_LIMIT * (2 if STATES[state].rank >= STATES["unknown"].rank else 1))
    title = f' title="{_e(why)}"' if why and shown != why else ""
    reason = f'<span class="why"{title}>{_e(shown)}</span>' if why else ""
    return f'<div class="entry st-{state}"><span class="label">{_e(label)}</span>{reason}</div>'


def _cell(entries: Sequence[tuple[str, str, str]]) -> str:
    """A matrix cell of (state, label, reason) entries, coloured by its highest-ranked one."""
    top = max(entries, key=lambda entry: STATES[entry[0]].rank)[0]
    return f'<td class="cell st-{top}" data-state="{top}">' + "".join(_entry(*e) for e in entries) + "</td>"


def _plain_cell(state: str) -> str:
    label = "—" if state == "absent" else STATES[state].label
    return f'<td class="cell st-{state}" data-state="{state}">{_e(label)}</td>'


def _matrix(report: DriftReport) -> tuple[list[str], list[list[str]], int]:
    """Columns (each env, then each pair) and one row of cells per resource."""
    columns: list[str] = []
    if any(kind is not Kind.PARITY for kind in report.kinds):
        columns += list(report.envs)
    columns += [f"{left}~{right}" for left, right in report.pairs]
    entries: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for finding in report.findings:
        state = finding_state(finding)
        # A create needs no reason in its cell: "pending creation" says it all.
        reason = "" if state == "creation" else cell_reason(finding)
        entries.setdefault((finding.scope, finding.address), []).append(
            (state, _entry_label(finding, state), reason)
        )
    present = {env: set(addresses) for env, addresses in report.inventory.items()}
    addresses = sorted({address for _, address in entries} | {a for found in present.values() for a in found})
    listed = addresses
    if len(addresses) > HTML_MATRIX_ROWS:
        listed = sorted({address for _, address in entries})
    rows = []
    for address in listed:
        cells = [f"<td><code>{_e(address)}</code></td>"]
        for column in columns:
            found = entries.get((column, address))
            if found:
                cells.append(_cell(found))
                continue
            known = [env for env in scope_envs(column) if env in present]
            absent = known and not all(address in present[env] for env in known)
            cells.append(_plain_cell("absent" if absent else "in_sync"))
        rows.append(cells)
    return columns, rows, len(addresses) - len(listed)


def _glance(report: DriftReport) -> list[str]:
    """One line per env and pair: what there is to act on."""
    never_applied = not_applied(report)
    by_scope: dict[str, Counter[str]] = {}
    for finding in report.findings:
        by_scope.setdefault(finding.scope, Counter())[finding_state(finding)] += 1
    scopes = [*report.envs, *(f"{left}~{right}" for left, right in report.pairs)]
    lines = []
    for scope in scopes:
        counts = by_scope.get(scope, Counter())
        parts = []
        if counts["live"]:
            parts.append(f"live drift in {counts['live']} resource(s)")
        if counts["drift"]:
            parts.append(f"parity drift in {counts['drift']} resource(s)")
        if scope in never_applied:
            parts.append(f"not applied yet: {counts['creation']} resource(s) to create")
        elif counts["pending"] or counts["creation"]:
            parts.append(f"{counts['pending'] + counts['creation']} pending change(s)")
        if counts["unknown"]:
            parts.append(f"{counts['unknown']} unknown")
        if counts["expected"]:
            parts.append(f"{counts['expected']} expected")
        state = next(
            (name for name in ("live", "drift", "unknown", "pending", "creation") if counts[name]), "in_sync"
        )
        text = "; ".join(parts) or "in sync"
        lines.append(f'<li><b class="st-{state}">{_e(scope)}</b> {_e(text)}</li>')
    return lines


def html(
    report: DriftReport,
    show_expected: bool = False,
    history: History | None = None,
    checked: Checked | None = None,
) -> str:
    title = page_title(report)
    never_applied = not_applied(report)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="sub">{_e(headline(report))}</p>',
        *(f'<p class="sub">{_e(line)}</p>' for line in checked_lines(checked)),
        *([f'<p class="sub">{_e(history.summary())}</p>'] if history is not None else []),
        '<ul class="glance">',
        *_glance(report),
        "</ul>",
        "<table><tr><th>kind</th><th>scope</th><th>resources</th><th>drift</th><th>expected</th>"
        "<th>unknown</th><th>noise</th></tr>",
    ]
    for summary in report.summaries:
        numbers = (summary.resources, summary.drift, summary.expected, summary.unknown, summary.normalised)
        parts.append(
            f"<tr><td>{summary.kind.value}</td><td>{_e(summary.scope)}</td>"
            + "".join(f"<td class=num>{number}</td>" for number in numbers)
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
        + "".join(f'<span class="st-{state.name}">{_e(state.label)}</span>' for state in STATES.values())
        + "<br>An env's column tells live drift (changed outside terraform) from pending changes "
        "(what an apply would do); a pair's column is parity. Each cell says why.</p>"
    )
    headers = "".join(
        f"<th>{_e(column)}<small>not applied yet</small></th>"
        if column in never_applied
        else f"<th>{_e(column)}</th>"
        for column in columns
    )
    parts.append(f"<table class=matrix><tr><th>resource</th>{headers}</tr>")
    parts += ["<tr>" + "".join(cells) + "</tr>" for cells in rows]
    parts.append("</table>")
    if left_out:
        parts.append(f"<p>{left_out} resources in sync in every column are not listed.</p>")
    folded = []
    for kind, scope, findings in sections(report, show_expected):
        table = [
            "<table><tr><th>resource</th><th>attribute</th><th>before</th><th>after</th><th>verdict</th>"
            "<th>why</th></tr>",
            *(row for finding in findings for row in _detail_rows(finding, show_expected, history)),
            "</table>",
        ]
        heading = _e(section_title(kind, scope))
        if kind is Kind.PENDING and scope in never_applied:
            summary = f"{heading}: not applied yet, {len(findings)} resource(s) to create"
            folded += [f"<details><summary>{summary}</summary>", *table, "</details>"]
        else:
            parts += [f"<h2>{heading}</h2>", *table]
    if history is not None and history.resolved:
        parts.append(f"<h2>{_e(f'resolved since {history.baseline}')}</h2>")
        parts += ["<ul>", *(f"<li><code>{_e(str(key))}</code></li>" for key in history.resolved), "</ul>"]
    parts += folded
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_value(value: Any) -> str:
    full = value_text(value)
    shown = value_text(value, HTML_VALUE_LIMIT)
    title = f' title="{_e(full)}"' if shown != full else ""
    return f"<code{title}>{_e(shown)}</code>"


def _verdict_cell(state: str, label: str) -> str:
    return f'<td class="st-{state}" data-state="{state}">{_e(label)}</td>'


def _detail_rows(finding: DriftFinding, show_expected: bool, history: History | None) -> Iterable[str]:
    status = status_of(finding, history)
    tag = f"<b>{_e(status)}</b> " if status else ""
    resource = f"{tag}<code>{_e(finding.address)}</code><br><small>{_e(finding.type)}</small>"
    state = finding_state(finding)
    attributes = shown_attributes(finding, show_expected)
    if not attributes:
        verdict = _verdict_cell(state, _entry_label(finding, state))
        yield (
            f"<tr><td>{resource}</td><td></td><td></td><td></td>{verdict}"
            f"<td>{_e(finding.change.value)}: {_e(finding_reason(finding))}</td></tr>"
        )
        return
    for diff in attributes:
        diff_state = {Verdict.EXPECTED: "expected", Verdict.UNKNOWN: "unknown"}.get(diff.verdict, state)
        label = _entry_label(finding, diff_state) if diff_state == state else STATES[diff_state].label
        yield (
            f"<tr><td>{resource}</td><td><code>{_e(diff.path)}</code></td><td>{_html_value(diff.before)}</td>"
            f"<td>{_html_value(diff.after)}</td>{_verdict_cell(diff_state, label)}"
            f"<td>{_e(diff.reason or finding_reason(finding))}</td></tr>"
        )
