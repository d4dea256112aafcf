"""How TerraformRoot starts processes: a background export runs niced, everything else as we do."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from infrarep.terraform import TerraformBinary, TerraformRoot


def _niceness_seen_by_child(tmp_path: Path, nice: int) -> int:
    # `sh -c nice` prints the niceness the child (and anything it starts) runs at.
    root = TerraformRoot(
        TerraformBinary(Path(shutil.which("sh") or "/bin/sh"), "terraform", (1, 11, 4)), tmp_path
    )
    lines: list[str] = []
    root._run([str(root.binary.path), "-c", "nice"], capture=lines.append, nice=nice)
    return int(lines[0])


def test_a_background_process_and_its_children_run_niced(tmp_path):
    ours = os.nice(0)
    assert _niceness_seen_by_child(tmp_path, 0) == ours
    assert _niceness_seen_by_child(tmp_path, 10) == min(ours + 10, 19)
    assert os.nice(0) == ours, "only the child is niced"
