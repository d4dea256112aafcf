"""Plan and apply one Terraform root: the steps plan, deploy, promote and rollback share.

This is where adapters meet: the toolchain, the local AWS and terraform. Decisions (what a
plan means, whether a gate holds) stay in the pure modules.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from . import (
    applied,
    env_lock,
    ledger,
    local_aws,
    lock_store,
    pins,
    planfile,
    plans,
    records,
    render,
    toolchain,
)
from .config import EnvSettings, Settings, Target
from .errors import ConfigError, InfrarepError, Interrupted
from .files import write_atomic
from .release import BUNDLE_KEY, Bundle, checked_version, conflicting_bundle, version_key
from .release import recorded as bundled_release
from .terraform import PlanOutcome, StreamedChange, TerraformBinary, TerraformRoot

Progress = Callable[[str], None]


class StaleRender(InfrarepError):
    """A rendered file no longer matches environments.yaml: terraform would run on old inputs."""


@dataclass(frozen=True)
class Release:
    version: str
    source_commit: str


@dataclass(frozen=True)
class PlannedRun:
    """A saved plan that `apply` applies exactly, never re-planning.

    `plan_json` is `terraform show -json` of the plan, exported on first use: deploy takes
    its summary from the plan's streamed UI and never pays for the export."""

    name: str
    root: Path
    plan_file: Path
    summary: plans.PlanSummary
    seconds: float
    export_json: Callable[..., Path] = field(repr=False, compare=False)  # (background=False)

    @property
    def plan_json(self) -> Path:
        return self.export_json()


KEPT_RUNS = 10
"""Run directories kept per root (`.infrarep/runs/<name>/`); older ones go when a run plans."""
_RUN_ID = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{8}")


def new_run_id() -> str:
    """`20261202T071203Z-3f2a9c1b`: in time order, unique across the processes of a checkout."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Workspace:
    """Where the project, its per-run files and the local AWS state live. Each run (each
    infrarep process) keeps its plans and tfvars in its own directory, so a second run of an
    env never replaces the saved plan the first is about to apply."""

    project: Path
    state_dir: Path
    config_path: Path
    run_id: str = field(default_factory=new_run_id)

    def env_root(self, env: str) -> Path:
        return self.project / "envs" / env

    def run_dir(self, name: str) -> Path:
        return self.state_dir / "runs" / name / self.run_id

    def prune_runs(self, name: str, keep: int = KEPT_RUNS) -> None:
        """Remove all but the `keep` newest run directories of `name` (never this run's), and
        whatever else lies there (the single-directory layout of earlier versions)."""
        runs = self.state_dir / "runs" / name
        entries = [path.name for path in runs.iterdir()] if runs.is_dir() else []
        for entry in stale_runs(entries, self.run_id, keep):
            path = runs / entry
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    def lambda_packages(self) -> Path:
        return self.project / "dist" / "lambda"


def stale_runs(names: Sequence[str], current: str, keep: int) -> list[str]:
    """Entries of a root's runs directory to remove: all but the `keep` newest runs (by id,
    which sorts in time order) and the `current` one; anything not named like a run."""
    runs = sorted(name for name in names if _RUN_ID.fullmatch(name) and name != current)
    kept = set(runs[-(keep - 1) :]) if keep > 1 else set()
    return sorted(name for name in names if name != current and name not in kept)


INIT_MARKER = "infrarep-init.sha256"
"""In a root's .terraform/: what the last successful `init` there was run with."""


def streamed_summary(changes: Sequence[StreamedChange]) -> plans.PlanSummary:
    """The plan summary from `plan -json`'s planned changes: managed resources, reads left out."""
    kept = {action.value for action in plans.Action} - {plans.Action.READ.value, plans.Action.NO_OP.value}
    return plans.PlanSummary(
        tuple(
            plans.PlannedAction(change.address, change.type, plans.Action(change.action))
            for change in changes
            if change.action in kept
        )
    )


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


class PlanFiles:
    """Reads the saved plans one terraform (or tofu) binary writes. Their format is terraform's
    internal one: `planfile` reads it only for the versions a test verified. Plans of any other
    version are read through `show -json`, which starts the provider (5 s of CPU) each time;
    the first such read says so."""

    def __init__(self, binary: TerraformBinary, configurations: Path, progress: Progress) -> None:
        self.binary = binary
        self.configurations = configurations
        self.progress = progress
        self._said_unverified = False
        self._saying = threading.Lock()

    def saved(self, plan_file: Path) -> planfile.SavedPlan | None:
        """The saved plan as `planfile` reads it; None if its format is not one a test verified
        (read its `show -json` form instead)."""
        flavour, version = self.binary.flavour, self.binary.version_text
        if planfile.format_verified(flavour, version):
            saved = planfile.read(plan_file)
            if saved.terraform_version == version:
                return saved
            version = saved.terraform_version  # a pre-release: the binary's version drops its suffix
        with self._saying:  # once, though envs are planned in parallel
            if not self._said_unverified:
                self._said_unverified = True
                verified = (
                    ", ".join(" ".join(pair) for pair in sorted(pins.VERIFIED_PLANFILE_FORMATS)) or "none"
                )
                self.progress(
                    f"{'plans':<10} {flavour} {version}: saved-plan format not verified (verified: "
                    f"{verified}); reading plans with `show -json` instead (slower)"
                )
        return None

    def configuration_path(self, code_digest: str) -> Path:
        """Where the configuration of the code with `code_digest` is kept."""
        return self.configurations / f"{code_digest}.json"

    def export(
        self, root: TerraformRoot, plan_file: Path, out: Path, refresh_only: bool, background: bool
    ) -> Path:
        """The saved plan's JSON form at `out`. A refresh-only plan of code whose configuration
        is kept is read from the plan file itself (its previous and refreshed states:
        `applied.refresh_document`); otherwise `terraform show -json` (5 s of CPU: it starts
        the provider for its schema), and the configuration is kept for the same code."""
        saved = self.saved(plan_file)
        if saved is None:
            return root.show_json(plan_file, out, background)
        kept = self.configuration_path(saved.code_digest)
        if refresh_only and kept.is_file():
            write_atomic(out, applied.refresh_document(saved, kept.read_bytes()))
            return out
        plan_json = root.show_json(plan_file, out, background)
        write_atomic(kept, applied.configuration_of(plan_json.read_bytes()))
        return plan_json


class Runner:
    """Runs terraform for the roots of one project against the configured target."""

    def __init__(self, settings: Settings, workspace: Workspace, progress: Progress, verbose: bool) -> None:
        self.settings = settings
        self.workspace = workspace
        self.progress = progress
        self.verbose = verbose
        self.tools = toolchain.load(toolchain.CachePaths.from_env(_environ()))
        self.local = local_aws.require(workspace.state_dir) if settings.target is Target.LOCAL else None
        self.plan_files = PlanFiles(self.tools.binary(), workspace.state_dir / "configurations", progress)
        self._clients: dict[str, ledger.Clients] = {}
        self._clients_lock = threading.Lock()
        self._held: set[str] = set()

    def clients(self, region: str) -> ledger.Clients:
        """boto3 clients for `region` against the configured target, built once per region."""
        with self._clients_lock:
            if region not in self._clients:
                self._clients[region] = ledger.make_clients(
                    region,
                    endpoint=self.local.endpoint if self.local else None,
                    ca_bundle=self.local.ca_bundle if self.local else None,
                )
            return self._clients[region]

    def env_locks(self, env: EnvSettings) -> tuple[lock_store.S3LockStore, str]:
        """Where `env`'s lock lives: its region's state bucket, beside its state."""
        store = lock_store.S3LockStore(
            self.clients(env.region).s3, render.state_bucket(self.settings, env.region)
        )
        return store, env_lock.lock_key(render.env_state_key(env))

    @contextmanager
    def hold(self, env: EnvSettings, actor: str, clock: Callable[[], datetime]) -> Iterator[None]:
        """Hold `env` for this run from before its plan until after its apply (`env_lock`).
        Holding an env this run holds already (a promotion step's deploy) adds nothing."""
        if env.name in self._held:
            yield
            return
        store, key = self.env_locks(env)
        holder = env_lock.Holder(
            id=uuid.uuid4().hex[:12],
            env=env.name,
            actor=actor,
            host=socket.gethostname(),
            pid=os.getpid(),
            command=_command_line(),
            since=clock(),
        )
        with env_lock.held(store, key, holder, clock(), self.progress):
            self._held.add(env.name)
            try:
                yield
            finally:
                self._held.discard(env.name)

    def root(self, path: Path) -> TerraformRoot:
        env = dict(self.tools.terraform_env())
        if self.local is not None:
            env.update(self.local.terraform_env())
        return TerraformRoot(
            self.tools.binary(), path, env=env, on_line=self.progress if self.verbose else None
        )

    def plan(
        self,
        name: str,
        root_dir: Path,
        backend_config: list[str] | Path,
        var_files: list[Path],
        destroy: bool = False,
        refresh_only: bool = False,
        export_json: bool = True,
    ) -> PlannedRun:
        """Init (cached), plan to a saved plan, summarise. With `export_json` the plan JSON is
        written now (and summarised); without, the summary comes from terraform's streamed UI
        and the JSON is exported only if something reads `plan_json`."""
        started = time.monotonic()
        run_dir = self.workspace.run_dir(name)
        run_dir.mkdir(parents=True, exist_ok=True)
        self.workspace.prune_runs(name)
        root = self.root(root_dir)
        self.init(name, root_dir, backend_config)
        kind = "destroy" if destroy else "refresh" if refresh_only else "plan"
        plan_file = run_dir / f"{kind}.tfplan"
        self.progress(f"{name:<10} {kind}")

        exported: list[Path] = []
        exporting = threading.Lock()

        def export(background: bool = False) -> Path:
            with exporting:  # once, even when a background export and a reader race
                if not exported:
                    out = run_dir / f"{kind}.json"
                    exported.append(self._export(root, plan_file, out, refresh_only, background))
                return exported[0]

        if export_json:
            outcome = root.plan(plan_file, destroy=destroy, refresh_only=refresh_only, var_files=var_files)
            summary = plans.summarise(export())
        else:
            streamed: list[StreamedChange] = []
            outcome = root.plan(
                plan_file, destroy=destroy, refresh_only=refresh_only, var_files=var_files, changes=streamed
            )
            summary = streamed_summary(streamed)
        seconds = time.monotonic() - started
        changes = summary.headline() if outcome is PlanOutcome.CHANGES else "no changes"
        self.progress(f"{name:<10} {kind:<7} {changes}  {seconds:.1f}s")
        return PlannedRun(name, root_dir, plan_file, summary, seconds, export)

    def _export(
        self, root: TerraformRoot, plan_file: Path, out: Path, refresh_only: bool, background: bool
    ) -> Path:
        return self.plan_files.export(root, plan_file, out, refresh_only, background)

    def init(self, name: str, root_dir: Path, backend_config: list[str] | Path) -> None:
        """`terraform init`, skipped when nothing it depends on changed since the last one."""
        marker = root_dir / ".terraform" / INIT_MARKER
        key = self._init_key(root_dir, backend_config)
        if marker.exists() and marker.read_text() == key:
            return
        self.progress(f"{name:<10} init")
        self.root(root_dir).init(backend_config=backend_config)
        write_atomic(marker, key)

    def _init_key(self, root_dir: Path, backend_config: list[str] | Path) -> str:
        """Digest of what `init` reads: the root's and modules' Terraform files, the lock file,
        the backend settings, the CLI config (provider mirror) and the terraform binary."""
        digest = hashlib.sha256()
        backend = (
            backend_config.read_bytes()
            if isinstance(backend_config, Path)
            else "\n".join(backend_config).encode()
        )
        digest.update(backend + b"\0")
        env = self.root(root_dir).env
        for name in ("TF_CLI_CONFIG_FILE", "AWS_ENDPOINT_URL_S3"):
            digest.update(f"{name}={env.get(name, '')}\0".encode())
        cli_config = Path(env["TF_CLI_CONFIG_FILE"]) if env.get("TF_CLI_CONFIG_FILE") else None
        if cli_config is not None and cli_config.is_file():
            digest.update(cli_config.read_bytes())
        digest.update(f"{self.tools.binary().path}:{self.tools.binary().version_text}\0".encode())
        modules = self.workspace.project / "modules"
        files = [*root_dir.glob("*.tf"), *root_dir.glob("*.tf.json"), *root_dir.glob(".terraform.lock.hcl")]
        files += (
            [path for path in modules.rglob("*.tf") if ".terraform" not in path.parts]
            if modules.is_dir()
            else []
        )
        for path in sorted(files):
            digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()

    def apply(self, run: PlannedRun) -> float:
        started = time.monotonic()
        self.progress(f"{run.name:<10} apply   {run.summary.headline()}")
        self.root(run.root).apply(run.plan_file)
        seconds = time.monotonic() - started
        self.progress(f"{run.name:<10} applied {run.summary.headline()}  {seconds:.1f}s")
        return seconds

    def release_vars(self, env: str, release: Release) -> Path:
        path = self.workspace.run_dir(env) / "release.tfvars.json"
        write_atomic(
            path,
            json.dumps({"release_version": release.version, "source_commit": release.source_commit}) + "\n",
        )
        return path

    def bootstrap_backend(self) -> list[str]:
        state = self.workspace.state_dir / "state" / f"bootstrap-{self.settings.target.value}.tfstate"
        state.parent.mkdir(parents=True, exist_ok=True)
        return [f"path={state}"]


def stored_state(runner: Runner, region: str, key: str) -> bytes | None:
    """A root's terraform state as its S3 backend (the region's state bucket) holds it; None
    before its first apply. Read directly: every terraform command, `state pull` and
    `output` included, first spends about a second verifying the provider package's checksum."""
    s3 = runner.clients(region).s3
    try:
        stored = s3.get_object(Bucket=render.state_bucket(runner.settings, region), Key=key)
        data: bytes = stored["Body"].read()
    except (s3.exceptions.NoSuchKey, s3.exceptions.NoSuchBucket):
        return None
    except Exception as err:  # botocore's errors: one line, naming the state
        raise InfrarepError(f"{state_url(runner, region, key)}: cannot read the state ({err})") from err
    return data


def state_url(runner: Runner, region: str, key: str) -> str:
    return f"s3://{render.state_bucket(runner.settings, region)}/{key}"


def root_outputs(runner: Runner, region: str, key: str) -> dict[str, Any]:
    """The root outputs (as `terraform output -json` shows them) of the state at `key`."""
    state = stored_state(runner, region, key)
    return applied.outputs(state, state_url(runner, region, key)) if state is not None else {}


def stack_value(outputs: dict[str, Any]) -> dict[str, Any] | None:
    """An env root's `stack` output from its root outputs; None before it exists."""
    stack = outputs.get("stack")
    value = stack.get("value") if isinstance(stack, dict) else None
    return value if isinstance(value, dict) and value else None


def stack_outputs(runner: Runner, env: EnvSettings) -> dict[str, Any] | None:
    """The env root's `stack` output; None before the env's first apply created it."""
    return stack_value(root_outputs(runner, env.region, render.env_state_key(env)))


def resources_of(env: EnvSettings, stack: dict[str, Any] | None) -> ledger.EnvResources | None:
    if stack is None:
        return None
    return ledger.EnvResources(env.name, env.region, stack["ledger_table_name"], stack["config_bucket"])


def env_resources(runner: Runner, env: EnvSettings) -> ledger.EnvResources | None:
    """Where the env keeps its records, from its stack outputs; None if it was never deployed."""
    return resources_of(env, stack_outputs(runner, env))


def running_release(runner: Runner, env: EnvSettings) -> Release | None:
    """The release the env runs now (its ledger's latest successful deploy or rollback); None if
    it has none. A refresh-only plan must use it: the Version/SourceCommit default tags are part
    of what the refresh compares, so another release's tags would show as drift everywhere."""
    where = env_resources(runner, env)
    if where is None:
        return None
    current = records.latest_successful(ledger.history(runner.clients(env.region), where), env=env.name)
    return Release(current.version, current.source_commit) if current is not None else None


def upload_release(runner: Runner, bundle: Bundle) -> tuple[str, str | None]:
    """Store the bundle in the control plane's config store (`store_release`). Returns the
    bucket and the version id of BUNDLE_KEY's new object version."""
    control = root_outputs(runner, runner.settings.control_region, render.CONTROL_PLANE_STATE_KEY)
    bucket = control.get("config_bucket", {}).get("value")
    if not bucket:
        raise InfrarepError(
            f"release: no config store yet ({render.CONTROL_PLANE_ROOT} has no outputs)",
            hint="deploy it first: make control-plane",
        )
    runner.progress(f"{'release':<10} upload  {bundle.version} -> s3://{bucket}/{BUNDLE_KEY}")
    return bucket, store_release(runner.clients(runner.settings.control_region).s3, bucket, bundle)


def store_release(s3: Any, bucket: str, bundle: Bundle) -> str | None:
    """The bundle at its version's key (once: a version names one bundle), then at BUNDLE_KEY
    (a new object version starts the pipeline, whose rollbacks may then need the first).
    Returns the version id of BUNDLE_KEY's new object version."""
    stored = {
        "Bucket": bucket,
        "Body": bundle.data,
        "ContentType": "application/zip",
        "Metadata": {
            "version": bundle.version,
            "source-commit": bundle.source_commit,
            "sha256": bundle.sha256,
        },
    }
    key = version_key(bundle.version)
    try:
        s3.put_object(Key=key, IfNoneMatch="*", **stored)
    except Exception as err:  # botocore's errors: told apart by their code
        if lock_store.error_code(err) not in lock_store.CONDITION_FAILED:
            raise
        existing = s3.head_object(Bucket=bucket, Key=key).get("Metadata", {}).get("sha256")
        conflict = conflicting_bundle(bundle, existing)
        if conflict is not None:
            raise conflict from None
    return s3.put_object(Key=BUNDLE_KEY, **stored).get("VersionId")


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


def _environ() -> dict[str, str]:
    return dict(os.environ)


def _command_line() -> str:
    """This run's command line, for the env lock: `infrarep deploy --env dev`."""
    return shlex.join(["infrarep", *sys.argv[1:]])


def unlock_env(runner: Runner, env: EnvSettings, lock_id: str, clock: Clock) -> env_lock.Holder | None:
    """Release `env`'s lock `lock_id` left by a run that ended without releasing it; the holder
    it named, or None if the env was not held."""
    store, key = runner.env_locks(env)
    return env_lock.unlock(store, key, env.name, lock_id, clock())


def current_release(project: Path, version: str | None) -> Release:
    """The version being deployed: --version, else the release bundle's (RELEASE.json, where
    the pipeline runs), else the git commit (marked -dirty if edited). A --version that cannot
    be a version label (it becomes part of S3 keys and tags) is refused before anything runs."""
    version = checked_version(version)
    bundled = bundled_release(project)
    if bundled is not None:
        return Release(version=version or bundled[0], source_commit=bundled[1])

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short=12", "HEAD") or "unknown"
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    source = f"{commit}-dirty" if dirty else commit
    return Release(version=version or source, source_commit=source)
