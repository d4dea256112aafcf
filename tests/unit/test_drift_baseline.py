"""`drift-report --baseline FILE --fail-on new` over the real-terraform plan fixtures (dev drifted
out of band in live_dev.json; live_clean_dev.json is the same env without drift), json reports
read back, and the history in every format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infrarep import cli, drift, report
from infrarep.drift import Kind, Status
from infrarep.report import Format

from ..report_cases import fixture_report

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plans"
DRIFTED = ["--plan", f"dev={FIXTURES / 'live_dev.json'}"]
CLEAN = ["--plan", f"dev={FIXTURES / 'live_clean_dev.json'}"]


def run(capsys, tmp_path: Path, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        cli.main(["drift-report", "--config", str(tmp_path / "absent.yaml"), *argv])
    out, err = capsys.readouterr()
    return int(exited.value.code), out, err


def saved(capsys, tmp_path: Path, name: str, plan: list[str]) -> Path:
    out = tmp_path / name
    run(capsys, tmp_path, *plan, "--format", "json", "--out", str(out))
    return out


def test_drift_already_in_the_baseline_persists_and_fails_only_on_any(capsys, tmp_path):
    baseline = saved(capsys, tmp_path, "base.json", DRIFTED)

    code, out, _ = run(capsys, tmp_path, *DRIFTED, "--baseline", str(baseline), "--fail-on", "new")
    assert code == 0
    assert f"compared with --baseline {baseline}: 0 new, 4 persisting, 0 resolved" in out
    assert "[persisting] module.app.aws_sqs_queue.jobs" in out
    assert run(capsys, tmp_path, *DRIFTED, "--baseline", str(baseline))[0] == 2  # --fail-on any


def test_drift_not_in_the_baseline_is_new_and_fails_on_new(capsys, tmp_path):
    baseline = saved(capsys, tmp_path, "clean.json", CLEAN)

    code, _, _ = run(capsys, tmp_path, *DRIFTED, "--baseline", str(baseline), "--fail-on", "new")

    assert code == 2
    document = json.loads(run(capsys, tmp_path, *DRIFTED, "--baseline", str(baseline), "--format", "json")[1])
    statuses = {f["address"]: f["status"] for f in document["findings"] if f["verdict"] == "drift"}
    assert set(statuses.values()) == {"new"} and len(statuses) == 4
    assert len(document["history"]["new"]) == 4 and document["history"]["resolved"] == []


def test_drift_gone_since_the_baseline_is_resolved(capsys, tmp_path):
    baseline = saved(capsys, tmp_path, "base.json", DRIFTED)

    code, out, _ = run(capsys, tmp_path, *CLEAN, "--baseline", str(baseline))

    assert code == 0
    assert "0 new, 0 persisting, 4 resolved" in out
    resolved = out.split(f"resolved since --baseline {baseline}\n")[1].splitlines()
    assert "  live · dev: module.app.aws_sqs_queue.jobs visibility_timeout_seconds" in resolved


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"schema_version": 1, "drift": tr', "not a whole JSON document, truncated or not JSON"),
        ('{"schema_version": 99}', "a drift report of schema version 99; this infrarep reads version 1"),
        ('{"schema_version": 1, "envs": ["dev"]}', "not a drift report (KeyError: 'kinds')"),
        ('{"schema_version": 1, "envs": "dev"}', "not a drift report (TypeError: expected a list of strings"),
        ("[1, 2]", "not a drift report (no schema_version)"),
    ],
)
def test_a_baseline_that_does_not_parse_is_one_line_and_exit_1(capsys, tmp_path, content, message):
    baseline = tmp_path / "bad.json"
    baseline.write_text(content)

    code, out, err = run(capsys, tmp_path, *DRIFTED, "--baseline", str(baseline))

    assert (code, out) == (1, "")
    assert err.startswith(f"error: --baseline {baseline}: {message}")
    assert "Traceback" not in err


def test_a_json_report_reads_back_as_the_same_findings():
    found = fixture_report()
    history = drift.compare(found.findings, [], drift.covered_scopes(found), "nothing")

    read = report.read_document(report.to_json(found, history), "here")

    assert read.report.findings == found.findings  # markers such as (sensitive) come back as markers
    assert read.report.summaries == found.summaries
    assert (read.report.envs, read.report.kinds, read.report.pairs) == (found.envs, found.kinds, found.pairs)
    assert read.history == history


def test_every_format_shows_what_is_new_and_what_is_resolved():
    found = fixture_report()
    jobs = next(f for f in found.findings if f.kind is Kind.PARITY and f.verdict is drift.Verdict.DRIFT)
    gone = drift.FindingKey("dev", Kind.LIVE, "module.app.aws_s3_bucket.gone", "acl")
    others = [key for f in found.findings if f is not jobs for key in drift.finding_keys(f)]
    history = drift.compare(found.findings, [*others, gone], drift.covered_scopes(found), "yesterday")
    assert history.status(jobs) is Status.NEW

    table = report.render(found, Format.TABLE, history=history)
    assert f"[new] {jobs.address}" in table and "resolved since yesterday" in table
    markdown = report.render(found, Format.MARKDOWN, history=history)
    assert f"**new** `{jobs.address}`" in markdown and "### resolved since yesterday" in markdown
    html = report.render(found, Format.HTML, history=history)
    assert f"<b>new</b> <code>{jobs.address}</code>" in html and str(gone).replace("·", "") not in html
    assert "resolved since yesterday" in html and "module.app.aws_s3_bucket.gone acl" in html
    sarif = json.loads(report.render(found, Format.SARIF, history=history))
    (run_,) = sarif["runs"]
    states = {result["baselineState"] for result in run_["results"] if result["level"] == "error"}
    assert states == {"new", "unchanged"}
    assert run_["properties"]["resolved"] == [str(gone)]
