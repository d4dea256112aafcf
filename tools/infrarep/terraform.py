"""The one place that runs terraform (or tofu).

python-terraform builds the argument lists. Its own runner is not used: it only inherits
`os.environ` (no explicit env), streams nothing, and turns unknown keywords into flags, so
commands run here through `subprocess` with an explicit cwd and env, output streamed to a
callback, and Ctrl-C forwarded to terraform so it can save state and release the lock.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from python_terraform import IsFlagged, Terraform

from . import process
from .errors import Interrupted, TerraformFailed, ToolchainError

LineSink = Callable[[str], None]

_STDERR_TAIL_LINES = 12
_STDERR_SCANNED_LINES = 64  # terraform's state-lock error ends its output: 20 lines or so
_BACKGROUND_NICENESS = 19  # where the idle scheduling class is missing (not Linux)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class PlanOutcome(Enum):
    NO_CHANGES = "no_changes"
    CHANGES = "changes"


@dataclass(frozen=True)
class StreamedChange:
    """One `planned_change` of `terraform plan -json`: the action as terraform names it
    (create, update, delete, replace, read, ...)."""

    address: str
    type: str
    action: str


class StateLocked(TerraformFailed):
    """terraform could not take the state lock: another terraform command holds it. Said in
    one line (who, since when, the lock's ID) instead of terraform's 15-line message."""

    def __init__(
        self, command: list[str], returncode: int, stderr_tail: str, lock: dict[str, str], workdir: Path
    ) -> None:
        super().__init__(command, returncode, stderr_tail)
        self.lock = lock
        operation = lock.get("Operation", "").removeprefix("OperationType").lower() or "a command"
        self.message = (
            f"`{' '.join(command[:2])}` in {workdir}: the state is locked by "
            f"{lock.get('Who') or 'an unknown user'} since {_lock_time(lock.get('Created', ''))} "
            f"(terraform {operation}, lock ID {lock['ID']})"
        )
        self.args = (self.message,)
        self.hint = (
            f"wait for that terraform run to end; if it is gone, release its lock: "
            f"terraform -chdir={workdir} force-unlock {lock['ID']}"
        )


_LOCK_FIELD = re.compile(r"^\s+(ID|Path|Operation|Who|Version|Created|Info):\s*(.*?)\s*$")
_LOCK_CREATED = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.\d+)? \+0000 UTC")


def state_lock_info(lines: Iterable[str]) -> dict[str, str] | None:
    """The `Lock Info:` block terraform prints when it cannot take the state lock, as fields
    (ID, Path, Operation, Who, Version, Created, Info); None if there is none."""
    info: dict[str, str] = {}
    inside = False
    for line in lines:
        if line.strip() == "Lock Info:":
            info, inside = {}, True
        elif inside and (field_match := _LOCK_FIELD.match(line)):
            info[field_match[1]] = field_match[2]
        else:
            inside = False
    return info if info.get("ID") else None


def _lock_time(created: str) -> str:
    """`2026-12-02 07:12:03.123456 +0000 UTC` -> `2026-12-02 07:12:03 UTC`."""
    match = _LOCK_CREATED.fullmatch(created.strip())
    return f"{match[1]} UTC" if match else created.strip() or "an unknown time"


@dataclass(frozen=True)
class TerraformBinary:
    path: Path
    flavour: str  # "terraform" or "tofu"
    version: tuple[int, int, int]

    @property
    def version_text(self) -> str:
        return ".".join(str(part) for part in self.version)


def binary_version(path: Path) -> TerraformBinary:
    """Ask a terraform or tofu binary for its version (`version -json`)."""
    answer = process.run([str(path), "version", "-json"], env=_base_env({}), timeout=60)
    try:
        text = json.loads(answer)["terraform_version"]
    except (ValueError, KeyError) as err:
        raise ToolchainError(f"{path}: unexpected `version -json` output") from err
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", text)
    if match is None:
        raise ToolchainError(f"{path}: cannot read version {text!r}")
    major, minor, patch = (int(part) for part in match.groups())
    flavour = "tofu" if "tofu" in path.name else "terraform"
    return TerraformBinary(path=path, flavour=flavour, version=(major, minor, patch))


def _in_background() -> None:
    """Lower the calling process to the idle scheduling class: it runs only on CPU time no
    other process wants. Niceness 19 still takes a share of a busy core, and on 2 cores an
    apply against the local AWS keeps both busy in bursts."""
    idle = getattr(os, "SCHED_IDLE", None)
    if idle is None:
        os.nice(_BACKGROUND_NICENESS)
        return
    os.sched_setscheduler(0, idle, os.sched_param(0))


def _base_env(extra: Mapping[str, str]) -> dict[str, str]:
    """PATH and HOME from the caller, automation settings, then the caller's extras."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "TMPDIR", "LANG") if key in os.environ}
    env.update({"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"})
    env.update(extra)
    return env


@dataclass
class TerraformRoot:
    """Runs one terraform binary in one working directory with one environment."""

    binary: TerraformBinary
    workdir: Path
    env: Mapping[str, str] = field(default_factory=dict)
    on_line: LineSink | None = None

    def _argv(self, command: str, *args: str, **options: object) -> list[str]:
        builder = Terraform(working_dir=str(self.workdir), terraform_bin_path=str(self.binary.path))
        options.setdefault("no_color", IsFlagged)
        return builder.generate_cmd_string(command, *args, **options)

    def init(
        self, backend_config: Path | Sequence[Path | str] | None = None, reconfigure: bool = False
    ) -> None:
        """`backend_config`: backend config files and key=value settings, in order (later ones
        win); None: no backend."""
        options: dict[str, object] = {"input": False}
        if isinstance(backend_config, Path):
            options["backend_config"] = [str(backend_config)]
        elif backend_config is not None:
            options["backend_config"] = [str(item) for item in backend_config]
        else:
            options["backend"] = False
        if reconfigure:
            options["reconfigure"] = IsFlagged
        self._run(self._argv("init", **options))

    def fmt(self, targets: Iterable[str], check: bool) -> list[str]:
        """Format (or with check, only list) the .tf files under `targets` that need it."""
        options: dict[str, object] = {"recursive": IsFlagged, "list": True}
        if check:
            options["check"] = IsFlagged
        listed: list[str] = []
        self._run(self._argv("fmt", *targets, **options), ok_codes=(0, 3), capture=listed.append)
        return [line for line in listed if line.strip()]

    def test(self) -> list[str]:
        """`terraform test`: the module's own *.tftest.hcl runs; returns terraform's output."""
        lines: list[str] = []
        self._run(self._argv("test"), capture=lines.append)
        return lines

    def plan(
        self,
        out: Path,
        *,
        destroy: bool = False,
        refresh_only: bool = False,
        var_files: Iterable[Path] = (),
        changes: list[StreamedChange] | None = None,
    ) -> PlanOutcome:
        """Plan into a saved plan file; terraform's -detailed-exitcode says if anything changes.

        With `changes`, terraform streams its machine-readable UI (`-json`) and each planned
        resource change is appended there: a summary without a `show -json` afterwards."""
        options: dict[str, object] = {
            "input": False,
            "out": str(out),
            "detailed_exitcode": IsFlagged,
            "var_file": [str(path) for path in var_files] or None,
        }
        if destroy:
            options["destroy"] = IsFlagged
        if refresh_only:
            options["refresh_only"] = IsFlagged
        if changes is None:
            code = self._run(self._argv("plan", **options), ok_codes=(0, 2))
            return PlanOutcome.CHANGES if code == 2 else PlanOutcome.NO_CHANGES
        options["json"] = IsFlagged
        errors: list[str] = []
        argv = self._argv("plan", **options)
        try:
            code = self._run(argv, ok_codes=(0, 2), capture=lambda line: self._ui_line(line, changes, errors))
        except StateLocked:
            raise
        except TerraformFailed as failed:
            tail = "\n".join(errors) or failed.stderr_tail
            lock = state_lock_info(tail.splitlines())
            if lock is not None:
                raise StateLocked(failed.command, failed.returncode, tail, lock, self.workdir) from None
            raise TerraformFailed(failed.command, failed.returncode, tail) from None
        return PlanOutcome.CHANGES if code == 2 else PlanOutcome.NO_CHANGES

    def _ui_line(self, line: str, changes: list[StreamedChange], errors: list[str]) -> None:
        """One line of terraform's `-json` UI: collect changes and errors, show the message."""
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            if self.on_line is not None:
                self.on_line(line)
            return
        if message.get("type") == "planned_change":
            change = message.get("change", {})
            resource = change.get("resource", {})
            changes.append(
                StreamedChange(
                    str(resource.get("addr")), str(resource.get("resource_type")), str(change.get("action"))
                )
            )
        if message.get("@level") == "error":
            diagnostic = message.get("diagnostic", {})
            summary = diagnostic.get("summary", message.get("@message", ""))
            errors.append(f"Error: {summary} {diagnostic.get('detail', '')}".strip())
        if self.on_line is not None and message.get("@message"):
            self.on_line(str(message["@message"]))

    def show_json(self, plan_file: Path, out: Path, background: bool = False) -> Path:
        """Write `terraform show -json PLAN` to `out` without holding it in memory. In the
        `background` it gets only CPU time nothing else wants (see `_in_background`)."""
        argv = self._argv("show", str(plan_file), json=IsFlagged)
        partial = out.with_name(out.name + ".partial")
        with partial.open("wb") as sink:
            self._run(argv, stdout=sink, background=background)
        partial.replace(out)
        return out

    def apply(self, plan_file: Path) -> None:
        """Apply exactly the saved plan; never re-plans."""
        self._run(self._argv("apply", str(plan_file), input=False))

    def _run(
        self,
        argv: list[str],
        *,
        ok_codes: tuple[int, ...] = (0,),
        stdout: object | None = None,
        capture: LineSink | None = None,
        background: bool = False,
    ) -> int:
        shown = [Path(argv[0]).name, *argv[1:]]
        tail: deque[str] = deque(maxlen=_STDERR_TAIL_LINES)
        scanned: deque[str] = deque(maxlen=_STDERR_SCANNED_LINES)
        try:
            process = subprocess.Popen(
                argv,
                cwd=self.workdir,
                env=_base_env(self.env),
                stdin=subprocess.DEVNULL,
                stdout=stdout if stdout is not None else subprocess.PIPE,
                stderr=subprocess.PIPE,
                # Own process group: a terminal's Ctrl-C reaches only us; we forward it once.
                start_new_session=True,
                # Before exec, so the provider plugins terraform starts inherit it.
                preexec_fn=_in_background if background else None,
            )
        except OSError as err:
            raise ToolchainError(f"{argv[0]}: cannot run: {err.strerror}") from err

        def pump_stderr() -> None:
            assert process.stderr is not None
            for raw in process.stderr:
                line = _ANSI.sub("", raw.decode(errors="replace").rstrip())
                scanned.append(line)
                if line.strip():
                    tail.append(line)
                if self.on_line is not None:
                    self.on_line(line)

        reader = threading.Thread(target=pump_stderr, daemon=True)
        reader.start()

        def pump_stdout() -> None:
            if process.stdout is None or stdout is not None:
                return
            for raw in process.stdout:
                line = raw.decode(errors="replace").rstrip("\n")
                if capture is not None:
                    capture(line)
                elif self.on_line is not None:
                    self.on_line(_ANSI.sub("", line))

        try:
            pump_stdout()
            returncode = process.wait()
        except KeyboardInterrupt:
            # terraform stops gracefully on one SIGINT: it finishes in-flight calls, writes
            # state and releases the lock. A second one would abandon the state, so later
            # Ctrl-Cs are not forwarded; its output keeps draining so it never blocks on a pipe.
            process.send_signal(signal.SIGINT)
            returncode = _wait_through_interrupts(process, pump_stdout)
            reader.join(timeout=5)
            raise Interrupted(
                f"interrupted `{' '.join(shown[:2])}` in {self.workdir}; terraform stopped "
                f"(exit {returncode}) after saving its state and releasing the lock"
            ) from None
        reader.join(timeout=5)
        if returncode not in ok_codes:
            lock = state_lock_info(scanned)
            if lock is not None:
                raise StateLocked(shown, returncode, "\n".join(tail), lock, self.workdir)
            raise TerraformFailed(shown, returncode, "\n".join(tail))
        return returncode


def _wait_through_interrupts(process: subprocess.Popen[bytes], drain: Callable[[], None]) -> int:
    """Wait for a terraform that was sent SIGINT, ignoring further Ctrl-Cs meanwhile."""
    while True:
        try:
            drain()
            return process.wait()
        except KeyboardInterrupt:
            continue
