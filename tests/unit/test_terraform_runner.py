"""How TerraformRoot starts processes: a background export runs on idle CPU time only (with
the provider plugins it starts), everything else as we do."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from infrarep.errors import TerraformFailed
from infrarep.terraform import StateLocked, TerraformBinary, TerraformRoot, state_lock_info

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


# What terraform 1.11.4 prints (stderr, -no-color) when another command holds the S3 state lock.
STATE_LOCKED = """\
Error: Error acquiring the state lock

Error message: operation error S3: PutObject, https response error
StatusCode: 412, RequestID: nvXgM4XInY4atF4fcnzvjfhzARFzsqFuvRdlSUvCMjagBbaZNnsh,
api error PreconditionFailed: At least one of the pre-conditions you
specified did not hold
Lock Info:
  ID:        1234-abcd
  Path:      infrarep-tfstate-us-east-1/dev/terraform.tfstate
  Operation: OperationTypeApply
  Who:       alice@ci-7
  Version:   1.11.4
  Created:   2026-12-02 07:12:03.123456 +0000 UTC
  Info:


Terraform acquires a state lock to protect the state from being written
by multiple users at the same time. Please resolve the issue above and try
again. For most commands, you can disable locking with the "-lock=false"
flag, but this is not recommended.
"""


def test_terraforms_state_lock_error_becomes_one_line_naming_who_since_when(tmp_path):
    root = TerraformRoot(TerraformBinary(Path(sys.executable), "terraform", (1, 11, 4)), tmp_path)
    script = f"import sys; sys.stderr.write({STATE_LOCKED!r}); sys.exit(1)"
    with pytest.raises(StateLocked) as locked:
        root._run([sys.executable, "-c", script])
    assert locked.value.message == (
        f"`{Path(sys.executable).name} -c` in {tmp_path}: the state is locked "
        "by alice@ci-7 since 2026-12-02 07:12:03 UTC (terraform apply, lock ID 1234-abcd)"
    )
    assert locked.value.hint == (
        "wait for that terraform run to end; if it is gone, release its lock: "
        f"terraform -chdir={tmp_path} force-unlock 1234-abcd"
    )
    assert isinstance(locked.value, TerraformFailed)  # still a failed terraform command for callers


def test_the_lock_info_is_read_from_plan_json_diagnostics_too():
    detail = STATE_LOCKED.split("\n", 2)[2]  # `plan -json` puts all but the summary in its detail
    assert state_lock_info(f"Error: Error acquiring the state lock {detail}".splitlines()) == {
        "ID": "1234-abcd",
        "Path": "infrarep-tfstate-us-east-1/dev/terraform.tfstate",
        "Operation": "OperationTypeApply",
        "Who": "alice@ci-7",
        "Version": "1.11.4",
        "Created": "2026-12-02 07:12:03.123456 +0000 UTC",
        "Info": "",
    }


def test_other_failures_keep_terraforms_own_words(tmp_path):
    assert state_lock_info(["Error: Invalid reference", "  on main.tf line 3:"]) is None
    root = TerraformRoot(TerraformBinary(Path(sys.executable), "terraform", (1, 11, 4)), tmp_path)
    with pytest.raises(TerraformFailed) as failed:
        root._run(
            [sys.executable, "-c", "import sys; sys.stderr.write('Error: Invalid reference\\n'); sys.exit(1)"]
        )
    assert not isinstance(failed.value, StateLocked)
    assert "Error: Invalid reference" in failed.value.message
