"""The shared schema bundled into every Lambda: formats, round trips, and the stdlib-only rule."""

from __future__ import annotations

import ast
import hashlib
import json
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from infrarep import records
from infrarep.records import EventType, InvalidRecord, LedgerEntry, Manifest, Status

AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def entry(**changes) -> LedgerEntry:
    fields = {
        "env": "prod",
        "at": AT,
        "event_id": "evt-1",
        "version": "v7",
        "source_commit": "0f1e2d3c",
        "event_type": EventType.DEPLOY,
        "status": Status.SUCCEEDED,
        "actor": "alice",
        "plan_digest": "sha256:plan",
    }
    fields.update(changes)
    return LedgerEntry.create(**fields)


def test_records_imports_only_the_standard_library():
    source = Path(records.__file__).read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "records.py is bundled alone: no relative imports"
            imported.add((node.module or "").split(".")[0])
    assert imported - {"__future__"} <= set(sys.stdlib_module_names)


def test_the_sort_key_is_the_utc_time_with_microseconds_then_a_stable_suffix():
    other_zone = AT.astimezone(timezone(timedelta(hours=2)))
    key = records.ledger_sort_key(other_zone + timedelta(microseconds=5), "evt-1")
    suffix = hashlib.sha256(b"evt-1").hexdigest()[:12]
    assert key == f"2026-11-23T10:00:00.000005Z#{suffix}"
    assert records.ledger_key("prod", AT, "evt-1") == {
        "env": "prod",
        "deployed_at": f"2026-11-23T10:00:00.000000Z#{suffix}",
    }


def test_a_naive_time_is_refused():
    with pytest.raises(InvalidRecord, match="has no timezone"):
        records.format_timestamp(datetime(2026, 11, 23, 10, 0))


def test_an_entry_round_trips_through_both_item_shapes():
    original = entry(plan_digest="sha256:p", manifest_sha256="c" * 64, reason="why")
    assert LedgerEntry.from_item(original.to_item()) == original
    assert LedgerEntry.from_item(original.to_attribute_values()) == original
    assert LedgerEntry.from_item({**original.to_item(), "ttl": "123"}) == original  # extras ignored
    assert original.at == AT


def test_a_broken_item_names_the_row_and_the_field():
    item = {**entry().to_item(), "status": "DONE"}
    with pytest.raises(
        InvalidRecord, match=r"^ledger item 'prod'/'2026-11-23T10:00:00\.000000Z#.*status: 'DONE'"
    ):
        LedgerEntry.from_item(item)


@pytest.mark.parametrize(
    ("key", "env"),
    [("prod/terraform.tfstate", "prod"), ("eu-west_2/terraform.tfstate", "eu-west_2")],
)
def test_the_env_of_a_state_key(key, env):
    assert records.env_from_state_key(key) == env
    assert records.state_key(env) == key


def test_key_builders():
    assert records.manifest_key("prod") == "manifests/prod/manifest.json"
    assert records.parameters_key("prod") == "parameters/prod.json"
    assert records.tfvars_key("prod", "v7.1+g3") == "tfvars/prod/v7.1+g3.tfvars.json"
    with pytest.raises(InvalidRecord, match="is not an environment name"):
        records.parameters_key("../prod")
    with pytest.raises(InvalidRecord, match="is not a version"):
        records.tfvars_key("prod", "v7/../../x")


def test_latest_successful_ignores_failures_and_drift_checks():
    deployed = entry(at=AT, event_id="a")
    rolled_back = entry(at=AT + timedelta(hours=1), event_id="b", event_type=EventType.ROLLBACK, version="v6")
    later_failure = entry(at=AT + timedelta(hours=2), event_id="c", status=Status.FAILED, version="v8")
    check = entry(at=AT + timedelta(hours=3), event_id="d", event_type=EventType.DRIFT_CHECK)
    other_env = entry(env="staging", at=AT + timedelta(hours=4), event_id="e")

    rows = [later_failure, deployed, check, rolled_back, other_env]
    assert records.latest_successful(rows, env="prod") == rolled_back
    assert records.latest_successful([later_failure, check]) is None


def test_a_requested_rollback_never_becomes_the_running_version():
    deployed = entry(at=AT, event_id="a", version="v7")
    requested = entry(
        at=AT + timedelta(hours=1),
        event_id="b",
        event_type=EventType.ROLLBACK,
        status=Status.REQUESTED,
        version="v6",
        plan_digest=None,
    )
    assert records.latest_successful([deployed, requested], env="prod") == deployed
    assert records.latest_successful([requested]) is None
    assert not records.applied(requested)


def test_a_succeeded_row_that_names_no_applied_plan_is_not_the_running_version():
    """The rollback executor of old wrote ROLLBACK / SUCCEEDED after copying parameters back,
    with no plan applied: such a row says nothing about what runs."""
    deployed = entry(at=AT, event_id="a", version="v7")
    copied_back = entry(
        at=AT + timedelta(hours=1),
        event_id="b",
        event_type=EventType.ROLLBACK,
        version="v6",
        plan_digest=None,
    )
    applied_rollback = entry(
        at=AT + timedelta(hours=2), event_id="c", event_type=EventType.ROLLBACK, version="v5"
    )

    assert records.latest_successful([deployed, copied_back]) == deployed
    assert records.latest_successful([deployed, copied_back, applied_rollback]) == applied_rollback


def test_an_unannounced_state_write_is_an_apply_of_an_unknown_version():
    deployed = entry(at=AT, event_id="a", version="v7")
    state_write = entry(
        at=AT + timedelta(hours=1),
        event_id="s",
        version=records.UNKNOWN,
        source_commit=records.UNKNOWN,
        plan_digest=None,
    )
    assert records.latest_successful([deployed, state_write]) == state_write


def test_within_one_timestamp_a_row_that_knows_its_version_wins():
    for state_id, announce_id in [("s1", "a1"), ("s2", "a2"), ("s3", "a3"), ("s4", "a4")]:
        state_write = entry(
            event_id=state_id, version=records.UNKNOWN, source_commit=records.UNKNOWN, plan_digest=None
        )
        announced = entry(event_id=announce_id, version="v9")
        assert records.latest_successful([state_write, announced]) == announced
        assert records.latest_successful([announced, state_write]) == announced


def test_the_manifest_is_canonical_json():
    manifest = Manifest(env="prod", version="v7", resources={"b": {"y": 1, "x": "é"}, "a": [1.5, None]})

    text = '{"env":"prod","resources":{"a":[1.5,null],"b":{"x":"é","y":1}},"version":"v7"}'
    assert manifest.canonical_bytes().decode() == text
    assert manifest.canonical_bytes() == text.encode("utf-8")
    assert manifest.sha256() == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert Manifest.from_json(manifest.canonical_bytes()) == manifest


def test_a_manifest_from_its_canonical_text_is_the_same_manifest():
    built = Manifest("prod", "v7", {"b": {"y": 1, "x": "é"}, "a": [1.5, None]})
    written = Manifest.from_canonical("prod", "v7", b'{"a":[1.5,null],"b":{"x":"\xc3\xa9","y":1}}', 2)

    assert written == built
    assert written.sha256() == built.sha256()
    assert written.resources == {"a": [1.5, None], "b": {"x": "é", "y": 1}}
    assert written.entries == 2
    with pytest.raises(AttributeError, match="immutable"):
        written.env = "dev"  # type: ignore[misc]
    with pytest.raises(InvalidRecord, match=r"manifest\.env"):
        Manifest.from_canonical("", "v7", b"{}", 0)


def test_parity_compares_resources_not_the_env_label():
    staging = Manifest("staging", "v7", {"queue": {"timeout": 30}})
    prod = Manifest("prod", "v7", {"queue": {"timeout": 30}})
    assert staging.sha256() != prod.sha256()
    assert staging.resources_sha256() == prod.resources_sha256()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"[]", r"^s3://b/k: expected an object, got list$"),
        (b'{"env": "prod"}', r"^s3://b/k: missing version, resources$"),
        (b'{"env": "prod", "version": "v7", "resources": []}', r"resources: expected an object, got list"),
        (b'{"env": "prod", "version": "v7", "resources": {"a": NaN}}', r"manifest\.resources\.a: nan"),
        (b"\xff", r"^s3://b/k: not JSON"),
    ],
)
def test_a_bad_manifest_names_where_and_what(document, message):
    with pytest.raises(InvalidRecord, match=message):
        Manifest.from_json(document, where="s3://b/k")


def test_the_event_entry_is_what_the_recorder_parses():
    update = records.EnvironmentUpdate.from_entry(entry(manifest_sha256="d" * 64))

    event_entry = update.to_event_entry("infrarep-bus")

    assert (event_entry["Source"], event_entry["DetailType"]) == ("infrarep", "EnvironmentUpdate")
    assert event_entry["EventBusName"] == "infrarep-bus"
    parsed = records.EnvironmentUpdate.from_detail(json.loads(event_entry["Detail"]))
    assert parsed == update
    assert parsed.to_entry(at=AT + timedelta(days=1), event_id="eventbridge-id") == entry(
        manifest_sha256="d" * 64
    )
