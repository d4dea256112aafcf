"""The one deploy path deploy, promote and rollback share: hold the env, plan to a saved plan,
apply exactly that plan, record the outcome."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import records
from .config import EnvSettings
from .errors import InfrarepError, Interrupted
from .recording import DEPLOY, ManifestInputs, Occasion, record_deployment
from .runner import PlannedRun, Release, Runner

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Applied:
    run: PlannedRun
    entry: records.LedgerEntry | None


def deploy_release(
    runner: Runner,
    env: EnvSettings,
    release: Release,
    actor: str,
    clock: Clock,
    occasion: Occasion = DEPLOY,
    var_files: Sequence[Path] = (),
) -> Applied:
    """The one deploy path (deploy, promote, rollback): hold the env, plan to a saved plan,
    apply exactly that plan, record SUCCEEDED, or FAILED / INTERRUPTED and re-raise.
    `var_files` come before the release file (a rollback's snapshot overrides the rendered
    tfvars)."""
    with runner.hold(env, actor, clock):
        return _plan_apply_record(runner, env, release, actor, clock, occasion, var_files)


def _plan_apply_record(
    runner: Runner,
    env: EnvSettings,
    release: Release,
    actor: str,
    clock: Clock,
    occasion: Occasion,
    var_files: Sequence[Path],
) -> Applied:
    root = runner.workspace.env_root(env.name)
    runner.init(env.name, root, runner.backend(root))
    threading.Thread(target=runner.clients, args=(env.region,), daemon=True).start()  # while terraform works
    run = runner.plan(
        env.name,
        root,
        runner.backend(root),
        [*var_files, runner.release_vars(env.name, release)],
        export_json=False,
    )
    inputs = ManifestInputs(runner.plan_files, run)
    # The drift engine (for the config manifest) is imported while terraform applies, not after.
    threading.Thread(target=importlib.import_module, args=(f"{__package__}.drift",), daemon=True).start()

    def record(status: records.Status) -> records.LedgerEntry | None:
        return record_deployment(runner, env, release, run, status, actor, clock(), inputs, occasion)

    try:
        runner.apply(run)
    except Interrupted:
        record(records.Status.INTERRUPTED)
        raise
    except InfrarepError:
        record(records.Status.FAILED)
        raise
    return Applied(run, record(records.Status.SUCCEEDED))
