"""The `infrarep` command line: parse, call one use case (`infrarep.app`), print. No logic
lives here.

Results go to stdout, progress and errors to stderr. Heavy modules (boto3, terraform,
moto) are imported inside commands so that `infrarep --help` starts fast.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.exceptions import TyperException

from .app.context import now, state_dir
from .errors import ExitCode, InfrarepError

if TYPE_CHECKING:
    from infrarep_local_aws import LocalAws

    from .runner import PlannedRun

EXIT_CODES_EPILOG = (
    "Exit codes: 0 ok, nothing found; 1 error (bad input, usage, unreadable file, terraform "
    "or AWS failure); 2 found something (drift, stale render, pending changes); 3 a promotion "
    "gate refused; 130 interrupted."
)

app = typer.Typer(
    help="Keep one AWS stack consistent across its environments (dev, staging, prod, ...).",
    epilog=EXIT_CODES_EPILOG,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain click help: rendering it with rich costs ~150 ms per start
)
local_app = typer.Typer(
    help="Start, stop and inspect the local AWS (moto server on 127.0.0.1).",
    epilog=EXIT_CODES_EPILOG,
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(local_app, name="local")


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def emit_json(document: object) -> None:
    print(json.dumps(document, indent=2, sort_keys=True))


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """Keep one AWS stack consistent across its environments (dev, staging, prod, ...)."""
    del debug  # main() reads --debug before parsing, so errors during parsing honour it too


@app.command(epilog=EXIT_CODES_EPILOG)
def setup(
    provider_mirror: Annotated[
        Path | None,
        typer.Option(
            "--provider-mirror",
            help="A filesystem mirror that already holds the hashicorp/aws provider; skips the build.",
            file_okay=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the toolchain as JSON.")] = False,
) -> None:
    """Find terraform and make the AWS provider available (builds it offline, once)."""
    from . import toolchain

    found = toolchain.setup(os.environ, progress, provider_mirror=provider_mirror)
    if as_json:
        emit_json(asdict(found))
    else:
        progress(
            f"setup: ready ({found.flavour} {found.terraform_version}, provider from {found.provider_mode})"
        )


ConfigOption = Annotated[
    Path, typer.Option("--config", help="The per-environment settings file.", dir_okay=False)
]
EnvsOption = Annotated[
    list[str] | None, typer.Option("--env", help="Only this environment (repeatable); default: all.")
]


@app.command(epilog=EXIT_CODES_EPILOG)
def render(
    config_path: ConfigOption = Path("envs/environments.yaml"),
    envs: EnvsOption = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 2 and list the files that are stale.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the changed files as JSON.")] = False,
) -> None:
    """Render each root's tfvars and backend config from environments.yaml (committed, the same on
    every target), and the local target's generated, git-ignored files."""
    from .app import render as use_case

    changes = use_case.render(use_case.RenderOptions(config_path, envs or [], check))
    if as_json:
        emit_json({"check": check, "changes": [{"path": c.path, "action": c.action} for c in changes]})
    else:
        done = {"write": "written", "delete": "deleted"}
        for change in changes:
            print(f"{'stale' if check else done[change.action]:<8} {change.path}")
    if check and changes:
        progress(f"render: {len(changes)} file(s) differ from {config_path}; run `infrarep render`")
        raise typer.Exit(int(ExitCode.FOUND))
    if not changes:
        progress("render: everything is up to date")


@app.command(epilog=EXIT_CODES_EPILOG)
def package(
    functions: Annotated[
        list[str] | None, typer.Option("--function", help="Only this function (repeatable); default: all.")
    ] = None,
    source: Annotated[Path, typer.Option(help="Folder of the functions' sources.", file_okay=False)] = Path(
        "lambda_src"
    ),
    out: Annotated[Path, typer.Option(help="Where the zips go.", file_okay=False)] = Path("dist/lambda"),
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if the inputs are unchanged.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print name, path, size and sha256 as JSON.")
    ] = False,
) -> None:
    """Build each Lambda function into a deterministic arm64 zip (skipped when unchanged)."""
    from .app import package as use_case

    results = use_case.package(use_case.PackageOptions(source, out, functions or [], force), progress)
    if as_json:
        emit_json(
            [
                {
                    "name": r.name,
                    "path": str(r.path),
                    "size": r.size,
                    "sha256": r.sha256,
                    "rebuilt": r.rebuilt,
                }
                for r in results
            ]
        )
        return
    for r in results:
        state = "built" if r.rebuilt else "unchanged"
        print(f"{r.name:<22} {state:<9} {r.size / 1024:8.1f} KiB  sha256:{r.sha256}  {r.path}")


ActorOption = Annotated[
    str | None,
    typer.Option(help="Who acts, for the ledger; default: the CodeBuild initiator, else the login name."),
]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Stream terraform's own output.")]


@app.command(epilog=EXIT_CODES_EPILOG)
def bootstrap(
    config_path: ConfigOption = Path("envs/environments.yaml"),
    verbose: VerboseOption = False,
) -> None:
    """Create the remote-state bucket of every region (once per account; local state)."""
    from .app import deploy

    deploy.bootstrap(deploy.BootstrapOptions(config_path, verbose), progress)


@app.command("control-plane", epilog=EXIT_CODES_EPILOG)
def control_plane(
    config_path: ConfigOption = Path("envs/environments.yaml"),
    version: Annotated[
        str | None, typer.Option(help="Version for the tags; default: the git commit.")
    ] = None,
    plan_only: Annotated[
        bool, typer.Option("--plan-only", help="Plan and apply nothing; exit 2 if it would change anything.")
    ] = False,
    verbose: VerboseOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan summary as JSON.")] = False,
) -> None:
    """Plan the control plane (pipeline, primary config store, dashboard) and apply exactly that plan."""
    from .app import deploy

    options = deploy.ControlPlaneOptions(config_path, version, plan_only, verbose)
    run = deploy.control_plane(options, progress)
    _print_plan(run, as_json, plan_json=True)
    if run.summary.changes and plan_only:
        raise typer.Exit(int(ExitCode.FOUND))


@app.command(epilog=EXIT_CODES_EPILOG)
def release(
    config_path: ConfigOption = Path("envs/environments.yaml"),
    version: Annotated[
        str | None, typer.Option(help="Version the pipeline deploys; default: the git commit.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the bundle to this file instead of uploading it.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Bundle the repository at HEAD (+ RELEASE.json) and upload it to the control plane's
    config store: at releases/<version>/source.zip (once; rollback builds use it), then as
    releases/source.zip, which starts the promotion pipeline. Refuses uncommitted changes."""
    from .app import release as use_case

    published = use_case.release(use_case.ReleaseOptions(config_path, version, out), progress)
    bundle = published.bundle
    if as_json:
        emit_json(
            {
                "version": bundle.version,
                "source_commit": bundle.source_commit,
                "files": bundle.files,
                "bytes": len(bundle.data),
                "sha256": bundle.sha256,
                "location": published.location,
                "version_id": published.version_id,
            }
        )
        return
    typer.echo(
        f"release {bundle.version} ({bundle.source_commit}): {bundle.files} files, "
        f"{len(bundle.data) / 1024:.1f} KiB, sha256:{bundle.sha256} -> {published.location}"
    )


@app.command(epilog=EXIT_CODES_EPILOG)
def plan(
    env: Annotated[str, typer.Option("--env", help="The environment to plan.")],
    config_path: ConfigOption = Path("envs/environments.yaml"),
    version: Annotated[str | None, typer.Option(help="Version to plan; default: the git commit.")] = None,
    verbose: VerboseOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan summary as JSON.")] = False,
) -> None:
    """Plan one environment into a saved plan; exit 2 if it would change anything."""
    from .app import deploy

    run = deploy.plan(deploy.PlanOptions(env, config_path, version, verbose), progress)
    _print_plan(run, as_json, plan_json=True)
    if run.summary.changes:
        raise typer.Exit(int(ExitCode.FOUND))


@app.command(epilog=EXIT_CODES_EPILOG)
def deploy(
    env: Annotated[str, typer.Option("--env", help="The environment to deploy.")],
    config_path: ConfigOption = Path("envs/environments.yaml"),
    version: Annotated[str | None, typer.Option(help="Version to record; default: the git commit.")] = None,
    actor: ActorOption = None,
    verbose: VerboseOption = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the applied plan's summary as JSON.")
    ] = False,
) -> None:
    """Plan one environment, show the summary, apply exactly that saved plan, record it."""
    from .app import deploy as use_case

    applied = use_case.deploy(use_case.DeployOptions(env, config_path, version, actor, verbose), progress)
    _print_plan(applied.run, as_json)


def _ask_approval(target: str, version: str) -> str | None:
    """The approver's name from the terminal; None without a TTY (then --approve is required)."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return None
    name = typer.prompt(
        f"Approve promoting {version} to {target}? Type your name to approve (empty refuses)",
        default="",
        show_default=False,
        err=True,
    ).strip()
    return name or None


@app.command(epilog=EXIT_CODES_EPILOG)
def promote(
    to: Annotated[
        list[str],
        typer.Option(
            "--to",
            help="Target env (staging, prod); repeat for several steps in order: --to staging --to prod.",
        ),
    ],
    approve: Annotated[
        str | None,
        typer.Option("--approve", help="Approver's name (required without a TTY where approval is needed)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Evaluate the gates only; apply and record nothing.")
    ] = False,
    version: Annotated[
        str | None, typer.Option(help="Version to promote; default: the one the previous env runs.")
    ] = None,
    wait_soak: Annotated[
        bool,
        typer.Option(
            "--wait-soak", help="Wait for the soak to elapse instead of refusing when only it fails."
        ),
    ] = False,
    actor: ActorOption = None,
    config_path: ConfigOption = Path("envs/environments.yaml"),
    verbose: VerboseOption = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print each step's gates and outcome as JSON.")
    ] = False,
) -> None:
    """Promote a version along promotion.order (dev -> staging -> prod) through the gates, then deploy it.

    Gates: deployed successfully in the previous env from this same code; for the last env, soaked there for promotion.soak_minutes (INFRAREP_SOAK_SECONDS overrides it on the local AWS only, and the ledger row of that deploy says so); no live drift in the previous env (a refresh-only plan; unchecked counts as drift); an approval where environments.yaml requires one (prompt on a TTY, else --approve). Every failing gate is named with what would satisfy it (exit 3).
    """  # noqa: E501 - one paragraph, so --help wraps it to the terminal
    from .app import promote as use_case

    options = use_case.PromoteOptions(to, config_path, approve, dry_run, version, wait_soak, actor, verbose)
    promoted = use_case.promote(options, progress, _ask_approval)
    result = promoted.result
    if as_json:
        emit_json(
            {
                "dry_run": dry_run,
                "soak_seconds": int(promoted.soak.duration.total_seconds()),
                "steps": [
                    {
                        "target": step.target,
                        "source": step.source,
                        "version": step.version,
                        "deployed": step.deployed,
                        "approver": step.approver,
                        "gates": [
                            {"gate": str(g.gate), "passed": g.passed, "detail": g.detail} for g in step.gates
                        ],
                    }
                    for step in result.steps
                ],
                "untouched": list(result.untouched),
            }
        )
    else:
        for step in result.steps:
            state = "promoted" if step.deployed else "would promote" if step.passed else "refused"
            print(f"{step.target:<10} {state:<13} {step.version} (from {step.source})")
        for name in result.untouched:
            print(f"{name:<10} untouched")
    refused = promoted.refusal()
    if refused is not None:
        raise refused


@app.command(epilog=EXIT_CODES_EPILOG)
def rollback(
    env: Annotated[str, typer.Option("--env", help="The environment to roll back.")],
    to: Annotated[
        str, typer.Option("--to", help="The version to restore (a successful deploy in the ledger).")
    ],
    reason: Annotated[str | None, typer.Option(help="Why; recorded in the ledger's ROLLBACK row.")] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Re-apply the snapshot even if this checkout is not the code VERSION ran."
        ),
    ] = False,
    actor: ActorOption = None,
    config_path: ConfigOption = Path("envs/environments.yaml"),
    verbose: VerboseOption = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the applied plan's summary as JSON.")
    ] = False,
) -> None:
    """Re-apply a recorded version's tfvars snapshot to one env and record ROLLBACK.

    The snapshot comes from the env's config store (written by deploy and promote); this checkout must be the commit that version was deployed from, unless --force (then the ROLLBACK row says which code was applied).
    """  # noqa: E501 - one paragraph, so --help wraps it to the terminal
    from .app import rollback as use_case

    options = use_case.RollbackOptions(env, to, config_path, reason, force, actor, verbose)
    done = use_case.rollback(options, progress)
    _print_plan(done.applied.run, as_json)
    if not as_json:
        print(
            f"{env}: rolled back to {to} (deployed {done.restored.at.isoformat()} by {done.restored.actor})"
        )


@app.command(epilog=EXIT_CODES_EPILOG)
def unlock(
    env: Annotated[str, typer.Option("--env", help="The environment whose lock to release.")],
    lock_id: Annotated[str, typer.Option("--id", help="The lock's id, as the refused run's error names it.")],
    config_path: ConfigOption = Path("envs/environments.yaml"),
    as_json: Annotated[bool, typer.Option("--json", help="Print what was released as JSON.")] = False,
) -> None:
    """Release an env's lock that a run left behind (killed, or its machine lost).

    deploy, promote and rollback hold their env from before the plan until after the apply; a second run meets the lock and is refused, naming its holder and id. Release it only once that run is gone: the id guards against releasing a newer run's lock.
    """  # noqa: E501 - one paragraph, so --help wraps it to the terminal
    from .app import unlock as use_case

    released = use_case.unlock(use_case.UnlockOptions(env, lock_id, config_path), progress)
    if as_json:
        holder = None
        if released is not None:
            holder = {**asdict(released), "since": released.since.isoformat()}
        emit_json({"env": env, "released": released is not None, "holder": holder})
    elif released is None:
        print(f"{env}: not locked")
    else:
        print(f"{env}: released lock {released.id} of {released.describe(now())}")


@app.command(epilog=EXIT_CODES_EPILOG)
def envs(
    config_path: ConfigOption = Path("envs/environments.yaml"),
    as_json: Annotated[
        bool, typer.Option("--json", help='Print [{"name": ..., "region": ...}, ...]: a CI matrix.')
    ] = False,
) -> None:
    """List the environments in promotion order, with their regions."""
    from .app.envs import envs as listed

    entries = listed(config_path)
    if as_json:
        emit_json([asdict(entry) for entry in entries])
        return
    for entry in entries:
        print(f"{entry.name:<10} {entry.region}")


@app.command(epilog=EXIT_CODES_EPILOG)
def status(
    config_path: ConfigOption = Path("envs/environments.yaml"),
    as_json: Annotated[bool, typer.Option("--json", help="Print each env's status as JSON.")] = False,
) -> None:
    """Per environment: the deployed version, since when, by whom, the last attempt, and what the
    last drift check found (and when)."""
    from .app import status as use_case

    shown = use_case.status(use_case.StatusOptions(config_path), progress)
    if as_json:
        emit_json({"environments": [status.to_dict() for status in shown]})
        return
    for status in shown:
        print(status.line())


def _print_plan(run: PlannedRun, as_json: bool, plan_json: bool = False) -> None:
    """The plan's summary; with `plan_json` the JSON names the exported plan JSON too (`plan`
    exports it anyway; `deploy` and `rollback` export it only for code not exported before)."""
    summary = run.summary
    if as_json:
        emit_json(
            {
                "name": run.name,
                "changes": summary.changes,
                "plan_file": str(run.plan_file),
                **({"plan_json": str(run.plan_json)} if plan_json else {}),
                "by_type": summary.by_type(),
                "actions": [{"address": a.address, "action": a.action.value} for a in summary.actions],
            }
        )
        return
    print(f"{run.name}: {summary.headline() if summary.changes else 'no changes'}")
    for kind, counts in summary.by_type().items():
        print(f"  {kind:<48} " + " ".join(f"{action} {count}" for action, count in counts.items()))


@app.command(epilog=EXIT_CODES_EPILOG)
def docs(
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 2 and list the READMEs that are stale.")
    ] = False,
) -> None:
    """Regenerate the inputs/outputs tables in each module's README.md."""
    from .app import maintenance

    stale = maintenance.docs(maintenance.DocsOptions(check))
    for readme in stale:
        print(f"{'stale' if check else 'written':<8} {readme}")
    if check and stale:
        progress(f"docs: {len(stale)} README(s) out of date; run `make docs`")
        raise typer.Exit(int(ExitCode.FOUND))


@app.command(epilog=EXIT_CODES_EPILOG)
def fmt(
    check: Annotated[
        bool, typer.Option("--check", help="Only list unformatted files; exit 2 if there are any.")
    ] = False,
) -> None:
    """Format the project's Terraform files with the terraform that setup found."""
    from .app import maintenance

    listed = maintenance.fmt(maintenance.FmtOptions(check))
    for path in listed:
        print(path)
    if check and listed:
        progress(f"fmt: {len(listed)} file(s) need `make fmt`")
        raise typer.Exit(int(ExitCode.FOUND))


@local_app.command("up", epilog=EXIT_CODES_EPILOG)
def local_up(
    port: Annotated[
        int | None, typer.Option(help="Port on 127.0.0.1; default: a free one.", min=1, max=65535)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print pid, port and endpoint as JSON.")] = False,
) -> None:
    """Start the local AWS (idempotent: prints the running one if it is up)."""
    from . import local_target

    local = local_target.up(state_dir(), port=port)
    _print_local(local, as_json)


@local_app.command("down", epilog=EXIT_CODES_EPILOG)
def local_down() -> None:
    """Stop the local AWS by its PID."""
    from . import local_target

    stopped = local_target.down(state_dir())
    progress(f"local AWS stopped (pid {stopped.pid})" if stopped else "local AWS was not running")


@local_app.command("status", epilog=EXIT_CODES_EPILOG)
def local_status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
) -> None:
    """Say whether the local AWS runs, and where. Exit 0 if it runs, 1 if not."""
    from . import local_target

    local = local_target.require(state_dir())
    _print_local(local, as_json)


def _print_local(local: LocalAws, as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "pid": local.pid,
                "port": local.port,
                "endpoint": local.endpoint,
                "ca_bundle": local.ca_bundle,
                "log": local.log,
            }
        )
    else:
        print(f"local AWS running: pid {local.pid}, endpoint {local.endpoint}")


@app.command("drift-report", epilog=EXIT_CODES_EPILOG)
def drift_report(
    envs: EnvsOption = None,
    kinds: Annotated[
        list[str] | None,
        typer.Option("--kind", help="live, pending or parity (repeatable); default: all three."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json, markdown, html or sarif.")] = "table",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the report to this file, not stdout.", dir_okay=False)
    ] = None,
    plan_files: Annotated[
        list[str] | None,
        typer.Option(
            "--plan",
            help="ENV=FILE: use this `terraform show -json` output instead of running terraform "
            "(repeatable; a refresh-only plan feeds live drift, a normal plan the other kinds).",
        ),
    ] = None,
    aliases: Annotated[
        list[str] | None,
        typer.Option(
            "--alias",
            help="ENV=CODE: CODE (e.g. prd) stands for ENV's name in values, like environments.yaml's "
            "`aliases` (repeatable; added to them).",
        ),
    ] = None,
    source_dirs: Annotated[
        list[str] | None,
        typer.Option(
            "--source",
            help="ENV=DIR (with --plan): the env root ENV's plan was made in; its module sources "
            "(local paths, .terraform/modules) trace what plan JSON leaves out (repeatable). "
            "Default: envs/ENV of this project, for an env of environments.yaml whose plan has "
            "that root's resource blocks and module calls; otherwise plan JSON alone.",
        ),
    ] = None,
    show_expected: Annotated[
        bool, typer.Option("--show-expected", help="Also list expected differences, with the reason.")
    ] = False,
    full_report_url: Annotated[
        str | None,
        typer.Option(
            "--full-report-url",
            help="markdown: where the full report is, named when the report is cut to fit a PR comment.",
        ),
    ] = None,
    notify_aws: Annotated[
        bool,
        typer.Option(
            "--notify",
            help="Publish drift to each env's drift topic (with a baseline or --store: new drift only), "
            "put DriftDetected, record a ledger row.",
        ),
    ] = False,
    policy_path: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            help="Accepted differences; default: drift-policy.yaml beside --config, if any.",
            dir_okay=False,
        ),
    ] = None,
    store: Annotated[
        bool,
        typer.Option(
            "--store",
            help="Keep each env's report in its config store (drift-history/<env>/<time>.json, expired "
            "after 90 days, and drift/<env>/latest.json); "
            "drift is then new or persisting against the previous stored report.",
        ),
    ] = False,
    from_store: Annotated[
        bool,
        typer.Option(
            "--from-store",
            help="Report each env's newest stored report (with its check time) and parity from the "
            "stored config manifests; runs no terraform.",
        ),
    ] = False,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="A json report to compare with: each drift finding is new or persisting, drift gone "
            "is resolved.",
            dir_okay=False,
        ),
    ] = None,
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on", help="any: exit 2 on any drift; new: only on drift new since the baseline."
        ),
    ] = "any",
    require_all: Annotated[
        bool,
        typer.Option("--require-all", help="With --from-store: an env never checked is an error (exit 1)."),
    ] = False,
    config_path: ConfigOption = Path("envs/environments.yaml"),
    version: Annotated[
        str | None,
        typer.Option(
            help="Release to plan every env with, judging live drift and pending changes by it; default: "
            "the git commit (an env running another release is refreshed with its own, and its pending "
            "changes are expected)."
        ),
    ] = None,
    verbose: VerboseOption = False,
) -> None:
    """Report live drift, pending changes and parity drift between envs; exit 2 on drift."""
    from . import drift
    from . import report as reporting
    from .app import drift_report as use_case
    from .files import write_atomic

    formats = [item.value for item in reporting.Format]
    if fmt not in formats:
        raise typer.BadParameter(f"{fmt!r} is not one of {', '.join(formats)}", param_hint="--format")
    fail_ons = [item.value for item in use_case.FailOn]
    if fail_on not in fail_ons:
        raise typer.BadParameter(f"{fail_on!r} is not one of {', '.join(fail_ons)}", param_hint="--fail-on")
    known_kinds = [item.value for item in drift.Kind]
    for kind in kinds or []:
        if kind not in known_kinds:
            raise typer.BadParameter(f"{kind!r} is not one of {', '.join(known_kinds)}", param_hint="--kind")

    def deliver(text: str) -> None:
        if out is not None:
            write_atomic(out, text)
            progress(f"drift-report: wrote {out}")
        else:
            sys.stdout.write(text)

    options = use_case.DriftReportOptions(
        config_path=config_path,
        envs=envs or [],
        kinds=frozenset(drift.Kind(kind) for kind in kinds or []),
        format=reporting.Format(fmt),
        plan_files=plan_files or [],
        aliases=aliases or [],
        source_dirs=source_dirs or [],
        show_expected=show_expected,
        full_report_url=full_report_url,
        notify=notify_aws,
        policy_path=policy_path,
        version=version,
        verbose=verbose,
        store=store,
        from_store=from_store,
        baseline_path=baseline,
        fail_on=use_case.FailOn(fail_on),
        require_all=require_all,
    )
    if use_case.drift_report(options, progress, deliver).failed:
        raise typer.Exit(int(ExitCode.FOUND))


def main(argv: list[str] | None = None) -> None:
    """Console-script entry: one exit-code scheme, one-line errors, no tracebacks without --debug."""
    sys.exit(run_command(sys.argv[1:] if argv is None else argv))


def run_command(args: list[str]) -> int:
    """Run one command line; its exit code (errors printed as one line, or raised with --debug)."""
    debug = "--debug" in args
    try:
        # Without standalone mode, click returns the code of a `typer.Exit` instead of raising.
        returned = app(args=args, prog_name="infrarep", standalone_mode=False)
    except InfrarepError as err:
        if debug:
            raise
        print(f"error: {err.message}", file=sys.stderr)
        if err.hint:
            print(f"hint: {err.hint}", file=sys.stderr)
        return int(err.exit_code)
    except typer.Exit as exit_:
        return int(exit_.exit_code)
    except TyperException as err:
        # Usage errors: click's convention is exit 2, but 2 means "found something" here.
        message = err.format_message()
        if message:  # empty when the command's help was just shown for missing arguments
            print(f"error: {message}", file=sys.stderr)
            context = getattr(err, "ctx", None)
            if context is not None:
                print(f"hint: see `{context.command_path} --help`", file=sys.stderr)
        return int(ExitCode.ERROR)
    except (KeyboardInterrupt, typer.Abort):
        print("interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    return returned if isinstance(returned, int) else int(ExitCode.OK)


if __name__ == "__main__":
    main()
