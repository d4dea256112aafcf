"""New, persisting, resolved (drift/history.py) and the fleet report from stored reports and
config manifests (drift/fleet.py): pure, over hand-made findings and manifests."""

from __future__ import annotations

from infrarep.drift import (
    AttributeDiff,
    Change,
    DriftFinding,
    DriftReport,
    FindingKey,
    Kind,
    Marker,
    Status,
    StoredEnv,
    Verdict,
    compare,
    covered_scopes,
    env_part,
    finding_keys,
    fleet_report,
    new_drift,
)
from infrarep.drift.fleet import entry_differences, manifest_parity
from infrarep.drift.model import summarise
from infrarep.records import Manifest

QUEUE = "module.app.aws_sqs_queue.jobs"
TABLE = "module.app.aws_dynamodb_table.ledger"


def live(env: str, address: str, *paths: str, verdict: Verdict = Verdict.DRIFT) -> DriftFinding:
    attributes = tuple(AttributeDiff(path, 1, 2, verdict) for path in paths)
    return DriftFinding(Kind.LIVE, env, address, "aws_x", Change.CHANGED, verdict, attributes=attributes)


def report_of(*findings: DriftFinding, envs: tuple[str, ...] = ("dev",)) -> DriftReport:
    summaries = tuple(summarise(Kind.LIVE, env, 1, [f for f in findings if f.scope == env]) for env in envs)
    return DriftReport(envs, (Kind.LIVE,), (), findings, summaries)


def test_a_finding_has_one_key_per_drifted_attribute_and_expected_ones_have_none():
    mixed = DriftFinding(
        Kind.PARITY,
        "dev~staging",
        QUEUE,
        "aws_sqs_queue",
        Change.DIFFERS,
        Verdict.DRIFT,
        attributes=(
            AttributeDiff("delay_seconds", 0, 5),
            AttributeDiff("name", "a", "b", Verdict.EXPECTED),
        ),
    )
    missing = DriftFinding(Kind.LIVE, "dev", TABLE, "aws_dynamodb_table", Change.MISSING, Verdict.DRIFT)

    assert finding_keys(mixed) == (FindingKey("dev~staging", Kind.PARITY, QUEUE, "delay_seconds"),)
    assert finding_keys(missing) == (FindingKey("dev", Kind.LIVE, TABLE, ""),)
    assert finding_keys(live("dev", QUEUE, "x", verdict=Verdict.EXPECTED)) == ()


def test_drift_seen_before_persists_new_drift_is_new_and_gone_drift_is_resolved():
    before = report_of(live("dev", QUEUE, "delay_seconds"), live("dev", TABLE, "billing_mode"))
    after = report_of(live("dev", QUEUE, "delay_seconds", "visibility_timeout_seconds"))

    history = compare(
        after.findings,
        finding_keys(before.findings[0]) + finding_keys(before.findings[1]),
        covered_scopes(after),
        "run 1",
    )

    assert history.new == {FindingKey("dev", Kind.LIVE, QUEUE, "visibility_timeout_seconds")}
    assert history.persisting == {FindingKey("dev", Kind.LIVE, QUEUE, "delay_seconds")}
    assert history.resolved == (FindingKey("dev", Kind.LIVE, TABLE, "billing_mode"),)
    # A finding with one new attribute is new: it has something to tell.
    assert history.status(after.findings[0]) is Status.NEW
    assert history.summary() == "compared with run 1: 1 new, 1 persisting, 1 resolved"


def test_the_same_drift_again_is_persisting_and_not_new():
    found = report_of(live("dev", QUEUE, "delay_seconds"))
    history = compare(found.findings, finding_keys(found.findings[0]), covered_scopes(found), "run 1")

    assert history.status(found.findings[0]) is Status.PERSISTING
    assert new_drift(found, history) == ()
    assert new_drift(found, None) == found.findings  # no baseline: everything is news


def test_drift_where_the_report_did_not_look_is_not_resolved():
    # The baseline checked dev and staging; this run checks dev only.
    baseline = [FindingKey("staging", Kind.LIVE, QUEUE, "delay_seconds")]
    history = compare((), baseline, covered_scopes(report_of()), "run 1")

    assert history.resolved == ()


def manifest(env: str, resources: dict) -> Manifest:  # type: ignore[type-arg]
    return Manifest(env, "v1", resources)


QUEUE_ENTRY = {"type": "aws_sqs_queue", "attributes": {"delay_seconds": 0, "fifo_queue": False}}
MODULE_ENTRY = {"type": "module", "source": "../modules/app", "version": None}


def test_equal_manifests_are_in_parity_and_differing_ones_name_what_differs():
    dev = manifest("dev", {QUEUE: QUEUE_ENTRY, "module.app": MODULE_ENTRY})
    same, summary = manifest_parity(dev, manifest("staging", dict(dev.resources)))
    assert same == [] and (summary.scope, summary.resources, summary.drift) == ("dev~staging", 2, 0)

    changed = {"type": "aws_sqs_queue", "attributes": {"delay_seconds": 5}}
    moved = {**MODULE_ENTRY, "source": "../modules/app2"}
    prod = manifest("prod", {QUEUE: changed, "module.app": moved, TABLE: {"type": "aws_dynamodb_table"}})
    findings, summary = manifest_parity(dev, prod)

    shown = {f.address: (f.change, [(d.path, d.before, d.after) for d in f.attributes]) for f in findings}
    assert shown == {
        QUEUE: (Change.DIFFERS, [("delay_seconds", 0, 5), ("fifo_queue", False, Marker.ABSENT)]),
        "module.app": (Change.MODULE, [("source", "../modules/app", "../modules/app2")]),
        TABLE: (Change.ONLY_IN, []),
    }
    # Without expressions a manifest cannot tell a declared variation from drift: named, left open.
    assert {f.verdict for f in findings} == {Verdict.UNKNOWN}
    only_in = next(f for f in findings if f.address == TABLE)
    assert only_in.reason.startswith("only in prod's config manifest; ")
    assert "declared variation or drift" in next(f for f in findings if f.address == QUEUE).reason
    assert (summary.resources, summary.drift) == (3, 0)
    assert entry_differences(QUEUE_ENTRY, QUEUE_ENTRY) == ()


def test_the_fleet_report_takes_each_envs_own_findings_and_parity_from_manifests():
    dev_report = report_of(live("dev", QUEUE, "delay_seconds"))
    staging_report = report_of(live("staging", TABLE, "billing_mode"), envs=("staging",))
    manifests = {
        "dev": manifest("dev", {QUEUE: QUEUE_ENTRY}),
        "staging": manifest("staging", {QUEUE: QUEUE_ENTRY}),
        "prod": manifest("prod", {}),
    }
    dev_history = compare(dev_report.findings, [], covered_scopes(dev_report), "dev before")
    stored = {"dev": StoredEnv(dev_report, dev_history), "staging": StoredEnv(staging_report)}

    report, history = fleet_report(["dev", "staging", "prod"], stored, manifests, frozenset(Kind))

    assert report.envs == ("dev", "staging")  # prod was never checked
    assert report.pairs == (("dev", "staging"), ("staging", "prod"))
    assert [(f.kind, f.scope, f.address) for f in report.findings] == [
        (Kind.LIVE, "dev", QUEUE),
        (Kind.LIVE, "staging", TABLE),
        (Kind.PARITY, "staging~prod", QUEUE),
    ]
    assert report.kinds == (Kind.LIVE, Kind.PARITY)
    assert history is not None and history.new == {FindingKey("dev", Kind.LIVE, QUEUE, "delay_seconds")}
    assert history.status(report.findings[2]) is None  # parity from manifests has no history

    only_live, _ = fleet_report(["dev", "staging", "prod"], stored, manifests, frozenset({Kind.LIVE}))
    assert only_live.pairs == () and {f.kind for f in only_live.findings} == {Kind.LIVE}


def test_an_envs_part_of_a_report_is_what_involves_it():
    parity = DriftFinding(Kind.PARITY, "dev~staging", QUEUE, "aws_sqs_queue", Change.DIFFERS, Verdict.DRIFT)
    whole = DriftReport(
        ("dev", "staging", "prod"),
        (Kind.LIVE, Kind.PARITY),
        (("dev", "staging"), ("staging", "prod")),
        (live("dev", QUEUE, "a"), parity, live("prod", TABLE, "b")),
        (),
    )

    part = env_part(whole, "dev")

    assert part.envs == ("dev",) and part.pairs == (("dev", "staging"),)
    assert [f.scope for f in part.findings] == ["dev", "dev~staging"]
