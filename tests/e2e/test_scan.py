"""`make scan`: checkov scans modules/ and every root of envs/ and terraform/, each in its own run.

The project's Makefile runs on a scratch copy of those directories with the checkov that
`make setup` installs (.venv-checkov). A security group open to the world on port 22 is planted
in modules/ and in each root at once: each must fail its own root's run and appear in that
root's SARIF and JUnit reports, and nothing else may fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest

from .projects import REPO, scratch_project

pytestmark = pytest.mark.e2e

CHECKOV_VENV = REPO / ".venv-checkov"
OPEN_SSH_CHECK = "CKV_AWS_24"
PLANTED_FILE = "open_ssh.tf"
OPEN_SSH = """\
resource "aws_security_group" "open_ssh" {
  name        = "open-ssh"
  description = "SSH from anywhere"

  ingress {
    description = "SSH"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""


def _roots(project: Path) -> list[str]:
    """modules/ as a whole, and every directory of envs/ and terraform/ that holds Terraform."""
    roots = {
        path.parent.relative_to(project).as_posix()
        for folder in ("envs", "terraform")
        for path in (project / folder).glob("*/*.tf")
    }
    return ["modules", *sorted(roots)]


def _scan(project: Path, target: str = "scan") -> subprocess.CompletedProcess[str]:
    if not (CHECKOV_VENV / "bin" / "checkov").exists():
        pytest.fail(f"no checkov in {CHECKOV_VENV}: run `make setup`")
    outer_make = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    return subprocess.run(
        ["make", "--no-print-directory", target, f"CHECKOV_VENV={CHECKOV_VENV}", f"VENV={REPO / '.venv'}"],
        cwd=project,
        env={name: value for name, value in os.environ.items() if name not in outer_make},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


def _sarif_failures(project: Path, root: str) -> set[tuple[str, str]]:
    """(check, file) of each unsuppressed result in the root's SARIF report."""
    document = json.loads((project / "reports" / "checkov" / f"{root.replace('/', '-')}.sarif").read_text())
    return {
        (result["ruleId"], result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        for run in document["runs"]
        for result in run["results"]
        if not result.get("suppressions")
    }


def _junit_failures(project: Path, root: str) -> set[tuple[str, str]]:
    """(test case name, file) of each failed test case in the root's JUnit report."""
    report = project / "reports" / "checkov" / f"{root.replace('/', '-')}.junit.xml"
    tree = ElementTree.parse(report)  # noqa: S314 - checkov's own report, written by this test's run
    return {
        (case.get("name", ""), case.get("file", ""))
        for case in tree.iter("testcase")
        if case.find("failure") is not None
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    scratch_project(tmp_path, with_functions=False)
    shutil.copy2(REPO / "Makefile", tmp_path / "Makefile")
    return tmp_path


def test_the_project_passes_the_scan_in_every_root(project):
    scanned = _scan(project)
    assert scanned.returncode == 0, scanned.stdout[-3000:] + scanned.stderr[-2000:]
    for root in _roots(project):
        assert _sarif_failures(project, root) == set(), root
        assert _junit_failures(project, root) == set(), root


def test_a_violation_in_any_root_fails_the_scan_of_that_root(project):
    roots = _roots(project)
    assert set(roots) >= {
        "envs/dev",
        "envs/staging",
        "envs/prod",
        "terraform/bootstrap",
        "terraform/control_plane",
    }
    # modules/ gets a module of its own; a root gets the file beside its main.tf.
    planted = {
        root: f"{root}/planted/{PLANTED_FILE}" if root == "modules" else f"{root}/{PLANTED_FILE}"
        for root in roots
    }
    for path in planted.values():
        (project / path).parent.mkdir(exist_ok=True)
        (project / path).write_text(OPEN_SSH)

    scanned = _scan(project)

    assert scanned.returncode != 0
    for root, path in planted.items():
        assert f"scan/{root}] Error" in scanned.stderr, f"the scan of {root} did not fail"
        sarif = _sarif_failures(project, root)
        assert (OPEN_SSH_CHECK, path) in sarif, f"{root}: {sarif}"
        assert {file for _, file in sarif} == {path}, f"{root}: failures beyond the planted one"
        junit = _junit_failures(project, root)
        assert any(OPEN_SSH_CHECK in name and path.endswith(file) for name, file in junit), f"{root}: {junit}"


def test_a_file_checkov_cannot_parse_fails_the_scan_of_its_root(project):
    (project / "terraform" / "bootstrap" / "unparsable.tf").write_text(
        'resource "aws_s3_bucket" "x" {\n  bucket =\n'
    )

    scanned = _scan(project, "scan/terraform/bootstrap")

    assert scanned.returncode != 0
    assert "error: terraform/bootstrap: checkov could not parse every file" in scanned.stderr
