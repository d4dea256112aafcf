"""promote and rollback: the run through the gates (with in-memory ports and an injected
clock), approval on a TTY and without one, dry runs, multi-step runs, rollback lookups."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from infrarep import cli, env_lock, promote, records, rollback
from infrarep.config import Target
from infrarep.errors import ExitCode, InfrarepError

from ..ledger_rows import row

ORDER = ("dev", "staging", "prod")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass
class World:
    """In-memory ledgers, drift answers, a prompt and a clock: `promote.Ports` without AWS."""

    rows: dict[str, list[records.LedgerEntry]] = field(default_factory=dict)
    drift: dict[str, bool | None] = field(default_factory=dict)
    answer: str | None = None
    fail_deploy: set[str] = field(default_factory=set)
    clock: datetime = NOW
    asked: list[tuple[str, str]] = field(default_factory=list)
    deployed: list[tuple[str, str, str | None]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    slept: list[timedelta] = field(default_factory=list)
    reasons: dict[str, str | None] = field(default_factory=dict)
    held_elsewhere: set[str] = field(default_factory=set)
    timeline: list[str] = field(default_factory=list)

    def history(self, env: str) -> Sequence[records.LedgerEntry]:
        return self.rows.get(env, [])

    @contextmanager
    def hold(self, target: str) -> Iterator[None]:
        if target in self.held_elsewhere:
            raise env_lock.EnvLocked(f"{target}: held by bob on ci-7")
        self.timeline.append(f"hold {target}")
        try:
            yield
        finally:
            self.timeline.append(f"release {target}")

    def live_drift(self, env: str) -> bool | None:
        return self.drift.get(env, False)

    def ask_approval(self, target: str, version: str) -> str | None:
        self.asked.append((target, version))
        self.timeline.append(f"ask {target}")
        return self.answer

    def deploy(
        self, target: str, version: str, approver: str | None, reason: str | None
    ) -> records.LedgerEntry | None:
        if target in self.fail_deploy:
            raise InfrarepError(f"`terraform apply` failed in envs/{target}")
        self.deployed.append((target, version, approver))
        self.reasons[target] = reason
        self.timeline.append(f"deploy {target}")
        entry = row(target, version, self.clock)
        self.rows.setdefault(target, []).append(entry)
        return entry

    def now(self) -> datetime:
        return self.clock

    def sleep(self, span: timedelta) -> None:
        self.slept.append(span)
        self.clock += span

    def progress(self, line: str) -> None:
        self.lines.append(line)


def plan(*targets: str, **overrides: object) -> promote.PromotionPlan:
    settings: dict[str, object] = {
        "targets": targets,
        "order": ORDER,
        "version": None,
        "soak": timedelta(minutes=60),
        "approval_required": {"dev": False, "staging": True, "prod": True},
        "approver": None,
        "source_commit": "abc123",
    }
    settings.update(overrides)
    return promote.PromotionPlan(**settings)  # type: ignore[arg-type]


def gates_failing(step: promote.StepOutcome) -> dict[str, str]:
    return {str(g.gate): g.detail for g in step.gates if not g.passed}


def test_approved_promotion_deploys_the_previous_envs_version_and_records_the_approver():
    world = World(rows={"dev": [row("dev", "v1", NOW - timedelta(days=1)), row("dev", "v2", NOW)]})
    result = promote.run(plan("staging", approver="alice"), world)
    assert world.deployed == [("staging", "v2", "alice")]
    assert result.refused is None and promote.refusal(result) is None
    assert [str(g.gate) for g in result.steps[0].gates] == [
        "deployed_in_previous_env",
        "same_code_version",
        "no_live_drift",
        "approval",
    ]
    assert world.asked == []  # --approve given: no prompt


def test_without_a_tty_or_approve_the_promotion_is_refused_with_exit_3():
    world = World(rows={"dev": [row("dev", "v2", NOW)]}, answer=None)  # the prompt port: no TTY
    result = promote.run(plan("staging"), world)
    assert world.deployed == []
    assert gates_failing(result.steps[0]) == {
        "approval": "staging needs an approval: answer the prompt, or pass --approve NAME"
    }
    refused = promote.refusal(result)
    assert refused is not None and refused.exit_code is ExitCode.GATE_REFUSED
    assert refused.message.startswith("promotion of v2 to staging refused: approval: ")


def test_on_a_tty_the_prompt_answer_approves_and_is_recorded():
    world = World(rows={"dev": [row("dev", "v2", NOW)]}, answer="dana")
    result = promote.run(plan("staging"), world)
    assert world.asked == [("staging", "v2")]
    assert world.deployed == [("staging", "v2", "dana")]
    assert result.steps[0].approver == "dana"


def test_nobody_is_asked_to_approve_what_the_other_gates_refuse():
    world = World(rows={"dev": [row("dev", "v2", NOW)]}, drift={"dev": True}, answer="dana")
    result = promote.run(plan("staging"), world)
    assert world.asked == [] and world.deployed == []
    assert set(gates_failing(result.steps[0])) == {"no_live_drift", "approval"}


def test_unchecked_drift_fails_closed():
    world = World(rows={"dev": [row("dev", "v2", NOW)]}, drift={"dev": None})
    result = promote.run(plan("staging", approver="alice"), world)
    assert gates_failing(result.steps[0]) == {"no_live_drift": "live drift of dev could not be checked"}
    assert world.deployed == []


def test_dry_run_evaluates_every_gate_and_changes_nothing():
    world = World(rows={"dev": [row("dev", "v2", NOW)]}, answer="dana")
    result = promote.run(plan("staging", dry_run=True), world)
    assert world.deployed == [] and world.asked == []
    assert not result.steps[0].deployed
    assert set(gates_failing(result.steps[0])) == {"approval"}
    approved = promote.run(plan("staging", dry_run=True, approver="alice"), world)
    assert approved.refused is None and world.deployed == []


def test_prod_soak_not_elapsed_says_how_long_remains():
    world = World(rows={"staging": [row("staging", "v2", NOW - timedelta(minutes=50))]})
    result = promote.run(plan("prod", approver="bob"), world)
    assert gates_failing(result.steps[0]) == {
        "soak_time": "v2 must soak in staging for 60 min 0 s; 10 min 0 s remain"
    }


def test_wait_soak_sleeps_exactly_the_remaining_time_then_promotes():
    world = World(rows={"staging": [row("staging", "v2", NOW - timedelta(minutes=50))]})
    promote.run(plan("prod", approver="bob", wait_for_soak=True), world)
    assert world.slept == [timedelta(minutes=10)]
    assert world.deployed == [("prod", "v2", "bob")]


def test_a_staging_failure_in_a_two_step_run_leaves_prod_untouched_and_says_so():
    world = World(rows={"dev": [row("dev", "v2", NOW)]}, fail_deploy={"staging"})
    with pytest.raises(InfrarepError, match="terraform apply"):
        promote.run(plan("staging", "prod", approver="alice", soak=timedelta(0)), world)
    assert world.deployed == []
    assert "prod       untouched: promotion stopped at staging" in world.lines


def test_a_refused_first_step_names_the_untouched_envs():
    world = World(rows={"dev": [row("dev", "v2", NOW)]})
    result = promote.run(plan("staging", "prod", soak=timedelta(0)), world)
    assert result.untouched == ("prod",)
    refused = promote.refusal(result)
    assert refused is not None and refused.message.endswith("; prod untouched")


def test_two_steps_promote_the_same_version_through_both_envs():
    world = World(rows={"dev": [row("dev", "v2", NOW)]})
    result = promote.run(plan("staging", "prod", approver="carol", soak=timedelta(0)), world)
    assert world.deployed == [("staging", "v2", "carol"), ("prod", "v2", "carol")]
    assert result.untouched == ()


def test_the_target_is_held_from_its_gates_through_the_prompt_to_its_deploy():
    world = World(rows={"dev": [row("dev", "v2", NOW)]}, answer="dana")
    promote.run(plan("staging", "prod", soak=timedelta(0)), world)
    assert world.timeline == [
        "hold staging",
        "ask staging",
        "deploy staging",
        "release staging",
        "hold prod",
        "ask prod",
        "deploy prod",
        "release prod",
    ]


def test_a_target_another_run_holds_is_refused_before_its_gates_and_later_ones_stay_untouched():
    world = World(rows={"dev": [row("dev", "v2", NOW)]}, answer="dana", held_elsewhere={"staging"})
    with pytest.raises(env_lock.EnvLocked, match="staging: held by bob"):
        promote.run(plan("staging", "prod", soak=timedelta(0)), world)
    assert world.asked == [] and world.deployed == []
    assert not any("gates" in line for line in world.lines)
    assert "prod       untouched: promotion stopped at staging" in world.lines


def test_a_dry_run_holds_nothing():
    world = World(rows={"dev": [row("dev", "v2", NOW)]}, held_elsewhere={"staging"})
    result = promote.run(plan("staging", dry_run=True, approver="alice"), world)
    assert result.refused is None and world.timeline == []


def test_code_that_differs_from_the_previous_envs_is_refused():
    world = World(rows={"dev": [row("dev", "v2", NOW, commit="abc123")]})
    result = promote.run(plan("staging", approver="alice", source_commit="def456"), world)
    assert gates_failing(result.steps[0]) == {
        "same_code_version": "v2 was deployed to dev from abc123, this checkout is def456: check out abc123"
    }


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        (("dev",), "dev is the first environment"),
        (("qa",), "no environment 'qa'"),
        (("prod", "staging"), "out of order"),
        (("staging", "staging"), "out of order"),
    ],
)
def test_targets_must_be_later_envs_in_order(targets, message):
    with pytest.raises(InfrarepError, match=message) as refused:
        promote.check_targets(ORDER, targets)
    assert refused.value.exit_code is ExitCode.ERROR


def test_soak_override_is_announced_and_validated():
    configured = promote.soak_setting(60, {}, Target.LOCAL)
    assert configured.duration == timedelta(minutes=60) and configured.note() is None
    short = promote.soak_setting(60, {"INFRAREP_SOAK_SECONDS": "20"}, Target.LOCAL)
    assert short.duration == timedelta(seconds=20)
    assert short.note() == (
        "soak shortened to 20 s by INFRAREP_SOAK_SECONDS "
        "(environments.yaml promotion.soak_minutes: 60 min 0 s)"
    )
    with pytest.raises(InfrarepError, match="INFRAREP_SOAK_SECONDS: expected a whole number of seconds"):
        promote.soak_setting(60, {"INFRAREP_SOAK_SECONDS": "1h"}, Target.LOCAL)


def test_soak_override_is_refused_against_real_aws():
    assert promote.soak_setting(60, {"INFRAREP_SOAK_SECONDS": ""}, Target.AWS).duration == timedelta(hours=1)
    with pytest.raises(InfrarepError) as refused:
        promote.soak_setting(60, {"INFRAREP_SOAK_SECONDS": "30"}, Target.AWS)
    assert refused.value.exit_code is ExitCode.ERROR
    assert refused.value.message == (
        "INFRAREP_SOAK_SECONDS: the soak override works on the local AWS only, "
        "and environments.yaml's target is aws"
    )


def test_a_shortened_soak_is_recorded_in_the_last_envs_deploy_row_only():
    world = World(rows={"dev": [row("dev", "v2", NOW - timedelta(hours=1))]})
    world.rows["staging"] = [row("staging", "v1", NOW - timedelta(days=1))]
    note = "soak shortened to 20 s by INFRAREP_SOAK_SECONDS"
    soak = timedelta(seconds=20)
    result = promote.run(
        plan("staging", "prod", approver="bob", soak=soak, soak_note=note, wait_for_soak=True), world
    )
    assert result.refused is None
    assert world.reasons == {"staging": None, "prod": note}


# --- the CLI's prompt and its errors before any terraform runs ---


class _Terminal(io.StringIO):
    def __init__(self, text: str, tty: bool) -> None:
        super().__init__(text)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def test_the_prompt_reads_a_name_on_a_tty(monkeypatch):
    monkeypatch.setattr(sys, "stdin", _Terminal("dana\n", tty=True))
    monkeypatch.setattr(sys, "stderr", _Terminal("", tty=True))
    assert cli._ask_approval("prod", "v2") == "dana"
    assert "Approve promoting v2 to prod?" in sys.stderr.getvalue()


def test_an_empty_answer_or_no_tty_gives_no_approval(monkeypatch):
    monkeypatch.setattr(sys, "stdin", _Terminal("\n", tty=True))
    monkeypatch.setattr(sys, "stderr", _Terminal("", tty=True))
    assert cli._ask_approval("prod", "v2") is None
    monkeypatch.setattr(sys, "stdin", _Terminal("dana\n", tty=False))
    assert cli._ask_approval("prod", "v2") is None


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        cli.main(list(argv))
    out, err = capsys.readouterr()
    return int(exited.value.code), out, err


def test_promote_to_the_first_env_exits_1_before_running_terraform(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("INFRAREP_STATE_DIR", str(tmp_path))  # no local AWS there: never reached
    code, out, err = _run(capsys, "promote", "--to", "dev")
    assert (code, out) == (1, "")
    assert err.startswith("error: dev is the first environment: deploy it")


def test_promote_with_a_bad_soak_override_exits_1(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("INFRAREP_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("INFRAREP_SOAK_SECONDS", "soon")
    code, _, err = _run(capsys, "promote", "--to", "prod", "--approve", "bob")
    assert code == 1
    assert "INFRAREP_SOAK_SECONDS: expected a whole number of seconds, got 'soon'" in err


def test_rollback_of_an_unknown_env_exits_1_naming_it(capsys):
    code, _, err = _run(capsys, "rollback", "--env", "qa", "--to", "v1")
    assert code == 1
    assert "no environment 'qa'" in err


# --- rollback lookups ---


def test_rollback_to_an_unknown_version_names_env_and_version_and_lists_known_ones():
    recent = [row("prod", "v2", NOW), row("prod", "v1", NOW - timedelta(days=1))]
    with pytest.raises(rollback.RollbackRefused) as refused:
        rollback.recorded_deploy([], "prod", "v9", lambda: recent)
    assert refused.value.exit_code is ExitCode.ERROR
    assert refused.value.message == "prod: no deployment of version 'v9' in the ledger"
    assert refused.value.hint == "versions deployed to prod, newest first: v2, v1"


def test_rollback_to_a_version_that_only_failed_says_so():
    rows = [row("prod", "v3", NOW, status=records.Status.FAILED)]
    with pytest.raises(
        rollback.RollbackRefused, match=r"'v3' was never deployed successfully.*DEPLOY FAILED"
    ):
        rollback.recorded_deploy(rows, "prod", "v3")


def test_rollback_picks_the_newest_successful_deploy_of_the_version():
    older = row("prod", "v1", NOW - timedelta(days=2))
    newer = row("prod", "v1", NOW - timedelta(days=1))
    rolled = row("prod", "v1", NOW, event_type=records.EventType.ROLLBACK)
    assert rollback.recorded_deploy([older, rolled, newer], "prod", "v1") == newer


def test_rollback_refuses_other_code_unless_forced():
    deployed = row("prod", "v1", NOW, commit="abc123")
    assert rollback.check_code(deployed, "abc123", force=False) is None
    with pytest.raises(rollback.RollbackRefused) as refused:
        rollback.check_code(deployed, "def456", force=False)
    assert refused.value.message == "prod: v1 was deployed from abc123, this checkout is def456"
    assert "git worktree add ../rollback-abc123 abc123" in (refused.value.hint or "")
    assert rollback.check_code(deployed, "def456", force=True) == (
        "code def456 applied, v1 was deployed from abc123"
    )


def test_uncommitted_code_cannot_be_checked_out():
    deployed = row("prod", "v1", NOW, commit="abc123-dirty")
    with pytest.raises(rollback.RollbackRefused) as refused:
        rollback.check_code(deployed, "abc123", force=False)
    assert "never committed" in (refused.value.hint or "")
