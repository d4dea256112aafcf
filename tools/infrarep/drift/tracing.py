"""Tracing a value through the plan's `configuration` to where it is set: a root input
variable, a literal, a value the provider assigns, or something plan JSON does not describe
(resource expression -> module variable -> module call argument -> root variable). The
verdicts (`verdicts.py`) and the manifests (`manifests.py`) are decided from what it finds."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from operator import itemgetter
from typing import Any

import hcl2
import msgspec

from .. import plans
from ..plans import ConfigResource, Plan
from .identity import EnvIdentity
from .model import ValuePath
from .sources import HCL_OPTIONS, Body, Sources, dynamic_in, label, module_label
from .values import canonical_json, path_text, value_at


class SourceKind(StrEnum):
    VARIABLE = "variable"  # a root input variable (a declared per-env variation)
    CONSTANT = "constant"  # a literal in the configuration
    COMPUTED = "computed"  # an attribute the provider assigns, or a data source's result
    OPAQUE = "opaque"  # something plan JSON does not describe (a local value of the root module)
    # A child module's local value: plan JSON leaves out its expression, but the module's code
    # is the same in both envs (its source is compared separately), so it can only differ
    # through the module's inputs, which are traced in its place.
    LOCAL = "local"
    # A document a data source builds from its configuration (a policy document): its result is
    # its inputs, but plan JSON leaves out the `dynamic` blocks it may have.
    UNSHOWN = "unshown"


@dataclass(frozen=True)
class Source:
    kind: SourceKind
    name: str
    """`var.memory_mb`, `module.app call argument retention_seconds`, `aws_sqs_queue.jobs.url`."""
    path: ValuePath = ()
    """For a variable: where inside its value (`var.payments.memory_mb` -> ("memory_mb",))."""
    value: str = ""
    """For a constant: its normalised value as canonical JSON."""


@dataclass(frozen=True)
class Coverage:
    """Where a value comes from: the sources its expression reads."""

    sources: frozenset[Source]
    coarse: bool
    """The expression sets a whole map/object around the value, not the value itself."""
    where: str
    from_source: bool = False
    """Traced through the module source, whose literals are all among `sources` (plan JSON
    leaves out the literals of an expression that has references)."""


Read = tuple[tuple[str, ...], str]
"""A resource block a trace looked up, as (module path, address), found or not; or
(module path, `plans.DATA_SOURCES`) for the list of a module's data sources."""
CUT: Read = ((), "(a trace cut at a cycle)")


class _Recording:
    """A tracer's reads while it is entered; on leaving, they count for the enclosing one too.
    (A class, not a generator context manager: every traced expression opens one.)"""

    __slots__ = ("_stack", "reads")

    def __init__(self, stack: list[set[Read]]) -> None:
        self._stack = stack
        self.reads: set[Read] = set()

    def __enter__(self) -> set[Read]:
        self._stack.append(self.reads)
        return self.reads

    def __exit__(self, *_: object) -> None:
        self._stack.pop()
        if self._stack:
            self._stack[-1] |= self.reads


@dataclass(frozen=True)
class Scope:
    path: tuple[str, ...]
    each: Any = None  # the for_each expression `each.*` refers to


_INDEX = re.compile(r"\[[^\]]*\]")
_DOCUMENT_DATA_SOURCE = re.compile(r"_policy_document$")
"""Data sources that compute a document from their configuration alone (nothing read from the
cloud): what differs in their result differs in their inputs."""
_META_ARGUMENTS = frozenset({"count", "for_each", "depends_on", "provider", "lifecycle"})
_MAX_DEPTH = 64


def _specific(references: list[str]) -> list[str]:
    """Drop `aws_x.y` when `aws_x.y.arn` is listed too (terraform lists both)."""
    listed = set(references)
    return [
        ref
        for ref in dict.fromkeys(references)
        if not any(other != ref and other.startswith((ref + ".", ref + "[")) for other in listed)
    ]


def _per_element(expression: dict[str, Any]) -> bool:
    return any(reference.startswith("each.") for reference in expression.get("references") or ())


def is_expression(node: Any) -> bool:
    return isinstance(node, dict) and set(node) <= {"references", "constant_value"}


def _expression_at(expressions: Any, path: ValuePath) -> tuple[dict[str, Any] | None, ValuePath]:
    """The expression that sets the value at `path`, and the rest of the path below it."""
    node = expressions
    for position, step in enumerate(path):
        if is_expression(node):
            return node, path[position:]
        if isinstance(node, list) and isinstance(step, int):
            node = node[step] if step < len(node) else (node[0] if node else None)
        elif isinstance(node, dict) and isinstance(step, str):
            node = node.get(step)
        else:
            return None, ()
        if node is None:
            return None, ()
    return (node, ()) if is_expression(node) else (None, ())


def expressions_in(node: Any, where: str) -> Iterable[tuple[str, dict[str, Any]]]:
    """Every expression inside a resource's expressions object (through nested blocks)."""
    if is_expression(node):
        yield where, node
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from expressions_in(item, f"{where}.{key}")
    elif isinstance(node, list):
        for item in node:
            yield from expressions_in(item, where)


class Tracer:
    """Traces values of one plan through its `configuration` to root variables and literals;
    with the module `sources` on disk, also through what plan JSON leaves out (`HclTrace`)."""

    def __init__(self, plan: Plan, identity: EnvIdentity, sources: Sources | None = None) -> None:
        self.plan = plan
        self.config = plan.config
        self.identity = identity
        self.sources = sources
        self.hcl = HclTrace(self, sources) if sources is not None else None
        self._memo: dict[tuple[int, tuple[str, ...], int], frozenset[Source]] = {}
        self._active: set[tuple[int, tuple[str, ...], int]] = set()
        self._coverage: dict[tuple[tuple[str, ...], str, ValuePath], Coverage | None] = {}
        self._memo_reads: dict[tuple[int, tuple[str, ...], int], frozenset[Read]] = {}
        self._reads: list[set[Read]] = []

    # What a trace read: the resource blocks it looked up (compared across code by `plans.changed_blocks`).

    def recording(self) -> _Recording:
        """Collect the resource blocks (and modules' data source lists) the traces inside read."""
        return _Recording(self._reads)

    def note(self, reads: Iterable[Read]) -> None:
        """Count `reads` (of a result kept from an earlier trace) as read by the traces recording."""
        if self._reads:
            self._reads[-1].update(reads)

    # The entry points.

    def attribute(
        self, module: tuple[str, ...], resource: ConfigResource, path: ValuePath
    ) -> Coverage | None:
        """Where the value at `path` of a resource's `after` comes from; None if nothing in the
        configuration sets it (a computed attribute, or a nested value the provider fills in)."""
        key = (module, resource.address, path)
        if key not in self._coverage:
            self._coverage[key] = self._attribute(module, resource, path)
        return self._coverage[key]

    def _attribute(
        self, module: tuple[str, ...], resource: ConfigResource, path: ValuePath
    ) -> Coverage | None:
        expressions = self.config.expressions(resource)
        scope = self._resource_scope(module, resource)
        where = f"{plans.module_prefix(module)}{resource.address}"
        if path[:1] == (plans.DERIVED_TAGS,):
            return self._tags_all(module, resource, expressions, scope, where, path)
        expression, rest = _expression_at(expressions, path)
        if self.hcl is not None and (expression is None or rest or _per_element(expression)):
            # plan JSON shows nothing here, only an expression around the value, or one that reads
            # `each` (which plan JSON can only follow to the whole for_each): the source says more
            found = self.hcl.attribute(module, resource, path)
            if found is not None or expression is None:
                return found
        if expression is None:
            return None
        covered = path_text(path[: len(path) - len(rest)])
        if rest and "constant_value" in expression and not expression.get("references"):
            constant = value_at(expression["constant_value"], rest)
            source = Source(SourceKind.CONSTANT, f"{where}.{covered}", value=self._constant(constant))
            return Coverage(frozenset({source}), coarse=False, where=f"{where}.{path_text(path)}")
        sources = self.expression(expression, scope, f"{where}.{covered}")
        return Coverage(sources, coarse=bool(rest), where=f"{where}.{covered}")

    def existence(self, module: tuple[str, ...], resource: ConfigResource) -> frozenset[Source]:
        """What decides how many instances exist: count/for_each of the resource and its modules."""
        sources: set[Source] = set()
        for depth in range(1, len(module) + 1):
            call = self.config.call(module[:depth])
            if call is None:
                continue
            for what, raw in (("count", call.count_expression), ("for_each", call.for_each_expression)):
                expression = self.config.decoded(raw)
                if expression is not None:
                    where = f"{module_label(module[:depth])} {what}"
                    sources |= self.expression(expression, Scope(module[: depth - 1]), where)
        for what, raw in (("count", resource.count_expression), ("for_each", resource.for_each_expression)):
            expression = self.config.decoded(raw)
            if expression is not None:
                where = f"{plans.module_prefix(module)}{resource.address} {what}"
                sources |= self.expression(expression, Scope(module), where)
        return frozenset(sources)

    def attribute_sources(
        self, module: tuple[str, ...], resource: ConfigResource, name: str
    ) -> frozenset[Source]:
        """Everything a top-level attribute reads, through all its nested blocks."""
        expressions = self.config.expressions(resource)
        scope = self._resource_scope(module, resource)
        where = f"{plans.module_prefix(module)}{resource.address}"
        sources: set[Source] = set()
        for inner, expression in expressions_in(expressions.get(name), f"{where}.{name}"):
            sources |= self.expression(expression, scope, inner)
        return frozenset(sources)

    # Expressions and references.

    def expression(self, expression: Any, scope: Scope, where: str, depth: int = 0) -> frozenset[Source]:
        if not isinstance(expression, dict):
            return frozenset({Source(SourceKind.OPAQUE, where)})
        key = (id(expression), scope.path, id(scope.each))
        if key in self._memo:
            self.note(self._memo_reads[key])
            return self._memo[key]
        if key in self._active or depth > _MAX_DEPTH:
            self.note((CUT,))  # results traced around a cut are not complete enough to reuse
            return frozenset()  # a reference cycle: the outer call collects the rest
        self._active.add(key)
        with self.recording() as reads:
            result = self._expression(expression, scope, where, depth, key)
        self._memo[key] = result
        self._memo_reads[key] = frozenset(reads)
        return result

    def _expression(
        self, expression: dict[str, Any], scope: Scope, where: str, depth: int, key: Any
    ) -> frozenset[Source]:
        try:
            sources: set[Source] = set()
            references = expression.get("references") or []
            if "constant_value" in expression:
                sources.add(
                    Source(SourceKind.CONSTANT, where, value=self._constant(expression["constant_value"]))
                )
            for reference in _specific(references):
                sources |= self._reference(reference, scope, where, depth + 1)
            if not references and "constant_value" not in expression:
                # e.g. `timestamp()`: no inputs, so the same in every env unless it is not pure
                sources.add(Source(SourceKind.CONSTANT, where, value="(an expression without references)"))
            return frozenset(sources)
        finally:
            self._active.discard(key)

    def _reference(self, reference: str, scope: Scope, where: str, depth: int) -> frozenset[Source]:
        parts = (_INDEX.sub("", reference) if "[" in reference else reference).split(".")
        head = parts[0]
        prefix = plans.module_prefix(scope.path)
        if self.hcl is not None and head in ("var", "local") and len(parts) > 1:
            return self.hcl.reference(head, (parts[1], *parts[2:]), (), HclScope(scope.path), where, depth)
        if head == "var" and len(parts) > 1:
            return self._variable(parts[1], tuple(parts[2:]), scope.path, depth)
        if head == "local" and len(parts) > 1:
            return self._local(scope.path, parts[1], depth)
        if head == "module" and len(parts) > 2:
            return self._output(scope.path, parts[1], parts[2], depth)
        if head == "each":
            if scope.each is None:
                return frozenset({Source(SourceKind.OPAQUE, f"{prefix}{reference}")})
            return self.expression(scope.each, Scope(scope.path), f"{where} (for_each)", depth)
        if head in ("count", "self"):
            return frozenset()
        if head in ("path", "terraform"):
            return frozenset({Source(SourceKind.CONSTANT, reference, value=reference)})
        if head == "data" and len(parts) > 2:
            return self._data(scope.path, parts[1], parts[2], depth)
        if len(parts) > 1:
            return self._managed(scope.path, parts[0], parts[1], parts[2] if len(parts) > 2 else None, depth)
        return frozenset({Source(SourceKind.OPAQUE, f"{prefix}{reference}")})

    def _variable(
        self, name: str, inner: tuple[str, ...], path: tuple[str, ...], depth: int
    ) -> frozenset[Source]:
        if not path:
            return frozenset({Source(SourceKind.VARIABLE, f"var.{name}", path=inner)})
        call = self.config.call(path)
        module = self.config.module(path)
        if call is None or module is None:
            return frozenset({Source(SourceKind.OPAQUE, f"{plans.module_prefix(path)}var.{name}")})
        arguments = self.config.decoded(call.expressions)
        argument = arguments.get(name) if isinstance(arguments, dict) else None
        if isinstance(argument, dict):
            each = self.config.decoded(call.for_each_expression)
            scope = Scope(path[:-1], each)
            return self.expression(argument, scope, f"{module_label(path)} call argument {name}", depth)
        declared = module.variables.get(name)
        if declared is not None and isinstance(declared.default, msgspec.Raw):
            default = plans.decode_json(declared.default)
            where = f"default of {module_label(path)} variable {name}"
            return frozenset({Source(SourceKind.CONSTANT, where, value=self._constant(default))})
        return frozenset({Source(SourceKind.OPAQUE, f"{plans.module_prefix(path)}var.{name}")})

    def _local(self, path: tuple[str, ...], name: str, depth: int) -> frozenset[Source]:
        """A local of a child module stands for all the module's inputs: its variables (traced
        to the root) and its data sources. A root module's local stays opaque: env roots are
        separate code, so theirs may differ."""
        shown = f"{plans.module_prefix(path)}local.{name}"
        inputs = self.module_inputs(path, depth)
        if inputs is None:
            return frozenset({Source(SourceKind.OPAQUE, shown)})
        return inputs | {Source(SourceKind.LOCAL, shown)}

    def module_inputs(self, path: tuple[str, ...], depth: int = 0) -> frozenset[Source] | None:
        """Everything a child module's code can make differ between envs (its code is the same
        in both, compared separately): its variables, traced to the root, and its data sources.
        None for the root module, whose code is each env's own."""
        module = self.config.module(path) if path else None
        self.note(((path, plans.DATA_SOURCES),))
        if module is None:
            return None
        sources: set[Source] = set()
        for variable in sorted(module.variables):
            sources |= self._variable(variable, (), path, depth)
        for resource in module.resources:
            if resource.mode == plans.Mode.DATA:
                sources.add(Source(SourceKind.COMPUTED, f"{plans.module_prefix(path)}{resource.address}"))
        return frozenset(sources)

    def _output(self, path: tuple[str, ...], call: str, output: str, depth: int) -> frozenset[Source]:
        child = (*path, call)
        module = self.config.module(child)
        declared = module.outputs.get(output) if module is not None else None
        expression = self.config.decoded(declared.expression) if declared is not None else None
        if expression is None:
            return frozenset(
                {Source(SourceKind.OPAQUE, f"{plans.module_prefix(path)}module.{call}.{output}")}
            )
        return self.expression(expression, Scope(child), f"output {output} of {module_label(child)}", depth)

    def _data(self, path: tuple[str, ...], kind: str, name: str, depth: int) -> frozenset[Source]:
        address = f"data.{kind}.{name}"
        self.note(((path, address),))
        resource = self.config.resource(path, address)
        shown = f"{plans.module_prefix(path)}{address}"
        if not _DOCUMENT_DATA_SOURCE.search(kind):  # it reads what each env has
            computed = frozenset({Source(SourceKind.COMPUTED, shown)})
            return computed if resource is None else computed | self._inputs(path, resource, depth)
        traced = self.hcl.block(path, address, depth) if self.hcl is not None else None
        if traced is not None:
            return traced
        inputs = self._inputs(path, resource, depth) if resource is not None else frozenset()
        return inputs | {Source(SourceKind.UNSHOWN, shown)}

    def _managed(
        self, path: tuple[str, ...], kind: str, name: str, attribute: str | None, depth: int
    ) -> frozenset[Source]:
        address = f"{kind}.{name}"
        self.note(((path, address),))
        resource = self.config.resource(path, address)
        shown = f"{plans.module_prefix(path)}{address}" + (f".{attribute}" if attribute else "")
        if resource is not None and attribute is not None:
            expression = self.config.expressions(resource).get(attribute)
            if is_expression(expression):
                return self.expression(expression, self._resource_scope(path, resource), shown, depth)
        return frozenset({Source(SourceKind.COMPUTED, shown)})

    def _inputs(self, path: tuple[str, ...], resource: ConfigResource, depth: int) -> frozenset[Source]:
        scope = self._resource_scope(path, resource)
        where = f"{plans.module_prefix(path)}{resource.address}"
        sources: set[Source] = set()
        # By attribute: a block without arguments has `{}` for expressions, which is no expression
        # (and not the plan's own object: the memo keys expressions by id).
        for name, node in self.config.expressions(resource).items():
            for inner, expression in expressions_in(node, f"{where}.{name}"):
                sources |= self.expression(expression, scope, inner, depth)
        return frozenset(sources)

    def _resource_scope(self, path: tuple[str, ...], resource: ConfigResource) -> Scope:
        return Scope(path, self.config.decoded(resource.for_each_expression))

    def _tags_all(
        self,
        module: tuple[str, ...],
        resource: ConfigResource,
        expressions: dict[str, Any],
        scope: Scope,
        where: str,
        path: ValuePath,
    ) -> Coverage | None:
        sources: set[Source] = set()
        tags = expressions.get("tags")
        traced = self.hcl.attribute(module, resource, ("tags", *path[1:])) if self.hcl and path[1:] else None
        if traced is not None:  # the one tag, through the source
            sources |= traced.sources
        elif is_expression(tags):
            sources |= self.expression(tags, scope, f"{where}.tags")
        provider = self.config.provider(resource.provider_config_key)
        if provider is not None:
            provider_expressions = self.config.decoded(provider.expressions)
            default_tags = (
                provider_expressions.get("default_tags") if isinstance(provider_expressions, dict) else None
            )
            if isinstance(default_tags, list) and default_tags and isinstance(default_tags[0], dict):
                expression = default_tags[0].get("tags")
                if is_expression(expression):
                    provider_path = (
                        plans.module_path(provider.module_address) if provider.module_address else ()
                    )
                    label = f"provider {provider.name} default_tags"
                    sources |= self.expression(expression, Scope(provider_path), label)
        if not sources:
            return None
        return Coverage(frozenset(sources), coarse=True, where=f"{where}.tags_all")

    def configures(self, resource: ConfigResource) -> bool:
        """Does the resource get `tags_all` (it sets `tags`, or its provider has default_tags)?"""
        if "tags" in self.config.configured(resource):
            return True
        provider = self.config.provider(resource.provider_config_key)
        if provider is None:
            return False
        expressions = self.config.decoded(provider.expressions)
        return isinstance(expressions, dict) and bool(expressions.get("default_tags"))

    def _constant(self, value: Any) -> str:
        return canonical_json(self.identity.value(value)).decode()


class AttributeSets:
    """Per configured resource: the attributes its configuration sets (+ tags_all), in the order
    of the plan's attribute view, and a getter that picks their raw values out of the view."""

    def __init__(self, plan: Plan, tracer: Tracer | None = None) -> None:
        self.plan = plan
        self.tracer = tracer or Tracer(plan, EnvIdentity(""))
        self._cache: dict[
            tuple[str, str, str, str], tuple[tuple[str, ...], Callable[[tuple[Any, ...]], tuple[Any, ...]]]
        ] = {}

    def of(
        self, record: plans.Record
    ) -> tuple[tuple[str, ...], Callable[[tuple[Any, ...]], tuple[Any, ...]]]:
        key = (record.module_address, record.mode, record.type, record.name)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._build(record)
        return found

    def _build(
        self, record: plans.Record
    ) -> tuple[tuple[str, ...], Callable[[tuple[Any, ...]], tuple[Any, ...]]]:
        resource = self.plan.config.resource(record.module, record.config_address)
        names: list[str] = []
        if resource is not None:
            names = sorted(self.plan.config.configured(resource))
            if self.tracer.configures(resource):
                names.append(plans.DERIVED_TAGS)
        index = self.plan.attribute_index
        names = [name for name in dict.fromkeys(names) if name in index]
        positions = [index[name] for name in names]
        if not positions:
            return (), lambda values: ()
        if len(positions) == 1:
            only = positions[0]
            return tuple(names), lambda values: (values[only],)
        getter = itemgetter(*positions)
        return tuple(names), getter


# --- what plan JSON leaves out, traced through the module sources ---


@dataclass(frozen=True)
class HclScope:
    """Where an HCL expression is evaluated: its module, what `each` is, and the iterators of
    the `dynamic` blocks around it (each with the scope its for_each is evaluated in)."""

    path: tuple[str, ...]
    each: tuple[Any, HclScope] | None = None
    iterators: tuple[tuple[str, Any, HclScope], ...] = ()
    bound: tuple[tuple[str, bool, str, HclScope], ...] = ()
    """The names `for` expressions around it bind: (name, whether it is the element (not the key),
    the collection's text, the scope the collection is evaluated in)."""

    def iterator(self, name: str) -> tuple[Any, HclScope] | None:
        for known, for_each, scope in reversed(self.iterators):
            if known == name:
                return for_each, scope
        return None

    def binding(self, name: str) -> tuple[bool, str, HclScope] | None:
        for known, element, collection, scope in reversed(self.bound):
            if known == name:
                return element, collection, scope
        return None


_REFERENCE = re.compile(r"(?<![\w.\]\)\"'])([A-Za-z_][\w-]*)((?:\.[A-Za-z_*][\w-]*|\.[0-9]+|\[[^\[\]]*\])+)")
_STEP = re.compile(r"\.([A-Za-z_][\w-]*|\*|[0-9]+)|\[\s*(\"(?:[^\"\\]|\\.)*\"|[0-9]+|\*|[^\]]*)\s*\]")
_FOR_NAMES = re.compile(r"\bfor\s+([A-Za-z_][\w-]*)(?:\s*,\s*([A-Za-z_][\w-]*))?\s+in\b")
_PASS_THROUGH = re.compile(
    r"^(?:try|tostring|tonumber|tobool|tolist|toset|tomap)\(\s*([A-Za-z_][\w\-.\[\]\"*]*)\s*"
    r"(?:,\s*(?:null|\[\]|\{\}|\"[^\"]*\"|[0-9.]+|true|false)\s*)?\)$"
)
_LOOKUP = re.compile(r"^lookup\(\s*([A-Za-z_][\w\-.\[\]\"*]*)\s*,\s*\"([^\"]+)\"\s*(?:,[^()]*)?\)$")
_BARE = re.compile(
    r"^[A-Za-z_][\w-]*(?:\.[A-Za-z_*][\w-]*|\.[0-9]+|\[(?:\"(?:[^\"\\]|\\.)*\"|[0-9]+|\*|[A-Za-z_][\w.-]*)\])+$"
)
"""A reference alone; an index by a name (`var.targets[index]`) stands for any element."""
_SPECIAL_HEADS = frozenset({"var", "local", "module", "data", "each", "count", "self", "path", "terraform"})
ANY = "*"
"""A path step standing for every element (of a for_each collection, a list, a map)."""


def _steps(text: str) -> tuple[str | int, ...]:
    steps: list[str | int] = []
    for name, index in _STEP.findall(text):
        step = name or index
        if step.startswith('"'):
            steps.append(step[1:-1])
        elif step.isdigit():
            steps.append(int(step))
        elif step == ANY or not name:
            steps.append(ANY)  # a splat, or an index computed from something else
        else:
            steps.append(step)
    return tuple(steps)


def references(expression: str) -> list[tuple[str, tuple[str | int, ...]]]:
    """The references in an HCL expression's text as (head, steps); names bound by `for` left out."""
    bound = {name for pair in _FOR_NAMES.findall(expression) for name in pair if name}
    found = []
    for head, rest in _REFERENCE.findall(expression):
        if head not in bound:
            found.append((head, _steps(rest)))
    return found


class HclTrace:
    """Traces through the module sources what plan JSON leaves out: attributes set inside
    `dynamic` blocks (their iterator and `each.value` followed back to the for_each expression),
    module `locals` (each charged only with what it reads), and the literals inside expressions
    that also have references. Resource attributes, outputs and data sources are still looked up
    in plan JSON (`Tracer`)."""

    def __init__(self, tracer: Tracer, sources: Sources) -> None:
        self.tracer = tracer
        self.sources = sources
        self.widened = 0
        """Counts the steps that stood for several values (any element of a collection)."""

    # Entry: a resource attribute plan JSON shows no expression for.

    def attribute(
        self, module: tuple[str, ...], resource: ConfigResource, path: ValuePath
    ) -> Coverage | None:
        source = self.sources.module(module)
        body = source.resources.get(resource.address) if source is not None else None
        if body is None:
            return None
        scope = HclScope(module, self._each(body, HclScope(module)))
        where = f"{plans.module_prefix(module)}{resource.address}"
        widened = self.widened
        found = self._in_body(body, path, scope, where, 0)
        if found is None:
            return None
        return Coverage(
            found, coarse=self.widened != widened, where=f"{where}.{path_text(path)}", from_source=True
        )

    def block(self, module: tuple[str, ...], address: str, depth: int) -> frozenset[Source] | None:
        """Everything a block's body reads (its `dynamic` blocks too); None if its source is not read."""
        source = self.sources.module(module)
        body = source.resources.get(address) if source is not None else None
        if body is None:
            return None
        scope = HclScope(module, self._each(body, HclScope(module)))
        arguments = {name: value for name, value in body.items() if name not in _META_ARGUMENTS}
        return self._in_body(arguments, (), scope, f"{plans.module_prefix(module)}{address}", depth)

    def _each(self, body: Body, scope: HclScope) -> tuple[Any, HclScope] | None:
        return (body["for_each"], scope) if "for_each" in body else None

    def _in_body(
        self, body: Body, path: ValuePath, scope: HclScope, where: str, depth: int
    ) -> frozenset[Source] | None:
        """What sets the value at `path` inside a block body; None if nothing in it does."""
        if not path:
            self.widened += 1  # the whole block: everything in it, nested and dynamic blocks too
            found: set[Source] = set()
            for name, value in body.items():
                if name.startswith("__") or name == "dynamic":
                    continue
                if _is_blocks(value):
                    for block in value:
                        found |= self._in_body(block, (), scope, f"{where}.{name}", depth + 1) or frozenset()
                else:
                    found |= self.value(value, (), scope, f"{where}.{name}", depth)
            for name, _ in dynamic_in(body):
                found |= self._in_body(body, (name,), scope, where, depth + 1) or frozenset()
            return frozenset(found)
        step, rest = path[0], path[1:]
        if not isinstance(step, str) or step == "dynamic":
            return None
        dynamics = [dynamic for name, dynamic in dynamic_in(body) if name == step]
        static = body.get(step)
        if static is not None and not _is_blocks(static):
            return self.value(static, rest, scope, f"{where}.{step}", depth)
        index = rest[0] if rest and isinstance(rest[0], int) else None
        inner = rest[1:] if index is not None else rest
        parts: list[frozenset[Source] | None] = []
        if static is not None:
            # The block at an index is a static one only when no dynamic block of its type makes more.
            blocks = static[index : index + 1] or static[:1] if index is not None and not dynamics else static
            parts.extend(self._in_body(block, inner, scope, f"{where}.{step}", depth) for block in blocks)
        for dynamic in dynamics:  # which element made the block is not known: any of them
            iterator = label(str(dynamic.get("iterator") or step))
            for_each = dynamic.get("for_each")
            contents = dynamic.get("content") or [{}]
            self.widened += 1
            inner_scope = HclScope(scope.path, scope.each, (*scope.iterators, (iterator, for_each, scope)))
            parts.extend(
                self._in_body(content, inner, inner_scope, f"{where}.{step}", depth)
                for content in contents
                if isinstance(content, dict)
            )
            if not inner:  # the whole block: also how many of them there are
                parts.append(self.value(for_each, (), scope, f"{where}.dynamic {step} for_each", depth))
        return _union_set(parts)

    # HCL values as python-hcl2 gives them.

    def value(
        self, value: Any, inner: ValuePath, scope: HclScope, where: str, depth: int
    ) -> frozenset[Source]:
        if depth > _MAX_DEPTH:
            self.tracer.note((CUT,))
            return frozenset()
        if isinstance(value, dict):
            return self._object(value, inner, scope, where, depth)
        if isinstance(value, list):
            return self._list(value, inner, scope, where, depth)
        if isinstance(value, str):
            return self._text(value, inner, scope, where, depth)
        return self._literal(value, where)

    def _object(
        self, value: dict[str, Any], inner: ValuePath, scope: HclScope, where: str, depth: int
    ) -> frozenset[Source]:
        items = {name: item for name, item in value.items() if not name.startswith("__")}
        if inner:
            step, rest = inner[0], inner[1:]
            if step == ANY:
                self.widened += 1
                return _union(self.value(item, rest, scope, where, depth + 1) for item in items.values())
            key = step if isinstance(step, str) else str(step)
            for name in (key, f'"{key}"'):
                if name in items:
                    return self.value(items[name], rest, scope, f"{where}.{key}", depth + 1)
            return self._literal(None, f"{where}.{key}")
        return _union(
            self.value(item, (), scope, f"{where}.{label(name)}", depth + 1) for name, item in items.items()
        )

    def _list(
        self, value: list[Any], inner: ValuePath, scope: HclScope, where: str, depth: int
    ) -> frozenset[Source]:
        if inner and isinstance(inner[0], int) and inner[0] < len(value):
            return self.value(value[inner[0]], inner[1:], scope, where, depth + 1)
        rest = inner[1:] if inner and (inner[0] == ANY or isinstance(inner[0], int)) else inner
        if inner:
            self.widened += 1
        return _union(self.value(item, rest, scope, where, depth + 1) for item in value) or self._literal(
            [], where
        )

    def _literal(self, value: Any, where: str) -> frozenset[Source]:
        return frozenset({Source(SourceKind.CONSTANT, where, value=self.tracer._constant(value))})

    def _text(
        self, text: str, inner: ValuePath, scope: HclScope, where: str, depth: int
    ) -> frozenset[Source]:
        if _one_interpolation(text):
            return self._expression(text[2:-1].strip(), inner, scope, where, depth)
        if len(text) >= 2 and text[0] == text[-1] == '"' and "${" not in text:
            return self._literal(text[1:-1], where)
        # A template ("fx-${var.env}") or heredoc: its text (what is literal in it) and its references.
        self.widened += 1
        found = set(self._literal(text, where))
        for head, steps in references(text):
            found |= self.reference(head, steps, (), scope, where, depth + 1)
        return frozenset(found)

    def _expression(
        self, text: str, inner: ValuePath, scope: HclScope, where: str, depth: int
    ) -> frozenset[Source]:
        """An expression: a reference (through `try`/`lookup` and conversions) keeps `inner`
        precise; anything else reads all its references, and its text stands for its literals."""
        for pattern in (_PASS_THROUGH, _LOOKUP):
            match = pattern.match(text)
            if match is not None:
                step = (match.group(2),) if pattern is _LOOKUP else ()
                text, inner = match.group(1), (*step, *inner)
                break
        if text in ("null", "true", "false") or _is_number(text):
            return self._literal(None if text == "null" else json_literal(text), where)
        if scope.binding(text) is not None:  # a name a `for` around it binds, as a whole
            return self.reference(text, (), inner, scope, where, depth + 1)
        parsed = _for_expression(text) if inner else None
        if parsed is not None:
            return self._for(parsed, inner, scope, where, depth)
        branches = _branches(text) if inner else None
        if branches is not None:  # a value inside the result is one inside either branch
            self.widened += 1
            return _union(self._argument(branch, inner, scope, where, depth) for branch in branches)
        if inner and text.startswith("flatten(") and text.endswith(")"):
            # An element of a flattened list is an element (at some depth) of its argument.
            arguments = _arguments(text[len("flatten(") : -1])
            if len(arguments) == 1:
                return self._argument(arguments[0], inner, scope, where, depth)
        if inner and text.startswith("merge(") and text.endswith(")"):
            # merge(a, {...}, b): the key comes from the arguments that hold it (the last one wins).
            arguments = _arguments(text[len("merge(") : -1])
            if arguments:
                return _union(self._argument(argument, inner, scope, where, depth) for argument in arguments)
        if _BARE.match(text):
            (head, steps), *_ = references(text) or [(text, ())]
            return self.reference(head, (*steps, *inner), (), scope, where, depth + 1)
        self.widened += 1
        found = set(self._literal(f"${{{text}}}", where))
        for head, steps in references(text):
            found |= self.reference(head, steps, (), scope, where, depth + 1)
        return frozenset(found)

    def _for(
        self, parsed: _For, inner: ValuePath, scope: HclScope, where: str, depth: int
    ) -> frozenset[Source]:
        """A value inside what a `for` expression makes: its body's, with the names it binds
        standing for any element (and key) of the collection. The `if` clause decides which
        elements there are, not what they hold."""
        self.widened += 1
        key, element, collection, body, keyed = parsed
        if inner and (keyed or inner[0] == ANY or isinstance(inner[0], int)):
            inner = inner[1:]  # which element: any of them (a list of lists may have been flattened)
        bound = [(element, True, collection, scope)] + ([(key, False, collection, scope)] if key else [])
        inner_scope = HclScope(scope.path, scope.each, scope.iterators, (*scope.bound, *bound))
        return self._argument(body, inner, inner_scope, f"{where} (for)", depth + 1)

    def _argument(
        self, text: str, inner: ValuePath, scope: HclScope, where: str, depth: int
    ) -> frozenset[Source]:
        if text.startswith(("{", "[")) and not _FOR_HEAD.match(text):
            # a literal object or tuple: parsed, so its keys can be followed
            try:
                parsed = hcl2.loads(f"x = {text}\n", serialization_options=HCL_OPTIONS)["x"]
            except Exception:  # not parsed: its text and references stand for it
                parsed = f"${{{text}}}"
            return self.value(parsed, inner, scope, where, depth + 1)
        return self._expression(text, inner, scope, where, depth + 1)

    # References.

    def reference(
        self, head: str, steps: tuple[Any, ...], inner: ValuePath, scope: HclScope, where: str, depth: int
    ) -> frozenset[Source]:
        path = (*steps, *inner)
        tracer = self.tracer
        if head == "var" and path and isinstance(path[0], str):
            return self._variable(path[0], path[1:], scope.path, depth)
        if head == "local" and path and isinstance(path[0], str):
            return self._local(path[0], path[1:], scope.path, depth)
        if head == "each":
            if scope.each is None:
                return frozenset({Source(SourceKind.OPAQUE, f"{plans.module_prefix(scope.path)}each")})
            return self._element(scope.each, path, f"{where} (for_each)", depth)
        binding = scope.binding(head)
        if binding is not None:
            element, collection, outer = binding
            self.widened += 1
            if element:
                return self._expression(collection, (ANY, *path), outer, f"{where} ({head})", depth + 1)
            return self._expression(collection, (), outer, f"{where} ({head})", depth + 1)
        found = scope.iterator(head)
        if found is not None:
            return self._element(found, path, f"{where} (dynamic {head} for_each)", depth)
        text = head + "".join(f".{step}" for step in steps)
        if head in _SPECIAL_HEADS or not steps or not isinstance(steps[0], str):
            return tracer._reference(text, Scope(scope.path), where, depth)
        named = [step for step in steps[1:] if isinstance(step, str) and step != ANY]
        attribute = named[0] if named else None
        return tracer._managed(scope.path, head, str(steps[0]), attribute, depth)

    def _element(
        self, for_each: tuple[Any, HclScope], path: ValuePath, where: str, depth: int
    ) -> frozenset[Source]:
        """`each.value.x` / `rule.value.x`: `x` of any element of the for_each collection;
        `each.key`: the collection's keys (what the whole collection holds)."""
        expression, scope = for_each
        self.widened += 1
        if path[:1] == ("value",):
            return self.value(expression, (ANY, *path[1:]), scope, where, depth + 1)
        return self.value(expression, (), scope, where, depth + 1)

    def _variable(self, name: str, inner: ValuePath, path: tuple[str, ...], depth: int) -> frozenset[Source]:
        if not path:
            precise = tuple(step for step in _until_any(inner))
            if len(precise) != len(inner):
                self.widened += 1
            return frozenset({Source(SourceKind.VARIABLE, f"var.{name}", path=precise)})
        parent = self.sources.module(path[:-1])
        call = parent.calls.get(path[-1]) if parent is not None else None
        module = self.sources.module(path)
        if call is None or module is None:
            return self.tracer._variable(name, tuple(str(step) for step in inner), path, depth)
        if name in call:
            scope = HclScope(path[:-1], self._each(call, HclScope(path[:-1])))
            return self.value(
                call[name], inner, scope, f"{module_label(path)} call argument {name}", depth + 1
            )
        declared = module.variables.get(name) or {}
        where = f"default of {module_label(path)} variable {name}"
        return self.value(declared.get("default"), inner, HclScope(path), where, depth + 1)

    def _local(self, name: str, inner: ValuePath, path: tuple[str, ...], depth: int) -> frozenset[Source]:
        module = self.sources.module(path)
        if module is None or name not in module.locals:
            return self.tracer._local(path, name, depth)
        where = f"{plans.module_prefix(path)}local.{name}"
        return self.value(module.locals[name], inner, HclScope(path), where, depth + 1)


_FOR_HEAD = re.compile(r"^([\[{])\s*for\s+([A-Za-z_][\w-]*)(?:\s*,\s*([A-Za-z_][\w-]*))?\s+in\s+")

_For = tuple[str | None, str, str, str, bool]
"""A `for` expression: (key name or None, element name, collection text, body text, makes an object)."""


def _for_expression(text: str) -> _For | None:
    """`[for k, v in C : body if cond]` or `{for k, v in C : key => value if cond}`, taken apart
    (the value part of an object's body); None for anything else."""
    match = _FOR_HEAD.match(text)
    if match is None or text[-1] != ("]" if match.group(1) == "[" else "}"):
        return None
    rest = text[match.end() : -1]
    colon = _top_level(rest, ":")
    if colon < 0:
        return None
    collection, body = rest[:colon].strip(), rest[colon + 1 :]
    keyed = match.group(1) == "{"
    if keyed:
        arrow = _top_level(body, "=>")
        if arrow < 0:
            return None
        body = body[arrow + 2 :]
    condition = _top_level(body, " if ")
    body = (body[:condition] if condition >= 0 else body).strip().removesuffix("...").strip()
    first, second = match.group(2), match.group(3)
    key, element = (first, second) if second else (None, first)
    return (key, element, collection, body, keyed) if collection and body else None


def _top_level(text: str, token: str) -> int:
    """Where `token` first occurs outside brackets and strings (a `:` that ends a `? :`
    conditional does not count); -1 if it does not."""
    depth, quoted, escaped, pending = 0, False, False, 0
    for position, char in enumerate(text):
        if quoted:
            quoted = escaped or char != '"'
            escaped = not escaped and char == "\\"
            continue
        if char == '"':
            quoted = True
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith(token, position):
            if token == ":" and pending:  # noqa: S105 (a token of HCL syntax)
                pending -= 1
                continue
            return position
        elif depth == 0 and char == "?":
            pending += 1
    return -1


def _branches(text: str) -> tuple[str, str] | None:
    """The two results of a conditional `cond ? a : b` (None if `text` is not one)."""
    question = _top_level(text, "?")
    if question < 0:
        return None
    colon = _top_level(text[question + 1 :], ":")
    if colon < 0:
        return None
    first, second = text[question + 1 : question + 1 + colon].strip(), text[question + 2 + colon :].strip()
    return (first, second) if first and second else None


def _one_interpolation(text: str) -> bool:
    """Is `text` one `${...}` (which may hold templates of its own), not a template around it?"""
    if not (text.startswith("${") and text.endswith("}")):
        return False
    depth = 0
    for position, char in enumerate(text[1:], 1):
        depth += 1 if char == "{" else -1 if char == "}" else 0
        if depth == 0:
            return position == len(text) - 1
    return False


def _arguments(text: str) -> list[str]:
    """The top-level, comma-separated arguments of a call's text."""
    found: list[str] = []
    depth, start, quoted, escaped = 0, 0, False, False
    for position, char in enumerate(text):
        if quoted:
            quoted = escaped or char != '"'
            escaped = not escaped and char == "\\"
        elif char == '"':
            quoted = True
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            found.append(text[start:position].strip())
            start = position + 1
    found.append(text[start:].strip())
    return [argument for argument in found if argument]


def _is_blocks(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, dict) and item.get("__is_block__") for item in value)
    )


def _union_set(parts: Iterable[frozenset[Source] | None]) -> frozenset[Source] | None:
    """The union of the parts that set the value; None if none of them does."""
    found = [part for part in parts if part is not None]
    return _union(found) if found else None


def _until_any(path: ValuePath) -> Iterable[Any]:
    for step in path:
        if step == ANY:
            return
        yield step


def _union(parts: Iterable[frozenset[Source]]) -> frozenset[Source]:
    found: set[Source] = set()
    for part in parts:
        found |= part
    return frozenset(found)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def json_literal(text: str) -> Any:
    return int(text) if text.lstrip("-").isdigit() else float(text) if _is_number(text) else text == "true"
