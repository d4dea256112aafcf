"""Roll one env back to a recorded version: the ledger and config store around the decisions
in `infrarep.rollback`, then the deploy path with the version's tfvars snapshot."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .. import ledger, records
from ..config import EnvSettings
from ..files import write_atomic
from ..recording import Occasion
from ..rollback import DEFAULT_REASON, RollbackRefused, check_code, recorded_deploy
from ..runner import Release, Runner, env_resources
from ..workflow import Applied, Clock, deploy_release
from .context import Progress, actor_name, now, open_env_job


@dataclass(frozen=True)
class RollbackOptions:
    env: str
    version: str
    config_path: Path
    reason: str | None = None
    force: bool = False
    actor: str | None = None
    verbose: bool = False


def rollback(options: RollbackOptions, progress: Progress) -> RolledBack:
    """Check the project, then `roll_back` the env with the code of this checkout."""
    job = open_env_job(options.config_path, options.env, None, progress, options.verbose)
    reason = options.reason or DEFAULT_REASON
    who = actor_name(options.actor)
    return roll_back(job.runner, job.env, options.version, reason, who, now, job.release, options.force)


@dataclass(frozen=True)
class RolledBack:
    applied: Applied
    restored: records.LedgerEntry
    """The DEPLOY row whose snapshot was re-applied."""
    note: str | None
    """Set when the code version differs from the recorded one (only with --force)."""


def roll_back(
    runner: Runner,
    env: EnvSettings,
    version: str,
    reason: str,
    actor: str,
    clock: Clock,
    current: Release,
    force: bool,
) -> RolledBack:
    """Re-apply `version`'s tfvars snapshot to `env` and record a ROLLBACK row with `reason`."""
    where = env_resources(runner, env)
    if where is None:
        raise RollbackRefused(f"{env.name}: never deployed, nothing to roll back to")
    clients = runner.env_clients(env)
    restored = recorded_deploy(
        ledger.rows_of_version(clients, where, version),
        env.name,
        version,
        lambda: ledger.history(clients, where),
    )
    parameters = ledger.read_snapshot(clients, where, version)
    if parameters is None:
        raise RollbackRefused(
            f"{env.name}: no tfvars snapshot of {version} in s3://{where.config_bucket}/"
            f"{records.tfvars_key(env.name, version)}",
            hint="only deployments recorded by `infrarep deploy`/`promote` have one",
        )
    note = check_code(restored, current.source_commit, force)
    if note:
        runner.progress(f"{env.name:<10} code    {note}")
    with runner.hold(env, actor, clock):  # before the snapshot is written: a refused run writes nothing
        snapshot_file = runner.workspace.run_dir(env.name) / "rollback.tfvars.json"
        write_atomic(snapshot_file, json.dumps(parameters, sort_keys=True, indent=2) + "\n")
        release = Release(version=version, source_commit=current.source_commit)
        occasion = Occasion(
            records.EventType.ROLLBACK, reason=f"{reason} ({note})" if note else reason, parameters=parameters
        )
        applied = deploy_release(runner, env, release, actor, clock, occasion, var_files=[snapshot_file])
    return RolledBack(applied, restored, note)
