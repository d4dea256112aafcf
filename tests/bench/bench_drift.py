"""Benchmark: the drift engine against the floor of merely parsing the same plan JSON files.

    .venv/bin/python tests/bench/bench_drift.py                          # 1k, 10k, 20k, 50k per env
    .venv/bin/python tests/bench/bench_drift.py --sizes 20000             # 3 envs x 20k
    .venv/bin/python tests/bench/bench_drift.py --sizes 20000 --envs 10   # 10 envs x 20k

For each size N it writes one synthetic plan per env (dev, staging, prod; with `--envs` > 3
more envs between staging and prod, each with its own region and account) of N
`aws_lambda_function` resources each, shaped like `terraform show -json` output: every
resource in `resource_changes` (before, after, and the `after_unknown` / `*_sensitive` masks
terraform writes, mirroring every list and map: `{"environment": [{"variables": {}}], ...}`),
`planned_values` and `prior_state`, plus `configuration` (N/10 resource blocks with
`count = 10`). Names, ARNs, regions, timestamps and ids differ per env as they do in real
plans; 10% of the blocks take `memory_size` from a root variable whose values differ
(expected differences); prod hard-codes another `timeout` in one block and has one block
more (parity drift). Every block sets the nested blocks `tracing_config` and (three blocks
in four; the fourth in a `dynamic` block, which plan JSON leaves out) `environment`; the
provider fills in `ephemeral_storage` and `logging_config`, which no configuration shows.

Each measurement runs in a fresh process (so peak RSS is its own), three times, the three
kinds taking turns (a shared machine's load then weighs on each alike); the best time is
printed, wall clock and CPU (user + system of the process, steadier on a busy machine):

- parse-only: one msgspec pass per file decoding the attributes every block sets besides
  its nested blocks, with their names known in advance (`after` as typed values), all files
  kept: the floor that docs/performance.md judges the engine against;
- engine: `drift.analyse(kinds=[parity])` over the envs, each read by `plans.load` when the
  engine reaches it (`compare`: the time outside `plans.load`); ratios are to parse-only;
- engine + manifests: the same with each env's config manifest.

Targets (issues 6, 19, 21): 3 envs x 20k compared in < 2 s and < 1 GB peak RSS, the engine
at most 1.5x parse-only, and 10 envs x 20k in less peak RSS than 3 x 20k took before envs
were read one after another (~500 MB).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

REGIONS = (
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-northeast-1",
    "ca-central-1",
    "sa-east-1",
    "eu-north-1",
    "ap-south-1",
)
EXTRA_ENVS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet")
"""Names of the envs between staging and prod when there are more than three (no one holds another)."""


def env_names(count: int) -> list[str]:
    """dev, staging, the extra envs, prod: the promotion order, prod last (it holds the drift)."""
    if not 3 <= count <= 3 + len(EXTRA_ENVS):
        raise SystemExit(f"--envs: 3 to {3 + len(EXTRA_ENVS)}")
    return ["dev", "staging", *EXTRA_ENVS[: count - 3], "prod"]


def env_identity(env: str, names: list[str]) -> tuple[str, str, int]:
    """The env's region, account id and root `memory_mb` (different in every env)."""
    position = names.index(env)
    return REGIONS[position % len(REGIONS)], f"{position + 1:02d}" * 6, 256 * (position + 1)


COUNT = 10  # instances per configuration block
CONFIGURED = (
    "architectures",
    "function_name",
    "handler",
    "memory_size",
    "role",
    "runtime",
    "tags",
    "timeout",
)
"""The attributes every block sets besides its nested blocks (`environment` in three blocks of
four, `tracing_config`): what the parse-only floor decodes, with `tags_all`."""


def lambda_values(
    env: str, region: str, account: str, block: int, index: int, memory: int, timeout: int
) -> dict[str, Any]:
    name = f"shop-{env}-fn{block}-{index}"
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return {
        "architectures": ["arm64"],
        "arn": arn,
        "code_sha256": "335zrcQMDoybVGs/m8XMKNtX4X1j57SjQd/kHvTAo70=",
        "dead_letter_config": [],
        "description": "",
        "environment": [{"variables": {"ENV": env, "TABLE": f"shop-{env}-ledger"}}],
        "ephemeral_storage": [{"size": 512}],
        "filename": "dist/fn.zip",
        "function_name": name,
        "handler": "handler.handler",
        "id": name,
        "invoke_arn": f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations",
        "kms_key_arn": "",
        "last_modified": f"2025-0{1 + index % 9}-0{1 + block % 9}T12:00:00.000+0000",
        "layers": [],
        "logging_config": [{"log_format": "Text", "log_group": f"/aws/lambda/{name}"}],
        "memory_size": memory,
        "package_type": "Zip",
        "publish": False,
        "qualified_arn": f"{arn}:$LATEST",
        "region": region,
        "reserved_concurrent_executions": -1,
        "role": f"arn:aws:iam::{account}:role/shop-{env}-fn{block}",
        "runtime": "python3.12",
        "source_code_hash": "335zrcQMDoybVGs/m8XMKNtX4X1j57SjQd/kHvTAo70=",
        "source_code_size": 164,
        "tags": {"Service": "shop"},
        "tags_all": {"Environment": env, "Service": "shop"},
        "timeout": timeout,
        "tracing_config": [{"mode": "Active"}],
        "version": "$LATEST",
        "vpc_config": [],
    }


def terraform_mask(value: Any) -> Any:
    """The `after_unknown` / `*_sensitive` mask terraform writes for a value with nothing unknown
    or sensitive: every list mirrored element by element, objects and maps kept with only their
    non-false entries (so `{}` for a map of strings), `false` for the rest."""
    if isinstance(value, dict):
        masked = {key: terraform_mask(item) for key, item in value.items()}
        return {key: item for key, item in masked.items() if item is not False}
    if isinstance(value, list):
        return [terraform_mask(item) for item in value]
    return False


def dynamic_environment(block: int) -> bool:
    """Does the block set `environment` in a `dynamic` block (left out of plan JSON's expressions)?"""
    return block % 4 == 3


def expression_block(block: int, env: str) -> dict[str, Any]:
    memory = {"references": ["var.memory_mb"]} if block % 10 == 0 else {"constant_value": 256}
    timeout = 30 if env == "prod" and block == 1 else 10
    environment = (
        {} if dynamic_environment(block) else {"environment": [{"variables": {"references": ["var.name"]}}]}
    )
    return {
        "address": f"aws_lambda_function.fn{block}",
        "mode": "managed",
        "type": "aws_lambda_function",
        "name": f"fn{block}",
        "provider_config_key": "aws",
        "expressions": {
            "architectures": {"constant_value": ["arm64"]},
            **environment,
            "function_name": {"references": ["var.name", "count.index"]},
            "handler": {"constant_value": "handler.handler"},
            "memory_size": memory,
            "role": {"references": [f"aws_iam_role.fn{block}.arn", f"aws_iam_role.fn{block}"]},
            "runtime": {"constant_value": "python3.12"},
            "tags": {"constant_value": {"Service": "shop"}},
            "timeout": {"constant_value": timeout},
            "tracing_config": [{"mode": {"constant_value": "Active"}}],
        },
        "schema_version": 0,
        "count_expression": {"constant_value": COUNT},
    }


def write_plan(path: Path, env: str, names: list[str], resources: int) -> int:
    region, account, memory_mb = env_identity(env, names)
    blocks = resources // COUNT + (1 if env == "prod" else 0)
    changes, planned = [], []
    for block in range(blocks):
        memory = memory_mb if block % 10 == 0 else 256
        timeout = 30 if env == "prod" and block == 1 else 10
        for index in range(COUNT):
            values = lambda_values(env, region, account, block, index, memory, timeout)
            mask = terraform_mask(values)
            address = f"module.fleet.aws_lambda_function.fn{block}[{index}]"
            common = {
                "address": address,
                "mode": "managed",
                "type": "aws_lambda_function",
                "name": f"fn{block}",
            }
            changes.append(
                {
                    **common,
                    "module_address": "module.fleet",
                    "index": index,
                    "provider_name": "registry.terraform.io/hashicorp/aws",
                    "change": {
                        "actions": ["no-op"],
                        "before": values,
                        "after": values,
                        "after_unknown": mask,
                        "before_sensitive": mask,
                        "after_sensitive": mask,
                    },
                }
            )
            planned.append(
                {**common, "index": index, "schema_version": 0, "values": values, "sensitive_values": mask}
            )
    module = {"resources": planned, "address": "module.fleet"}
    document = {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "variables": {
            "env": {"value": env},
            "region": {"value": region},
            "memory_mb": {"value": memory_mb},
        },
        "planned_values": {"root_module": {"child_modules": [module]}},
        "resource_changes": changes,
        "prior_state": {"format_version": "1.0", "values": {"root_module": {"child_modules": [module]}}},
        "configuration": {
            "provider_config": {
                "aws": {
                    "name": "aws",
                    "full_name": "registry.terraform.io/hashicorp/aws",
                    "expressions": {"region": {"references": ["var.region"]}},
                }
            },
            "root_module": {
                "module_calls": {
                    "fleet": {
                        "source": "./modules/fleet",
                        "expressions": {
                            "name": {"references": ["var.env"]},
                            "memory_mb": {"references": ["var.memory_mb"]},
                        },
                        "module": {
                            "resources": [expression_block(block, env) for block in range(blocks)],
                            "variables": {"name": {}, "memory_mb": {}},
                        },
                    }
                },
                "variables": {"env": {}, "region": {}, "memory_mb": {}},
            },
        },
        "timestamp": "2025-01-01T00:00:00Z",
    }
    data = msgspec.json.encode(document)
    path.write_bytes(data)
    return len(data)


# --- measurements (each in its own process) ---


def floor_types() -> type[msgspec.Struct]:
    after = msgspec.defstruct("After", [(name, Any, None) for name in (*CONFIGURED, "tags_all")])
    change = msgspec.defstruct("Change", [("actions", list[str]), ("after", after | None, None)])
    entry = msgspec.defstruct(
        "Entry",
        [
            ("address", str),
            ("mode", str),
            ("type", str),
            ("name", str),
            ("change", change),
            ("module_address", str, ""),
            ("index", int | str | None, None),
        ],
    )
    return msgspec.defstruct("Plan", [("format_version", str), ("resource_changes", list[entry], [])])


def measure(kind: str, names: list[str], files: list[Path]) -> dict[str, float]:
    from infrarep import drift, plans  # imported before the clock starts

    plan_type = floor_types()
    started = time.perf_counter()
    cpu_started = time.process_time()
    loading = 0.0
    if kind == "parse":
        kept = [msgspec.json.decode(path.read_bytes(), type=plan_type) for path in files]
        assert all(plan.resource_changes for plan in kept)
    else:

        def envs() -> Iterator[drift.EnvPlans]:
            nonlocal loading
            for name, path in zip(names, files, strict=True):
                load_started = time.perf_counter()
                plan = plans.load(path)
                loading += time.perf_counter() - load_started
                yield drift.EnvPlans(name, drift.detect_identity(name, plan), plan)

        report = drift.analyse(envs(), [drift.Kind.PARITY], manifests=kind == "engine+manifests")
        assert report.drift
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu": time.process_time() - cpu_started,
        "compare": seconds - loading,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_child(kind: str, names: list[str], files: list[Path]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", kind, "--names", ",".join(names), *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def best_of(
    kinds: list[str], names: list[str], files: list[Path], repeat: int
) -> dict[str, dict[str, float]]:
    """Each kind `repeat` times, taking turns; per kind the fastest run (wall and CPU apart)."""
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    for _ in range(repeat):
        for kind in kinds:
            runs[kind].append(run_child(kind, names, files))
    return {
        kind: {
            **min(measured, key=lambda run: run["seconds"]),
            "cpu": min(run["cpu"] for run in measured),
            "peak_rss_mib": max(run["peak_rss_mib"] for run in measured),
        }
        for kind, measured in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 20000, 50000])
    parser.add_argument("--envs", type=int, default=3, help="envs per size (3 to 13)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--names", help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.names.split(","), args.files)))
        return
    names = env_names(args.envs)
    print(
        f"{'envs x resources':>16} {'MB/env':>7} | {'parse-only':>10} {'cpu':>5} {'RSS':>5} | "
        f"{'engine':>6} {'cpu':>5} {'compare':>7} {'ratio':>5} {'cpu':>5} {'RSS':>5} | "
        f"{'+manifests':>10} {'cpu':>5} {'ratio':>5} {'cpu':>5} {'RSS':>5}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as scratch:
        for size in args.sizes:
            files = []
            total = 0
            for env in names:
                path = Path(scratch) / f"{env}-{size}.json"
                total += write_plan(path, env, names, size)
                files.append(path)
            measured = best_of(["parse", "engine", "engine+manifests"], names, files, args.repeat)
            parse, engine, full = measured["parse"], measured["engine"], measured["engine+manifests"]
            figures = [
                f"{f'{len(names)} x {size}':>16} {total / len(names) / 1e6:>7.1f}",
                f"{parse['seconds']:>9.2f}s {parse['cpu']:>4.2f}s {parse['peak_rss_mib']:>4.0f}M",
                f"{engine['seconds']:>5.2f}s {engine['cpu']:>4.2f}s {engine['compare']:>6.2f}s "
                f"{engine['seconds'] / parse['seconds']:>5.2f} {engine['cpu'] / parse['cpu']:>5.2f} "
                f"{engine['peak_rss_mib']:>4.0f}M",
                f"{full['seconds']:>9.2f}s {full['cpu']:>4.2f}s {full['seconds'] / parse['seconds']:>5.2f} "
                f"{full['cpu'] / parse['cpu']:>5.2f} {full['peak_rss_mib']:>4.0f}M",
            ]
            print(" | ".join(figures), flush=True)
            for path in files:
                path.unlink()


if __name__ == "__main__":
    main()
