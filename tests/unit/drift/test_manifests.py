"""Config manifests: per env, the configured values that are not per-env variations; written
from raw JSON where that gives the canonical bytes, built value by value elsewhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infrarep import drift, records
from infrarep.drift import Kind, manifests
from infrarep.drift.identity import identity_paths
from infrarep.drift.side import Side

from .plan_files import TOKENS, env_plans, parity_envs, variant


def test_manifest_hashes_are_equal_for_equal_stacks():
    report = drift.analyse(parity_envs(), [Kind.PARITY], version="v1")

    dev, staging, prod = (report.manifests[env] for env in ("dev", "staging", "prod"))
    assert dev.resources_sha256() == staging.resources_sha256()
    assert prod.resources_sha256() != staging.resources_sha256()  # the hard-coded retention
    assert dev.sha256() != staging.sha256()  # the env name is part of the whole document
    jobs = prod.resources["module.app.aws_sqs_queue.jobs"]["attributes"]
    assert jobs["message_retention_seconds"] == 1209600
    assert "message_retention_seconds" not in staging.resources["module.app.aws_sqs_queue.jobs"]["attributes"]


def test_envs_with_the_same_code_share_classifications_and_get_their_own_manifests():
    envs = parity_envs()
    dev, staging, prod = envs
    classifications = manifests.Classifications()

    shared = classifications.of(dev.plan, dev.identity)
    assert classifications.of(staging.plan, staging.identity) is shared  # same code, same identity use
    assert classifications.of(prod.plan, prod.identity) is not shared  # prod hard-codes a value
    report = drift.analyse(envs, [Kind.PARITY], version="v1")
    for env in envs:
        alone = manifests.manifest(env, version="v1")
        assert report.manifests[env.env].canonical_bytes() == alone.canonical_bytes()


def test_a_variable_holding_the_env_name_in_one_env_only_is_not_shared(tmp_path):
    def name_the_env(document):  # type: ignore[no-untyped-def]
        document["variables"]["release"]["value"] = "staging"

    staging = env_plans("staging", variant(tmp_path, "parity_staging.json", name_the_env))
    dev = env_plans("dev", "parity_dev.json")
    classifications = manifests.Classifications()

    assert identity_paths(staging.plan, staging.identity) != identity_paths(dev.plan, dev.identity)
    assert classifications.of(staging.plan, staging.identity) is not classifications.of(
        dev.plan, dev.identity
    )


def test_manifest_is_normalised_non_variant_configuration():
    manifest = manifests.manifest(env_plans("dev", "parity_dev.json"), version="v1")

    resources = manifest.resources
    assert resources["module.app.aws_sqs_queue.jobs"]["attributes"]["name"] == "fx-${env}-jobs"
    fn = resources["module.app.aws_lambda_function.fn"]["attributes"]
    assert fn["runtime"] == "python3.12"
    assert "memory_size" not in fn  # a per-env variable
    assert "module.app.aws_sqs_queue.worker[*]" in resources  # count follows var.workers
    assert "module.app.aws_sqs_queue.worker[0]" not in resources
    assert resources["module.app"] == {"type": "module", "source": "../modules/app", "version": None}
    assert resources["module.app.module.store"]["source"] == "./modules/store"
    text = manifest.canonical_bytes().decode()
    assert not any(token in text for token in TOKENS)
    assert "123456789012" not in text and "us-east-1" not in text


# Values whose raw JSON is not what `records.canonical` writes, or that normalising changes:
# (raw JSON as a plan may hold it, whether it comes from a root variable holding the env name).
AWKWARD_VALUES = {
    "plain": ('"python3.12"', False),
    "fraction": ("1.50", False),
    "exponent": ("1e3", False),
    "negative_zero": ("-0", False),
    "negative": ("-5", False),
    "huge": ("123456789012345678901234567890", False),
    "escaped": ('"a\\u003cb\\u0026c\\u003e \\t \\"q\\" \\\\ \\u00e9"', False),
    "unicode": ('"é ü 😀 \u2028 100%"', False),
    "empty_text": ('""', False),
    "null_in_text": ('"nullable"', False),
    "flags": ("[true,false]", False),
    "numbers": ("[1,2.5,-0,3]", False),
    "objects": ('[{"k":"v","a":1},{"b":null}]', False),
    "keys_reordered": ('{"c":"x","dev-b":"dev"}', True),  # "dev-b" sorts first once normalised
    "named": ('"shop-dev-jobs"', True),
}


def awkward_plan(tmp_path: Path, layout: str) -> Path:
    """A plan with one count=2 block per awkward value, written compactly as terraform does,
    pretty-printed (as `jq .` would), or with every non-ASCII character escaped."""
    changes, blocks = [], []
    for name, (_, from_env) in AWKWARD_VALUES.items():
        expression = {"references": ["var.env"]} if from_env else {"constant_value": f"@{name}@"}
        blocks.append(
            {
                "address": f"aws_thing.{name}",
                "mode": "managed",
                "type": "aws_thing",
                "name": name,
                "provider_config_key": "aws",
                "expressions": {"value": expression},
                "count_expression": {"constant_value": 2},
            }
        )
        for index in range(2):
            changes.append(
                {
                    "address": f"aws_thing.{name}[{index}]",
                    "mode": "managed",
                    "type": "aws_thing",
                    "name": name,
                    "index": index,
                    "change": {"actions": ["no-op"], "after": {"value": f"@{name}@"}, "after_sensitive": {}},
                }
            )
    document = {
        "format_version": "1.2",
        "variables": {"env": {"value": "dev"}},
        "planned_values": {"root_module": {}},
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": blocks, "variables": {"env": {}}}},
    }
    if layout == "compact":
        text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    elif layout == "pretty":
        text = json.dumps(document, indent=2, ensure_ascii=False)
    else:
        text = json.dumps(document, separators=(",", ":"), ensure_ascii=True)
    for name, (raw, _) in AWKWARD_VALUES.items():
        if layout != "compact":  # the same values, written as the layout writes them
            raw = json.dumps(
                json.loads(raw), indent=2 if layout == "pretty" else None, ensure_ascii=layout != "pretty"
            )
        text = text.replace(f'"@{name}@"', raw)
    path = tmp_path / f"awkward_{layout}.json"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("layout", ["compact", "pretty", "escaped"])
def test_the_manifest_written_from_raw_json_is_the_canonical_one(tmp_path, layout):
    env = env_plans("dev", awkward_plan(tmp_path, layout))

    written = manifests.manifest(env, version="v1")
    built = manifests.manifest_for(Side(env), "v1", as_written=False)

    assert written.canonical_bytes() == built.canonical_bytes()
    assert records.Manifest.from_json(written.canonical_bytes()) == written  # canonical as it is
    assert written.entries == len(written.resources) == 2 * len(AWKWARD_VALUES)
    values = {address: entry["attributes"].get("value") for address, entry in written.resources.items()}
    assert values["aws_thing.fraction[0]"] == 1.5
    assert values["aws_thing.exponent[1]"] == 1000.0
    assert values["aws_thing.escaped[0]"] == 'a<b&c> \t "q" \\ é'
    assert values["aws_thing.keys_reordered[0]"] == {"c": "x", "${env}-b": "${env}"}
    assert values["aws_thing.named[0]"] == "shop-${env}-jobs"
    assert values["aws_thing.empty_text[0]"] is None  # pruned
    assert values["aws_thing.objects[1]"] == [{"a": 1, "k": "v"}, None]


def test_every_layout_of_a_plan_gives_one_manifest(tmp_path):
    digests = {
        manifests.manifest(env_plans("dev", awkward_plan(tmp_path, layout)), version="v1").sha256()
        for layout in ("compact", "pretty", "escaped")
    }
    assert len(digests) == 1


def test_the_fixture_manifests_written_from_raw_json_are_the_built_ones():
    for env in parity_envs():
        written = manifests.manifest(env, version="v1")
        assert (
            written.canonical_bytes()
            == manifests.manifest_for(Side(env), "v1", as_written=False).canonical_bytes()
        )
        assert records.Manifest.from_json(written.canonical_bytes()) == written


def small_plan(
    tmp_path: Path,
    env: str,
    blocks: dict[str, tuple[dict, dict]],
    variables: dict,
    sensitive: dict[str, dict] | None = None,
) -> Path:
    """A plan of single-instance blocks: address -> (expressions, after); `sensitive`: address ->
    after_sensitive."""
    document = {
        "format_version": "1.2",
        "variables": {name: {"value": value} for name, value in variables.items()},
        "planned_values": {"root_module": {}},
        "resource_changes": [
            {
                "address": address,
                "mode": "managed",
                "type": address.split(".")[0],
                "name": address.split(".")[1],
                "change": {
                    "actions": ["no-op"],
                    "after": after,
                    "after_sensitive": (sensitive or {}).get(address, {}),
                },
            }
            for address, (_, after) in blocks.items()
        ],
        "configuration": {
            "root_module": {
                "resources": [
                    {
                        "address": address,
                        "mode": "managed",
                        "type": address.split(".")[0],
                        "name": address.split(".")[1],
                        "expressions": expressions,
                    }
                    for address, (expressions, _) in blocks.items()
                ],
                "variables": {name: {} for name in variables},
            }
        },
    }
    path = tmp_path / f"{env}.json"
    path.write_text(json.dumps(document))
    return path


def test_code_that_differs_in_some_blocks_classifies_those_and_their_readers_again(tmp_path):
    # prod's bucket name comes from a root variable; dev's is a literal. aws_thing.reader copies
    # the bucket name: kept in dev's manifest (a literal), left out of prod's (a per-env input).
    reader = {"value": {"references": ["aws_s3_bucket.store.bucket", "aws_s3_bucket.store"]}}
    other = {"value": {"constant_value": "same everywhere"}}
    dev = small_plan(
        tmp_path,
        "dev",
        {
            "aws_s3_bucket.store": ({"bucket": {"constant_value": "shared"}}, {"bucket": "shared"}),
            "aws_thing.reader": (reader, {"value": "shared"}),
            "aws_thing.other": (other, {"value": "same everywhere"}),
        },
        {"env": "dev", "bucket": "unused"},
    )
    prod = small_plan(
        tmp_path,
        "prod",
        {
            "aws_s3_bucket.store": ({"bucket": {"references": ["var.bucket"]}}, {"bucket": "audit"}),
            "aws_thing.reader": (reader, {"value": "audit"}),
            "aws_thing.other": (other, {"value": "same everywhere"}),
        },
        {"env": "prod", "bucket": "audit"},
    )
    envs = [env_plans("dev", dev), env_plans("prod", prod)]
    classifications = manifests.Classifications()

    together = {env.env: manifests.manifest_for(Side(env), "v1", classifications) for env in envs}

    prod_classification = classifications.of(envs[1].plan, envs[1].identity)
    assert prod_classification.donor is classifications.of(envs[0].plan, envs[0].identity)
    assert prod_classification.changed == {((), "aws_s3_bucket.store")}
    assert together["dev"].resources["aws_thing.reader"]["attributes"] == {"value": "shared"}
    assert together["prod"].resources["aws_thing.reader"]["attributes"] == {}
    assert together["prod"].resources["aws_thing.other"]["attributes"] == {"value": "same everywhere"}
    donated = prod_classification.shapes[("", "managed", "aws_thing", "other")]
    assert donated is prod_classification.donor.shapes[("", "managed", "aws_thing", "other")]
    for env in envs:  # the same as classifying each alone
        assert together[env.env] == manifests.manifest(env, version="v1")


def test_manifests_written_together_keep_each_envs_own_values_and_secrets(tmp_path):
    # Three blocks of one shape; prod hard-codes another value in one and marks another sensitive.
    def blocks(middle: str) -> dict[str, tuple[dict, dict]]:
        return {
            f"aws_thing.{name}": ({"value": {"constant_value": value}}, {"value": value})
            for name, value in (("a", "alpha"), ("b", middle), ("c", "gamma"))
        }

    dev = env_plans("dev", small_plan(tmp_path, "dev", blocks("beta"), {"env": "dev"}))
    prod_path = small_plan(
        tmp_path, "prod", blocks("BETA"), {"env": "prod"}, sensitive={"aws_thing.c": {"value": True}}
    )
    prod = env_plans("prod", prod_path)
    classifications = manifests.Classifications()

    together = {env.env: manifests.manifest_for(Side(env), "v1", classifications) for env in (dev, prod)}

    assert together["dev"].resources["aws_thing.c"]["attributes"] == {"value": "gamma"}
    assert together["prod"].resources["aws_thing.b"]["attributes"] == {"value": "BETA"}
    assert together["prod"].resources["aws_thing.c"]["attributes"] == {"value": "(sensitive)"}
    assert b"gamma" not in together["prod"].canonical_bytes()
    for env in (dev, prod):  # the same as written alone
        assert together[env.env] == manifests.manifest(env, version="v1")


def test_nested_blocks_written_from_raw_json_are_cut_pruned_and_redacted_as_built(tmp_path):
    # The configuration sets rule.days; the provider fills rule.id ("" in one instance) and
    # rule.tags (empty); one instance's block is sensitive.
    rule = [{"days": {"constant_value": 7}}]

    def instance(days: int, rule_id: str) -> tuple[dict, dict]:
        return {"rule": rule}, {"rule": [{"days": days, "id": rule_id, "tags": {}}]}

    path = small_plan(
        tmp_path,
        "dev",
        {
            "aws_thing.plain": instance(7, "r-dev-1"),
            "aws_thing.empty": instance(7, ""),
            "aws_thing.secret": instance(7, "r-dev-2"),
            "aws_thing.other": instance(9, "r-dev-3"),
        },
        {"env": "dev"},
        sensitive={"aws_thing.secret": {"rule": [{"days": True}]}},
    )
    env = env_plans("dev", path)

    written = manifests.manifest(env, version="v1")

    assert (
        written.canonical_bytes()
        == manifests.manifest_for(Side(env), "v1", as_written=False).canonical_bytes()
    )
    rules = {address: entry["attributes"]["rule"] for address, entry in written.resources.items()}
    assert rules == {
        "aws_thing.plain": [{"days": 7}],
        "aws_thing.empty": [{"days": 7}],
        "aws_thing.secret": [{"days": "(sensitive)"}],
        "aws_thing.other": [{"days": 9}],
    }
