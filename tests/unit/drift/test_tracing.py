"""The tracer on hand-made plans (`handmade.py`)."""

from __future__ import annotations

from infrarep.drift.identity import EnvIdentity
from infrarep.drift.tracing import Scope, Source, SourceKind, Tracer

from .handmade import Resource, const, document, env_plans, ref


def test_data_sources_without_arguments_are_what_each_env_reads_each_their_own(tmp_path):
    # Every block without arguments shares one empty expressions object in plan JSON's model:
    # read as an expression, the first one traced was remembered for all the others, under its
    # name, so two envs that traced them in another order were "configured differently".
    resources = [
        Resource("data.aws_region.current", data=True),
        Resource("data.aws_partition.current", data=True),
        Resource("aws_sqs_queue.q", {"name": const("q")}, {"dev": {"name": "q"}}),
    ]
    plan = env_plans(tmp_path, "dev", document("dev", {"region": "us-east-1"}, {}, resources)).plan
    assert plan is not None
    tracer = Tracer(plan, EnvIdentity("dev"))
    scope = Scope(("app",))

    # (kept alive, as the plan keeps its own: the tracer remembers expressions by id)
    expressions = [
        ref("data.aws_region.current.name", "data.aws_region.current"),
        ref("data.aws_partition.current"),
    ]

    region, partition = (tracer.expression(expression, scope, "x") for expression in expressions)

    assert region == {Source(SourceKind.COMPUTED, "module.app.data.aws_region.current")}
    assert partition == {Source(SourceKind.COMPUTED, "module.app.data.aws_partition.current")}
