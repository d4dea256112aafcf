"""What an apply leaves in the env's records: the ledger row, the tfvars snapshot, the config
manifest, the EnvironmentUpdate metric and event."""

from __future__ import annotations

import hashlib
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import applied, ledger, plans, records, render
from .config import EnvSettings
from .files import write_atomic
from .runner import PlanFiles, PlannedRun, Release, Runner, resources_of, stack_value, state_url, stored_state


@dataclass(frozen=True)
class Occasion:
    """Why an apply happens, as its ledger row and tfvars snapshot tell it."""

    event_type: records.EventType = records.EventType.DEPLOY
    approver: str | None = None
    reason: str | None = None
    parameters: dict[str, object] | None = None
    """What the snapshot stores on success: by default the env's rendered variables; a
    rollback passes the snapshot it re-applied."""


DEPLOY = Occasion()


def record_deployment(
    runner: Runner,
    env: EnvSettings,
    release: Release,
    run: PlannedRun,
    status: records.Status,
    actor: str,
    now: datetime,
    inputs: ManifestInputs,
    occasion: Occasion = DEPLOY,
) -> records.LedgerEntry | None:
    """Ledger row, parameters snapshot, metric and event for one apply; None if the env's
    ledger does not exist yet (a first deploy that failed before creating it). `inputs` gives
    what the config manifest takes from the saved plan."""
    key = records.state_key(env.name)
    state = stored_state(runner, env.region, key)  # as the apply left it
    outputs = applied.outputs(state, state_url(runner, env.region, key)) if state is not None else {}
    where = resources_of(env, stack_value(outputs))
    if where is None:
        runner.progress(f"{env.name:<10} record  skipped: the stack has no ledger yet")
        return None
    clients = runner.env_clients(env)
    digest = hashlib.sha256(run.plan_file.read_bytes()).hexdigest()
    manifest = None
    if status is records.Status.SUCCEEDED and state is not None:
        # What the drift validator compares between envs and what a rollback restores: both
        # stored, side by side, before the row announces them.
        manifest = applied_manifest(runner, env, release, run, state, inputs)
        parameters = occasion.parameters
        snapshot = parameters if parameters is not None else render.env_variables(runner.settings, env)
        with ThreadPoolExecutor(max_workers=2) as pool:
            storing = [
                pool.submit(ledger.put_manifest, clients, where, manifest),
                pool.submit(ledger.snapshot, clients, where, release.version, snapshot),
            ]
            for stored in storing:
                stored.result()
    entry = records.LedgerEntry.create(
        env=env.name,
        at=now,
        event_id=uuid.uuid4().hex,
        version=release.version,
        source_commit=release.source_commit,
        event_type=occasion.event_type,
        status=status,
        actor=actor,
        plan_digest=digest,
        reason=occasion.reason,
        approver=occasion.approver,
        manifest_sha256=manifest.sha256() if manifest else None,
    )
    ledger.record(clients, where, entry)
    update = records.EnvironmentUpdate.from_entry(entry)  # carries the row's key: recorded once
    ledger.publish_update(clients, update)
    approved = f", approved by {occasion.approver}" if occasion.approver else ""
    runner.progress(
        f"{env.name:<10} record  {occasion.event_type} {status} {release.version} by {actor}{approved}"
    )
    return entry


def applied_manifest(
    runner: Runner,
    env: EnvSettings,
    release: Release,
    run: PlannedRun,
    state: bytes,
    inputs: ManifestInputs,
) -> records.Manifest:
    """The env's config manifest as applied: its `state` after the apply, the saved plan's root
    variables and the code's configuration, read as a plan (`applied.plan_document`). No
    terraform runs here, so no provider starts a second time."""
    from . import drift

    where = state_url(runner, env.region, records.state_key(env.name))
    path = runner.workspace.run_dir(run.name) / "applied.json"
    write_atomic(path, inputs.document(state, where))
    aliases = runner.settings.aliases.get(env.name, ())
    others = runner.settings.others(env.name)
    return drift.env_manifest(env.name, plans.load(path), release.version, env.region, aliases, others)


class ManifestInputs:
    """What the config manifest takes from a deploy's saved plan: its root variables,
    terraform's version and the `configuration` section of its JSON form.

    A plan file of a verified format (`PlanFiles.saved`) gives the first two. The
    configuration depends only on the code, and every plan JSON exported (by `plan`,
    `drift-report`, a deploy) keeps it per code digest (`PlanFiles.export`): deploys of code
    already planned or deployed (the same release in dev, staging and prod; redeploys) run no
    `terraform show -json`. Otherwise, and for plans of any other format (all three then come
    from the JSON form), the export starts at once, on idle CPU, while terraform applies."""

    def __init__(self, plan_files: PlanFiles, run: PlannedRun) -> None:
        self._run = run
        self._saved = plan_files.saved(run.plan_file)
        self._kept = plan_files.configuration_path(self._saved.code_digest) if self._saved else None
        self._thread: threading.Thread | None = None
        if self._kept is None or not self._kept.is_file():
            self._thread = threading.Thread(
                target=self._export_quietly, name=f"export-{run.name}", daemon=True
            )
            self._thread.start()

    def _export_quietly(self) -> None:
        try:
            self._run.export_json(background=True)
        except Exception:  # `_exported` exports again and reports the failure
            return

    def _exported(self) -> Path:
        if self._thread is not None:
            self._thread.join()
        return self._run.plan_json  # raises what went wrong in the background, if anything

    def document(self, state: bytes, where: str) -> bytes:
        """The env as applied, `state` its resources, as a plan document (`applied.plan_document`)."""
        if self._saved is None or self._kept is None:
            configuration, variables, version = applied.shown_inputs(self._exported().read_bytes())
            return applied.plan_document(state, configuration, variables, version, where)
        if not self._kept.is_file():
            self._exported()  # keeps the configuration
        configuration = self._kept.read_bytes()
        return applied.plan_document(
            state, configuration, self._saved.variables, self._saved.terraform_version, where
        )
