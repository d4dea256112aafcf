"""The drift report: plan every env (or read the given plans), analyse, deliver the report and,
with `notify`, tell each env's drift topic, metrics and ledger what was found; with `store`,
keep each env's report in its config store. `from_store` reports those instead, planning
nothing. Compared with a baseline (a file, else with `store` the previous stored reports),
each drift finding is new or persisting, and drift gone since is resolved."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__, config, drift, drift_runs, drift_store, notify, records
from .. import report as reporting
from ..errors import ConfigError, InfrarepError, cut, shown
from ..runner import Release, env_resources
from .context import Progress, Project, actor_name, now, open_project

if TYPE_CHECKING:
    from ..config import EnvSettings
    from ..ledger import EnvResources


class FailOn(StrEnum):
    """What makes a report exit 2: any drift, or only drift new since the baseline."""

    ANY = "any"
    NEW = "new"


@dataclass(frozen=True)
class DriftReportOptions:
    config_path: Path
    envs: Sequence[str] = ()
    """Only these envs; none: every env (with `plan_files`: the envs they are given for)."""
    kinds: frozenset[drift.Kind] = frozenset()
    """Empty: every kind (with `plan_files`: every kind the plans can answer)."""
    format: reporting.Format = reporting.Format.TABLE
    plan_files: Sequence[str] = ()
    """ENV=FILE: `terraform show -json` output to read instead of running terraform."""
    show_expected: bool = False
    full_report_url: str | None = None
    """Where a markdown report cut to fit a pull request comment says the full report is."""
    notify: bool = False
    policy_path: Path | None = None
    """None: drift-policy.yaml beside the config, if there is one."""
    version: str | None = None
    verbose: bool = False
    aliases: Sequence[str] = ()
    """ENV=CODE: CODE stands for ENV's name, as environments.yaml's `aliases` (merged with them)."""
    today: date | None = None
    """The day (UTC) policy acceptances are judged by; None: the clock's."""
    source_dirs: Sequence[str] = ()
    """ENV=DIR (with `plan_files`): the env root dir whose module sources trace ENV's plan."""
    store: bool = False
    """Keep each env's report in its config store (after delivering and notifying)."""
    from_store: bool = False
    """Report each env's newest stored report and parity from the stored manifests; no terraform."""
    baseline_path: Path | None = None
    """A json report to compare with; without it, `store` and `from_store` compare with the
    previous stored report."""
    fail_on: FailOn = FailOn.ANY
    require_all: bool = False
    """With `from_store`: an env never checked is an error, not a line."""


@dataclass(frozen=True)
class DriftReportResult:
    report: drift.DriftReport
    text: str = field(repr=False)
    history: drift.History | None = None
    fail_on: FailOn = FailOn.ANY

    @property
    def drift(self) -> bool:
        return self.report.drift

    @property
    def failed(self) -> bool:
        """Whether the run exits 2: drift, or with `FailOn.NEW` new drift only."""
        if self.fail_on is FailOn.NEW:
            return bool(drift.new_drift(self.report, self.history))
        return self.report.drift


def drift_report(
    options: DriftReportOptions, progress: Progress, deliver: Callable[[str], None]
) -> DriftReportResult:
    """Analyse, `deliver` the rendered report, then notify (so a failing notification still
    leaves the report delivered), then store. Stored reports and the baseline are read first:
    a bad one stops the run before anything is planned or published."""
    if options.from_store:
        return stored_report(options, progress, deliver)
    if options.require_all:
        raise ConfigError("--require-all: only with --from-store")
    baseline = read_baseline(options.baseline_path)
    given = drift_runs.parse_plan_specs(options.plan_files)
    needs_settings = not given or options.config_path.exists() or options.notify or options.store
    project = open_project(options.config_path, progress, options.verbose) if needs_settings else None
    settings = project.settings if project else None
    names = drift_runs.select_envs(settings, options.envs, given, options.config_path)
    stores: dict[str, EnvResources] = {}
    previous = None
    if options.store:
        assert project is not None
        stores, previous = previous_reports(project.runner(), [project.env(name) for name in names])
    if options.source_dirs and not given:
        raise ConfigError("--source: only with --plan (without it, each env's root is read anyway)")
    roots = source_roots(options.source_dirs, [name for name in names if name in given])
    known = [env.name for env in settings.ordered()] if settings else list(given)
    aliases = env_aliases(settings.aliases if settings else {}, options.aliases, known)
    policy = _policy(options, options.today or now().date())
    release = None
    if given:
        regions = {env.name: env.region for env in settings.ordered()} if settings else {}
        env_plans = drift_runs.from_files(given, names, regions, progress)
        kinds, note = reported_kinds(options.kinds, env_plans)
        if note:
            progress(note)
    else:
        assert project is not None
        kinds = options.kinds or frozenset(drift.Kind)
        selected = [project.env(name) for name in names]
        project.require_ready(selected)
        runner = project.runner()
        release = project.release(options.version)
        # Unless --version names one, live drift compares each env with the release it runs,
        # and an env running another release than this one awaits its promotion.
        env_plans = drift_runs.plan_in_parallel(
            runner, selected, kinds, release, progress, use_running=not options.version
        )
    for env in env_plans:
        others = settings.others(env.env) if settings else tuple(name for name in given if name != env.env)
        env.identity = dataclasses.replace(env.identity, aliases=aliases.get(env.env, ()), others=others)
    version = manifest_version(options.version, release)
    if given:
        own = project_roots(project, [env.env for env in env_plans if env.env not in roots])
        sources = given_sources(roots, env_plans, progress) | own_sources(own, env_plans, progress)
    else:
        sources = {} if project is None else _sources(project, env_plans)
    result = drift.analyse(env_plans, kinds, policy=policy, version=version, sources=sources)
    checked_at = now()
    history = None
    if baseline is not None:
        history = compare_with_baseline(result, baseline, options.baseline_path)
    elif previous is not None:
        history = drift_store.compare_with_previous(result, previous)
    text = reporting.render(
        result,
        options.format,
        show_expected=options.show_expected,
        full_report_url=options.full_report_url,
        sources=report_sources(project, names, block_locations(project, sources, result))
        if options.format is reporting.Format.SARIF
        else None,
        tool_version=__version__,
        history=history,
    )
    deliver(text)
    # Notify before storing: should storing fail, the next run tells the same news again
    # rather than never.
    if options.notify:
        assert project is not None
        _notify(project, names, result, version, release, options.version, history)
    if options.store:
        assert project is not None
        store_reports(project.runner(), stores, result, history, checked_at, progress)
    return DriftReportResult(result, text, history, options.fail_on)


FROM_STORE_REFUSES = {
    "--plan": lambda options: bool(options.plan_files),
    "--source": lambda options: bool(options.source_dirs),
    "--alias": lambda options: bool(options.aliases),
    "--policy": lambda options: options.policy_path is not None,
    "--version": lambda options: options.version is not None,
    "--notify": lambda options: options.notify,
    "--store": lambda options: options.store,
}
"""Options of a run that plans, which a report of stored results cannot honour."""


def stored_report(
    options: DriftReportOptions, progress: Progress, deliver: Callable[[str], None]
) -> DriftReportResult:
    """The fleet's report from what is stored: each env's newest stored report (its check time
    shown; an env without one is never checked) and parity from the stored config manifests."""
    refused = [name for name, given in FROM_STORE_REFUSES.items() if given(options)]
    if refused:
        raise ConfigError(f"--from-store: not with {', '.join(refused)} (it reports stored results)")
    baseline = read_baseline(options.baseline_path)
    project = open_project(options.config_path, progress, options.verbose)
    names = drift_runs.select_envs(project.settings, options.envs, {}, options.config_path)
    stored, manifests = read_fleet(project.runner(), [project.env(name) for name in names], progress)
    never = [name for name in names if name not in stored]
    if never and options.require_all:
        raise InfrarepError(
            f"drift-report --from-store: never checked: {', '.join(never)} (--require-all)",
            hint="`infrarep drift-report --env ENV --store` stores an env's report",
        )
    fleet = {name: drift.StoredEnv(read.report, read.history) for name, read in stored.items()}
    report, history = drift.fleet_report(names, fleet, manifests, options.kinds or frozenset(drift.Kind))
    if baseline is not None:
        history = compare_with_baseline(report, baseline, options.baseline_path)
    checked = {name: stored[name].checked_at if name in stored else None for name in names}
    text = reporting.render(
        report,
        options.format,
        show_expected=options.show_expected,
        full_report_url=options.full_report_url,
        sources=report_sources(project, names) if options.format is reporting.Format.SARIF else None,
        tool_version=__version__,
        history=history,
        checked=checked,
    )
    deliver(text)
    return DriftReportResult(report, text, history, options.fail_on)


def read_fleet(
    runner: Any, envs: Sequence[EnvSettings], progress: Progress
) -> tuple[dict[str, reporting.ReadReport], dict[str, records.Manifest]]:
    """Each env's newest stored report and stored config manifest, from its config store (found
    through its stack outputs: `runner` gives the settings and clients). What an env lacks is
    said in one line; a stored report that cannot be read is an error."""
    stored: dict[str, reporting.ReadReport] = {}
    manifests: dict[str, records.Manifest] = {}
    for env in envs:
        where = env_resources(runner, env)
        if where is None:
            progress(f"drift-report: {env.name}: never checked (never deployed)")
            continue
        s3 = runner.env_clients(env).s3
        read = drift_store.read_latest(s3, where)
        manifest = drift_store.read_manifest(s3, where)
        if read is None:
            progress(f"drift-report: {env.name}: never checked (no stored report)")
        else:
            stored[env.name] = read
        if manifest is None:
            progress(f"drift-report: {env.name}: no stored config manifest: left out of parity")
        else:
            manifests[env.name] = manifest
    return stored, manifests


def previous_reports(
    runner: Any, envs: Sequence[EnvSettings]
) -> tuple[dict[str, EnvResources], drift_store.Previous]:
    """Where each env stores its report (its config store, found through its stack outputs:
    `runner` gives the settings and clients), and the newest one stored so far."""
    stores: dict[str, EnvResources] = {}
    found: dict[str, reporting.ReadReport] = {}
    for env in envs:
        where = env_resources(runner, env)
        if where is None:
            raise ConfigError(f"{env.name}: the stack has no outputs yet; deploy it before --store")
        stores[env.name] = where
        read = drift_store.read_latest(runner.env_clients(env).s3, where)
        if read is not None:
            found[env.name] = read
    return stores, drift_store.Previous(found)


def store_reports(
    runner: Any,
    stores: Mapping[str, EnvResources],
    report: drift.DriftReport,
    history: drift.History | None,
    checked_at: datetime,
    progress: Progress,
) -> None:
    """Keep each env's part of the report in its config store, one line each."""
    for name, where in stores.items():
        body = drift_store.env_document(report, name, history, checked_at)
        s3 = runner.env_clients(runner.settings.environments[name]).s3
        url = drift_store.write(s3, where, body, checked_at)
        progress(f"store    {name}: {url}")


def read_baseline(path: Path | None) -> reporting.ReadReport | None:
    """--baseline FILE: a json report (`--format json`, or one `--store` kept)."""
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"--baseline {path}: cannot read it ({err.strerror or err})") from None
    return reporting.read_document(data, f"--baseline {path}")


def compare_with_baseline(
    report: drift.DriftReport, baseline: reporting.ReadReport, path: Path | None
) -> drift.History:
    previous = drift.report_keys(baseline.report.findings)
    return drift.compare(report.findings, previous, drift.covered_scopes(report), f"--baseline {path}")


def reported_kinds(
    requested: frozenset[drift.Kind], env_plans: Sequence[drift.EnvPlans]
) -> tuple[frozenset[drift.Kind], str | None]:
    """The kinds to report on given plans: those requested; without a request, those the plans
    can answer (live drift only when an env has no normal plan), with a line saying so."""
    if requested:
        return requested, None
    available = drift_runs.available_kinds(env_plans)
    if available == frozenset(drift.Kind):
        return available, None
    without = ", ".join(env.env for env in env_plans if env.plan is None)
    return available, f"drift-report: no normal plan for {without}: live drift only (--kind to choose)"


def env_aliases(
    declared: Mapping[str, Sequence[str]], specs: Sequence[str], envs: Sequence[str]
) -> dict[str, tuple[str, ...]]:
    """Each env's aliases: environments.yaml's (`declared`) and `--alias ENV=CODE` ones, for the
    known `envs`; an alias claimed by two envs, or naming one, is an error."""
    merged = {env: tuple(declared.get(env, ())) for env in envs}
    for spec in specs:
        env, sep, code = spec.partition("=")
        if not sep or not env or not code:
            raise ConfigError(f"--alias {shown(spec)}: expected ENV=CODE, e.g. --alias prod=prd")
        if env not in merged:
            raise ConfigError(f"--alias {cut(spec)}: no environment {shown(env)} (known: {', '.join(envs)})")
        problem = config.alias_problem(env, code, merged)
        if problem:
            raise ConfigError(f"--alias {cut(spec)}: {problem}")
        merged[env] = tuple(dict.fromkeys((*merged[env], code)))
    return {env: codes for env, codes in merged.items() if codes}


def source_roots(specs: Sequence[str], envs: Sequence[str]) -> dict[str, Path]:
    """`--source ENV=DIR`: per env (one of `envs`), the root dir its plan was made in."""
    roots: dict[str, Path] = {}
    for spec in specs:
        env, sep, directory = spec.partition("=")
        if not sep or not env or not directory:
            raise ConfigError(f"--source {shown(spec)}: expected ENV=DIR, e.g. --source prod=envs/prod")
        if env not in envs:
            given = ", ".join(envs)
            raise ConfigError(f"--source {cut(spec)}: no plan for env {shown(env)} (given: {given})")
        if env in roots:
            raise ConfigError(f"--source {cut(spec)}: {env} already has a source dir ({roots[env]})")
        root = Path(directory)
        if not root.is_dir():
            raise ConfigError(f"--source {cut(spec)}: {shown(directory)} is not a directory")
        roots[env] = root
    return roots


def given_sources(
    roots: Mapping[str, Path], env_plans: Sequence[drift.EnvPlans], progress: Progress
) -> dict[str, drift.Sources]:
    """The module sources under each given root dir, for that env's normal plan; what cannot be
    read is said in one line each (that env is then traced from plan JSON alone where it lacks)."""
    found = {}
    for env in env_plans:
        if env.env in roots and env.plan is not None:
            found[env.env] = drift.read_sources(roots[env.env], env.plan.config)
            for problem in found[env.env].problems:
                progress(f"drift-report: {env.env}: {problem}")
    return found


def project_roots(project: Project | None, envs: Sequence[str]) -> dict[str, Path]:
    """`--plan` without `--source` inside the project: each of `envs` that environments.yaml
    declares, with its root envs/<env> on disk."""
    if project is None:
        return {}
    declared = {env.name for env in project.settings.ordered()}
    found = {env: project.workspace.env_root(env) for env in envs if env in declared}
    return {env: root for env, root in found.items() if root.is_dir()}


def own_sources(
    roots: Mapping[str, Path], env_plans: Sequence[drift.EnvPlans], progress: Progress
) -> dict[str, drift.Sources]:
    """The module sources of the project's own env roots, for the plans made from them: a plan
    whose modules hold other resource blocks or calls than the root's is traced from plan JSON
    alone, said in one line."""
    found = {}
    for env in env_plans:
        if env.env not in roots or env.plan is None:
            continue
        sources = drift.read_sources(roots[env.env], env.plan.config)
        problem = drift.mismatch(sources, env.plan.config) or "; ".join(sources.problems)
        if problem:
            progress(
                f"drift-report: {env.env}: not traced through {roots[env.env]} ({problem}): plan JSON alone"
            )
            continue
        progress(
            f"drift-report: {env.env}: module sources from {roots[env.env]} (--source ENV=DIR for another)"
        )
        found[env.env] = sources
    return found


ENV_ROOT_MAIN_FILE = "main.tf"


def report_sources(
    project: Project | None,
    names: Sequence[str],
    blocks: Mapping[str, reporting.SourceLocation] | None = None,
) -> reporting.Sources:
    """Where a sarif report places each finding: `blocks` (resource address -> its block in a
    `.tf` file), else the main file of the env's root. Plans given without a project (or with a
    config outside one) have no env roots: their findings keep a logical location only."""
    if project is None:
        return reporting.Sources(blocks or {})
    try:
        workspace = project.workspace
    except InfrarepError:
        return reporting.Sources(blocks or {})
    roots = {}
    for name in names:
        main = workspace.env_root(name) / ENV_ROOT_MAIN_FILE
        if main.is_file():
            roots[name] = reporting.SourceLocation(main.relative_to(workspace.project).as_posix())
    return reporting.Sources(blocks or {}, roots)


def block_locations(
    project: Project | None, sources: Mapping[str, drift.Sources], report: drift.DriftReport
) -> dict[str, reporting.SourceLocation]:
    """Each reported resource's block in the `.tf` files, from the first env of its scope whose
    sources were read; paths relative to the project root."""
    if project is None or not sources:
        return {}
    project_root = project.workspace.project.resolve()
    found: dict[str, reporting.SourceLocation] = {}
    for finding in report.findings:
        if finding.address in found:
            continue
        for env in drift.scope_envs(finding.scope):
            env_sources = sources.get(env)
            where = env_sources.block_location(finding.address) if env_sources else None
            if where is None:
                continue
            path = (env_sources.root / where[0]).resolve()
            if path.is_relative_to(project_root):
                found[finding.address] = reporting.SourceLocation(
                    path.relative_to(project_root).as_posix(), where[1]
                )
                break
    return found


def manifest_version(version: str | None, release: Release | None) -> str:
    """The version the report's manifests name: --version, else the release planned with,
    else unknown (plans read from files)."""
    return version or (release.version if release else records.UNKNOWN)


def ledger_version(reported: str, release: Release) -> str:
    """The version a DRIFT_CHECK row records: the report's, else this checkout's release."""
    return reported if reported != records.UNKNOWN else release.version


def _policy(options: DriftReportOptions, today: date) -> drift.Policy | None:
    """--policy, else drift-policy.yaml beside the config if it exists; expiry judged by `today`."""
    policy_file = options.policy_path or options.config_path.parent / drift.DEFAULT_POLICY_NAME
    if options.policy_path or policy_file.exists():
        return drift.load_policy(policy_file, today)
    return None


def _sources(project: Project, env_plans: Sequence[drift.EnvPlans]) -> dict[str, drift.Sources]:
    """Each env root's module sources (what plan JSON leaves out is traced through them); what
    cannot be read is said in one line each, and traced from plan JSON alone."""
    found = {
        env.env: drift.read_sources(project.workspace.env_root(env.env), env.plan.config)
        for env in env_plans
        if env.plan is not None
    }
    for name, sources in found.items():
        for problem in sources.problems:
            project.progress(f"drift-report: {name}: {problem}")
    return found


def _notify(
    project: Project,
    names: Sequence[str],
    result: drift.DriftReport,
    version: str,
    release: Release | None,
    requested_version: str | None,
    history: drift.History | None,
) -> None:
    """Each env's DRIFT_CHECK row, metric data and (on drift) drift topic message. `release`:
    the one planned with; None when the plans were given (then this checkout's)."""
    runner = project.runner()
    release = release or project.release(requested_version)
    targets = drift_runs.notify_targets(runner, [project.env(name) for name in names])
    event_ids: Mapping[str, str] = {name: uuid.uuid4().hex for name in names}
    entries = notify.drift_check_entries(
        result,
        names,
        at=now(),
        event_ids=event_ids,
        version=ledger_version(version, release),
        source_commit=release.source_commit,
        actor=actor_name(None),
    )
    sent = notify.notify(
        lambda target: runner.env_clients(project.env(target.env)), targets, result, entries, history
    )
    for line in sent:
        project.progress(f"notify   {line}")
