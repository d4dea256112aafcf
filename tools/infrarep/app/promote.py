"""Promote a version along promotion.order through the gates (`infrarep.promote`), deploying
each step through the deploy path."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import drift_runs
from .. import promote as promotion
from ..promotion_ports import PromotionPorts
from .context import Progress, actor_name, now, open_project

AskApproval = Callable[[str, str], str | None]
"""(target, version) -> the approver's name, or None (no terminal, or declined)."""


@dataclass(frozen=True)
class PromoteOptions:
    targets: Sequence[str]
    config_path: Path
    approver: str | None = None
    dry_run: bool = False
    version: str | None = None
    """None: the version the previous env runs."""
    wait_soak: bool = False
    actor: str | None = None
    verbose: bool = False


@dataclass(frozen=True)
class Promoted:
    result: promotion.PromotionResult
    soak: promotion.Soak

    def refusal(self) -> promotion.GateRefused | None:
        """The error to end with when a step's gates refused."""
        return promotion.refusal(self.result)


def promote(
    options: PromoteOptions,
    progress: Progress,
    ask: AskApproval,
    sleep: Callable[[float], None] = time.sleep,
) -> Promoted:
    """Check the targets and the soak setting, then run the promotion against the real world.
    A refused gate is in the result; a failed deploy raises."""
    project = open_project(options.config_path, progress, options.verbose)
    settings = project.settings
    order = settings.promotion.order
    targets = promotion.check_targets(order, options.targets)
    soak = promotion.soak_setting(settings.promotion.soak_minutes, os.environ, settings.target)
    if soak.note() and order[-1] in targets:
        progress(f"promote: {soak.note()}")
    envs = settings.ordered()
    project.require_ready(envs)
    runner = project.runner()
    for name in targets:
        runner.require_env_account(project.env(name))
    current = project.release(None)
    check_drift = functools.partial(drift_runs.live_drift, runner)
    ports = PromotionPorts(runner, current, actor_name(options.actor), ask, now, sleep, check_drift)
    plan = promotion.PromotionPlan(
        targets=targets,
        order=order,
        version=options.version,
        soak=soak.duration,
        approval_required={env.name: env.approval_required for env in envs},
        approver=options.approver,
        source_commit=current.source_commit,
        dry_run=options.dry_run,
        wait_for_soak=options.wait_soak,
        soak_note=soak.note(),
    )
    return Promoted(promotion.run(plan, ports), soak)
