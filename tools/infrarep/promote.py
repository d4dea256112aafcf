"""Promotion gates: dev -> staging -> prod, decided from plain data.

Each gate says whether it holds and, when it does not, what would satisfy it. The clock,
the ledger rows and the drift result arrive as arguments, so no test ever sleeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from . import records
from .errors import ConfigError, ExitCode, InfrarepError


class Gate(StrEnum):
    DEPLOYED_BEFORE = "deployed_in_previous_env"
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


def refuse_unless_passed(results: Sequence[GateResult], target: str) -> None:
    failed = [result for result in results if not result.passed]
    if failed:
        reasons = "; ".join(f"{result.gate}: {result.detail}" for result in failed)
        raise GateRefused(f"promotion to {target} refused: {reasons}")
