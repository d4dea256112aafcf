"""Env identity: each env's name, region and account id are replaced before comparing."""

from __future__ import annotations

import json

from infrarep import drift
from infrarep.drift import EnvIdentity, Kind

from .plan_files import FIXTURES, attributes, by_address, env_plans, parity_envs, variant


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


def test_a_name_with_a_dash_is_one_word_and_a_sibling_holding_the_name_is_kept():
    prod = EnvIdentity("prod", "eu-west-1", "333333333333", others=("dev", "staging", "prod-us"))
    prod_us = EnvIdentity("prod-us", "us-east-2", "333333333333", others=("dev", "staging", "prod"))

    assert prod_us.text("arn:aws:s3:::infrarep-prod-us-config-333333333333") == (
        "arn:aws:s3:::infrarep-${env}-config-${account_id}"
    )
    assert prod.text("arn:aws:s3:::infrarep-prod-config-333333333333") == (
        "arn:aws:s3:::infrarep-${env}-config-${account_id}"
    )
    assert prod_us.text("Prod-us PROD-US prod-usage prod") == "${env} ${env} prod-usage prod"
    # prod's own values may name prod-us: that is the other env, not `${env}` and a suffix.
    assert prod.text("infrarep-prod-us-config Prod-us PROD-US prod-usage") == (
        "infrarep-prod-us-config Prod-us PROD-US ${env}-usage"
    )
    assert prod.raw_json(b'["infrarep-prod-us-ledger", "infrarep-prod-ledger"]') == (
        b'["infrarep-prod-us-ledger", "infrarep-${env}-ledger"]'
    )
    assert (
        EnvIdentity("prod").text("infrarep-prod-us-config") == "infrarep-${env}-us-config"
    )  # without others
    assert prod.text("infrarep-dev-x") == "infrarep-dev-x"  # a sibling not holding the name: untouched
