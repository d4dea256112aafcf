"""The engine's config manifests are what the drift_validator Lambda reads from the config store.

`drift.env_manifest` (what `deploy` uploads with `ledger.put_manifest`) over the real-terraform
plan fixtures, stored at `records.manifest_key(env)` in moto's S3,
read back and compared by the Lambda's own code.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from validator import EnvState, Kind, Outcome, compare, read_manifest

from infrarep import drift, ledger, plans, records

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plans"
REGIONS = {"dev": "us-east-1", "staging": "us-west-2", "prod": "eu-west-1"}
BUCKET = "infrarep-config"


def built(env: str) -> records.Manifest:
    return drift.env_manifest(env, plans.load(FIXTURES / f"parity_{env}.json"), "v1", REGIONS[env])


def deployed(env: str, manifest: records.Manifest) -> records.LedgerEntry:
    return records.LedgerEntry.create(
        env=env,
        at=datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC),
        event_id={"dev": "a", "staging": "b", "prod": "c"}[env] * 32,
        version="v1",
        source_commit="0" * 40,
        event_type=records.EventType.DEPLOY,
        status=records.Status.SUCCEEDED,
        actor="ci",
        plan_digest="sha256:plan",
        manifest_sha256=manifest.sha256(),
    )


def stored(s3: Any, manifest: records.Manifest) -> records.Manifest:
    """Written by `ledger.put_manifest`, as `deploy` does; read by the Lambda's own code."""
    only_s3 = ledger.Clients(dynamodb=None, s3=s3, cloudwatch=None, events=None, sns=None)
    ledger.put_manifest(only_s3, ledger.EnvResources(manifest.env, "us-east-1", "unused", BUCKET), manifest)
    found = read_manifest(s3, BUCKET, manifest.env)
    assert isinstance(found, records.Manifest), found
    return found


def test_stored_manifest_reads_back_identical(config_bucket):
    manifest = built("dev")

    found = stored(config_bucket, manifest)

    assert found == manifest
    assert found.sha256() == manifest.sha256()


def test_validator_sees_parity_where_the_engine_does(config_bucket):
    states = {}
    for env in ("dev", "staging", "prod"):
        manifest = stored(config_bucket, built(env))
        states[env] = EnvState(env, manifest, deployed(env, manifest))

    clean = compare(states["dev"], states["staging"])
    drifted = compare(states["staging"], states["prod"])

    assert clean.outcome is Outcome.NO_DRIFT
    assert drifted.outcome is Outcome.DRIFT
    (finding,) = drifted.findings
    assert finding.kind is Kind.CONFIG_DIFFERS
    assert finding.facts["differing"]["addresses"] == ["module.app.aws_sqs_queue.jobs"]
