"""Drift reports the format tests render: one over the real plan fixtures (tests/fixtures/plans:
dev drifted out of band and has pending changes, staging is clean, prod hard-codes a value and
was never applied), and the same with a difference the engine could not trace."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from infrarep import drift, plans
from infrarep.drift import AttributeDiff, Change, DriftFinding, DriftReport, Kind, Verdict

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "plans"
UNTRACED = "module.app.aws_sqs_queue.worker[0]"
UNTRACED_REASON = "set through a local in module app whose source is not on disk: cannot trace it"


def env_plans(env: str, *files: str) -> drift.EnvPlans:
    loaded = [plans.load(FIXTURES / file) for file in files]
    normal = next((plan for plan in loaded if plan.has_changes), None)
    refresh = next((plan for plan in loaded if not plan.has_changes), None)
    return drift.EnvPlans(env, drift.detect_identity(env, normal or refresh), normal, refresh)  # type: ignore[arg-type]


def fixture_report() -> DriftReport:
    envs = [
        env_plans("dev", "live_dev.json", "pending_dev.json"),
        env_plans("staging", "parity_staging.json"),
        env_plans("prod", "parity_prod.json"),
    ]
    return drift.analyse(envs, version="v1")


def with_unknown(report: DriftReport) -> DriftReport:
    """`report` plus a parity difference whose verdict is unknown, in dev~staging."""
    untraced = DriftFinding(
        Kind.PARITY,
        "dev~staging",
        UNTRACED,
        "aws_sqs_queue",
        Change.DIFFERS,
        Verdict.UNKNOWN,
        attributes=(
            AttributeDiff("kms_master_key_id", "alias/a", "alias/b", Verdict.UNKNOWN, UNTRACED_REASON),
        ),
    )
    summaries = tuple(
        dataclasses.replace(item, unknown=item.unknown + 1) if item.scope == untraced.scope else item
        for item in report.summaries
    )
    return dataclasses.replace(report, findings=(*report.findings, untraced), summaries=summaries)
