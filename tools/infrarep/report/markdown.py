"""Markdown for a pull request comment: the summary, then a table per kind and scope.

Values stay verbatim in code spans (a backtick run longer than any inside the value), long
hashes are shortened, and the whole comment stays under GitHub's limit: past it, the summary,
as many rows as fit, and a line saying where the full report is. The sections of an env never
applied are folded and come last: their creates are not drift to chase.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..drift import DriftFinding, DriftReport, History, Kind
from .common import (
    Checked,
    checked_lines,
    cut,
    finding_reason,
    headline,
    hidden_count,
    not_applied,
    section_title,
    sections,
    shown_attributes,
    status_of,
    value_text,
)

MARKDOWN_VALUE_LIMIT = 80
MARKDOWN_REASON_LIMIT = 300
COMMENT_LIMIT = 65_536
"""GitHub's limit on a comment body, in characters."""
HASH_SHOWN = 12

_HASHES = (
    re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{32,}(?![0-9A-Za-z])"),  # md5, sha1, sha256 as hex
    re.compile(r"(?<![0-9A-Za-z+/])[0-9A-Za-z+/]{43}=(?![0-9A-Za-z+/=])"),  # sha256 as base64
)
_ROW_HEADER = ["| resource | attribute | before | after | verdict | why |", "|---|---|---|---|---|---|"]


def shorten_hashes(text: str) -> str:
    for pattern in _HASHES:
        text = pattern.sub(lambda match: f"{match.group(0)[:HASH_SHOWN]}…", text)
    return text


def code_span(text: str) -> str:
    """`text` verbatim as inline code inside a table cell."""
    if not text:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    # A span that starts or ends with a backtick needs a space inside the fence; so does one
    # that starts and ends with a space (markdown strips one space from each side).
    padded = text[0] == "`" or text[-1] == "`" or (text[0] == " " and text[-1] == " " and text.strip())
    pad = " " if padded else ""
    return f"{fence}{pad}{text}{pad}{fence}".replace("|", "\\|")


def _text(text: str) -> str:
    """Plain text inside a table cell: one line, nothing markdown or html would act on."""
    escaped = text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`").replace("<", "&lt;")
    return escaped.replace("\n", " ")


def _values(before: Any, after: Any) -> tuple[str, str]:
    """Both sides as code; hashes shortened unless that would make the two sides look equal."""
    texts = value_text(before, MARKDOWN_VALUE_LIMIT), value_text(after, MARKDOWN_VALUE_LIMIT)
    short = shorten_hashes(texts[0]), shorten_hashes(texts[1])
    if short[0] == short[1] and texts[0] != texts[1]:
        short = texts
    return code_span(short[0]), code_span(short[1])


@dataclass
class _Section:
    opening: list[str]
    rows: list[str] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)


def markdown(
    report: DriftReport,
    show_expected: bool = False,
    full_report_url: str | None = None,
    limit: int = COMMENT_LIMIT,
    history: History | None = None,
    checked: Checked | None = None,
) -> str:
    head = _summary(report, show_expected, history, checked)
    body = _sections(report, show_expected, history)
    whole = "\n".join(head + [line for section in body for line in _lines(section)]) + "\n"
    if len(whole) <= limit:
        return whole
    return _cut(head, body, full_report_url, limit)


def _lines(section: _Section) -> list[str]:
    return section.opening + section.rows + section.closing


def _summary(
    report: DriftReport, show_expected: bool, history: History | None, checked: Checked | None
) -> list[str]:
    lines = [f"## {_text(headline(report))}", ""]
    if checked:
        lines += [f"- {_text(line)}" for line in checked_lines(checked)] + [""]
    if history is not None:
        lines += [f"_{_text(history.summary())}_", ""]
    lines += [
        "| kind | scope | resources | drift | expected | unknown | noise |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for summary in report.summaries:
        lines.append(
            f"| {summary.kind.value} | {_text(summary.scope)} | {summary.resources} | {summary.drift} | "
            f"{summary.expected} | {summary.unknown} | {summary.normalised} |"
        )
    if report.manifests:
        lines += ["", "| env | manifest sha256 (resources) | entries |", "|---|---|---:|"]
        for env, built in report.manifests.items():
            lines.append(f"| {_text(env)} | `{built.resources_sha256()[:HASH_SHOWN]}` | {built.entries} |")
    for env in not_applied(report):
        lines += ["", f"_{_text(env)}: not applied yet; its creates are folded below, they are not drift._"]
    hidden = hidden_count(report)
    if hidden and not show_expected:
        lines += ["", f"_{hidden} expected difference(s) not listed (`--show-expected` lists them)._"]
    return lines


def _sections(report: DriftReport, show_expected: bool, history: History | None) -> list[_Section]:
    never_applied = not_applied(report)
    chosen: list[_Section] = []
    folded: list[_Section] = []
    for kind, scope, findings in sections(report, show_expected):
        rows = [row for finding in findings for row in _rows(finding, show_expected, history)]
        title = _text(section_title(kind, scope))
        if kind is Kind.PENDING and scope in never_applied:
            summary = f"{title}: not applied yet, {len(findings)} resource(s) to create"
            opening = ["", f"<details><summary>{summary}</summary>", "", *_ROW_HEADER]
            folded.append(_Section(opening, rows, ["", "</details>"]))
        else:
            chosen.append(_Section(["", f"### {title}", "", *_ROW_HEADER], rows))
    if history is not None and history.resolved:
        title = _text(f"resolved since {history.baseline}")
        resolved = [f"- {_text(str(key))}" for key in history.resolved]
        chosen.append(_Section(["", f"### {title}", ""], resolved))
    return chosen + folded


def _rows(finding: DriftFinding, show_expected: bool, history: History | None) -> list[str]:
    resource = code_span(finding.address)
    status = status_of(finding, history)
    if status:
        resource = f"**{status}** {resource}"
    attributes = shown_attributes(finding, show_expected)
    if not attributes:
        why = cut(f"{finding.change.value}: {finding_reason(finding)}", MARKDOWN_REASON_LIMIT)
        return [f"| {resource} | | | | {finding.verdict.value} | {_text(why)} |"]
    rows = []
    for diff in attributes:
        before, after = _values(diff.before, diff.after)
        why = cut(diff.reason or finding_reason(finding), MARKDOWN_REASON_LIMIT)
        cells = (resource, code_span(diff.path), before, after, diff.verdict.value, _text(why))
        rows.append(f"| {' | '.join(cells)} |")
    return rows


def _cut(head: list[str], body: Sequence[_Section], full_report_url: str | None, limit: int) -> str:
    """The summary, then whole rows while they fit, then where the full report is."""
    total = sum(len(section.rows) for section in body)
    where = full_report_url or "`infrarep drift-report --format html --out drift.html` writes it"
    lines = list(head)
    used = sum(len(line) + 1 for line in lines)
    shown = 0

    def note() -> list[str]:
        return [
            "",
            "---",
            f"**Cut to fit a pull request comment** ({limit:,} characters at most): {shown} of {total} "
            f"row(s) listed. Full report: {where}",
        ]

    reserve = sum(len(line) + 1 for line in note()) + 20  # room for the note's counts to grow
    for section in body:
        fixed = sum(len(line) + 1 for line in section.opening + section.closing)
        if not section.rows or used + fixed + len(section.rows[0]) + 1 + reserve > limit:
            break
        lines += section.opening
        used += fixed
        fitted = 0
        for row in section.rows:
            if used + len(row) + 1 + reserve > limit:
                break
            lines.append(row)
            used += len(row) + 1
            fitted += 1
        shown += fitted
        lines += section.closing
        if fitted < len(section.rows):
            break
    return "\n".join(lines + note()) + "\n"
