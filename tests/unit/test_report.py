"""report formats and `infrarep drift-report --plan ENV=FILE` over the real-terraform plan fixtures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from infrarep import cli, drift, plans, report
from infrarep.drift import AttributeDiff, Change, DriftFinding, DriftReport, Kind, Verdict
from infrarep.report import Format

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plans"
TOKENS = ("dev-token-not-secret-really", "staging-token-do-not-print", "prod-token-do-not-print")
PLAN_ARGS = {
    env: ["--plan", f"{env}={FIXTURES / f'parity_{env}.json'}"] for env in ("dev", "staging", "prod")
}


def load_env(env: str, *files: str) -> drift.EnvPlans:
    loaded = [plans.load(FIXTURES / file) for file in files]
    normal = next((plan for plan in loaded if plan.has_changes), None)
    refresh = next((plan for plan in loaded if not plan.has_changes), None)
    return drift.EnvPlans(env, drift.detect_identity(env, normal or refresh), normal, refresh)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def full_report() -> DriftReport:
    """Every kind: dev drifted out of band; prod hard-codes a value and is not deployed."""
    envs = [
        load_env("dev", "live_dev.json", "pending_dev.json"),
        load_env("staging", "parity_staging.json"),
        load_env("prod", "parity_prod.json"),
    ]
    return drift.analyse(envs, version="v1")


def long_value_report() -> DriftReport:
    long_value = "x" * 500
    finding = DriftFinding(
        Kind.LIVE,
        "dev",
        "aws_iam_policy.this",
        "aws_iam_policy",
        Change.CHANGED,
        Verdict.DRIFT,
        "changed outside terraform",
        (AttributeDiff("policy", "short", long_value),),
    )
    summary = drift.ScopeSummary(Kind.LIVE, "dev", 1, drift=1)
    return DriftReport(("dev",), (Kind.LIVE,), (), (finding,), (summary,))


@pytest.mark.parametrize("fmt", list(Format))
@pytest.mark.parametrize("show_expected", [False, True])
def test_sensitive_values_never_reach_a_report(full_report, fmt, show_expected):
    text = report.render(full_report, fmt, show_expected=show_expected)

    assert not any(token in text for token in TOKENS)
    if show_expected:
        assert "(sensitive)" in text  # secret_string differs dev~staging, shown as a marker


@pytest.mark.parametrize("fmt", list(Format))
def test_every_format_starts_with_the_summary(full_report, fmt):
    text = report.render(full_report, fmt)

    if fmt is Format.JSON:
        assert next(iter(json.loads(text))) == "drift"  # keys are sorted; the flag is first
        return
    if fmt is Format.SARIF:
        return  # no summary in sarif: results for code scanning (test_sarif.py)
    headline = text.index("drift-report: DRIFT FOUND (3 env(s): dev, staging, prod)")
    assert headline < text.index("staging~prod") < text.index("module.app.aws_sqs_queue.jobs")


def test_table_groups_by_kind_and_scope_and_says_why(full_report):
    text = report.table(full_report)

    titles = [line for line in text.splitlines() if line and not line.startswith(" ")]
    assert titles == [
        "drift-report: DRIFT FOUND (3 env(s): dev, staging, prod)",
        "live drift · dev  (values: recorded in state -> found in the cloud)",
        "pending changes · dev  (values: now -> after apply)",
        "pending changes · prod  (values: now -> after apply)",
        "parity · staging~prod  (values: staging -> prod)",
    ]
    assert "      memory_size  256 -> 512" in text
    assert "missing: deleted outside terraform" in text
    assert "drift: configured differently: staging: var.retention_seconds;" in text
    assert "expected difference(s) not listed; --show-expected lists them" in text


def test_show_expected_lists_expected_differences_with_the_reason(full_report):
    hidden = report.table(full_report)
    shown = report.table(full_report, show_expected=True)

    assert "parity · dev~staging" not in hidden  # nothing but expected differences there
    assert "parity · dev~staging  (values: dev -> staging)" in shown
    assert "expected: declared per-env variation: var.memory_mb (staging: 512, prod: 1024)" in shown


def test_long_values_are_cut_in_table_and_markdown_but_full_in_json():
    long_report = long_value_report()

    table = report.table(long_report)
    assert '"' + "x" * 58 + "… (502 chars; full value in --format json)" in table
    assert "x" * 100 not in table
    assert "x" * 100 not in report.markdown(long_report)
    document = json.loads(report.to_json(long_report))
    assert document["findings"][0]["attributes"][0]["after"] == "x" * 500
    html = report.html(long_report)
    assert f'title="&quot;{"x" * 500}&quot;"' in html  # the full value on hover


def test_json_is_one_document_with_stable_keys(full_report):
    document = json.loads(report.to_json(full_report))

    assert document["schema_version"] == report.SCHEMA_VERSION
    assert document["drift"] is True
    assert document["envs"] == ["dev", "staging", "prod"]
    assert document["pairs"] == [["dev", "staging"], ["staging", "prod"]]
    assert set(document["manifests"]["dev"]) == {"version", "sha256", "resources_sha256", "entries"}
    missing = next(f for f in document["findings"] if f["change"] == "missing")
    assert missing == {
        "kind": "live",
        "scope": "dev",
        "envs": ["dev"],
        "address": "module.app.aws_sns_topic_subscription.jobs",
        "type": "aws_sns_topic_subscription",
        "change": "missing",
        "verdict": "drift",
        "reason": "deleted outside terraform",
        "attributes": [],
    }
    parity = next(f for f in document["findings"] if f["scope"] == "staging~prod" and f["verdict"] == "drift")
    assert parity["envs"] == ["staging", "prod"]
    assert parity["attributes"][0]["before"] == 345600


def test_markdown_is_tables_with_escaped_cells(full_report):
    text = report.markdown(full_report)

    assert text.startswith("## drift-report: DRIFT FOUND")
    assert "| kind | scope | resources | drift | expected | unknown | noise |" in text
    assert "### parity · staging~prod  (values: staging -> prod)" in text
    assert (
        "| `module.app.aws_sqs_queue.jobs` | `message_retention_seconds` | `345600` | `1209600` | drift |"
        in text
    )


def test_html_is_one_self_contained_file_with_an_env_by_resource_matrix(full_report):
    text = report.html(full_report)

    assert text.startswith("<!DOCTYPE html>")
    assert text.rstrip().endswith("</body></html>")
    assert not re.search(r"<(script|link|img|iframe)\b", text)  # nothing fetched from elsewhere
    assert "http://" not in text and "https://" not in text
    assert (
        "<tr><th>resource</th><th>dev</th><th>staging</th><th>prod<small>not applied yet</small></th>"
        "<th>dev~staging</th><th>staging~prod</th></tr>" in text
    )
    rows = {
        match.group(1): match.group(0)
        for match in re.finditer(r"<tr><td><code>([^<]+)</code></td>.*?</tr>", text)
    }
    jobs = rows["module.app.aws_sqs_queue.jobs"]
    # dev: live drift and a pending update; staging: in sync; prod: never applied, so its create
    # is pending creation (not drift); dev~staging: expected (retention variable);
    # staging~prod: drift (hard-coded retention)
    assert re.findall(r'data-state="(\w+)"', jobs) == ["live", "in_sync", "creation", "expected", "drift"]
    assert "configured differently: staging: var.retention_seconds" in jobs  # the reason, on the page
    worker = rows["module.app.aws_sqs_queue.worker[1]"]
    assert 'data-state="absent"' in worker  # not in dev
    assert "only in staging: count/for_each follows a declared per-env variation" in worker


# --- the command ---


def run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        cli.main(["drift-report", *argv])
    out, err = capsys.readouterr()
    return int(exited.value.code), out, err


def no_config(tmp_path: Path) -> list[str]:
    return ["--config", str(tmp_path / "absent.yaml")]


def test_exit_0_when_envs_are_in_parity(capsys, tmp_path):
    code, out, err = run(capsys, *PLAN_ARGS["dev"], *PLAN_ARGS["staging"], *no_config(tmp_path))

    assert code == 0
    assert out.startswith("drift-report: no drift (2 env(s): dev, staging)")
    assert "dev        read    plan" in err  # progress on stderr, one line per file


def test_exit_2_when_drift_is_found(capsys, tmp_path):
    args = [*PLAN_ARGS["dev"], *PLAN_ARGS["staging"], *PLAN_ARGS["prod"], *no_config(tmp_path)]
    code, out, _ = run(capsys, *args, "--kind", "parity", "--format", "json")

    assert code == 2
    document = json.loads(out)
    assert document["kinds"] == ["parity"]
    assert [f["address"] for f in document["findings"] if f["verdict"] == "drift"] == [
        "module.app.aws_sqs_queue.jobs"
    ]


def test_policy_beside_the_config_turns_drift_into_expected(capsys, tmp_path):
    config = tmp_path / "environments.yaml"  # absent; only its directory matters here
    (tmp_path / "drift-policy.yaml").write_text(
        "accepted:\n  - type: aws_sqs_queue\n    attribute: message_retention_seconds\n    reason: audits\n"
    )
    args = [*PLAN_ARGS["staging"], *PLAN_ARGS["prod"], "--config", str(config), "--kind", "parity"]

    code, out, _ = run(capsys, *args, "--show-expected")

    assert code == 0
    assert "expected: accepted by drift-policy.yaml: audits" in out


def test_out_writes_the_report_to_a_file(capsys, tmp_path):
    target = tmp_path / "report.html"
    args = [*PLAN_ARGS["dev"], *PLAN_ARGS["staging"], *no_config(tmp_path), "--format", "html"]

    code, out, err = run(capsys, *args, "--out", str(target))

    assert code == 0
    assert out == ""
    assert f"drift-report: wrote {target}" in err
    assert target.read_text().startswith("<!DOCTYPE html>")


def test_live_and_pending_from_plan_files(capsys, tmp_path):
    args = ["--plan", f"dev={FIXTURES / 'live_dev.json'}", "--plan", f"dev={FIXTURES / 'pending_dev.json'}"]

    code, out, _ = run(capsys, *args, *no_config(tmp_path), "--format", "json")

    assert code == 2
    document = json.loads(out)
    counts = {(s["kind"], s["scope"]): s["drift"] for s in document["summary"]}
    assert counts == {("live", "dev"): 4, ("pending", "dev"): 4}  # one env: no pair to compare


def test_truncated_plan_is_one_line_error_exit_1(capsys, tmp_path):
    whole = (FIXTURES / "parity_dev.json").read_bytes()
    cut = tmp_path / "cut.json"
    cut.write_bytes(whole[:1000])

    code, out, err = run(capsys, "--plan", f"dev={cut}", *no_config(tmp_path))

    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {cut}: not a terraform plan JSON")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--plan", "dev"], "--plan 'dev': expected ENV=FILE"),
        (["--plan", "dev=x.json", "--kind", "drifty"], "'drifty' is not one of live, pending, parity"),
        (["--plan", "x=x.json", "--format", "pdf"], "'pdf' is not one of table, json, markdown, html, sarif"),
    ],
)
def test_bad_arguments_exit_1(capsys, tmp_path, argv, message):
    code, out, err = run(capsys, *argv, *no_config(tmp_path))

    assert code == 1
    assert out == ""
    assert message in err.splitlines()[0]


def test_refresh_only_plans_alone_report_live_drift(capsys, tmp_path):
    code, out, err = run(capsys, "--plan", f"dev={FIXTURES / 'live_dev.json'}", *no_config(tmp_path))

    assert code == 2
    assert "drift-report: no normal plan for dev: live drift only (--kind to choose)" in err
    assert "live drift · dev" in out and "pending" not in out


def test_env_selects_among_the_plans_given(capsys, tmp_path):
    args = [*PLAN_ARGS["dev"], *PLAN_ARGS["staging"], *PLAN_ARGS["prod"], *no_config(tmp_path)]

    code, out, _ = run(capsys, *args, "--env", "dev", "--env", "staging", "--format", "json")

    assert code == 0
    assert json.loads(out)["envs"] == ["dev", "staging"]
    code, _, err = run(capsys, *PLAN_ARGS["dev"], *no_config(tmp_path), "--env", "qa")
    assert code == 1
    assert err.splitlines()[0] == "error: qa: no --plan qa=FILE given"


# --- verdicts and env states across formats ---


def test_an_unknown_verdict_is_reported_but_does_not_fail_the_run():
    untraced = DriftFinding(
        Kind.PARITY,
        "dev~staging",
        "aws_sqs_queue.q",
        "aws_sqs_queue",
        Change.DIFFERS,
        Verdict.UNKNOWN,
        attributes=(
            AttributeDiff("kms_master_key_id", "a", "b", Verdict.UNKNOWN, "module source not on disk"),
        ),
    )
    summary = drift.model.summarise(Kind.PARITY, "dev~staging", 1, [untraced])
    unknown_only = DriftReport(
        ("dev", "staging"), (Kind.PARITY,), (("dev", "staging"),), (untraced,), (summary,)
    )

    assert not unknown_only.drift
    assert (summary.drift, summary.expected, summary.unknown) == (0, 0, 1)
    assert "unknown: module source not on disk" in report.table(unknown_only)
    assert "| unknown | module source not on disk |" in report.markdown(unknown_only)
    assert "<title>infrarep drift report: no drift; 1 unknown</title>" in report.html(unknown_only)


def test_an_env_is_called_never_applied_only_when_its_inventory_says_so(full_report):
    assert "<small>not applied yet</small>" in report.html(full_report)
    without_parity = drift.analyse(
        [load_env("dev", "pending_dev.json"), load_env("prod", "parity_prod.json")], kinds=[Kind.PENDING]
    )
    page = report.html(without_parity)
    assert "not applied yet" not in page  # every change a create, but its other resources are unknown
    assert 'data-state="creation"' in page  # its creates are still not drift-red
    assert "<title>infrarep drift report: DRIFT in dev, prod</title>" in page
