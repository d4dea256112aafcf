"""Parity: what two envs' plans are compared on (inventory, attributes, module calls) and what
is left out (data sources, unknown values, resources about to be deleted)."""

from __future__ import annotations

from pathlib import Path

from infrarep import drift
from infrarep.drift import Change, Kind, Marker, Verdict
from infrarep.drift.policy import parse_policy

from .plan_files import TOKENS, attributes, by_address, env_plans, parity_envs, variant


def test_unknown_values_are_counted_not_compared():
    report = drift.analyse(parity_envs(), [Kind.PARITY])

    summary = next(item for item in report.summaries if item.scope == "staging~prod")
    assert summary.unknown > 0  # prod was never applied: ids and ARNs are known after apply
    assert summary.resources == 15
    for finding in report.findings:
        for diff in finding.attributes:
            assert Marker.UNKNOWN not in (diff.before, diff.after)


def test_sensitive_values_are_compared_but_never_shown():
    report = drift.analyse(parity_envs(), [Kind.PARITY])

    secret = by_address(report.findings, "dev~staging")["module.app.aws_secretsmanager_secret_version.token"]
    value = attributes(secret)["secret_string"]
    assert (value.before, value.after) == (Marker.SENSITIVE, Marker.SENSITIVE)
    assert value.reason == "declared per-env variation: var.token (sensitive)"
    assert not any(token in repr(report) for token in TOKENS)


def test_data_sources_are_not_compared_and_empty_resources_are_inventory():
    report = drift.analyse(parity_envs(), [Kind.PARITY])

    for env in ("dev", "staging", "prod"):
        assert not any(".data." in address for address in report.inventory[env])
        assert "module.app.terraform_data.marker" in report.inventory[env]
    assert "module.app.terraform_data.marker" not in by_address(report.findings)


def test_resource_in_one_env_only_is_inventory_drift(tmp_path):
    # staging's module code without terraform_data.marker: its configuration and its plan lack it.
    def drop_marker(document):  # type: ignore[no-untyped-def]
        document["resource_changes"] = [
            r for r in document["resource_changes"] if r["address"] != "module.app.terraform_data.marker"
        ]
        module = document["configuration"]["root_module"]["module_calls"]["app"]["module"]
        module["resources"] = [r for r in module["resources"] if r["address"] != "terraform_data.marker"]

    staging = env_plans("staging", variant(tmp_path, "parity_staging.json", drop_marker))

    report = drift.analyse([env_plans("dev", "parity_dev.json"), staging], [Kind.PARITY])

    marker = by_address(report.findings)["module.app.terraform_data.marker"]
    assert (marker.change, marker.verdict) == (Change.ONLY_IN, Verdict.DRIFT)
    assert marker.reason == "only in dev: not in staging's configuration"
    policy = parse_policy("accepted:\n  - type: terraform_data\n    reason: a marker\n", Path("p.yaml"))
    accepted = drift.analyse([env_plans("dev", "parity_dev.json"), staging], [Kind.PARITY], policy=policy)
    assert not accepted.drift


def test_module_source_and_version_parity(tmp_path):
    def edit(document):  # type: ignore[no-untyped-def]
        call = document["configuration"]["root_module"]["module_calls"]["app"]
        call["source"] = "git::https://example.com/app.git?ref=v2"
        call["version_constraint"] = "~> 2.0"

    prod = env_plans("prod", variant(tmp_path, "parity_prod.json", edit))

    report = drift.analyse([*parity_envs()[:2], prod], [Kind.PARITY])

    module = by_address(report.findings, "staging~prod")["module.app"]
    assert (module.type, module.change, module.verdict) == ("module", Change.MODULE, Verdict.DRIFT)
    found = attributes(module)
    assert (found["source"].before, found["source"].after) == (
        "../modules/app",
        "git::https://example.com/app.git?ref=v2",
    )
    assert (found["version"].before, found["version"].after) == (Marker.ABSENT, "~> 2.0")
    assert "module.app" not in by_address(report.findings, "dev~staging")


def test_module_called_in_one_env_only(tmp_path):
    def edit(document):  # type: ignore[no-untyped-def]
        calls = document["configuration"]["root_module"]["module_calls"]["app"]["module"]["module_calls"]
        calls["extra"] = {"source": "./modules/extra", "module": {}}

    prod = env_plans("prod", variant(tmp_path, "parity_prod.json", edit))
    report = drift.analyse([parity_envs()[1], prod], [Kind.PARITY])

    extra = by_address(report.findings)["module.app.module.extra"]
    assert (extra.change, extra.verdict, extra.reason) == (
        Change.ONLY_IN,
        Verdict.DRIFT,
        "called only in prod",
    )


def test_resources_planned_for_deletion_are_not_compared(tmp_path):
    # staging is about to delete one instance of a two-instance block, and a whole block.
    leaving = ('module.app.aws_sqs_queue.extra["audit"]', "module.app.aws_sqs_queue.jobs")

    def delete(document):  # type: ignore[no-untyped-def]
        for resource in document["resource_changes"]:
            if resource["address"] in leaving:
                resource["change"].update(actions=["delete"], after=None, after_unknown={})

    staging = env_plans("staging", variant(tmp_path, "parity_staging.json", delete))
    report = drift.analyse([env_plans("dev", "parity_dev.json"), staging], [Kind.PARITY], version="v1")

    only_in_dev = {
        finding.address
        for finding in report.findings
        if finding.change is Change.ONLY_IN and finding.reason.startswith("only in dev")
    }
    assert only_in_dev == set(leaving)
    assert "module.app.aws_sqs_queue.extra[*]" in report.manifests["staging"].resources  # replay is left
    assert not set(leaving) & report.manifests["staging"].resources.keys()
