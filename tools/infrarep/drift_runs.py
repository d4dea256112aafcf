"""Get the plans a drift report needs: from `--plan ENV=FILE`, or by planning every env at once.

Planning runs one thread per env (terraform does the work in its own process, so the
threads only wait): a refresh-only plan for live drift, a normal plan for pending changes
and parity, one after the other inside the env's thread. Each step prints a progress line.
"""

from __future__ import annotations

import mmap
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from . import plans
from .config import EnvSettings, Settings
from .drift import (
    DEFAULT_POLICY_NAME,
    EnvPlans,
    Kind,
    Releases,
    Verdict,
    analyse,
    detect_identity,
    load_policy,
)
from .errors import ConfigError, InfrarepError, Interrupted, shown
from .notify import EnvTarget
from .runner import Release, Runner, running_release, stack_outputs

Progress = Callable[[str], None]
NORMAL_KINDS = frozenset({Kind.PENDING, Kind.PARITY})
HEARTBEAT_SECONDS = 30.0
"""While plans run, a line every this many seconds names the envs still planning."""
LISTED_FINDINGS = 5
"""Live drift findings a promotion names before `... and N more`."""


def parse_plan_specs(specs: Sequence[str]) -> dict[str, list[Path]]:
    """`["dev=plan.json", "dev=refresh.json"]` -> {"dev": [plan.json, refresh.json]}."""
    parsed: dict[str, list[Path]] = {}
    for spec in specs:
        env, sep, file = spec.partition("=")
        if not sep or not env or not file:
            raise ConfigError(f"--plan {shown(spec)}: expected ENV=FILE, e.g. --plan staging=staging.json")
        parsed.setdefault(env, []).append(Path(file))
    return parsed


def select_envs(
    settings: Settings | None, requested: Sequence[str], given: Mapping[str, object], config_path: Path
) -> list[str]:
    """The envs to report on, in promotion order: `requested` (--env) if any, else every env of
    environments.yaml (with --plan files: those given), then envs only --plan names. With an
    environments.yaml, an env it does not know (in --env or --plan) is an error."""
    order = [env.name for env in settings.ordered()] if settings else list(given)
    if settings:
        for name in [*requested, *given]:
            settings.env(name, config_path)  # raises, naming the file, for an unknown env
    names = list(requested) if requested else [name for name in order if not given or name in given]
    if given and not requested:
        names += [name for name in given if name not in names]
    if not names:
        raise InfrarepError("drift-report: no environment selected")
    return names


def from_files(
    files: Mapping[str, Sequence[Path]], envs: Sequence[str], regions: Mapping[str, str], progress: Progress
) -> list[EnvPlans]:
    """Read the given plan JSON files. A file with `resource_changes` is the env's normal plan,
    one without is its refresh-only plan; at most one of each per env."""
    loaded = []
    for env in envs:
        normal: plans.Plan | None = None
        refresh: plans.Plan | None = None
        for path in files.get(env, ()):
            started = time.monotonic()
            plan = plans.load(path)
            kind = "plan" if plan.has_changes else "refresh"
            earlier = normal if plan.has_changes else refresh
            if earlier is not None:
                which = "normal" if plan.has_changes else "refresh-only"
                raise ConfigError(f"--plan {env}={path}: {env} already has a {which} plan ({earlier.path})")
            if plan.has_changes:
                normal = plan
            else:
                refresh = plan
            seconds = time.monotonic() - started
            count = f"{len(plan.changes)} resources" if plan.has_changes else f"{len(plan.drift)} drifted"
            progress(f"{env:<10} read    {kind} {path} ({count})  {seconds:.1f}s")
            if not _mentions(path, env):
                progress(
                    f"warning: --plan {env}={path}: {shown(env)} appears nowhere in the plan, so none "
                    "of its values are normalised as that env's; is the env name right?"
                )
        identity_plan = normal or refresh
        if identity_plan is None:
            raise ConfigError(f"{env}: no --plan {env}=FILE given")
        loaded.append(EnvPlans(env, detect_identity(env, identity_plan, regions.get(env)), normal, refresh))
    return loaded


def _mentions(path: Path, env: str) -> bool:
    """Whether the file holds the env's name in any case (`dev`, `Dev`, `DEV`): a plan of that
    env names it in its variables, tags or names, usually within its first kilobytes."""
    spellings = {env.lower().encode(), env.upper().encode(), env.capitalize().encode()}
    try:
        with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return any(data.find(spelling) >= 0 for spelling in spellings)
    except (OSError, ValueError):  # plans.load read it just now; an empty file has failed there
        return True


def available_kinds(envs: Sequence[EnvPlans]) -> frozenset[Kind]:
    """The kinds the given plans can answer: live drift from any plan; pending changes and parity
    only when every env has a normal plan (with `--plan` and no `--kind`, the report covers these)."""
    if all(env.plan is not None for env in envs):
        return frozenset(Kind)
    return frozenset({Kind.LIVE})


def plan_in_parallel(
    runner: Runner,
    envs: Sequence[EnvSettings],
    kinds: frozenset[Kind],
    release: Release,
    progress: Progress,
    heartbeat: float = HEARTBEAT_SECONDS,
    use_running: bool = False,
) -> list[EnvPlans]:
    """Plan every env in its own thread; raise the first failure after all threads finished.
    Every `heartbeat` seconds without a finished env, one line names the envs still planning.
    `use_running`: look up the release each env's ledger says it runs (in the env's own
    thread) and refresh the env with it, else with `release`; a never deployed env uses
    `release`. An env that runs another release than `release` then has its pending changes
    expected (that release's promotion will make them), said in one line."""
    steps = (["refresh-only"] if Kind.LIVE in kinds else []) + (["plan"] if kinds & NORMAL_KINDS else [])
    progress(f"drift-report: {' + '.join(steps)} for {', '.join(env.name for env in envs)} in parallel")
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, len(envs)), thread_name_prefix="plan") as pool:
        futures: dict[str, Future[EnvPlans]] = {
            env.name: pool.submit(_plan_env, runner, env, kinds, release, use_running, progress)
            for env in envs
        }
        try:
            running: set[Future[EnvPlans]] = set(futures.values())
            while running:
                finished, running = wait(running, timeout=heartbeat, return_when=FIRST_COMPLETED)
                if running and not finished:
                    waiting = ", ".join(name for name, future in futures.items() if not future.done())
                    progress(f"drift-report: still planning {waiting}  {time.monotonic() - started:.0f}s")
            results = {name: _outcome(future) for name, future in futures.items()}
        except KeyboardInterrupt:
            progress("interrupted: waiting for the running plans to stop")
            pool.shutdown(wait=True, cancel_futures=True)
            raise Interrupted("drift-report interrupted; no report written") from None
    failures = [(name, outcome) for name, outcome in results.items() if isinstance(outcome, BaseException)]
    for name, failure in failures:
        message = failure.message if isinstance(failure, InfrarepError) else repr(failure)
        progress(f"{name:<10} failed: {message}")
    if failures:
        names = ", ".join(name for name, _ in failures)
        raise InfrarepError(f"drift-report: planning failed for {names}", hint="the lines above say why")
    progress(f"drift-report: plans ready in {time.monotonic() - started:.1f}s")
    return [result for result in results.values() if isinstance(result, EnvPlans)]


def _outcome(future: Future[EnvPlans]) -> EnvPlans | BaseException:
    try:
        return future.result()
    except Exception as err:  # reported after every env finished
        return err


def _plan_env(
    runner: Runner,
    env: EnvSettings,
    kinds: frozenset[Kind],
    release: Release,
    use_running: bool,
    progress: Progress,
) -> EnvPlans:
    root = runner.workspace.env_root(env.name)
    refresh = normal = releases = None
    # Only a refresh and pending changes depend on it: parity alone needs no ledger read.
    running = running_release(runner, env) if use_running and kinds & {Kind.LIVE, Kind.PENDING} else None
    if Kind.LIVE in kinds:
        # The Version/SourceCommit default tags are part of what a refresh compares: refreshing
        # with another release than the running one would show its tags as drift everywhere.
        var_files = [runner.release_vars(env.name, running or release)]
        run = runner.plan(env.name, root, runner.backend(root), var_files, refresh_only=True)
        refresh = plans.load(run.plan_json)
    if kinds & NORMAL_KINDS:
        var_files = [runner.release_vars(env.name, release)]
        run = runner.plan(env.name, root, runner.backend(root), var_files)
        normal = plans.load(run.plan_json)
        if running is not None and Kind.PENDING in kinds:
            releases = Releases(running.version, release.version)
            if releases.differ:
                progress(
                    f"{env.name:<10} runs    {running.version}, planned with {release.version}: "
                    f"its pending changes are expected until {release.version} is deployed there"
                )
    plan = normal or refresh
    assert plan is not None
    return EnvPlans(env.name, detect_identity(env.name, plan, env.region), normal, refresh, releases)


def live_drift(runner: Runner, env: EnvSettings, running: Release) -> bool | None:
    """Whether `env` has live drift (a refresh-only plan with the release it runs, judged with
    the drift policy beside environments.yaml); None when it could not be checked. The
    promotion's gate: the progress names the first findings."""
    policy_file = runner.workspace.config_path.parent / DEFAULT_POLICY_NAME
    try:
        policy = load_policy(policy_file) if policy_file.exists() else None
        env_plans = plan_in_parallel(runner, [env], frozenset({Kind.LIVE}), running, runner.progress)
        report = analyse(env_plans, [Kind.LIVE], policy=policy, manifests=False)
    except Interrupted:
        raise
    except InfrarepError as err:
        runner.progress(f"{env.name:<10} drift   could not be checked: {err.message}")
        return None
    count = report.drift_count(Kind.LIVE)
    runner.progress(f"{env.name:<10} drift   {f'{count} live drift finding(s)' if count else 'none'}")
    drifted = [finding for finding in report.findings if finding.verdict is Verdict.DRIFT]
    for finding in drifted[:LISTED_FINDINGS]:
        changed = ", ".join(attribute.path for attribute in finding.attributes) or str(finding.change)
        runner.progress(f"{env.name:<10} drift   {finding.address}: {changed}")
    if len(drifted) > LISTED_FINDINGS:
        runner.progress(f"{env.name:<10} drift   ... and {len(drifted) - LISTED_FINDINGS} more")
    return report.drift


def notify_targets(runner: Runner, envs: Sequence[EnvSettings]) -> list[EnvTarget]:
    """Each env's drift topic, ledger table and config bucket, from its stack's outputs."""
    targets = []
    for env in envs:
        stack = stack_outputs(runner, env)
        if stack is None or "ledger_table_name" not in stack:
            raise ConfigError(f"{env.name}: the stack has no outputs yet; deploy it before --notify")
        targets.append(
            EnvTarget(
                env=env.name,
                region=env.region,
                drift_topic_arn=str(stack["topic_arns"]["drift"]),
                ledger_table=str(stack["ledger_table_name"]),
                config_bucket=str(stack["config_bucket"]),
            )
        )
    return targets
