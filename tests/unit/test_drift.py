"""drift: the three kinds over plans made by real terraform runs (tests/fixtures/plans, see its README).

dev and staging were deployed from the same root with their tfvars; prod's root hard-codes
`retention_seconds` and was only planned; dev then changed out of band (live_dev, pending_dev).
A few tests derive a variant from a real plan with one targeted edit, said where it happens.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infrarep import drift, plans, records
from infrarep.drift import Change, EnvIdentity, EnvPlans, Kind, Marker, Verdict
from infrarep.errors import ConfigError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plans"
REGIONS = {"dev": "us-east-1", "staging": "us-west-2", "prod": "eu-west-1"}
TOKENS = ("dev-token-not-secret-really", "staging-token-do-not-print", "prod-token-do-not-print")


def env_plans(env: str, *files: str | Path) -> EnvPlans:
    loaded = [plans.load(file if isinstance(file, Path) else FIXTURES / file) for file in files]
    normal = next((plan for plan in loaded if plan.has_changes), None)
    refresh = next((plan for plan in loaded if not plan.has_changes), None)
    identity = drift.detect_identity(env, normal or refresh, REGIONS[env])  # type: ignore[arg-type]
    return EnvPlans(env, identity, normal, refresh)


def parity_envs() -> list[EnvPlans]:
    return [env_plans(env, f"parity_{env}.json") for env in ("dev", "staging", "prod")]


def variant(tmp_path: Path, fixture: str, edit) -> Path:  # type: ignore[no-untyped-def]
    """A copy of a real plan with one edit applied to its JSON document."""
    document = json.loads((FIXTURES / fixture).read_text())
    edited = edit(document)
    path = tmp_path / f"edited_{fixture}"
    path.write_text(json.dumps(document if edited is None else edited))
    return path


def by_address(findings, scope=None):  # type: ignore[no-untyped-def]
    return {finding.address: finding for finding in findings if scope is None or finding.scope == scope}


def attributes(finding):  # type: ignore[no-untyped-def]
    return {diff.path: diff for diff in finding.attributes}


# --- live drift ---


def test_live_drift_lists_exactly_what_changed_out_of_band():
    report = drift.analyse([env_plans("dev", "live_dev.json")], [Kind.LIVE])

    found = by_address(report.findings)
    assert set(found) == {
        "module.app.aws_lambda_function.fn",
        "module.app.aws_sns_topic.alerts",
        "module.app.aws_sns_topic_subscription.jobs",
        "module.app.aws_sqs_queue.jobs",
    }
    memory = attributes(found["module.app.aws_lambda_function.fn"])
    assert set(memory) == {"memory_size"}
    assert (memory["memory_size"].before, memory["memory_size"].after) == (256, 512)
    tags = attributes(found["module.app.aws_sns_topic.alerts"])
    assert set(tags) == {"tags.Owner"}  # tags_all repeats it and is not listed twice
    assert (tags["tags.Owner"].before, tags["tags.Owner"].after) == (Marker.ABSENT, "someone")
    queue = attributes(found["module.app.aws_sqs_queue.jobs"])
    assert (queue["visibility_timeout_seconds"].before, queue["visibility_timeout_seconds"].after) == (30, 60)
    assert all(finding.verdict is Verdict.DRIFT for finding in report.findings)
    assert report.drift


def test_resource_deleted_out_of_band_is_missing():
    report = drift.analyse([env_plans("dev", "live_dev.json")], [Kind.LIVE])

    subscription = by_address(report.findings)["module.app.aws_sns_topic_subscription.jobs"]
    assert subscription.change is Change.MISSING
    assert subscription.reason == "deleted outside terraform"


def test_provider_noise_right_after_apply_is_not_drift():
    plan = plans.load(FIXTURES / "live_clean_dev.json")
    # The fixture does carry noise: tags null -> {} on resources that set none.
    role = next(record for record in plan.drift if record.address == "module.app.aws_iam_role.fn")
    before, after = plans.decode_json(role.change.before), plans.decode_json(role.change.after)
    assert (before["tags"], after["tags"]) == (None, {})

    report = drift.analyse([env_plans("dev", "live_clean_dev.json")], [Kind.LIVE])

    assert report.findings == ()
    assert not report.drift
    (summary,) = report.summaries
    assert (summary.resources, summary.drift, summary.normalised) == (7, 0, 7)


def test_owned_bucket_attributes_are_not_live_drift():
    # The bucket reads back `versioning` and `policy` set by aws_s3_bucket_versioning/_policy.
    plan = plans.load(FIXTURES / "live_clean_dev.json")
    bucket = next(record for record in plan.drift if record.type == "aws_s3_bucket")
    before, after = plans.decode_json(bucket.change.before), plans.decode_json(bucket.change.after)
    assert before["policy"] != after["policy"] or before["versioning"] != after["versioning"]

    findings, _ = drift.live_findings("dev", plan)

    assert findings == []


def test_live_policy_can_accept_a_known_difference():
    policy = drift.parse_policy(
        "accepted:\n"
        "  - type: aws_lambda_function\n"
        "    attribute: memory_size\n"
        "    reason: ops tunes memory by hand\n"
        "    kinds: [live]\n",
        Path("drift-policy.yaml"),
    )
    report = drift.analyse([env_plans("dev", "live_dev.json")], [Kind.LIVE], policy=policy)

    fn = by_address(report.findings)["module.app.aws_lambda_function.fn"]
    assert fn.verdict is Verdict.EXPECTED
    assert attributes(fn)["memory_size"].reason == "accepted by drift-policy.yaml: ops tunes memory by hand"
    assert report.drift  # the other three are still drift


# --- pending changes ---


def test_pending_changes_are_the_non_noop_resource_changes():
    report = drift.analyse([env_plans("dev", "pending_dev.json")], [Kind.PENDING])

    found = by_address(report.findings)
    assert {address: finding.change for address, finding in found.items()} == {
        "module.app.aws_lambda_function.fn": Change.UPDATE,
        "module.app.aws_sns_topic.alerts": Change.UPDATE,
        "module.app.aws_sns_topic_subscription.jobs": Change.CREATE,
        "module.app.aws_sqs_queue.jobs": Change.UPDATE,
    }
    memory = attributes(found["module.app.aws_lambda_function.fn"])["memory_size"]
    assert (memory.before, memory.after) == (512, 256)  # now -> after apply
    tags = attributes(found["module.app.aws_sns_topic.alerts"])
    assert (tags["tags_all.Owner"].before, tags["tags_all.Owner"].after) == ("someone", Marker.ABSENT)


def test_pending_leaves_out_no_ops_and_data_source_reads():
    prod = plans.load(FIXTURES / "parity_prod.json")
    assert any(record.change.action is plans.Action.READ for record in prod.changes)

    report = drift.analyse([env_plans("prod", "parity_prod.json")], [Kind.PENDING])

    assert len(report.findings) == 15
    assert all(finding.change is Change.CREATE for finding in report.findings)
    assert not any(".data." in finding.address for finding in report.findings)
    clean = drift.analyse([env_plans("dev", "parity_dev.json")], [Kind.PENDING])
    assert clean.findings == ()  # 13 no-ops


# --- parity ---


def test_per_env_variables_are_expected_not_drift():
    report = drift.analyse(parity_envs()[:2], [Kind.PARITY])

    assert not report.drift
    found = by_address(report.findings, "dev~staging")
    memory = attributes(found["module.app.aws_lambda_function.fn"])["memory_size"]
    assert (memory.before, memory.after, memory.verdict) == (256, 512, Verdict.EXPECTED)
    assert memory.reason == "declared per-env variation: var.memory_mb (dev: 256, staging: 512)"
    retention = attributes(found["module.app.aws_sqs_queue.jobs"])["message_retention_seconds"]
    assert retention.verdict is Verdict.EXPECTED
    assert "var.retention_seconds (dev: 86400, staging: 345600)" in retention.reason


def test_count_and_for_each_instances_from_variables_are_expected():
    report = drift.analyse(parity_envs()[:2], [Kind.PARITY])

    found = by_address(report.findings, "dev~staging")
    worker = found["module.app.aws_sqs_queue.worker[1]"]
    assert (worker.change, worker.verdict) == (Change.ONLY_IN, Verdict.EXPECTED)
    assert "var.workers (staging: 2, dev: 1)" in worker.reason
    replay = found['module.app.aws_sqs_queue.extra["replay"]']
    assert (replay.change, replay.verdict) == (Change.ONLY_IN, Verdict.EXPECTED)
    assert "var.queues" in replay.reason
    assert 'module.app.aws_sqs_queue.extra["audit"]' not in found  # in both, equal


def test_hard_coded_value_in_one_env_root_is_parity_drift():
    report = drift.analyse(parity_envs(), [Kind.PARITY])

    drifted = [finding for finding in report.findings if finding.verdict is Verdict.DRIFT]
    assert [(finding.scope, finding.address) for finding in drifted] == [
        ("staging~prod", "module.app.aws_sqs_queue.jobs")
    ]
    retention = attributes(drifted[0])["message_retention_seconds"]
    assert (retention.before, retention.after) == (345600, 1209600)
    assert retention.reason == (
        "configured differently: staging: var.retention_seconds; "
        "prod: module.app call argument retention_seconds = 1209600"
    )


def test_names_regions_and_arns_are_normalised():
    report = drift.analyse(parity_envs()[:2], [Kind.PARITY])

    found = by_address(report.findings)
    # fx-dev-jobs vs fx-staging-jobs, arn:aws:sns:us-east-1:...:fx-dev-alerts vs us-west-2/staging:
    # equal once normalised, so not even an expected difference.
    for address in (
        "module.app.aws_sqs_queue.jobs",
        "module.app.aws_sns_topic_subscription.jobs",
        "module.app.aws_sns_topic.alerts",
        "module.app.module.store.aws_s3_bucket.this",
        "module.app.aws_iam_role.fn",
    ):
        paths = set(attributes(found[address])) if address in found else set()
        assert not paths & {"name", "topic_arn", "endpoint", "bucket", "display_name", "tags_all"}, address


def test_account_id_is_normalised(tmp_path):
    # staging as if it lived in another account: every 123456789012 in its plan becomes 222222222222.
    moved = tmp_path / "parity_staging.json"
    moved.write_text((FIXTURES / "parity_staging.json").read_text().replace("123456789012", "222222222222"))
    staging = env_plans("staging", moved)
    assert staging.identity.account_id == "222222222222"

    report = drift.analyse([env_plans("dev", "parity_dev.json"), staging], [Kind.PARITY])
    original = drift.analyse(parity_envs()[:2], [Kind.PARITY])

    def shape(findings):  # type: ignore[no-untyped-def]
        return [(f.address, f.verdict, [(d.path, d.verdict) for d in f.attributes]) for f in findings]

    assert not report.drift
    assert shape(report.findings) == shape(original.findings)
    assert report.manifests["dev"].resources_sha256() == report.manifests["staging"].resources_sha256()


def test_account_id_is_the_one_most_arns_carry(tmp_path):
    # One value names another account (as a cross-account policy would), ahead of every other ARN.
    def edit(document):  # type: ignore[no-untyped-def]
        document["resource_changes"][0]["change"]["after"]["name"] = "arn:aws:iam::999999999999:role/auditor"

    dev = env_plans("dev", variant(tmp_path, "parity_dev.json", edit))

    assert dev.identity.account_id == "123456789012"


def test_identity_replaces_whole_words_only():
    dev = EnvIdentity("dev", "us-east-1", "111111111111")
    prod = EnvIdentity("prod", "eu-west-1", "333333333333")

    assert dev.text("arn:aws:sqs:us-east-1:111111111111:shop-dev-jobs") == (
        "arn:aws:sqs:${region}:${account_id}:shop-${env}-jobs"
    )
    assert dev.text("ShopDevTable SHOP_DEV devQueue us-east-1a") == (
        "Shop${env}Table SHOP_${env} ${env}Queue ${region}a"
    )
    assert dev.text("device development /dev/null") == "device development /${env}/null"
    assert prod.text("fx-prod-product") == "fx-${env}-product"
    assert prod.text("1333333333333") == "1333333333333"  # not an account id
    assert dev.raw_json(b'"shop-dev-jobs"') == b'"shop-${env}-jobs"'


def test_a_value_equal_as_written_is_never_a_difference(tmp_path):
    # The lambda's MODE literal becomes "/dev/null" in both envs: normalising splits it
    # ("/${env}/null" in dev only), but as written it is the same.
    def edit(document):  # type: ignore[no-untyped-def]
        return json.loads(json.dumps(document).replace('"strict"', '"/dev/null"'))

    dev = env_plans("dev", variant(tmp_path, "parity_dev.json", edit))
    staging = env_plans("staging", variant(tmp_path, "parity_staging.json", edit))

    report = drift.analyse([dev, staging], [Kind.PARITY])

    lambda_finding = by_address(report.findings).get("module.app.aws_lambda_function.fn")
    assert lambda_finding is not None  # memory_size still differs (expected)
    assert set(attributes(lambda_finding)) == {"memory_size"}
    assert not report.drift


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


def test_redact_hides_sensitive_parts_inside_a_shown_value():
    mask = {"variables": {"TOKEN": True}}
    value = {"variables": {"TOKEN": "hunter2", "MODE": "strict"}}

    assert drift.redact(value, mask) == {"variables": {"TOKEN": Marker.SENSITIVE, "MODE": "strict"}}
    assert drift.redact(["a", "b"], [False, True]) == ["a", Marker.SENSITIVE]
    assert drift.mask_node({"environment": [mask]}, ("environment", 0)) == mask
    assert drift.mask_node({"environment": True}, ("environment", 0, "variables")) is True


def test_nested_module_resource_is_compared():
    report = drift.analyse(parity_envs(), [Kind.PARITY])

    bucket = by_address(report.findings, "staging~prod")["module.app.module.store.aws_s3_bucket.this"]
    diff = attributes(bucket)["bucket"]
    assert diff.verdict is Verdict.EXPECTED
    assert "data.aws_caller_identity.current" in diff.reason
    assert "module.app.module.store.aws_s3_bucket_policy.this" in report.inventory["prod"]


def test_data_sources_are_not_compared_and_empty_resources_are_inventory():
    report = drift.analyse(parity_envs(), [Kind.PARITY])

    for env in ("dev", "staging", "prod"):
        assert not any(".data." in address for address in report.inventory[env])
        assert "module.app.terraform_data.marker" in report.inventory[env]
    assert "module.app.terraform_data.marker" not in by_address(report.findings)


def test_policy_file_accepts_a_parity_difference(tmp_path):
    policy_file = tmp_path / "drift-policy.yaml"
    policy_file.write_text(
        "version: 1\n"
        "accepted:\n"
        "  - address: 'module.app.aws_sqs_queue.*'\n"
        "    attribute: message_retention_seconds\n"
        "    reason: prod keeps jobs two weeks for audits\n"
    )
    policy = drift.load_policy(policy_file)

    report = drift.analyse(parity_envs(), [Kind.PARITY], policy=policy)

    assert not report.drift
    jobs = by_address(report.findings, "staging~prod")["module.app.aws_sqs_queue.jobs"]
    retention = attributes(jobs)["message_retention_seconds"]
    assert retention.verdict is Verdict.EXPECTED
    assert retention.reason == "accepted by drift-policy.yaml: prod keeps jobs two weeks for audits"


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
    policy = drift.parse_policy("accepted:\n  - type: terraform_data\n    reason: a marker\n", Path("p.yaml"))
    accepted = drift.analyse([env_plans("dev", "parity_dev.json"), staging], [Kind.PARITY], policy=policy)
    assert not accepted.drift


def test_policy_rule_without_attribute_covers_whole_resources_of_its_kinds():
    policy = drift.parse_policy(
        "accepted:\n  - type: aws_sqs_queue\n    reason: queues come and go\n", Path("p.yaml")
    )
    assert policy.accepts(Kind.PARITY, "aws_sqs_queue", "module.app.aws_sqs_queue.worker[1]", None)
    assert policy.accepts(Kind.LIVE, "aws_sqs_queue", "x", None) is None  # parity only by default


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("accepted: [", "drift-policy.yaml: line 1: not valid YAML"),
        ("accepted:\n  - type: x\n    reason: 2024-13-45\n", "drift-policy.yaml: not valid YAML (month must"),
        ('accepted:\n  - type: "\x00"\n', "drift-policy.yaml: line 2: not valid YAML (character #x0000 is"),
        ("- a\n- b\n", "drift-policy.yaml: expected a mapping with `accepted:`"),
        ("accepted:\n  - attribute: x\n    reason: r\n", "drift-policy.yaml: accepted.0: give `type` or"),
        ("accepted:\n  - type: aws_x\n", "drift-policy.yaml: accepted.0.reason: Field required"),
        ("accepted:\n  - type: aws_x\n    reason: r\n    colour: red\n", "accepted.0.colour: Extra inputs"),
        ("version: 2\n", "drift-policy.yaml: version: Input should be 1"),
    ],
)
def test_bad_policy_file_names_file_and_field(tmp_path, text, message):
    path = tmp_path / "drift-policy.yaml"
    path.write_text(text)

    with pytest.raises(ConfigError) as raised:
        drift.load_policy(path)
    assert message in raised.value.message
    assert "\n" not in raised.value.message
    assert raised.value.message.startswith(str(path))


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


# --- the config manifest ---


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
    classifications = drift.Classifications()

    shared = classifications.of(dev.plan, dev.identity)
    assert classifications.of(staging.plan, staging.identity) is shared  # same code, same identity use
    assert classifications.of(prod.plan, prod.identity) is not shared  # prod hard-codes a value
    report = drift.analyse(envs, [Kind.PARITY], version="v1")
    for env in envs:
        alone = drift.manifest(env, version="v1")
        assert report.manifests[env.env].canonical_bytes() == alone.canonical_bytes()


def test_a_variable_holding_the_env_name_in_one_env_only_is_not_shared(tmp_path):
    def name_the_env(document):  # type: ignore[no-untyped-def]
        document["variables"]["release"]["value"] = "staging"

    staging = env_plans("staging", variant(tmp_path, "parity_staging.json", name_the_env))
    dev = env_plans("dev", "parity_dev.json")
    classifications = drift.Classifications()

    assert drift.identity_paths(staging.plan, staging.identity) != drift.identity_paths(
        dev.plan, dev.identity
    )
    assert classifications.of(staging.plan, staging.identity) is not classifications.of(
        dev.plan, dev.identity
    )


def test_manifest_is_normalised_non_variant_configuration():
    manifest = drift.manifest(env_plans("dev", "parity_dev.json"), version="v1")

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

    written = drift.manifest(env, version="v1")
    built = drift._manifest(drift._Side(env), "v1", as_written=False)

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
        drift.manifest(env_plans("dev", awkward_plan(tmp_path, layout)), version="v1").sha256()
        for layout in ("compact", "pretty", "escaped")
    }
    assert len(digests) == 1


def test_the_fixture_manifests_written_from_raw_json_are_the_built_ones():
    for env in parity_envs():
        written = drift.manifest(env, version="v1")
        assert (
            written.canonical_bytes()
            == drift._manifest(drift._Side(env), "v1", as_written=False).canonical_bytes()
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
    classifications = drift.Classifications()

    together = {env.env: drift._manifest(drift._Side(env), "v1", classifications) for env in envs}

    prod_classification = classifications.of(envs[1].plan, envs[1].identity)
    assert prod_classification.donor is classifications.of(envs[0].plan, envs[0].identity)
    assert prod_classification.changed == {((), "aws_s3_bucket.store")}
    assert together["dev"].resources["aws_thing.reader"]["attributes"] == {"value": "shared"}
    assert together["prod"].resources["aws_thing.reader"]["attributes"] == {}
    assert together["prod"].resources["aws_thing.other"]["attributes"] == {"value": "same everywhere"}
    donated = prod_classification.shapes[("", "managed", "aws_thing", "other")]
    assert donated is prod_classification.donor.shapes[("", "managed", "aws_thing", "other")]
    for env in envs:  # the same as classifying each alone
        assert together[env.env] == drift.manifest(env, version="v1")


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
    classifications = drift.Classifications()

    together = {env.env: drift._manifest(drift._Side(env), "v1", classifications) for env in (dev, prod)}

    assert together["dev"].resources["aws_thing.c"]["attributes"] == {"value": "gamma"}
    assert together["prod"].resources["aws_thing.b"]["attributes"] == {"value": "BETA"}
    assert together["prod"].resources["aws_thing.c"]["attributes"] == {"value": "(sensitive)"}
    assert b"gamma" not in together["prod"].canonical_bytes()
    for env in (dev, prod):  # the same as written alone
        assert together[env.env] == drift.manifest(env, version="v1")


# --- analyse ---


def test_analyse_rejects_a_pair_without_a_plan():
    with pytest.raises(ConfigError, match="pair dev~qa: no plan for env 'qa'"):
        drift.analyse(parity_envs(), [Kind.PARITY], pairs=[("dev", "qa")])


def test_analyse_says_which_plan_a_kind_needs():
    live_only = env_plans("dev", "live_dev.json")

    with pytest.raises(ConfigError, match="dev: pending changes need a normal plan"):
        drift.analyse([live_only], [Kind.PENDING])
    with pytest.raises(ConfigError, match="dev: parity needs a normal plan"):
        drift.analyse([live_only], [Kind.PARITY])


def test_findings_are_ordered_by_kind_then_env_order():
    envs = [env_plans("dev", "live_dev.json", "pending_dev.json"), *parity_envs()[1:]]

    report = drift.analyse(envs)

    kinds = [finding.kind for finding in report.findings]
    assert kinds == sorted(kinds, key=list(Kind).index)
    assert [summary.scope for summary in report.summaries if summary.kind is Kind.PARITY] == [
        "dev~staging",
        "staging~prod",
    ]
    assert report.drift_count(Kind.LIVE, "dev") == 4
    assert report.drift_count(Kind.PENDING, "dev") == 4
    assert report.drift_count(Kind.PARITY) == 1


def test_plans_without_managed_resources_compare_clean(tmp_path):
    def only_data(document):  # type: ignore[no-untyped-def]
        document["resource_changes"] = [r for r in document["resource_changes"] if r["mode"] == "data"]

    envs = [env_plans(env, variant(tmp_path, f"parity_{env}.json", only_data)) for env in ("staging", "prod")]

    report = drift.analyse(envs, [Kind.PARITY, Kind.PENDING])

    assert report.findings == ()
    assert report.inventory == {"staging": (), "prod": ()}


def test_a_child_module_local_stands_for_the_module_inputs(tmp_path):
    # Edit: staging's topic display name (module.app's local.label) carries a per-env number.
    # plan JSON leaves out locals, but module.app is the same code in both envs, so the
    # difference can only come through its inputs; retention_seconds differs and is declared.
    def edit(document):
        for change in document["resource_changes"]:
            if change["address"] == "module.app.aws_sns_topic.alerts":
                change["change"]["after"]["display_name"] = "FX-STAGING-345600"

    staging = env_plans("staging", variant(tmp_path, "parity_staging.json", edit))
    report = drift.analyse([env_plans("dev", "parity_dev.json"), staging], [Kind.PARITY])

    topic = by_address(report.findings)["module.app.aws_sns_topic.alerts"]
    diff = attributes(topic)["display_name"]
    assert diff.verdict is Verdict.EXPECTED
    assert diff.reason.startswith("through module.app.local.label (same module code in both envs): ")
    assert "var.retention_seconds (dev: 86400, staging: 345600)" in diff.reason
