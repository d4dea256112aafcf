"""The drift report's formats: table (terminal), json (CI), markdown (PR comments), html (one
file for a browser), sarif (code scanning).

Pure: a `drift.DriftReport` in, text out. Every format but sarif starts with the summary, then
groups details by kind, env or env pair, and resource. Long values are cut everywhere except
json, which carries every value in full. Sensitive values never reach a report: the engine
replaces them with `(sensitive)` before they get here.
"""

from __future__ import annotations

from enum import StrEnum

from ..drift import DriftReport, History
from .common import Checked, timestamp, value_text
from .document import SCHEMA_VERSION, ReadReport, UnreadableReport, document, read_document, to_json
from .html import html
from .markdown import COMMENT_LIMIT, markdown
from .sarif import SourceLocation, Sources, sarif
from .table import table

__all__ = [
    "COMMENT_LIMIT",
    "SCHEMA_VERSION",
    "Checked",
    "Format",
    "ReadReport",
    "SourceLocation",
    "Sources",
    "UnreadableReport",
    "document",
    "html",
    "markdown",
    "read_document",
    "render",
    "sarif",
    "table",
    "timestamp",
    "to_json",
    "value_text",
]


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"
    SARIF = "sarif"


NO_SOURCES = Sources()


def render(
    report: DriftReport,
    fmt: Format,
    show_expected: bool = False,
    *,
    full_report_url: str | None = None,
    sources: Sources | None = None,
    tool_version: str = "",
    history: History | None = None,
    checked: Checked | None = None,
) -> str:
    """The report as `fmt`. `full_report_url`: where a markdown comment cut to fit points;
    `sources`: where each resource is written, for sarif; `history`: what is new, persisting and
    resolved since a baseline; `checked`: when each env's stored report was made."""
    if fmt is Format.JSON:
        return to_json(report, history, checked)
    if fmt is Format.MARKDOWN:
        return markdown(report, show_expected, full_report_url, history=history, checked=checked)
    if fmt is Format.HTML:
        return html(report, show_expected, history, checked)
    if fmt is Format.SARIF:
        # sarif has no place for check times; its results carry the history (`baselineState`)
        return sarif(report, sources or NO_SOURCES, show_expected, tool_version, history)
    return table(report, show_expected, history, checked)
