"""The promotion's ports (`promote.Ports`) against the real world."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta

from . import ledger, records
from .config import EnvSettings
from .recording import Occasion
from .runner import Release, Runner, env_resources
from .workflow import Applied, Clock, deploy_release

DriftCheck = Callable[[EnvSettings, Release], bool | None]
"""Whether the env, refreshed with the release it runs, has live drift; None when it could not
be checked."""


class PromotionPorts:
    """`promote.Ports` against the real world: the ledgers, the deploy path and `check_drift`
    (in practice `drift_runs.live_drift`: a refresh-only plan)."""

    def __init__(
        self,
        runner: Runner,
        release: Release,
        actor: str,
        ask: Callable[[str, str], str | None],
        clock: Clock,
        sleep: Callable[[float], None],
        check_drift: DriftCheck,
    ) -> None:
        self.runner = runner
        self.release = release
        self.actor = actor
        self._ask = ask
        self._clock = clock
        self._sleep = sleep
        self._check_drift = check_drift
        self.applied: dict[str, Applied] = {}
        self._running: dict[str, Release] = {}

    def _env(self, name: str) -> EnvSettings:
        return self.runner.settings.env(name, self.runner.workspace.config_path)

    def history(self, env: str) -> list[records.LedgerEntry]:
        settings = self._env(env)
        where = env_resources(self.runner, settings)
        if where is None:
            return []
        rows = ledger.history(self.runner.env_clients(settings), where)
        current = records.latest_successful(rows, env=env)
        if current is not None:
            self._running[env] = Release(current.version, current.source_commit)
        return rows

    def live_drift(self, env: str) -> bool | None:
        # The release the env runs: its Version/SourceCommit default tags are part of what the
        # refresh compares, so another version's tags would show up as drift everywhere.
        return self._check_drift(self._env(env), self._running.get(env, self.release))

    def hold(self, target: str) -> AbstractContextManager[None]:
        return self.runner.hold(self._env(target), self.actor, self._clock)

    def ask_approval(self, target: str, version: str) -> str | None:
        return self._ask(target, version)

    def deploy(
        self, target: str, version: str, approver: str | None, reason: str | None
    ) -> records.LedgerEntry | None:
        release = Release(version=version, source_commit=self.release.source_commit)
        applied = deploy_release(
            self.runner,
            self._env(target),
            release,
            self.actor,
            self._clock,
            Occasion(approver=approver, reason=reason),
        )
        self.applied[target] = applied
        return applied.entry

    def now(self) -> datetime:
        return self._clock()

    def sleep(self, span: timedelta) -> None:
        self._sleep(span.total_seconds())

    def progress(self, line: str) -> None:
        self.runner.progress(line)
