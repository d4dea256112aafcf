"""Why a parity difference is expected or drift, and the reason a finding gives.

A difference is expected when its value comes, through the plan's `configuration`, from a root
input variable whose values differ between the two envs; or from a value the provider assigns
per resource (policy acceptance is applied later, `policy.py`). A literal that differs, or an
expression that differs between the envs, is drift."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from ..plans import ConfigResource, ResourceChange
from .model import Marker, ValuePath, Verdict
from .side import Side
from .tracing import Coverage, Source, SourceKind, module_label
from .values import canonical_json, value_diffs


def judge_existence(
    present: Side, absent: Side, record: ResourceChange, mine: ConfigResource, theirs: ConfigResource
) -> tuple[Verdict, str]:
    """Is an instance that exists in one env only a declared variation or drift? And why."""
    ours = present.tracer.existence(record.module, mine)
    other = absent.tracer.existence(record.module, theirs)
    if not ours and not other:
        return Verdict.DRIFT, "it has no count or for_each, yet exists in one env only"
    if _structure(ours) != _structure(other):
        return Verdict.DRIFT, "count/for_each is configured differently: " + _contrast(
            present.env, ours, absent.env, other
        )
    explaining = _differing_variables(present, absent, ours)
    if explaining:
        return (
            Verdict.EXPECTED,
            "count/for_each follows a declared per-env variation: "
            + _describe_variables(present, absent, explaining),
        )
    computed = sorted(source.name for source in ours if source.kind is SourceKind.COMPUTED)
    if computed:
        return Verdict.EXPECTED, f"count/for_each derives from {', '.join(computed)}"
    return (
        Verdict.DRIFT,
        "count/for_each reads the same inputs in both envs, yet this instance exists in one only",
    )


def _structure(sources: frozenset[Source]) -> frozenset[tuple[SourceKind, str, ValuePath, str]]:
    return frozenset((source.kind, source.name, source.path, source.value) for source in sources)


def _differing_variables(left: Side, right: Side, sources: frozenset[Source]) -> list[Source]:
    """Root variables among `sources` whose values differ between the envs and are not just each
    env's name, region or account id (normalising already equalises those)."""
    found = []
    for source in sorted(sources, key=lambda item: (item.name, item.path)):
        if source.kind is not SourceKind.VARIABLE:
            continue
        mine, theirs = left.variable(source), right.variable(source)
        if mine == theirs:
            continue
        if left.identity.is_identity(mine) and right.identity.is_identity(theirs):
            continue
        found.append(source)
    return found


def _identity_variables(left: Side, right: Side, sources: frozenset[Source]) -> list[Source]:
    return [
        source
        for source in sorted(sources, key=lambda item: item.name)
        if source.kind is SourceKind.VARIABLE
        and left.identity.is_identity(left.variable(source))
        and right.identity.is_identity(right.variable(source))
    ]


def _follows(value_left: Any, value_right: Any, variable_left: Any, variable_right: Any) -> bool:
    """Does a value that differs track a variable that differs (for coarse or opaque origins)?"""
    if value_left == variable_left and value_right == variable_right:
        return True
    if isinstance(variable_left, dict | list) and isinstance(variable_right, dict | list):
        return any(
            _follows(value_left, value_right, inner_left, inner_right)
            for _, inner_left, inner_right in value_diffs(variable_left, variable_right)
        )
    if isinstance(variable_left, bool | dict | list) or variable_left is None:
        return False
    if _same_place_in_network(value_left, value_right, variable_left, variable_right):
        return True
    text_left, text_right = str(variable_left), str(variable_right)
    if not isinstance(value_left, str | int | float) or not isinstance(value_right, str | int | float):
        return False
    shown_left, shown_right = str(value_left), str(value_right)
    return (
        bool(text_left)
        and text_left in shown_left
        and shown_left.replace(text_left, text_right) == shown_right
    )


def judge_value(
    left: Side,
    right: Side,
    coverage_left: Coverage | None,
    coverage_right: Coverage | None,
    value_left: Any,
    value_right: Any,
    sensitive: bool,
) -> tuple[Verdict, str]:
    """Is a difference in one value between two envs a declared variation or drift? And why."""
    if coverage_left is None or coverage_right is None:
        configured = left.env if coverage_left is not None else right.env
        coverage = coverage_left or coverage_right
        assert coverage is not None
        return Verdict.DRIFT, f"set in {configured}'s configuration only ({coverage.where})"
    ours, theirs = coverage_left.sources, coverage_right.sources
    assigned = _assigned(ours, theirs, value_left, value_right)
    if assigned:  # ids, ARNs, key ids: whatever path brings them, each env's provider made its own
        return Verdict.EXPECTED, f"a value each env's provider assigns (from {', '.join(assigned)})"
    if _unset(ours) and _unset(theirs):
        return Verdict.EXPECTED, "configured null in both envs: each env's provider fills it in"
    if _structure(ours) != _structure(theirs):
        return Verdict.DRIFT, "configured differently: " + _contrast(
            left.env, ours, right.env, theirs, sensitive
        )
    explaining = _differing_variables(left, right, ours)
    opaque = sorted(source.name for source in ours if source.kind is SourceKind.OPAQUE)
    locals_ = sorted(source.name for source in ours if source.kind is SourceKind.LOCAL)
    if explaining:
        # A local plan JSON leaves out stands for every input of its module: only a value that
        # tracks one of them is explained by it.
        followed = [
            source
            for source in explaining
            if _follows(
                left.identity.value(value_left),
                right.identity.value(value_right),
                left.identity.value(left.variable(source)),
                right.identity.value(right.variable(source)),
            )
        ]
        # Traced through the source, every literal is among the sources, and they are the same in
        # both envs: only the differing variables are left to make the difference.
        precise = not coverage_left.coarse or (coverage_left.from_source and coverage_right.from_source)
        if (precise and not opaque and not locals_) or followed:
            via = f"through {', '.join(locals_)} ({_local_rule(left)}): " if locals_ else ""
            return Verdict.EXPECTED, f"{via}declared per-env variation: " + _describe_variables(
                left, right, followed if locals_ else explaining
            )
    computed = sorted(source.name for source in ours if source.kind is SourceKind.COMPUTED)
    ids = _only_ids_differ(left.identity.value(value_left), right.identity.value(value_right))
    if ids:  # configured alike: only what each env's provider assigned differs inside it
        return Verdict.EXPECTED, f"differs only in ids each env's provider assigns ({ids})"
    unshown = sorted(source.name for source in ours if source.kind is SourceKind.UNSHOWN)
    if unshown:  # a document built from configuration plan JSON may not show whole
        return Verdict.UNKNOWN, (
            f"derived from {', '.join(unshown)}, a document built from its configuration, which "
            f"plan JSON may not show whole (a dynamic block?); {_sources_rule(left, right)}"
        )
    if locals_:  # a local plan JSON leaves out stands for every input of its module: not enough to tell
        return Verdict.UNKNOWN, (
            f"comes through {', '.join(locals_)}, which plan JSON leaves out, and does not follow "
            f"a per-env variable among its module's inputs ({_local_rule(left)})"
            + (f"; {SOURCE_HINT}" if left.sources is None or right.sources is None else "")
        )
    if computed:
        return Verdict.EXPECTED, f"derived from {', '.join(computed)}, which each env reads or assigns itself"
    identity = _identity_variables(left, right, ours)
    if identity and not opaque:
        names = ", ".join(source.name for source in identity)
        return (
            Verdict.DRIFT,
            f"differs beyond the env's name/region although it follows only {names}: "
            "branching on the env is not a declared variation",
        )
    if opaque and left.sources is not None and right.sources is not None:
        problems = _problems(left, right)
        return Verdict.UNKNOWN, f"comes through {', '.join(opaque)}, which could not be traced" + (
            f" ({problems})" if problems else ""
        )
    if opaque:
        return (
            Verdict.DRIFT,
            f"comes through {', '.join(opaque)}, which plan JSON does not describe, "
            "and does not follow a per-env variable (module sources not on disk)",
        )
    inputs = sorted({source.name for source in ours if source.kind is SourceKind.VARIABLE})
    if inputs:
        return Verdict.DRIFT, f"differs although its inputs ({', '.join(inputs)}) are the same in both envs"
    return Verdict.DRIFT, "differs although both envs configure it the same way"


def _same_place_in_network(value_left: Any, value_right: Any, network_left: Any, network_right: Any) -> bool:
    """Is each value a subnet or address at the same place inside its env's own network (what
    `cidrsubnet`/`cidrhost` make of a per-env CIDR)?"""
    if not (isinstance(network_left, str) and "/" in network_left):
        return False
    networks = _network(network_left), _network(network_right)
    inner = _network(value_left), _network(value_right)
    if networks[0] is None or networks[1] is None or inner[0] is None or inner[1] is None:
        return False
    (outer_left, outer_right), (inner_left, inner_right) = networks, inner
    if outer_left.version != inner_left.version or outer_right.version != inner_right.version:
        return False
    offset_left = int(inner_left.network_address) - int(outer_left.network_address)
    offset_right = int(inner_right.network_address) - int(outer_right.network_address)
    return (
        inner_left.prefixlen == inner_right.prefixlen
        and inner_left.subnet_of(outer_left)  # type: ignore[arg-type]
        and inner_right.subnet_of(outer_right)  # type: ignore[arg-type]
        and offset_left == offset_right
    )


def _network(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """`value` as a network (an address: a network of one), if it is written as one."""
    if not isinstance(value, str) or not _address_like(value):
        return None
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None


def _address_like(text: str) -> bool:
    return ("." in text or ":" in text) and not text.strip(".:0123456789abcdefABCDEF/")


def _address(value: Any) -> bool:
    """A single IP address (not a network)."""
    if not isinstance(value, str) or "/" in value or not _address_like(value):
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


_UNIQUE_ID = r"20[0-9]{16}[0-9a-f]{8}"
"""The suffix terraform's providers add to a generated name (`terraform-20261202133234306900000001`,
a `name_prefix`): a UTC timestamp and a counter."""
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # KMS key ids
_ZONE_ID = r"(?=[0-9A-Z]*[0-9])(?=[0-9A-Z]*[A-Z])[0-9A-Z]{12,32}"  # an upper-case id (Route 53 zones)
_IDS = re.compile(
    rf"(?<![\w-])(?:{_UUID}|{_ZONE_ID}"
    # an EC2-style id (vpc-0a1b2c3d..., an endpoint's vpce-...-1a2b3c4d); inside a longer text
    # only with both digits and letters, not a name ending in a number (`logs-20240101`)
    r"|[a-z]{1,12}-(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{8,32}(?:-[0-9a-z]{8})?)(?![\w-])"
    rf"|(?<![0-9]){_UNIQUE_ID}(?![\w-])"
)
"""Ids a provider assigns, inside a longer text."""
_ASSIGNED = re.compile(
    r"arn:aws[a-z-]*:.+"  # an ARN
    r"|https://sqs\.[a-z0-9-]+\.amazonaws\.com/.+"  # a queue URL
    r"|[a-z]{1,12}-[0-9a-f]{8,32}"  # an EC2-style id (vpc-0a1b2c3d...)
    rf"|{_UUID}|{_ZONE_ID}|[a-z][\w.-]*{_UNIQUE_ID}"
)
"""A whole value a provider assigns."""


def _assigned(
    ours: frozenset[Source], theirs: frozenset[Source], value_left: Any, value_right: Any
) -> list[str]:
    """The provider-assigned attributes a difference in ids or ARNs comes from, when it comes from
    some in both envs (empty otherwise)."""
    if not (isinstance(value_left, str) and isinstance(value_right, str)):
        return []
    if not (_ASSIGNED.fullmatch(value_left) and _ASSIGNED.fullmatch(value_right)):
        return []
    mine = sorted(source.name for source in ours if source.kind is SourceKind.COMPUTED)
    other = {source.name for source in theirs if source.kind is SourceKind.COMPUTED}
    return mine if mine and other else []


def _only_ids_differ(value_left: Any, value_right: Any) -> str:
    """The ids two (normalised) values differ in, when nothing else differs (empty otherwise)."""
    text_left, text_right = canonical_json(value_left).decode(), canonical_json(value_right).decode()
    if text_left == text_right or _IDS.sub("<id>", text_left) != _IDS.sub("<id>", text_right):
        return ""
    shown = [
        f"{mine} / {theirs}"
        for mine, theirs in zip(_IDS.findall(text_left), _IDS.findall(text_right), strict=True)
        if mine != theirs
    ]
    return _cut(shown[0], 80) + (f" and {len(shown) - 1} more" if len(shown) > 1 else "")


UNSHOWN = "set where plan JSON does not show how (a dynamic block?)"


def judge_unshown(
    left: Side, right: Side, module: tuple[str, ...], value_left: Any, value_right: Any
) -> tuple[Verdict, str]:
    """A difference inside a nested block the configuration does not show, and no module source
    read to tell whether a `dynamic` block sets it or the provider fills it in. Expected when it
    is what each env's provider assigns (ids, ARNs); in a child module called alike in both envs
    (its code is the same), also when it follows a per-env variable among the module's inputs,
    or is an address the provider picked. Unknown otherwise, naming what would trace it."""
    normal_left, normal_right = left.identity.value(value_left), right.identity.value(value_right)
    hidden = "in a block plan JSON does not show"
    if _ASSIGNED.fullmatch(str(normal_left)) and _ASSIGNED.fullmatch(str(normal_right)):
        return Verdict.EXPECTED, f"a value each env's provider assigns, {hidden}"
    ids = _only_ids_differ(normal_left, normal_right)
    if ids:
        return Verdict.EXPECTED, f"differs only in ids each env's provider assigns ({ids}), {hidden}"
    ours, theirs = left.tracer.module_inputs(module), right.tracer.module_inputs(module)
    if ours is None or theirs is None:
        return Verdict.UNKNOWN, f"{UNSHOWN} in the root module; {_sources_rule(left, right)}"
    if _structure(ours) != _structure(theirs):  # what differs in the call may be what sets it
        return Verdict.UNKNOWN, f"{UNSHOWN}; {_sources_rule(left, right)}"
    followed = [
        source
        for source in _differing_variables(left, right, ours)
        if _follows(
            normal_left,
            normal_right,
            left.identity.value(left.variable(source)),
            right.identity.value(right.variable(source)),
        )
    ]
    where = f"{hidden}, of {module_label(module)} (the same code in both envs)"
    if followed:
        return Verdict.EXPECTED, f"{where}: declared per-env variation: " + _describe_variables(
            left, right, followed
        )
    if _address(normal_left) and _address(normal_right):
        return Verdict.EXPECTED, f"an address each env's provider picks, {where}"
    return Verdict.UNKNOWN, f"{UNSHOWN}; {_sources_rule(left, right)}"


SOURCE_HINT = "--source ENV=DIR (the env's root dir) traces it"


def _sources_rule(left: Side, right: Side) -> str:
    problems = _problems(left, right)
    if left.sources is None or right.sources is None or not problems:
        return f"module sources not on disk: {SOURCE_HINT}"
    return f"its module's source could not be read: {problems}"


def _unset(sources: frozenset[Source]) -> bool:
    return bool(sources) and all(
        source.kind is SourceKind.CONSTANT and source.value == "null" for source in sources
    )


def _local_rule(side: Side) -> str:
    if side.sources is None:
        return "module sources not on disk: a local stands for all its module's inputs"
    problems = side.sources.problems
    return "its module's source could not be read: " + "; ".join(problems) if problems else "same module code"


def _problems(left: Side, right: Side) -> str:
    found = dict.fromkeys(
        [*(left.sources.problems if left.sources else []), *(right.sources.problems if right.sources else [])]
    )
    return "; ".join(found)


def _contrast(
    left_env: str, ours: frozenset[Source], right_env: str, theirs: frozenset[Source], sensitive: bool = False
) -> str:
    only_ours = _structure(ours) - _structure(theirs)
    only_theirs = _structure(theirs) - _structure(ours)
    mine = [source for source in ours if (source.kind, source.name, source.path, source.value) in only_ours]
    other = [
        source for source in theirs if (source.kind, source.name, source.path, source.value) in only_theirs
    ]
    return f"{left_env}: {_describe(mine, sensitive)}; {right_env}: {_describe(other, sensitive)}"


def _describe(sources: Iterable[Source], sensitive: bool) -> str:
    shown = []
    for source in sorted(sources, key=lambda item: (item.kind, item.name)):
        if source.kind is SourceKind.CONSTANT:
            value = Marker.SENSITIVE.value if sensitive else _cut(source.value)
            shown.append(f"{source.name} = {value}")
        elif source.kind is SourceKind.VARIABLE:
            shown.append(source.name + "".join(f".{step}" for step in source.path))
        else:
            shown.append(source.name)
    return ", ".join(shown) or "nothing"


def _describe_variables(left: Side, right: Side, sources: list[Source]) -> str:
    parts = []
    for source in sources:
        name = source.name + "".join(f".{step}" for step in source.path)
        if left.variable_sensitive(source) or right.variable_sensitive(source):
            parts.append(f"{name} (sensitive)")
            continue
        mine = _cut(canonical_json(left.variable(source)).decode(), 40)
        theirs = _cut(canonical_json(right.variable(source)).decode(), 40)
        parts.append(f"{name} ({left.env}: {mine}, {right.env}: {theirs})")
    return ", ".join(parts)


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
