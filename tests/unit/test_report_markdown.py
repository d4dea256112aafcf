"""The markdown report as a pull request comment: rendered the way GitHub renders it (CommonMark
with GFM tables, by markdown-it-py), values read back verbatim, hashes short, and the comment
under GitHub's limit with a line saying where the full report is."""

from __future__ import annotations

import html
import json
import re

from markdown_it import MarkdownIt

from infrarep import drift, report
from infrarep.drift import AttributeDiff, Change, DriftFinding, DriftReport, Kind, Verdict
from infrarep.report.markdown import code_span

from ..report_cases import fixture_report

SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
SHA256_B64 = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="


def rendered_code(markdown_text: str) -> list[str]:
    """The text of every code span, as a reader of the rendered comment sees it."""
    page = MarkdownIt("commonmark").enable("table").render(markdown_text)
    return [html.unescape(code) for code in re.findall(r"<code>(.*?)</code>", page, re.DOTALL)]


def one_finding(*diffs: AttributeDiff, address: str = "aws_ssm_document.run") -> DriftReport:
    finding = DriftFinding(
        Kind.PARITY, "dev~staging", address, address.split(".")[0], Change.DIFFERS, Verdict.DRIFT, "", diffs
    )
    summary = drift.ScopeSummary(Kind.PARITY, "dev~staging", 1, drift=1)
    return DriftReport(("dev", "staging"), (Kind.PARITY,), (("dev", "staging"),), (finding,), (summary,))


def test_values_keep_their_backticks_and_pipes():
    values = ["echo `date`", "run ``x`` | tee", "`starts and ends`", "a\\|b"]
    found = one_finding(
        *(
            AttributeDiff(f"content[{i}]", value, "plain", Verdict.DRIFT, "literal")
            for i, value in enumerate(values)
        ),
        address='aws_ssm_document.run["a|b"]',
    )

    codes = rendered_code(report.markdown(found))

    for value in values:
        assert json.dumps(value) in codes  # the value as json, every backtick and pipe in place
    assert 'aws_ssm_document.run["a|b"]' in codes


def test_code_spans_take_a_longer_backtick_run_than_the_value_holds():
    assert code_span("a`b") == "``a`b``"
    assert code_span("``x``") == "``` ``x`` ```"
    assert code_span(" padded ") == "`  padded  `"


def test_hashes_are_shortened_unless_both_sides_would_then_look_the_same():
    changed = SHA256[:12] + "0" * 52
    found = one_finding(
        AttributeDiff("etag", SHA256, "0" * 64),
        AttributeDiff("source_code_hash", SHA256_B64, "short"),
        AttributeDiff("checksum", SHA256, changed),  # same first 12 characters: kept whole
    )

    text = report.markdown(found)

    assert f'`"{SHA256[:12]}…"`' in text
    assert f'`"{SHA256_B64[:12]}…"`' in text
    assert f'`"{SHA256}"` | `"{changed}"`' in text
    assert SHA256_B64 not in text


def test_manifest_hashes_are_short():
    full_report = fixture_report()
    text = report.markdown(full_report)

    sha = full_report.manifests["dev"].resources_sha256()
    assert f"| dev | `{sha[:12]}` |" in text
    assert sha not in text


def big_report(findings: int) -> DriftReport:
    found = tuple(
        DriftFinding(
            Kind.LIVE,
            "prod",
            f"module.queues.aws_sqs_queue.q[{index}]",
            "aws_sqs_queue",
            Change.CHANGED,
            Verdict.DRIFT,
            "changed outside terraform",
            (AttributeDiff("policy", "x" * 70, "y" * 70),),
        )
        for index in range(findings)
    )
    summary = drift.ScopeSummary(Kind.LIVE, "prod", findings, drift=findings)
    return DriftReport(("prod",), (Kind.LIVE,), (), found, (summary,))


def test_a_report_past_githubs_limit_keeps_the_summary_and_says_where_the_full_one_is():
    url = "https://ci.example.com/runs/42/drift.html"

    text = report.markdown(big_report(3000), full_report_url=url)

    assert len(text) <= report.COMMENT_LIMIT == 65_536
    assert "| live | prod | 3000 | 3000 | 0 | 0 | 0 |" in text  # the summary, whole
    shown = text.count("| `module.queues.aws_sqs_queue.q[")
    assert 200 < shown < 3000
    assert text.rstrip().endswith(f"{shown} of 3000 row(s) listed. Full report: {url}")
    assert text.count("\n| `module") == shown  # whole rows only
    assert report.COMMENT_LIMIT - len(text) < 1000  # the room is used


def test_without_a_url_the_cut_comment_says_how_to_get_the_full_report():
    text = report.markdown(big_report(3000))

    assert len(text) <= report.COMMENT_LIMIT
    assert "Full report: `infrarep drift-report --format html --out drift.html` writes it" in text


def test_a_report_under_the_limit_is_whole():
    text = report.markdown(big_report(10), full_report_url="https://x")

    assert text.count("| `module.queues") == 10
    assert "Cut to fit" not in text


def test_an_env_never_applied_is_folded_and_comes_last():
    text = report.markdown(fixture_report())

    assert "_prod: not applied yet; its creates are folded below, they are not drift._" in text
    folded = text.index("<details><summary>pending changes · prod  (values: now -> after apply)")
    assert folded > text.index("### parity · staging~prod")
    assert "not applied yet, 15 resource(s) to create</summary>" in text
