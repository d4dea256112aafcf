"""The one way infrarep runs a program to its end: git, pip, go, `terraform version`.

Output is captured; a program that cannot start, runs too long or exits non-zero raises
`CommandFailed`, which names the command, where it ran and the last lines it wrote to stderr.
(terraform's own commands stream their output and forward Ctrl-C: `terraform.TerraformRoot`.)
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from .errors import InfrarepError

_SHOWN_ARGUMENTS = 2
_STDERR_TAIL_LINES = 3


class CommandFailed(InfrarepError):
    """A program could not be run, ran too long or exited non-zero."""


def run(
    argv: Sequence[str],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    failure: str | None = None,
    hint: str | None = None,
    timeout: float | None = None,
) -> bytes:
    """The program's stdout. `failure` says what a non-zero exit means (default: which command
    failed where); the error message adds the end of the program's stderr."""
    shown = " ".join([Path(argv[0]).name, *argv[1 : 1 + _SHOWN_ARGUMENTS]])
    where = f"`{shown}`" + (f" in {cwd}" if cwd is not None else "")
    try:
        done = subprocess.run(
            list(argv),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
            timeout=timeout,
        )
    except OSError as err:
        raise CommandFailed(f"{where}: cannot run {argv[0]}: {err.strerror}", hint=hint) from None
    except subprocess.TimeoutExpired:
        raise CommandFailed(f"{where}: did not finish within {timeout:g} s", hint=hint) from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.decode(errors="replace").splitlines() if line.strip()]
        tail = " | ".join(line.strip() for line in lines[-_STDERR_TAIL_LINES:]) or "(no output)"
        said = failure or f"{where} failed (exit {done.returncode})"
        raise CommandFailed(f"{said}: {tail}", hint=hint)
    return done.stdout


def git(repo: Path, *args: str, hint: str | None = None) -> bytes:
    """`git ARGS` in `repo`: its stdout."""
    return run(["git", *args], cwd=repo, hint=hint)
