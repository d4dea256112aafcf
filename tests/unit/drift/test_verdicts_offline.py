"""Parity on plan JSON alone (`--plan` without `--source`): what each env's provider assigns is
expected whatever path brings it, a value in a child module's hidden block or local that follows
a per-env variable is expected, and what plan JSON truly hides stays unknown, naming `--source`.
Hand-made plans (`handmade.py`): dev and prod call `module.app` with their own `var.vpc_cidr` and
`var.days`."""

from __future__ import annotations

from typing import Any

from infrarep.drift import Verdict

from .handmade import Resource, const, differences, ref

VARIABLES = {
    "dev": {"region": "us-east-1", "vpc_cidr": "10.0.0.0/16", "days": 30},
    "prod": {"region": "eu-west-1", "vpc_cidr": "10.1.0.0/16", "days": 90},
}
CALL = {"cidr": ref("var.vpc_cidr"), "days": ref("var.days")}
CALLS = {"dev": CALL, "prod": CALL}
MODULE_VARIABLES = ("cidr", "days", "retention")
SOURCE_HINT = "module sources not on disk: --source ENV=DIR (the env's root dir) traces it"


def report(tmp_path, resources, calls=CALLS):  # type: ignore[no-untyped-def]
    return differences(tmp_path, VARIABLES, calls, resources, MODULE_VARIABLES)


def subnet(dev: str, prod: str) -> Resource:
    return Resource(
        "aws_subnet.a",
        {"cidr_block": ref("local.subnets"), "vpc_id": const("vpc")},
        {"dev": {"cidr_block": dev, "vpc_id": "vpc"}, "prod": {"cidr_block": prod, "vpc_id": "vpc"}},
    )


def test_a_subnet_at_the_same_place_in_each_envs_network_follows_the_cidr_variable(tmp_path):
    found = report(tmp_path, [subnet("10.0.16.0/20", "10.1.16.0/20")])

    cidr = found[("module.app.aws_subnet.a", "cidr_block")]
    assert cidr.verdict is Verdict.EXPECTED
    assert cidr.reason.endswith(
        'declared per-env variation: var.vpc_cidr (dev: "10.0.0.0/16", prod: "10.1.0.0/16")'
    )


def test_a_subnet_elsewhere_in_the_network_does_not_follow_it(tmp_path):
    found = report(tmp_path, [subnet("10.0.16.0/20", "10.1.32.0/20")])

    cidr = found[("module.app.aws_subnet.a", "cidr_block")]
    assert cidr.verdict is Verdict.UNKNOWN
    assert cidr.reason.startswith("comes through module.app.local.subnets, which plan JSON leaves out")
    assert cidr.reason.endswith("--source ENV=DIR (the env's root dir) traces it")


def endpoint(in_root: bool = False) -> Resource:
    """An interface endpoint: `dns_entry` and `subnet_configuration` are the provider's (plan
    JSON shows them like blocks set in `dynamic` blocks: nothing in the configuration)."""

    def after(vpce: str, region: str, zone: str, address: str, subnet_id: str) -> dict[str, Any]:
        return {
            "service_name": "sqs",
            "dns_entry": [{"dns_name": f"{vpce}.sqs.{region}.vpce.amazonaws.com", "hosted_zone_id": zone}],
            "subnet_configuration": [{"ipv4": address, "subnet_id": subnet_id}],
        }

    return Resource(
        "aws_vpc_endpoint.sqs",
        {"service_name": const("sqs")},
        {
            "dev": after(
                "vpce-0a1b2c3d4e5f60718-1a2b3c4d",
                "us-east-1",
                "Z7HUB22UULQXV",
                "10.0.1.5",
                "subnet-0a1b2c3d4e5f6a7b8",
            ),
            "prod": after(
                "vpce-09f8e7d6c5b4a3921-9z8y7x6w",
                "eu-west-1",
                "Z38GZ743OKFT7T",
                "10.1.7.9",
                "subnet-0f9e8d7c6b5a49382",
            ),
        },
        in_root=in_root,
    )


def test_blocks_the_provider_fills_in_are_expected_with_the_reason(tmp_path):
    found = report(tmp_path, [endpoint()])

    address = "module.app.aws_vpc_endpoint.sqs"
    verdicts = {
        path: (diff.verdict, diff.reason) for (where, path), diff in found.items() if where == address
    }
    assert verdicts == {
        "dns_entry[0].dns_name": (
            Verdict.EXPECTED,
            "differs only in ids each env's provider assigns "
            "(vpce-0a1b2c3d4e5f60718-1a2b3c4d / vpce-09f8e7d6c5b4a3921-9z8y7x6w), "
            "in a block plan JSON does not show",
        ),
        "dns_entry[0].hosted_zone_id": (
            Verdict.EXPECTED,
            "a value each env's provider assigns, in a block plan JSON does not show",
        ),
        "subnet_configuration[0].subnet_id": (
            Verdict.EXPECTED,
            "a value each env's provider assigns, in a block plan JSON does not show",
        ),
        "subnet_configuration[0].ipv4": (
            Verdict.EXPECTED,
            "an address each env's provider picks, in a block plan JSON does not show, "
            "of module.app (the same code in both envs)",
        ),
    }


def test_an_address_in_a_hidden_block_of_the_env_root_stays_unknown(tmp_path):
    # each env root is its own code: a literal address there may differ
    found = report(tmp_path, [endpoint(in_root=True)])

    address = found[("aws_vpc_endpoint.sqs", "subnet_configuration[0].ipv4")]
    assert address.verdict is Verdict.UNKNOWN
    assert address.reason == (
        f"set where plan JSON does not show how (a dynamic block?) in the root module; {SOURCE_HINT}"
    )
    assert found[("aws_vpc_endpoint.sqs", "subnet_configuration[0].subnet_id")].verdict is Verdict.EXPECTED


def lifecycle(dev: int, prod: int) -> Resource:
    """A lifecycle rule set in a `dynamic` block (plan JSON shows nothing of it)."""
    return Resource(
        "aws_s3_bucket_lifecycle_configuration.logs",
        {"bucket": const("logs")},
        {
            env: {"bucket": "logs", "rule": [{"id": "logs", "expiration": [{"days": days}]}]}
            for env, days in (("dev", dev), ("prod", prod))
        },
    )


RULE = ("module.app.aws_s3_bucket_lifecycle_configuration.logs", "rule[0].expiration[0].days")


def test_a_hidden_value_that_follows_a_per_env_variable_of_its_module_is_expected(tmp_path):
    days = report(tmp_path, [lifecycle(30, 90)])[RULE]

    assert days.verdict is Verdict.EXPECTED
    assert days.reason == (
        "in a block plan JSON does not show, of module.app (the same code in both envs): "
        "declared per-env variation: var.days (dev: 30, prod: 90)"
    )


def test_a_hidden_value_that_follows_no_variable_stays_unknown_and_names_source(tmp_path):
    days = report(tmp_path, [lifecycle(7, 1)])[RULE]

    assert days.verdict is Verdict.UNKNOWN
    assert days.reason == f"set where plan JSON does not show how (a dynamic block?); {SOURCE_HINT}"


def test_a_hidden_value_of_a_module_called_differently_stays_unknown(tmp_path):
    # the literal that differs in the call may be what sets it, whatever the variable says
    calls = {"dev": {**CALL, "retention": const(1)}, "prod": {**CALL, "retention": const(2)}}

    days = report(tmp_path, [lifecycle(30, 90)], calls)[RULE]

    assert days.verdict is Verdict.UNKNOWN
    assert days.reason == f"set where plan JSON does not show how (a dynamic block?); {SOURCE_HINT}"


def policy(dev: str, prod: str) -> Resource:
    """A role policy through a module local (plan JSON leaves out what it reads)."""
    return Resource(
        "aws_iam_role_policy.use_key",
        {"policy": ref("local.policy"), "role": const("app")},
        {"dev": {"policy": dev, "role": "app"}, "prod": {"policy": prod, "role": "app"}},
    )


def statement(region: str, key: str, action: str = "kms:Decrypt") -> str:
    return (
        f'{{"Statement":[{{"Action":"{action}","Effect":"Allow",'
        f'"Resource":"arn:aws:kms:{region}:123456789012:key/{key}"}}]}}'
    )


DEV_KEY, PROD_KEY = "0d9b2c4e-1f3a-4b5c-8d7e-6f5a4b3c2d1e", "7e6d5c4b-3a2f-4e1d-9c8b-7a6f5e4d3c2b"
POLICY = ("module.app.aws_iam_role_policy.use_key", "policy")


def test_a_document_that_differs_only_in_each_envs_key_id_is_expected(tmp_path):
    found = report(tmp_path, [policy(statement("us-east-1", DEV_KEY), statement("eu-west-1", PROD_KEY))])

    assert (found[POLICY].verdict, found[POLICY].reason) == (
        Verdict.EXPECTED,
        f"differs only in ids each env's provider assigns ({DEV_KEY} / {PROD_KEY})",
    )


def test_a_document_that_differs_in_more_than_ids_stays_unknown(tmp_path):
    dev, prod = statement("us-east-1", DEV_KEY), statement("eu-west-1", PROD_KEY, action="kms:*")

    found = report(tmp_path, [policy(dev, prod)])

    assert found[POLICY].verdict is Verdict.UNKNOWN


def test_a_name_ending_in_a_number_is_no_id(tmp_path):
    found = report(tmp_path, [policy("logs-20240101", "logs-20250101")])

    assert found[POLICY].verdict is Verdict.UNKNOWN
