"""Parity drift: two envs differ in something that is not a declared per-env variation.

The envs' inventories, module calls and configured attributes are compared after normalising
each env's identity and provider noise; every difference left is judged by `verdicts.py`, then
against the policy. This works on any terraform configuration's plan JSON."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import msgspec

from .. import plans
from ..plans import ConfigResource, ResourceChange
from .identity import EnvPlans
from .model import (
    AttributeDiff,
    Change,
    DriftFinding,
    Kind,
    Marker,
    ScopeSummary,
    ValuePath,
    Verdict,
    pair_scope,
    summarise,
)
from .noise import prune
from .policy import Policy, apply_policy
from .side import Side
from .tracing import is_expression, module_label
from .values import canonical_json, is_block_list, mask_at, masked, path_text, shown, value_at, value_diffs
from .verdicts import judge_existence, judge_unshown, judge_value


@dataclass
class _PairStats:
    unknown: int = 0


def parity_findings(
    left_env: EnvPlans, right_env: EnvPlans, policy: Policy | None = None
) -> tuple[list[DriftFinding], ScopeSummary]:
    """Parity drift between two envs' normal plans: inventory, attributes, module calls."""
    return parity_between(Side(left_env), Side(right_env), policy)


def parity_between(left: Side, right: Side, policy: Policy | None) -> tuple[list[DriftFinding], ScopeSummary]:
    """`parity_findings` of sides prepared once for every pair they are in."""
    scope = pair_scope(left.env, right.env)
    findings: list[DriftFinding] = []
    stats = _PairStats()
    findings.extend(_module_parity(left, right, scope))
    for key in sorted(left.records.keys() - right.records.keys()):
        findings.append(_only_in(left, right, key, scope))
    for key in sorted(right.records.keys() - left.records.keys()):
        findings.append(_only_in(right, left, key, scope))
    common = 0
    judged: dict[tuple[Any, ...], Any] = {}  # verdicts per value, and results per attribute
    right_prints = right.fingerprints
    for key, fingerprint in left.fingerprints.items():
        other = right_prints.get(key)
        if other is None:
            continue
        common += 1
        if other == fingerprint:
            continue
        finding = _attribute_parity(left, right, key, scope, stats, judged)
        if finding is not None:
            findings.append(finding)
    findings = _read_back(left, [apply_policy(finding, policy) for finding in findings])
    return findings, summarise(Kind.PARITY, scope, common, findings, unknown=stats.unknown)


def _differing(
    names_left: tuple[str, ...], print_left: bytes, names_right: tuple[str, ...], print_right: bytes
) -> tuple[list[str], frozenset[str]]:
    """The attributes two prints may differ in, and those they surely differ in once normalised
    (all of them when both name the same attributes; else each is checked later)."""
    if names_left == names_right:
        prints = zip(names_left, print_left.split(b"\x1f"), print_right.split(b"\x1f"), strict=True)
        found = [name for name, mine, theirs in prints if mine != theirs]
        return found, frozenset(found)
    return sorted({*names_left, *names_right}), frozenset()


def _read_back(side: Side, findings: list[DriftFinding]) -> list[DriftFinding]:
    """A resource reads back an attribute a separate resource owns (`noise.OWNED_ATTRIBUTES`: a
    topic's `policy` set by `aws_sns_topic_policy`): its difference is the owner's, judged there.
    It keeps the owner's verdict when the owner differs in the same attribute, and is left out
    otherwise (the owner's record shows it in its own shape)."""
    by_address = {finding.address: finding for finding in findings}
    kept = []
    for finding in findings:
        record = side.records.get(finding.address)
        owners = side.owned.owners(record) if record is not None and finding.attributes else {}
        if not owners:
            kept.append(finding)
            continue
        diffs = []
        for diff in finding.attributes:
            name = diff.path.split(".")[0].split("[")[0]
            if name not in owners:
                diffs.append(diff)
                continue
            instance = finding.address.removeprefix(
                f"{plans.module_prefix(record.module)}{record.config_address}"
            )
            owner = next(
                (
                    found
                    for address in owners[name]
                    for key in (
                        f"{record.module_address}.{address}{instance}",
                        f"{record.module_address}.{address}",
                    )
                    if (found := _diff_at(by_address.get(key.lstrip(".")), diff.path)) is not None
                ),
                None,
            )
            if owner is not None:
                owner_address, owner_diff = owner
                reason = f"read back from {owner_address}, which sets it: {owner_diff.reason}"
                diffs.append(dataclasses.replace(diff, verdict=owner_diff.verdict, reason=reason))
        if diffs:
            kept.append(dataclasses.replace(finding, verdict=_verdict_of(diffs), attributes=tuple(diffs)))
    return kept


def _diff_at(finding: DriftFinding | None, path: str) -> tuple[str, AttributeDiff] | None:
    diff = next((diff for diff in finding.attributes if diff.path == path), None) if finding else None
    return (finding.address, diff) if finding is not None and diff is not None else None


def _verdict_of(diffs: list[AttributeDiff]) -> Verdict:
    verdicts = {diff.verdict for diff in diffs}
    return next(
        (verdict for verdict in (Verdict.DRIFT, Verdict.UNKNOWN) if verdict in verdicts), Verdict.EXPECTED
    )


def _module_parity(left: Side, right: Side, scope: str) -> list[DriftFinding]:
    ours = {call.path: call for call in left.plan.config.calls()}
    theirs = {call.path: call for call in right.plan.config.calls()}
    findings = []
    for path in sorted(ours.keys() | theirs.keys()):
        mine, other = ours.get(path), theirs.get(path)
        address = plans.module_prefix(path).rstrip(".")
        if mine is None or other is None:
            present = left.env if mine is not None else right.env
            findings.append(
                DriftFinding(
                    Kind.PARITY,
                    scope,
                    address,
                    "module",
                    Change.ONLY_IN,
                    Verdict.DRIFT,
                    f"called only in {present}",
                )
            )
            continue
        diffs = tuple(
            AttributeDiff(
                name, mine_value or Marker.ABSENT, other_value or Marker.ABSENT, Verdict.DRIFT, reason
            )
            for name, mine_value, other_value, reason in (
                ("source", mine.source, other.source, "module source differs"),
                ("version", mine.version, other.version, "module version constraint differs"),
            )
            if mine_value != other_value
        )
        if diffs:
            findings.append(
                DriftFinding(
                    Kind.PARITY,
                    scope,
                    address,
                    "module",
                    Change.MODULE,
                    Verdict.DRIFT,
                    diffs[0].reason,
                    diffs,
                )
            )
    return findings


def _only_in(present: Side, absent: Side, key: str, scope: str) -> DriftFinding:
    record = present.records[key]
    mine = present.config_resource(record)
    theirs = absent.config_resource(record)
    verdict, reason = Verdict.DRIFT, f"not in {absent.env}'s configuration"
    if mine is not None and theirs is not None:
        verdict, reason = judge_existence(present, absent, record, mine, theirs)
    elif theirs is None and absent.plan.config.module(record.module) is None:
        reason = f"{module_label(record.module)} is not in {absent.env}'s configuration"
    return DriftFinding(
        Kind.PARITY, scope, key, record.type, Change.ONLY_IN, verdict, f"only in {present.env}: {reason}"
    )


def _attribute_parity(
    left: Side,
    right: Side,
    key: str,
    scope: str,
    stats: _PairStats,
    judged: dict[tuple[Any, ...], Any],
) -> DriftFinding | None:
    record_left, record_right = left.records[key], right.records[key]
    names_left, print_left = left.fingerprints[key]
    names_right, print_right = right.fingerprints[key]
    raw_left, raw_right = left.raw_values(key), right.raw_values(key)
    # Only the attributes whose loose prints (`EnvIdentity.raw`) differ, where the names agree.
    candidates, verified = _differing(names_left, print_left, names_right, print_right)
    if key in left.unshown or key in right.unshown:
        candidates = sorted(candidates)  # configured attributes and unshown blocks, in name order
    masks = (
        record_left.change.after_unknown,
        record_right.change.after_unknown,
        record_left.change.after_sensitive,
        record_right.change.after_sensitive,
    )
    mask_texts = tuple(map(bytes, masks))
    block = (record_left.module_address, record_left.type, record_left.name)
    diffs: list[AttributeDiff] = []
    for name in candidates:
        mine, theirs = bytes(raw_left.get(name, plans.NULL)), bytes(raw_right.get(name, plans.NULL))
        if mine == theirs or (name not in verified and left.identity.raw(mine) == right.identity.raw(theirs)):
            continue  # the same as written, or the same once normalised
        # Instances of one block often differ alike (count = 10, memory from a variable): judge once.
        memo = (*block, name, mine, theirs, *mask_texts)
        found = judged.get(memo)
        if found is None:
            found = judged[memo] = _attribute_diffs(
                left, right, key, record_left, record_right, name, mine, theirs, masks, judged
            )
        unknown, attribute_diffs = found
        stats.unknown += unknown
        diffs.extend(attribute_diffs)
    if not diffs:
        return None
    return DriftFinding(
        Kind.PARITY, scope, key, record_left.type, Change.DIFFERS, _verdict_of(diffs), "", tuple(diffs)
    )


def _attribute_diffs(
    left: Side,
    right: Side,
    key: str,
    record_left: ResourceChange,
    record_right: ResourceChange,
    name: str,
    mine: bytes,
    theirs: bytes,
    masks: tuple[msgspec.Raw, msgspec.Raw, msgspec.Raw, msgspec.Raw],
    judged: dict[tuple[Any, ...], Any],
) -> tuple[int, tuple[AttributeDiff, ...]]:
    """The differences inside one attribute that differs between the envs (how many values were
    unknown, and each difference with its verdict)."""
    unknown_left, unknown_right, sensitive_left, sensitive_right = (plans.decode_json(mask) for mask in masks)
    config_left = left.config_resource(record_left)
    config_right = right.config_resource(record_right)
    original_left, original_right = plans.decode_json(mine), plans.decode_json(theirs)
    normal_left = prune(left.identity.value(original_left))
    normal_right = prune(right.identity.value(original_right))
    unknown = 0
    diffs: list[AttributeDiff] = []
    for path, _, _ in value_diffs(normal_left, normal_right, (name,)):
        if mask_at(unknown_left, path) or mask_at(unknown_right, path):
            unknown += 1
            continue
        sensitive = mask_at(sensitive_left, path) or mask_at(sensitive_right, path)
        shown_left = value_at({name: original_left}, path)
        shown_right = value_at({name: original_right}, path)
        if shown_left is not None and shown_left == shown_right:
            continue  # equal as written (`/dev/null` in dev and staging): only normalising split them
        canonical_left, canonical_right = canonical_json(shown_left), canonical_json(shown_right)
        if left.identity.raw(canonical_left) == right.identity.raw(canonical_right):
            continue  # equal once each env's name/region/account is replaced, also inside words
        memo = (record_left.module_address, record_left.type, record_left.name, path)
        memo += (canonical_left, canonical_right, sensitive)
        if memo not in judged:
            coverage_left = (
                left.tracer.attribute(record_left.module, config_left, path) if config_left else None
            )
            coverage_right = (
                right.tracer.attribute(record_right.module, config_right, path) if config_right else None
            )
            if coverage_left is None and coverage_right is None:
                unshown = _unshown_block(left, key, config_left, path, original_left, name) or _unshown_block(
                    right, key, config_right, path, original_right, name
                )
                # nothing configures it: the provider fills it in, unless it is in a block plan JSON hides
                judged[memo] = (
                    judge_unshown(left, right, record_left.module, shown_left, shown_right)
                    if unshown
                    else (Verdict.EXPECTED, "")
                )
            else:
                judged[memo] = judge_value(
                    left, right, coverage_left, coverage_right, shown_left, shown_right, sensitive
                )
        verdict, reason = judged[memo]
        if not reason:
            continue
        diffs.append(
            AttributeDiff(
                path_text(path),
                shown(shown_left, sensitive) if sensitive else masked(shown_left, sensitive_left, path),
                shown(shown_right, sensitive) if sensitive else masked(shown_right, sensitive_right, path),
                verdict,
                reason,
            )
        )
    return unknown, tuple(diffs)


def _unshown_block(
    side: Side, key: str, config: ConfigResource | None, path: ValuePath, value: Any, name: str
) -> bool:
    """Is the value at `path` inside a nested block its configuration does not show (a `dynamic`
    block, or one the provider fills in), with no module source read to tell which?"""
    if name in side.unshown.get(key, ()):
        return True
    if config is None or (side.sources is not None and side.sources.module(side.records[key].module)):
        return False
    node: Any = side.plan.config.expressions(config)
    for depth, step in enumerate(path):
        if is_expression(node):
            return False
        if isinstance(node, list) and isinstance(step, int):
            node = node[step] if step < len(node) else (node[0] if node else None)
        elif isinstance(node, dict) and isinstance(step, str):
            if step not in node:
                return depth > 0 and is_block_list(value_at({name: value}, path[: depth + 1]))
            node = node[step]
        else:
            return False
    return False
