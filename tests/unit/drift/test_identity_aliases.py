"""Env aliases: the codes a team writes for an env (`prd`, `stg`, `p`) normalise like its name."""

from __future__ import annotations

import dataclasses

import pytest

from infrarep import drift
from infrarep.drift import EnvIdentity, Kind

from .plan_files import attributes, by_address, env_plans

PROD = EnvIdentity("prod", "eu-west-1", "333333333333", ("prd", "p"))
STAGING = EnvIdentity("staging", "us-west-2", "222222222222", ("stg", "s"))
DEV = EnvIdentity("dev", "us-east-1", "111111111111", ("d",))


@pytest.mark.parametrize(
    ("identity", "value", "expected"),
    [
        (PROD, "shop-prd-jobs", "shop-${env}-jobs"),
        (PROD, "prdx xprd prd2 prd", "prdx xprd prd2 ${env}"),
        (PROD, "ShopPrdTable SHOP_PRD prdQueue Prdx", "Shop${env}Table SHOP_${env} ${env}Queue Prdx"),
        (PROD, "shop-p-jobs p-bucket /p/ SHOP_P_X p", "shop-${env}-jobs ${env}-bucket /${env}/ SHOP_${env}_X ${env}"),  # noqa: E501
        (PROD, "api app.png put ShopPdf ShopPJobs p1 3p P2", "api app.png put ShopPdf ShopPJobs p1 3p P2"),
        (PROD, "fx-prod-product fx-prd-production", "fx-${env}-product fx-${env}-production"),
        (DEV, "shop-d-jobs -d- D-1 add dd d3 d_x", "shop-${env}-jobs -${env}- ${env}-1 add dd d3 ${env}_x"),
        (STAGING, "s3://fx-s-bucket/stg/s.json", "s3://fx-${env}-bucket/${env}/${env}.json"),
        (STAGING, "arn:aws:sqs:us-west-2:222222222222:fx-stg-q", "arn:aws:sqs:${region}:${account_id}:fx-${env}-q"),  # noqa: E501
    ],
    ids=["prd", "prd-inside-words", "prd-cases", "p-between-separators", "p-inside-words",
         "name-and-alias", "d", "s-and-stg", "arn"],
)  # fmt: skip
def test_an_alias_is_replaced_as_a_whole_word_like_the_name(identity, value, expected):
    assert identity.text(value) == expected
    assert identity.raw_json(f'"{value}"'.encode()) == f'"{expected}"'.encode()


def test_aliases_of_two_envs_make_their_values_equal():
    assert PROD.text("shop-prd-jobs") == STAGING.text("shop-stg-jobs") == DEV.text("shop-dev-jobs")
    assert PROD.text("shop-p-api") == STAGING.text("shop-s-api")
    assert PROD.text("pay") != STAGING.text("say")  # not whole words: a difference stays one
    assert PROD.is_identity("prd") and not PROD.is_identity("stg")


def test_the_loose_replacement_leaves_aliases_alone():
    # `raw` equates values only when they are equal modulo identities; codes replaced inside
    # words would make prod's `pay` equal staging's `say`.
    assert PROD.raw(b"pay") == b"pay"
    assert PROD.raw(b"pay") != STAGING.raw(b"say")
    assert PROD.raw(b"shop-prod-jobs") == STAGING.raw(b"shop-staging-jobs")


def test_without_aliases_the_identity_is_what_it_was():
    plain = EnvIdentity("prod", "eu-west-1", "333333333333")
    assert plain.text("shop-prd-jobs p-bucket") == "shop-prd-jobs p-bucket"
    assert plain.byte_tokens == PROD.byte_tokens


def _coded(tmp_path, env: str, code: str):  # type: ignore[no-untyped-def]
    """The env's real plan as if its names were written with `code` (`fx-stg-jobs`)."""
    from .plan_files import FIXTURES

    path = tmp_path / f"coded_{env}.json"
    path.write_text((FIXTURES / f"parity_{env}.json").read_text().replace(f"fx-{env}-", f"fx-{code}-"))
    return env_plans(env, path)


NAMES = {"name", "topic_arn", "endpoint", "bucket", "function_name", "role", "arn", "policy"}


@pytest.mark.parametrize("code", ["stg", "s"])
def test_names_written_with_an_alias_are_no_difference(tmp_path, code):
    dev = env_plans("dev", "parity_dev.json")
    staging = _coded(tmp_path, "staging", code)

    without = drift.analyse([dev, staging], [Kind.PARITY])
    staging.identity = dataclasses.replace(staging.identity, aliases=(code,))
    with_alias = drift.analyse([dev, staging], [Kind.PARITY])

    named = [f for f in without.findings if set(attributes(f)) & NAMES]
    assert named, "the coded names differ when the code is not an alias"
    found = by_address(with_alias.findings)
    for finding in named:
        left = set(attributes(found[finding.address])) if finding.address in found else set()
        assert not left & NAMES, finding.address
    manifests = with_alias.manifests
    assert manifests["dev"].resources_sha256() == manifests["staging"].resources_sha256()
    assert without.manifests["dev"].resources_sha256() != without.manifests["staging"].resources_sha256()
