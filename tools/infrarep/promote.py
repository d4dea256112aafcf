"""Promotion gates along promotion.order (dev -> staging -> prod, or any other), decided from plain data.

Each gate says whether it holds and, when it does not, what would satisfy it. The clock,
the ledger rows and the drift result arrive as arguments, so no test ever sleeps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from . import records
from .config import Target
from .errors import ConfigError, ExitCode, InfrarepError


class Gate(StrEnum):
    DEPLOYED_BEFORE = "deployed_in_previous_env"
    SAME_CODE = "same_code_version"
    SOAK = "soak_time"
    NO_LIVE_DRIFT = "no_live_drift"
    APPROVAL = "approval"


@dataclass(frozen=True)
class GateResult:
    gate: Gate
    passed: bool
    detail: str


class GateRefused(InfrarepError):
    """At least one promotion gate does not hold; nothing was applied."""

    exit_code = ExitCode.GATE_REFUSED


@dataclass(frozen=True)
class PromotionRequest:
    target: str
    version: str
    order: tuple[str, ...]
    soak: timedelta
    approval_required: bool
    approver: str | None
    source_commit: str | None = None
    """The code this checkout would apply; checked against the previous env's when given."""


def previous_env(order: Sequence[str], target: str) -> str:
    """The env a promotion to `target` comes from; the first env is deployed, not promoted."""
    if target not in order:
        raise ConfigError(f"no environment {target!r} (known: {', '.join(order)})")
    position = list(order).index(target)
    if position == 0:
        raise ConfigError(
            f"{target} is the first environment: deploy it (`infrarep deploy --env {target}`), "
            "promotion starts from it"
        )
    return order[position - 1]


def soak_remaining(deployed_at: datetime, now: datetime, soak: timedelta) -> timedelta:
    return max(timedelta(0), deployed_at + soak - now)


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    seconds = int(span.total_seconds() % 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def evaluate(
    request: PromotionRequest,
    previous_rows: Sequence[records.LedgerEntry],
    previous_has_live_drift: bool | None,
    now: datetime,
) -> list[GateResult]:
    """Every gate for promoting `request.version` to `request.target`, in a fixed order.

    The soak applies to the last step of the chain (into the final env), as configured by
    `soak`; `previous_has_live_drift` is None when drift could not be checked, which fails.
    """
    source = previous_env(request.order, request.target)
    results: list[GateResult] = []

    current = records.latest_successful(previous_rows, env=source)
    if current is None:
        results.append(GateResult(Gate.DEPLOYED_BEFORE, False, f"{source} has no successful deployment yet"))
    elif current.version != request.version:
        results.append(
            GateResult(
                Gate.DEPLOYED_BEFORE,
                False,
                f"{source} runs {current.version}, not {request.version}: deploy {request.version} "
                f"to {source} first",
            )
        )
    else:
        results.append(GateResult(Gate.DEPLOYED_BEFORE, True, f"{source} runs {request.version}"))

    if request.source_commit is not None and current is not None and current.version == request.version:
        if current.source_commit == request.source_commit:
            results.append(GateResult(Gate.SAME_CODE, True, f"this checkout is {request.source_commit}"))
        else:
            results.append(
                GateResult(
                    Gate.SAME_CODE,
                    False,
                    f"{request.version} was deployed to {source} from {current.source_commit}, this "
                    f"checkout is {request.source_commit}: check out {current.source_commit}",
                )
            )

    if request.target == request.order[-1]:
        if current is None or current.version != request.version:
            results.append(
                GateResult(Gate.SOAK, False, f"{request.version} has not started soaking in {source}")
            )
        else:
            left = soak_remaining(current.at, now, request.soak)
            results.append(
                GateResult(Gate.SOAK, True, f"soaked {_duration(now - current.at)} in {source}")
                if left == timedelta(0)
                else GateResult(
                    Gate.SOAK,
                    False,
                    f"{request.version} must soak in {source} for {_duration(request.soak)}; "
                    f"{_duration(left)} remain",
                )
            )

    if previous_has_live_drift is None:
        results.append(GateResult(Gate.NO_LIVE_DRIFT, False, f"live drift of {source} could not be checked"))
    elif previous_has_live_drift:
        results.append(
            GateResult(
                Gate.NO_LIVE_DRIFT,
                False,
                f"{source} has live drift: run `infrarep drift-report --env {source}` and re-apply",
            )
        )
    else:
        results.append(GateResult(Gate.NO_LIVE_DRIFT, True, f"{source} matches its code"))

    if request.approval_required:
        if request.approver:
            results.append(GateResult(Gate.APPROVAL, True, f"approved by {request.approver}"))
        else:
            results.append(
                GateResult(
                    Gate.APPROVAL,
                    False,
                    f"{request.target} needs an approval: answer the prompt, or pass --approve NAME",
                )
            )
    return results


def refusal_lines(results: Sequence[GateResult]) -> list[str]:
    """One line per failing gate: its name, then what would satisfy it."""
    return [f"{result.gate}: {result.detail}" for result in results if not result.passed]


# --- the soak setting ---

SOAK_OVERRIDE_SETTING = "INFRAREP_SOAK_SECONDS"


@dataclass(frozen=True)
class Soak:
    duration: timedelta
    configured: timedelta
    overridden: bool

    def note(self) -> str | None:
        """What to say on screen when the soak is not the configured one."""
        if not self.overridden:
            return None
        how = "shortened" if self.duration < self.configured else "set"
        return (
            f"soak {how} to {_duration(self.duration)} by {SOAK_OVERRIDE_SETTING} "
            f"(environments.yaml promotion.soak_minutes: {_duration(self.configured)})"
        )


def soak_setting(soak_minutes: int, environ: Mapping[str, str], target: Target) -> Soak:
    """The configured soak, unless `$INFRAREP_SOAK_SECONDS` overrides it: on the local AWS
    only (demos, tests). Against real AWS the override is refused, never ignored silently."""
    configured = timedelta(minutes=soak_minutes)
    raw = environ.get(SOAK_OVERRIDE_SETTING)
    if raw is None or raw == "":
        return Soak(configured, configured, overridden=False)
    if target is not Target.LOCAL:
        raise ConfigError(
            f"{SOAK_OVERRIDE_SETTING}: the soak override works on the local AWS only, and "
            f"environments.yaml's target is {target}",
            hint=f"unset {SOAK_OVERRIDE_SETTING}; promotion.soak_minutes ({soak_minutes}) applies",
        )
    if not raw.isdigit():
        raise ConfigError(f"{SOAK_OVERRIDE_SETTING}: expected a whole number of seconds, got {raw!r}")
    return Soak(timedelta(seconds=int(raw)), configured, overridden=True)


# --- one promotion run: the steps in order, through ports the caller provides ---


class Ports(Protocol):
    """What a promotion needs from the world; `promotion_ports.PromotionPorts` is the real one."""

    def history(self, env: str) -> Sequence[records.LedgerEntry]:
        """The env's ledger rows (any order)."""

    def live_drift(self, env: str) -> bool | None:
        """Whether the env has live drift; None when it could not be checked."""

    def hold(self, target: str) -> AbstractContextManager[None]:
        """Hold `target` (no other run deploys it) from its gates through the approval
        prompt to its deploy; raises if another run holds it."""

    def ask_approval(self, target: str, version: str) -> str | None:
        """The approver's name from an interactive prompt; None without a TTY or when declined."""

    def deploy(
        self, target: str, version: str, approver: str | None, reason: str | None
    ) -> records.LedgerEntry | None:
        """Deploy `version` to `target` through the normal deploy path, `reason` going into its
        ledger row; raises on failure."""

    def now(self) -> datetime: ...

    def sleep(self, span: timedelta) -> None: ...

    def progress(self, line: str) -> None: ...


@dataclass(frozen=True)
class PromotionPlan:
    targets: tuple[str, ...]
    order: tuple[str, ...]
    version: str | None
    """None: the version the first step's previous env runs."""
    soak: timedelta
    approval_required: Mapping[str, bool]
    approver: str | None
    source_commit: str | None
    dry_run: bool = False
    wait_for_soak: bool = False
    soak_note: str | None = None
    """Set when the soak is not the configured one: the deploy into the last env records it."""


@dataclass(frozen=True)
class StepOutcome:
    target: str
    source: str
    version: str
    gates: tuple[GateResult, ...]
    deployed: bool
    approver: str | None = None

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.gates)


@dataclass(frozen=True)
class PromotionResult:
    steps: tuple[StepOutcome, ...]
    untouched: tuple[str, ...]
    """Targets not attempted because an earlier step stopped."""

    @property
    def refused(self) -> StepOutcome | None:
        return next((step for step in self.steps if not step.passed), None)


def check_targets(order: Sequence[str], targets: Sequence[str]) -> tuple[str, ...]:
    """Targets must be consecutive envs in promotion order, none of them the first env."""
    if not targets:
        raise ConfigError("promote: name a target with --to (e.g. --to staging)")
    for target in targets:
        previous_env(order, target)
    positions = [list(order).index(target) for target in targets]
    if positions != list(range(positions[0], positions[0] + len(positions))):
        raise ConfigError(
            f"promote: --to {' --to '.join(targets)} is out of order; "
            f"promotion goes {' -> '.join(order)}, one env after the other"
        )
    return tuple(targets)


def run(plan: PromotionPlan, ports: Ports) -> PromotionResult:
    """Promote step by step. A step whose gates refuse, or whose deploy raises, stops the run:
    later targets stay untouched (the progress says so), and the error propagates."""
    targets = check_targets(plan.order, plan.targets)
    steps: list[StepOutcome] = []
    version = plan.version
    for index, target in enumerate(targets):
        later = targets[index + 1 :]
        try:
            with nullcontext() if plan.dry_run else ports.hold(target):
                step = _step(plan, ports, target, version)
        except BaseException:
            _say_untouched(ports, later, target)
            raise
        steps.append(step)
        version = step.version
        if not step.passed:
            _say_untouched(ports, later, target)
            return PromotionResult(tuple(steps), later)
        if plan.dry_run and later:
            ports.progress(
                f"dry run: {', '.join(later)} not evaluated ({target} would have to run {version} first)"
            )
            return PromotionResult(tuple(steps), later)
    return PromotionResult(tuple(steps), ())


def refusal(result: PromotionResult) -> GateRefused | None:
    """The error for a run whose gates refused: every failing gate, and what stayed untouched."""
    step = result.refused
    if step is None:
        return None
    reasons = "; ".join(refusal_lines(step.gates))
    untouched = f"; {', '.join(result.untouched)} untouched" if result.untouched else ""
    return GateRefused(f"promotion of {step.version} to {step.target} refused: {reasons}{untouched}")


def _say_untouched(ports: Ports, later: Sequence[str], stopped_at: str) -> None:
    for env in later:
        ports.progress(f"{env:<10} untouched: promotion stopped at {stopped_at}")


def _step(plan: PromotionPlan, ports: Ports, target: str, version: str | None) -> StepOutcome:
    source = previous_env(plan.order, target)
    rows = list(ports.history(source))
    if version is None:
        current = records.latest_successful(rows, env=source)
        version = current.version if current else records.UNKNOWN
    ports.progress(f"{target:<10} gates   promoting {version} from {source}")
    drift = ports.live_drift(source)
    approval_required = plan.approval_required.get(target, True)

    def gates(approver: str | None) -> list[GateResult]:
        request = PromotionRequest(
            target=target,
            version=version,
            order=plan.order,
            soak=plan.soak,
            approval_required=approval_required,
            approver=approver,
            source_commit=plan.source_commit,
        )
        return evaluate(request, rows, drift, ports.now())

    approver = plan.approver
    results = gates(approver)
    if plan.wait_for_soak and not plan.dry_run and _only_soak_fails(results):
        left = _soak_left(rows, source, version, plan.soak, ports.now())
        ports.progress(f"{target:<10} soak    waiting {_duration(left)} for {version} to soak in {source}")
        ports.sleep(left)
        results = gates(approver)
    others_pass = all(result.passed for result in results if result.gate is not Gate.APPROVAL)
    if approval_required and approver is None and others_pass and not plan.dry_run:
        approver = ports.ask_approval(target, version)
        if approver is not None:
            results = gates(approver)
    for result in results:
        mark = "ok  " if result.passed else "FAIL"
        ports.progress(f"{target:<10} gate    {mark} {result.gate}: {result.detail}")
    passed = all(result.passed for result in results)
    deployed = False
    if passed and not plan.dry_run:
        reason = plan.soak_note if target == plan.order[-1] else None
        ports.deploy(target, version, approver if approval_required else plan.approver, reason)
        deployed = True
    return StepOutcome(target, source, version, tuple(results), deployed, approver)


def _only_soak_fails(results: Sequence[GateResult]) -> bool:
    failing = {result.gate for result in results if not result.passed}
    return Gate.SOAK in failing and failing <= {Gate.SOAK, Gate.APPROVAL}


def _soak_left(
    rows: Sequence[records.LedgerEntry], source: str, version: str, soak: timedelta, now: datetime
) -> timedelta:
    current = records.latest_successful(rows, env=source)
    if current is None or current.version != version:
        return timedelta(0)
    return soak_remaining(current.at, now, soak)
