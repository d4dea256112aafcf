"""Benchmark: a live-drift report over every env against the slowest single env's refresh-only plan.

    make demo                                   # three deployed envs on the local AWS
    .venv/bin/python tests/bench/bench_live_drift.py [--rounds N]

Run in the project whose envs are deployed (the local AWS of `.infrarep`, or of
INFRAREP_STATE_DIR, must be up). Each round, in turn:

- per env, the raw `terraform plan -refresh-only -out PLAN` that drift-report runs for it
  (same root, same release variables: the release each env runs, from its ledger), one
  env at a time;
- the same raw plans of all envs at once: what the machine can do in parallel (on a
  small machine running the local AWS too, the CPU, not the cloud, is the limit);
- `infrarep drift-report --kind live --format json`, the whole command in a fresh
  process: ledger lookups (each env's state read from S3 for its outputs), the three
  refresh-only plans in parallel, each plan's drift read from the saved plan itself (no
  `terraform show -json` once the code's configuration is kept), the engine, the report.

Target (issue 6): the report takes at most 1.3x the slowest single env's plan (the plans
run in parallel, and what infrarep adds is small). The sum of the singles is what running
the envs one after another would cost.

It also prints the CPU each single plan costs - terraform with its provider (the plan's
process tree) and the local AWS serving it (its process) - and the least wall time the
machine's cores need for all envs' plans at once: when that is above 1.3x the slowest
single plan, no tool can meet the target on this machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from deployed import deployed_project, timed

BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--config", type=Path, default=Path("envs/environments.yaml"))
    args = parser.parse_args()

    from infrarep.cli import progress
    from infrarep.runner import running_release

    deployed = deployed_project(args.config)
    runner, project, binary = deployed.runner, deployed.project, deployed.terraform
    envs = runner.settings.ordered()
    release_files = {}
    for env in envs:
        running = running_release(runner, env)
        if running is None:
            raise SystemExit(f"{env.name} has no successful deployment: run `make demo` first")
        release_files[env.name] = runner.release_vars(env.name, running)
    terraform_env = deployed.terraform_env

    singles: dict[str, list[float]] = {env.name: [] for env in envs}
    terraform_cpu: dict[str, list[float]] = {env.name: [] for env in envs}
    local_cpu: dict[str, list[float]] = {env.name: [] for env in envs}
    local_pid = runner.local.pid
    together: list[float] = []
    reports: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-live-") as scratch:
        plans = {
            env.name: (
                [
                    binary,
                    "plan",
                    "-refresh-only",
                    "-input=false",
                    "-no-color",
                    f"-out={Path(scratch) / env.name}.tfplan",
                    f"-var-file={release_files[env.name]}",
                ],
                runner.workspace.env_root(env.name),
            )
            for env in envs
        }
        for index in range(1, args.rounds + 1):
            for name, (argv, cwd) in plans.items():
                before = (_children_cpu(), _process_cpu(local_pid))
                singles[name].append(timed(argv, cwd, terraform_env)[0])
                terraform_cpu[name].append(_children_cpu() - before[0])
                local_cpu[name].append(_process_cpu(local_pid) - before[1])
            together.append(_all_at_once(list(plans.values()), terraform_env))
            cli = [str(BIN / "infrarep"), "drift-report", "--kind", "live", "--format", "json"]
            reports.append(
                timed([*cli, "--out", str(Path(scratch) / "report.json")], project, dict(os.environ))[0]
            )
            progress(
                f"round {index}: "
                + ", ".join(f"{name} {seconds[-1]:.1f} s" for name, seconds in singles.items())
                + f"; all at once {together[-1]:.1f} s; drift-report {reports[-1]:.1f} s"
            )
    slowest = max(statistics.median(seconds) for seconds in singles.values())
    total = sum(statistics.median(seconds) for seconds in singles.values())
    report = statistics.median(reports)
    parallel = statistics.median(together)
    print(f"live-drift report over {len(envs)} envs on the local AWS, medians of {args.rounds} rounds")
    for name, seconds in singles.items():
        print(
            f"  terraform plan -refresh-only  {name:<8} {statistics.median(seconds):6.1f} s"
            f"  (CPU: terraform + provider {statistics.median(terraform_cpu[name]):.1f} s,"
            f" local AWS {statistics.median(local_cpu[name]):.1f} s)"
        )
    cpu = sum(statistics.median(terraform_cpu[name]) + statistics.median(local_cpu[name]) for name in singles)
    cores = len(os.sched_getaffinity(0))
    print(
        f"  all envs' plans need {cpu:.1f} CPU-seconds: on {cores} cores at least {cpu / cores:.1f} s"
        f" = {cpu / cores / slowest:.2f}x the slowest single plan"
    )
    print(f"  one env after another (sum)           {total:6.1f} s")
    print(
        f"  all envs' raw plans at once           {parallel:6.1f} s = {parallel / slowest:.2f}x the slowest"
    )
    print(
        f"  infrarep drift-report --kind live     {report:6.1f} s = {report / slowest:.2f}x the slowest "
        f"single plan (target <= 1.3x), {report / total:.2f}x the sum, "
        f"{report / parallel:.2f}x the raw plans at once"
    )


def _children_cpu() -> float:
    """User + system CPU of the waited-for child processes (terraform and its provider)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _process_cpu(pid: int) -> float:
    """User + system CPU of a running process (the local AWS), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _all_at_once(runs: list[tuple[list[str], Path]], env: dict[str, str]) -> float:
    started = time.perf_counter()
    processes = [
        subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for argv, cwd in runs
    ]
    for process in processes:
        _, stderr = process.communicate()
        if process.returncode not in (0, 2):
            raise SystemExit(f"a raw plan failed ({process.returncode}):\n{stderr.decode()[-3000:]}")
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
