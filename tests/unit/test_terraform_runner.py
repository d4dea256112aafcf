"""How TerraformRoot starts processes: a background export runs on idle CPU time only (with
the provider plugins it starts), everything else as we do."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from infrarep.terraform import TerraformBinary, TerraformRoot

# The child starts a grandchild (as terraform starts its provider) that prints its scheduling class.
GRANDCHILD_POLICY = (
    "import subprocess, sys; "
    "subprocess.run([sys.executable, '-c', 'import os; print(os.sched_getscheduler(0))'], check=True)"
)


def _policy_seen_by_grandchild(tmp_path: Path, background: bool) -> int:
    root = TerraformRoot(TerraformBinary(Path(sys.executable), "terraform", (1, 11, 4)), tmp_path)
    lines: list[str] = []
    root._run([sys.executable, "-c", GRANDCHILD_POLICY], capture=lines.append, background=background)
    return int(lines[0])


def test_a_background_process_and_its_children_get_idle_cpu_time_only(tmp_path):
    ours = os.sched_getscheduler(0)
    assert _policy_seen_by_grandchild(tmp_path, background=False) == ours
    assert _policy_seen_by_grandchild(tmp_path, background=True) == os.SCHED_IDLE
    assert os.sched_getscheduler(0) == ours, "only the child is lowered"
