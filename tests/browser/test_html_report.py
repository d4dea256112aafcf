"""The html drift report as an on-call engineer sees it: rendered by headless Chromium (Debian's
package, which `make setup` installs), asserted on the laid-out page, and a screenshot kept in
reports/drift-report.png.

A copy of the report gets a script that reads the rendered page back (visible text, computed
colours, cell states) into the DOM Chromium dumps; the report itself has no script."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infrarep import drift, report

from ..report_cases import UNTRACED, UNTRACED_REASON, env_plans, fixture_report, with_unknown

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOT = ROOT / "reports" / "drift-report.png"
RED, GREY, GREEN = "rgb(248, 215, 218)", "rgb(233, 236, 239)", "rgb(209, 231, 221)"

PROBE = """
<script>
const cells = (row) => [...row.cells].slice(1).map((cell) => ({
  state: cell.dataset.state,
  background: getComputedStyle(cell).backgroundColor,
  text: cell.innerText,
  entries: [...cell.querySelectorAll(".entry")].map((entry) => ({
    text: entry.innerText,
    background: getComputedStyle(entry).backgroundColor,
  })),
}));
const matrix = document.querySelector("table.matrix");
const seen = {
  title: document.title,
  text: document.body.innerText,
  columns: [...matrix.rows[0].cells].slice(1).map((cell) => cell.innerText),
  rows: Object.fromEntries([...matrix.rows].slice(1).map((row) => [row.cells[0].innerText, cells(row)])),
  folded: [...document.querySelectorAll("details")].map((item) => item.open),
};
const out = document.createElement("pre");
out.id = "probe";
out.textContent = JSON.stringify(seen);
document.body.appendChild(out);
</script>
"""


def chromium() -> str:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: `make setup` installs chromium (Debian's package)")
    return CHROMIUM


def run_chromium(tmp_path: Path, *args: str) -> str:
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",  # root in a container; the page is our own file
        "--disable-gpu",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def rendered(tmp_path: Path, page: str) -> dict[str, Any]:
    """What Chromium made of `page`: title, visible text, the matrix's cells."""
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", PROBE + "</body>"))
    dom = run_chromium(tmp_path, "--dump-dom", probe.as_uri())
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL)
    assert found, dom[-2000:]
    return json.loads(html.unescape(found.group(1)))


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    text = report.html(with_unknown(fixture_report()))
    folder = tmp_path_factory.mktemp("report")
    target = folder / "drift-report.html"
    target.write_text(text)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    run_chromium(
        folder, "--hide-scrollbars", "--window-size=1500,2300", f"--screenshot={SCREENSHOT}", target.as_uri()
    )
    return rendered(folder, text)


def test_the_screenshot_is_written(page):
    data = SCREENSHOT.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1500, 2300)


def test_the_title_names_the_envs_that_drifted(page, tmp_path):
    assert (
        page["title"]
        == "infrarep drift report: DRIFT in dev, staging, prod; 1 unknown; not applied yet: prod"
    )
    live_only = drift.analyse(
        [
            env_plans("dev", "live_dev.json"),
            env_plans("staging", "parity_staging.json"),
            env_plans("prod", "parity_prod.json"),
        ],
        kinds=[drift.Kind.LIVE],
    )
    assert rendered(tmp_path, report.html(live_only))["title"] == "infrarep drift report: DRIFT in dev"


def test_an_env_never_applied_is_pending_creation_not_drift(page):
    assert page["columns"][2] == "prod\nnot applied yet"
    prod = [cells[2] for cells in page["rows"].values()]
    assert {cell["state"] for cell in prod} == {"creation"}
    assert {cell["background"] for cell in prod} == {GREY}
    assert {cell["text"] for cell in prod} == {"pending creation"}
    assert page["folded"] == [False]  # its list of creates is folded away


def test_live_drift_and_pending_changes_are_told_apart_in_an_env_column(page):
    dev = page["rows"]["module.app.aws_sqs_queue.jobs"][0]
    live, pending = dev["entries"]
    assert live["text"] == "live drift\nchanged outside terraform: visibility_timeout_seconds"
    assert pending["text"] == "pending update\nterraform will update it: visibility_timeout_seconds"
    assert live["background"] == RED and pending["background"] != RED
    assert dev["background"] == RED


def test_unknown_has_its_own_state_with_its_reason(page):
    cell = page["rows"][UNTRACED][3]  # dev~staging
    assert cell["state"] == "unknown"
    assert cell["background"] not in {RED, GREY, GREEN}
    assert cell["text"] == f"unknown\nkms_master_key_id: {UNTRACED_REASON}"


def test_reasons_are_on_the_page_not_only_on_hover(page):
    jobs_parity = page["rows"]["module.app.aws_sqs_queue.jobs"][4]  # staging~prod
    assert jobs_parity["state"] == "drift" and jobs_parity["background"] == RED
    assert "configured differently: staging: var.retention_seconds" in jobs_parity["text"]
    assert "only in staging: count/for_each follows a declared per-env variation" in page["text"]
    in_sync = page["rows"]["module.app.terraform_data.marker"][1]
    assert (in_sync["text"], in_sync["background"]) == ("in sync", GREEN)
