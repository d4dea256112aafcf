"""Benchmark: `infrarep deploy` of a real env stack against the raw terraform plan + apply.

    make demo                                   # the stacks, deployed on the local AWS
    .venv/bin/python tests/bench/bench_deploy_stack.py [--env dev] [--rounds N]

Each round deploys a new version of the env with `infrarep deploy` (the Version tag of
every resource changes, so every resource is updated), then another new version by hand
with `terraform plan -out PLAN` + `terraform apply PLAN` in the same root. Rounds alternate
so that load drift hits both alike. deploy's own progress lines say how long its terraform
plan and apply took, so the time outside them is measured within the same run too.

Target (issue 5): deploy within 5% of plan + apply. What deploy adds: `init` only when
something it reads changed, AWS clients built while terraform plans, the state read back
from S3 (outputs, and the config manifest's values), the code's configuration exported
(`terraform show -json`, on idle CPU while terraform applies) only for code not exported
before, the ledger row, the tfvars snapshot, the manifest, the metric and the event.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
from pathlib import Path

from deployed import deployed_project, timed

BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="dev")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--config", type=Path, default=Path("envs/environments.yaml"))
    args = parser.parse_args()

    deployed = deployed_project(args.config)
    root = deployed.runner.workspace.env_root(args.env)
    inside_terraform = re.compile(
        rf"^{re.escape(args.env)} +(?:plan +\S+ \S+ \S+|applied +\S+ \S+ \S+) +([0-9.]+)s$"
    )
    wrapped: list[float] = []
    inside: list[float] = []
    raw: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as scratch:
        release = Path(scratch) / "release.tfvars.json"
        plan_file = Path(scratch) / "raw.tfplan"
        for index in range(1, args.rounds + 1):
            deploy = [str(BIN / "infrarep"), "deploy", "--env", args.env, "--version", f"bench-{index}a"]
            seconds, progress = timed(deploy, deployed.project, deployed.terraform_env)
            wrapped.append(seconds)
            inside.append(
                sum(
                    float(m.group(1)) for line in progress.splitlines() if (m := inside_terraform.match(line))
                )
            )
            release.write_text(json.dumps({"release_version": f"bench-{index}b", "source_commit": "bench"}))
            plan = [
                deployed.terraform,
                "plan",
                "-input=false",
                "-no-color",
                f"-out={plan_file}",
                f"-var-file={release}",
            ]
            apply = [deployed.terraform, "apply", "-input=false", "-no-color", str(plan_file)]
            raw.append(sum(timed(argv, root, deployed.terraform_env)[0] for argv in (plan, apply)))
            print(
                f"round {index}: deploy {wrapped[-1]:.1f} s (terraform inside {inside[-1]:.1f} s), "
                f"plan + apply {raw[-1]:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    deploy_median, raw_median = statistics.median(wrapped), statistics.median(raw)
    own = [whole - part for whole, part in zip(wrapped, inside, strict=True)]
    paired = [100 * (mine - theirs) / theirs for mine, theirs in zip(wrapped, raw, strict=True)]
    print(f"deploy of {args.env} on the local AWS (every resource updated), medians of {args.rounds} rounds")
    print(
        f"  infrarep deploy {deploy_median:6.1f} s   terraform plan + apply {raw_median:6.1f} s   "
        f"overhead {100 * (deploy_median - raw_median) / raw_median:+.1f} % (target < 5 %)"
    )
    print(
        f"  round by round (each deploy against the plan + apply right after it): median "
        f"{statistics.median(paired):+.1f} % ({', '.join(f'{value:+.1f}' for value in paired)})"
    )
    print(
        f"  within each deploy: terraform plan + apply {statistics.median(inside):.1f} s, the rest "
        f"{statistics.median(own):.2f} s ({100 * statistics.median(own) / statistics.median(inside):.1f} %)"
    )


if __name__ == "__main__":
    main()
