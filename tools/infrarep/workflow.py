"""The deploy path (plan, apply exactly that plan, record it) and what deploy, promote and
rollback build on it."""

from __future__ import annotations

import hashlib
import importlib
import json
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from . import (
    applied,
    env_lock,
    ledger,
    plans,
    records,
    render,
)
from .config import EnvSettings, Settings
from .errors import ConfigError, InfrarepError, Interrupted
from .files import write_atomic
from .release import BUNDLE_KEY, Bundle
from .runner import (
    PlanFiles,
    PlannedRun,
    Release,
    Runner,
    env_resources,
    resources_of,
    root_outputs,
    stack_value,
    state_url,
    stored_state,
)
from .workspace import Workspace


class StaleRender(InfrarepError):
    """A rendered file no longer matches environments.yaml: terraform would run on old inputs."""


def require_fresh_render(settings: Settings, envs: list[EnvSettings], workspace: Workspace) -> None:
    wanted = render.wanted_files(settings, envs, workspace.project)
    for path, text in wanted.items():
        current = path.read_text() if path.exists() else None
        if current != text:
            raise StaleRender(
                f"{path.relative_to(workspace.project)}: stale, does not match {workspace.config_path.name}",
                hint="run `infrarep render` (and commit the result)",
            )


def require_packages(workspace: Workspace, names: list[str]) -> None:
    for name in names:
        if not (workspace.lambda_packages() / f"{name}.zip").exists():
            raise ConfigError(
                f"{workspace.lambda_packages() / name}.zip: missing Lambda package",
                hint="run `infrarep package`",
            )


def upload_release(runner: Runner, bundle: Bundle) -> tuple[str, str | None]:
    """Put the bundle at BUNDLE_KEY in the control plane's config store (a new object version
    starts the pipeline). Returns the bucket and the object's version id."""
    control = root_outputs(runner, runner.settings.control_region, render.CONTROL_PLANE_STATE_KEY)
    bucket = control.get("config_bucket", {}).get("value")
    if not bucket:
        raise InfrarepError(
            f"release: no config store yet ({render.CONTROL_PLANE_ROOT} has no outputs)",
            hint="deploy it first: make control-plane",
        )
    runner.progress(f"{'release':<10} upload  {bundle.version} -> s3://{bucket}/{BUNDLE_KEY}")
    stored = runner.clients(runner.settings.control_region).s3.put_object(
        Bucket=bucket,
        Key=BUNDLE_KEY,
        Body=bundle.data,
        ContentType="application/zip",
        Metadata={"version": bundle.version, "source-commit": bundle.source_commit, "sha256": bundle.sha256},
    )
    return bucket, stored.get("VersionId")


def record_deployment(
    runner: Runner,
    env: EnvSettings,
    release: Release,
    run: PlannedRun,
    status: records.Status,
    actor: str,
    now: datetime,
    inputs: ManifestInputs,
    *,
    event_type: records.EventType = records.EventType.DEPLOY,
    approver: str | None = None,
    reason: str | None = None,
    parameters: dict[str, object] | None = None,
) -> records.LedgerEntry | None:
    """Ledger row, parameters snapshot, metric and event for one apply; None if the env's
    ledger does not exist yet (a first deploy that failed before creating it).

    `parameters` is what the snapshot stores on success: by default the env's rendered
    variables; a rollback passes the snapshot it re-applied. `inputs` gives what the config
    manifest takes from the saved plan."""
    key = render.env_state_key(env)
    state = stored_state(runner, env.region, key)  # as the apply left it
    outputs = applied.outputs(state, state_url(runner, env.region, key)) if state is not None else {}
    where = resources_of(env, stack_value(outputs))
    if where is None:
        runner.progress(f"{env.name:<10} record  skipped: the stack has no ledger yet")
        return None
    clients = runner.clients(env.region)
    digest = hashlib.sha256(run.plan_file.read_bytes()).hexdigest()
    manifest = None
    if status is records.Status.SUCCEEDED and state is not None:
        # What the drift validator compares between envs and what a rollback restores: both
        # stored, side by side, before the row announces them.
        manifest = applied_manifest(runner, env, release, run, state, inputs)
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
        event_type=event_type,
        status=status,
        actor=actor,
        plan_digest=digest,
        reason=reason,
        approver=approver,
        manifest_sha256=manifest.sha256() if manifest else None,
    )
    ledger.record(clients, where, entry)
    update = records.EnvironmentUpdate.from_entry(entry)  # carries the row's key: recorded once
    ledger.publish_update(clients, update)
    approved = f", approved by {approver}" if approver else ""
    runner.progress(f"{env.name:<10} record  {event_type} {status} {release.version} by {actor}{approved}")
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

    where = state_url(runner, env.region, render.env_state_key(env))
    path = runner.workspace.run_dir(run.name) / "applied.json"
    write_atomic(path, inputs.document(state, where))
    return drift.env_manifest(env.name, plans.load(path), release.version, env.region)


Clock = Callable[[], datetime]


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
    *,
    event_type: records.EventType = records.EventType.DEPLOY,
    approver: str | None = None,
    reason: str | None = None,
    var_files: Sequence[Path] = (),
    parameters: dict[str, object] | None = None,
) -> Applied:
    """The one deploy path (deploy, promote, rollback): hold the env, plan to a saved plan,
    apply exactly that plan, record SUCCEEDED, or FAILED / INTERRUPTED and re-raise.
    `var_files` come before the release file (a rollback's snapshot overrides the rendered
    tfvars)."""
    with runner.hold(env, actor, clock):
        return _plan_apply_record(
            runner,
            env,
            release,
            actor,
            clock,
            event_type=event_type,
            approver=approver,
            reason=reason,
            var_files=var_files,
            parameters=parameters,
        )


def _plan_apply_record(
    runner: Runner,
    env: EnvSettings,
    release: Release,
    actor: str,
    clock: Clock,
    *,
    event_type: records.EventType,
    approver: str | None,
    reason: str | None,
    var_files: Sequence[Path],
    parameters: dict[str, object] | None,
) -> Applied:
    root = runner.workspace.env_root(env.name)
    runner.init(env.name, root, root / render.BACKEND_FILE)
    threading.Thread(target=runner.clients, args=(env.region,), daemon=True).start()  # while terraform works
    run = runner.plan(
        env.name,
        root,
        root / render.BACKEND_FILE,
        [*var_files, runner.release_vars(env.name, release)],
        export_json=False,
    )
    inputs = ManifestInputs(runner.plan_files, run)
    # The drift engine (for the config manifest) is imported while terraform applies, not after.
    threading.Thread(target=importlib.import_module, args=(f"{__package__}.drift",), daemon=True).start()

    def record(status: records.Status) -> records.LedgerEntry | None:
        return record_deployment(
            runner,
            env,
            release,
            run,
            status,
            actor,
            clock(),
            event_type=event_type,
            approver=approver,
            reason=reason,
            parameters=parameters,
            inputs=inputs,
        )

    try:
        runner.apply(run)
    except Interrupted:
        record(records.Status.INTERRUPTED)
        raise
    except InfrarepError:
        record(records.Status.FAILED)
        raise
    return Applied(run, record(records.Status.SUCCEEDED))


LISTED_FINDINGS = 5
"""Live drift findings a promotion names before `... and N more`."""


class PromotionPorts:
    """`promote.Ports` against the real world: ledgers, refresh-only plans, the deploy path."""

    def __init__(
        self,
        runner: Runner,
        release: Release,
        actor: str,
        ask: Callable[[str, str], str | None],
        clock: Clock,
        sleep: Callable[[float], None],
    ) -> None:
        self.runner = runner
        self.release = release
        self.actor = actor
        self._ask = ask
        self._clock = clock
        self._sleep = sleep
        self.applied: dict[str, Applied] = {}
        self._running: dict[str, Release] = {}

    def _env(self, name: str) -> EnvSettings:
        return self.runner.settings.env(name, self.runner.workspace.config_path)

    def history(self, env: str) -> list[records.LedgerEntry]:
        settings = self._env(env)
        where = env_resources(self.runner, settings)
        if where is None:
            return []
        rows = ledger.history(self.runner.clients(settings.region), where)
        current = records.latest_successful(rows, env=env)
        if current is not None:
            self._running[env] = Release(current.version, current.source_commit)
        return rows

    def live_drift(self, env: str) -> bool | None:
        from . import drift, drift_runs

        settings = self._env(env)
        # The release the env runs: its Version/SourceCommit default tags are part of what the
        # refresh compares, so another version's tags would show up as drift everywhere.
        running = self._running.get(env, self.release)
        policy_file = self.runner.workspace.config_path.parent / drift.DEFAULT_POLICY_NAME
        try:
            policy = drift.load_policy(policy_file) if policy_file.exists() else None
            env_plans = drift_runs.plan_in_parallel(
                self.runner, [settings], frozenset({drift.Kind.LIVE}), running, self.progress
            )
            report = drift.analyse(env_plans, [drift.Kind.LIVE], policy=policy, manifests=False)
        except Interrupted:
            raise
        except InfrarepError as err:
            self.progress(f"{env:<10} drift   could not be checked: {err.message}")
            return None
        count = report.drift_count(drift.Kind.LIVE)
        self.progress(f"{env:<10} drift   {f'{count} live drift finding(s)' if count else 'none'}")
        drifted = [finding for finding in report.findings if finding.verdict is drift.Verdict.DRIFT]
        for finding in drifted[:LISTED_FINDINGS]:
            changed = ", ".join(attribute.path for attribute in finding.attributes) or str(finding.change)
            self.progress(f"{env:<10} drift   {finding.address}: {changed}")
        if len(drifted) > LISTED_FINDINGS:
            self.progress(f"{env:<10} drift   ... and {len(drifted) - LISTED_FINDINGS} more")
        return report.drift

    def hold(self, target: str) -> AbstractContextManager[None]:
        return self.runner.hold(self._env(target), self.actor, self._clock)

    def ask_approval(self, target: str, version: str) -> str | None:
        return self._ask(target, version)

    def deploy(
        self, target: str, version: str, approver: str | None, reason: str | None
    ) -> records.LedgerEntry | None:
        release = Release(version=version, source_commit=self.release.source_commit)
        applied = deploy_release(
            self.runner, self._env(target), release, self.actor, self._clock, approver=approver, reason=reason
        )
        self.applied[target] = applied
        return applied.entry

    def now(self) -> datetime:
        return self._clock()

    def sleep(self, span: timedelta) -> None:
        self._sleep(span.total_seconds())

    def progress(self, line: str) -> None:
        self.runner.progress(line)


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
    from . import rollback

    where = env_resources(runner, env)
    if where is None:
        raise rollback.RollbackRefused(f"{env.name}: never deployed, nothing to roll back to")
    clients = runner.clients(env.region)
    restored = rollback.recorded_deploy(
        ledger.rows_of_version(clients, where, version),
        env.name,
        version,
        lambda: ledger.history(clients, where),
    )
    parameters = ledger.read_snapshot(clients, where, version)
    if parameters is None:
        raise rollback.RollbackRefused(
            f"{env.name}: no tfvars snapshot of {version} in s3://{where.config_bucket}/"
            f"{records.tfvars_key(env.name, version)}",
            hint="only deployments recorded by `infrarep deploy`/`promote` have one",
        )
    note = rollback.check_code(restored, current.source_commit, force)
    if note:
        runner.progress(f"{env.name:<10} code    {note}")
    with runner.hold(env, actor, clock):  # before the snapshot is written: a refused run writes nothing
        snapshot_file = runner.workspace.run_dir(env.name) / "rollback.tfvars.json"
        write_atomic(snapshot_file, json.dumps(parameters, sort_keys=True, indent=2) + "\n")
        release = Release(version=version, source_commit=current.source_commit)
        applied = deploy_release(
            runner,
            env,
            release,
            actor,
            clock,
            event_type=records.EventType.ROLLBACK,
            reason=f"{reason} ({note})" if note else reason,
            var_files=[snapshot_file],
            parameters=parameters,
        )
    return RolledBack(applied, restored, note)


def unlock_env(runner: Runner, env: EnvSettings, lock_id: str, clock: Clock) -> env_lock.Holder | None:
    """Release `env`'s lock `lock_id` left by a run that ended without releasing it; the holder
    it named, or None if the env was not held."""
    store, key = runner.env_locks(env)
    return env_lock.unlock(store, key, env.name, lock_id, clock())
