"""drift_runs: `--plan ENV=FILE` reading, the kinds the given plans can answer, and planning envs in parallel.

`plan_in_parallel` is checked for its own job - threads, progress, failures - with a runner
whose `plan` hands back the real plan fixtures instead of running terraform (terraform
itself is exercised by the e2e tests).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from infrarep import config, drift_runs
from infrarep.drift import Kind
from infrarep.errors import ConfigError, InfrarepError
from infrarep.plans import PlanUnreadable
from infrarep.runner import Release

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plans"
CONFIG = Path(__file__).resolve().parents[2] / "envs" / "environments.yaml"


def test_parse_plan_specs_groups_files_by_env():
    parsed = drift_runs.parse_plan_specs(["dev=a.json", "staging=b.json", "dev=c.json"])

    assert parsed == {"dev": [Path("a.json"), Path("c.json")], "staging": [Path("b.json")]}


@pytest.mark.parametrize("spec", ["dev", "=a.json", "dev=", ""])
def test_parse_plan_specs_rejects_malformed(spec):
    with pytest.raises(ConfigError, match="expected ENV=FILE"):
        drift_runs.parse_plan_specs([spec])


def test_every_env_in_promotion_order_by_default():
    settings = config.load(CONFIG)
    assert drift_runs.select_envs(settings, [], {}, CONFIG) == ["dev", "staging", "prod"]
    assert drift_runs.select_envs(settings, ["prod", "dev"], {}, CONFIG) == ["prod", "dev"]


def test_with_plan_files_only_the_envs_given_in_promotion_order():
    settings = config.load(CONFIG)
    given = {"prod": [Path("p.json")], "dev": [Path("d.json")]}
    assert drift_runs.select_envs(settings, [], given, CONFIG) == ["dev", "prod"]


def test_without_a_config_plan_files_name_any_env_in_the_order_given():
    given = {"prod": [Path("p.json")], "qa": [Path("q.json")], "dev": [Path("d.json")]}
    assert drift_runs.select_envs(None, [], given, CONFIG) == ["prod", "qa", "dev"]


def test_with_a_config_a_plan_for_an_env_it_does_not_know_is_an_error():
    given = {"prod": [Path("p.json")], "prdo": [Path("q.json")]}
    with pytest.raises(ConfigError, match=r"environments\.yaml: no environment 'prdo' \(known: dev, "):
        drift_runs.select_envs(config.load(CONFIG), [], given, CONFIG)


def test_an_env_the_config_does_not_know_is_an_error_naming_the_file():
    with pytest.raises(ConfigError, match=r"environments\.yaml.*qa"):
        drift_runs.select_envs(config.load(CONFIG), ["qa"], {}, CONFIG)


def test_selecting_nothing_is_an_error():
    with pytest.raises(InfrarepError, match="no environment selected"):
        drift_runs.select_envs(None, [], {}, CONFIG)


def test_from_files_sorts_normal_and_refresh_plans():
    lines: list[str] = []
    files = {"dev": [FIXTURES / "live_dev.json", FIXTURES / "pending_dev.json"]}

    (dev,) = drift_runs.from_files(files, ["dev"], {"dev": "us-east-1"}, lines.append)

    assert dev.plan is not None and dev.plan.path.name == "pending_dev.json"
    assert dev.refresh is not None and dev.refresh.path.name == "live_dev.json"
    assert dev.identity.region == "us-east-1"
    assert dev.identity.account_id == "123456789012"
    assert [line.split()[:3] for line in lines] == [["dev", "read", "refresh"], ["dev", "read", "plan"]]
    assert "(9 drifted)" in lines[0] and "(13 resources)" in lines[1]


def test_region_comes_from_the_provider_without_a_config():
    (staging,) = drift_runs.from_files(
        {"staging": [FIXTURES / "parity_staging.json"]}, ["staging"], {}, print
    )

    assert staging.identity.region == "us-west-2"  # provider "aws" { region = var.region }


def test_from_files_rejects_two_plans_of_a_kind_and_missing_envs():
    two = {"dev": [FIXTURES / "parity_dev.json", FIXTURES / "pending_dev.json"]}
    with pytest.raises(ConfigError, match=r"dev already has a normal plan \(.*parity_dev\.json\)$"):
        drift_runs.from_files(two, ["dev"], {}, lambda _: None)
    with pytest.raises(ConfigError, match=r"^staging: no --plan staging=FILE given"):
        drift_runs.from_files({"dev": [FIXTURES / "parity_dev.json"]}, ["dev", "staging"], {}, lambda _: None)


def test_available_kinds_follow_the_plans_given():
    both = drift_runs.from_files(
        {"dev": [FIXTURES / "parity_dev.json"], "staging": [FIXTURES / "parity_staging.json"]},
        ["dev", "staging"],
        {},
        lambda _: None,
    )
    live_only = drift_runs.from_files({"dev": [FIXTURES / "live_dev.json"]}, ["dev"], {}, lambda _: None)

    assert drift_runs.available_kinds(both) == frozenset(Kind)
    assert drift_runs.available_kinds(live_only) == frozenset({Kind.LIVE})


# --- planning in parallel ---


@dataclass
class _Run:
    plan_json: Path


@dataclass
class _Workspace:
    def env_root(self, env: str) -> Path:
        return Path("/nonexistent/envs") / env


@dataclass
class RecordingRunner:
    """Stands in for runner.Runner: `plan` waits at `gate` (so calls that are not concurrent
    never get through) and returns the env's plan fixture."""

    parties: int
    fail: str | None = None
    hold: threading.Event | None = None
    calls: list[tuple[str, bool]] = field(default_factory=list)
    workspace: _Workspace = field(default_factory=_Workspace)

    def __post_init__(self) -> None:
        self.gate = threading.Barrier(self.parties, timeout=10)

    def release_vars(self, env: str, release: Release) -> Path:
        return Path(f"/nonexistent/{env}-{release.version}.tfvars.json")

    def backend(self, root: Path) -> list[Path]:
        return [root / "backend.hcl"]

    def plan(
        self, env: str, root: Path, backend: list[Path], var_files: list[Path], refresh_only: bool = False
    ) -> _Run:
        self.calls.append((env, refresh_only))
        self.gate.wait()  # every env's plan is in flight at the same time
        if self.hold is not None:
            self.hold.wait(timeout=10)
        if env == self.fail:
            raise PlanUnreadable(f"{env}: terraform said no")
        if refresh_only:
            return _Run(FIXTURES / ("live_dev.json" if env == "dev" else "live_clean_dev.json"))
        return _Run(FIXTURES / f"parity_{env}.json")


def settings_for(*names: str) -> list[config.EnvSettings]:
    settings = config.load(CONFIG)
    return [settings.env(name, CONFIG) for name in names]


RELEASE = Release(version="v1", source_commit="0" * 40)


def test_envs_are_planned_at_the_same_time():
    runner = RecordingRunner(parties=3)
    lines: list[str] = []

    envs = drift_runs.plan_in_parallel(
        runner,  # type: ignore[arg-type]
        settings_for("dev", "staging", "prod"),
        frozenset({Kind.PARITY}),
        RELEASE,
        lines.append,
    )

    assert [env.env for env in envs] == ["dev", "staging", "prod"]
    assert all(env.plan is not None and env.refresh is None for env in envs)
    assert lines[0] == "drift-report: plan for dev, staging, prod in parallel"
    assert lines[-1].startswith("drift-report: plans ready in ")


def test_live_drift_adds_a_refresh_only_plan_per_env():
    runner = RecordingRunner(parties=2)

    envs = drift_runs.plan_in_parallel(
        runner,  # type: ignore[arg-type]
        settings_for("dev", "staging"),
        frozenset(Kind),
        RELEASE,
        lambda _: None,
    )

    assert sorted(runner.calls) == [("dev", False), ("dev", True), ("staging", False), ("staging", True)]
    assert all(env.refresh is not None and env.plan is not None for env in envs)


def test_a_heartbeat_names_the_envs_still_planning():
    hold = threading.Event()
    runner = RecordingRunner(parties=2, hold=hold)
    lines: list[str] = []

    def progress(line: str) -> None:
        lines.append(line)
        if line.startswith("drift-report: still planning"):
            hold.set()  # let the plans finish once the heartbeat was heard

    drift_runs.plan_in_parallel(
        runner,  # type: ignore[arg-type]
        settings_for("dev", "staging"),
        frozenset({Kind.PARITY}),
        RELEASE,
        progress,
        heartbeat=0.05,
    )

    assert any(line.startswith("drift-report: still planning dev, staging  ") for line in lines)


def test_one_env_failing_is_reported_after_all_finished():
    runner = RecordingRunner(parties=2, fail="staging")
    lines: list[str] = []

    with pytest.raises(InfrarepError) as raised:
        drift_runs.plan_in_parallel(
            runner,  # type: ignore[arg-type]
            settings_for("dev", "staging"),
            frozenset({Kind.PARITY}),
            RELEASE,
            lines.append,
        )

    assert raised.value.message == "drift-report: planning failed for staging"
    assert "staging    failed: staging: terraform said no" in lines
    assert ("dev", False) in runner.calls
