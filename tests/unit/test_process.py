"""`process.run`: a program's stdout, or one error naming the command, where, and what it said."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from infrarep import process


def test_stdout_is_returned_and_the_env_is_the_one_given(tmp_path: Path):
    script = "import os, pathlib; print(os.environ['ONLY'], pathlib.Path.cwd().name)"
    assert process.run([sys.executable, "-c", script], tmp_path, {"ONLY": "given"}) == (
        f"given {tmp_path.name}\n".encode()
    )


def test_a_failure_names_the_command_the_directory_and_the_end_of_stderr(tmp_path: Path):
    script = "import sys; sys.stderr.write('one\\n\\ntwo\\nthree\\nfour\\n'); sys.exit(3)"
    with pytest.raises(process.CommandFailed) as failed:
        process.run([sys.executable, "-c", script], tmp_path, hint="do this")
    command = f"{Path(sys.executable).name} -c {script}"
    assert failed.value.message == f"`{command}` in {tmp_path} failed (exit 3): two | three | four"
    assert failed.value.hint == "do this"


def test_a_failure_can_say_what_it_means(tmp_path: Path):
    with pytest.raises(process.CommandFailed, match=r"^cannot resolve x: no$"):
        process.run(["sh", "-c", "echo no >&2; exit 1"], tmp_path, failure="cannot resolve x")


def test_a_missing_program_is_the_same_error(tmp_path: Path):
    with pytest.raises(process.CommandFailed, match=r"`no-such-program-infrarep` in .*: cannot run no-such"):
        process.run(["no-such-program-infrarep"], tmp_path)


def test_a_program_that_runs_too_long_is_stopped(tmp_path: Path):
    with pytest.raises(process.CommandFailed, match=r"`sleep 5` .*: did not finish within 0.2 s"):
        process.run(["sleep", "5"], tmp_path, timeout=0.2)
