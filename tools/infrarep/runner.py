"""Plan and apply one Terraform root, and read what the applies left: the layer every command
that runs terraform (deploy, promote, rollback, drift-report) shares.

This is where adapters meet: the toolchain, the local AWS and terraform. Decisions (what a
plan means, whether a gate holds) stay in the pure modules.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from . import (
    accounts,
    applied,
    env_lock,
    ledger,
    local_target,
    lock_store,
    pins,
    planfile,
    plans,
    process,
    records,
    render,
    toolchain,
)
from .config import EnvSettings, Settings, Target
from .errors import InfrarepError
from .files import write_atomic
from .release import checked_version
from .release import recorded as bundled_release
from .terraform import PlanOutcome, StreamedChange, TerraformBinary, TerraformRoot
from .workspace import Workspace

Progress = Callable[[str], None]


class WrongAccount(InfrarepError):
    """The credentials reach another AWS account than environments.yaml gives the root."""


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
        self.local = local_target.require(workspace.state_dir) if settings.target is Target.LOCAL else None
        self.plan_files = PlanFiles(self.tools.binary(), workspace.state_dir / "configurations", progress)
        self._clients: dict[tuple[str, str | None], ledger.Clients] = {}
        self._clients_lock = threading.Lock()
        self._held: set[str] = set()

    def clients(self, region: str, role_arn: str | None = None) -> ledger.Clients:
        """boto3 clients for `region` against the configured target, as the caller (the state
        buckets' account) or as `role_arn`; built once per region and role."""
        with self._clients_lock:
            if (region, role_arn) not in self._clients:
                self._clients[region, role_arn] = ledger.make_clients(
                    region,
                    endpoint=self.local.endpoint if self.local else None,
                    ca_bundle=self.local.ca_bundle if self.local else None,
                    role_arn=role_arn,
                )
            return self._clients[region, role_arn]

    def env_clients(self, env: EnvSettings) -> ledger.Clients:
        """Clients for the env's own resources (ledger, config store, metrics, topics): in its
        region, as its deployer role where it has one. Its state and lock stay with the caller."""
        return self.clients(env.region, env.role_arn)

    def require_account(self, where: str, region: str, account_id: str | None, role_arn: str | None) -> None:
        """Refuse, before any plan, to run `where` (an env, or the control plane) with
        credentials that reach another account than its `account_id` (nothing to check without)."""
        if account_id is None:
            return
        try:
            actual = self.clients(region, role_arn).sts.get_caller_identity()["Account"]
        except InfrarepError:
            raise
        except Exception as err:  # botocore errors share no useful base beyond this
            raise WrongAccount(f"{where}: cannot tell which account the credentials reach ({err})") from err
        problem = accounts.wrong_account(where, account_id, actual, role_arn)
        if problem:
            raise WrongAccount(
                problem,
                hint="use credentials of that account, or fix account_id/role_arn in environments.yaml",
            )

    def require_env_account(self, env: EnvSettings) -> None:
        self.require_account(env.name, env.region, env.account_id, env.role_arn)

    def env_locks(self, env: EnvSettings) -> tuple[lock_store.S3LockStore, str]:
        """Where `env`'s lock lives: its region's state bucket, beside its state."""
        store = lock_store.S3LockStore(
            self.clients(env.region).s3, render.state_bucket(self.settings, env.region)
        )
        return store, env_lock.lock_key(records.state_key(env.name))

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
            env.update(local_target.terraform_env(self.local))
        else:
            env.update(caller_aws_env(os.environ))
        return TerraformRoot(
            self.tools.binary(), path, env=env, on_line=self.progress if self.verbose else None
        )

    def plan(
        self,
        name: str,
        root_dir: Path,
        backend_config: Sequence[Path | str],
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

    def init(self, name: str, root_dir: Path, backend_config: Sequence[Path | str]) -> None:
        """`terraform init`, skipped when nothing it depends on changed since the last one."""
        marker = root_dir / ".terraform" / INIT_MARKER
        key = self._init_key(root_dir, backend_config)
        if marker.exists() and marker.read_text() == key:
            return
        self.progress(f"{name:<10} init")
        self.root(root_dir).init(backend_config=backend_config)
        write_atomic(marker, key)

    def _init_key(self, root_dir: Path, backend_config: Sequence[Path | str]) -> str:
        """Digest of what `init` reads: the root's and modules' Terraform files, the lock file,
        the backend settings, the CLI config (provider mirror) and the terraform binary."""
        digest = hashlib.sha256()
        for item in backend_config:
            digest.update((item.read_bytes() if isinstance(item, Path) else item.encode()) + b"\0")
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

    def backend(self, root_dir: Path) -> list[Path]:
        """The `-backend-config` files of a root with an S3 backend (`render.backend_files`)."""
        return render.backend_files(root_dir, self.settings.target)

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


CALLER_NETWORK_SETTINGS = ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy")


def caller_aws_env(environ: Mapping[str, str]) -> dict[str, str]:
    """On real AWS terraform uses the caller's credentials, as infrarep's own AWS calls do: the
    profile, static or session keys, container (CodeBuild) and web-identity credentials, and
    the proxies. terraform otherwise starts with PATH and HOME only."""
    return {
        key: value
        for key, value in environ.items()
        if key.startswith("AWS_") or key in CALLER_NETWORK_SETTINGS
    }


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
    return stack_value(root_outputs(runner, env.region, records.state_key(env.name)))


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
    current = records.latest_successful(ledger.history(runner.env_clients(env), where), env=env.name)
    return Release(current.version, current.source_commit) if current is not None else None


def _environ() -> dict[str, str]:
    return dict(os.environ)


def _command_line() -> str:
    """This run's command line, for the env lock: `infrarep deploy --env dev`."""
    return shlex.join(["infrarep", *sys.argv[1:]])


def current_release(project: Path, version: str | None) -> Release:
    """The version being deployed: --version, else the release bundle's (RELEASE.json, where
    the pipeline runs), else the git commit (marked -dirty if edited). A --version that cannot
    be a version label (it becomes part of S3 keys and tags) is refused before anything runs."""
    version = checked_version(version)
    bundled = bundled_release(project)
    if bundled is not None:
        return Release(version=version or bundled[0], source_commit=bundled[1])

    try:
        commit = process.git(project, "rev-parse", "--short=12", "HEAD").decode().strip()
        dirty = bool(process.git(project, "status", "--porcelain", "--untracked-files=no"))
    except process.CommandFailed:
        commit, dirty = "unknown", False
    source = f"{commit}-dirty" if dirty else commit
    return Release(version=version or source, source_commit=source)
