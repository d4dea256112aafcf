"""Small hand-made plan JSON for the drift tests: two envs, one child module `module.app`
(source `./app`), resources written out per test. The documents keep to what `terraform show
-json` writes (resource_changes with their `after_sensitive` masks, configuration with
expressions), only what the engine reads."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infrarep import drift, plans

ACCOUNT = "123456789012"
REGIONS = {"dev": "us-east-1", "prod": "eu-west-1"}


@dataclass
class Resource:
    """One managed resource (or data source): `address` in its module (`aws_subnet.a`),
    `expressions` as plan JSON's configuration shows them, and per env its planned `after`."""

    address: str
    expressions: dict[str, Any] = field(default_factory=dict)
    after: dict[str, dict[str, Any]] = field(default_factory=dict)
    in_root: bool = False
    data: bool = False

    @property
    def type(self) -> str:
        return self.address.removeprefix("data.").split(".")[0]

    @property
    def name(self) -> str:
        return self.address.split(".")[-1]


def ref(*references: str) -> dict[str, Any]:
    return {"references": list(references)}


def const(value: Any) -> dict[str, Any]:
    return {"constant_value": value}


def _mask(value: Any) -> Any:
    """`after_sensitive` as terraform writes it: collections mirrored, scalars false."""
    if isinstance(value, dict):
        return {key: _mask(item) for key, item in value.items() if isinstance(item, dict | list)}
    if isinstance(value, list):
        return [_mask(item) if isinstance(item, dict | list) else False for item in value]
    return False


def document(
    env: str,
    variables: dict[str, Any],
    call: dict[str, Any],
    resources: list[Resource],
    module_variables: tuple[str, ...] = (),
) -> dict[str, Any]:
    changes = []
    for resource in resources:
        if resource.data:
            continue
        after = resource.after[env]
        module = "" if resource.in_root else "module.app"
        changes.append(
            {
                "address": f"{module}.{resource.address}".lstrip("."),
                "module_address": module,
                "mode": "managed",
                "type": resource.type,
                "name": resource.name,
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {
                    "actions": ["no-op"],
                    "before": after,
                    "after": after,
                    "after_unknown": {},
                    "before_sensitive": _mask(after),
                    "after_sensitive": _mask(after),
                },
            }
        )

    def config(resource: Resource) -> dict[str, Any]:
        return {
            "address": resource.address,
            "mode": "data" if resource.data else "managed",
            "type": resource.type,
            "name": resource.name,
            "provider_config_key": "aws",
            **({"expressions": resource.expressions} if resource.expressions or not resource.data else {}),
        }

    return {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "variables": {name: {"value": value} for name, value in variables.items()},
        "planned_values": {"root_module": {}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {
                "aws": {
                    "name": "aws",
                    "full_name": "registry.terraform.io/hashicorp/aws",
                    "expressions": {"region": ref("var.region")},
                }
            },
            "root_module": {
                "resources": [config(resource) for resource in resources if resource.in_root],
                "module_calls": {
                    "app": {
                        "source": "./app",
                        "expressions": call,
                        "module": {
                            "resources": [config(resource) for resource in resources if not resource.in_root],
                            "variables": {name: {} for name in module_variables},
                        },
                    }
                },
                "variables": {name: {} for name in variables},
            },
        },
    }


def env_plans(tmp_path: Path, env: str, doc: dict[str, Any]) -> drift.EnvPlans:
    path = tmp_path / f"{env}.json"
    path.write_text(json.dumps(doc))
    plan = plans.load(path)
    return drift.EnvPlans(env, drift.detect_identity(env, plan, REGIONS[env]), plan)


def differences(
    tmp_path: Path,
    variables: dict[str, dict[str, Any]],
    calls: dict[str, dict[str, Any]],
    resources: list[Resource],
    module_variables: tuple[str, ...] = (),
) -> dict[tuple[str, str], drift.AttributeDiff]:
    """Every attribute difference of a dev~prod parity report on plan JSON alone."""
    envs = [
        env_plans(tmp_path, env, document(env, variables[env], calls[env], resources, module_variables))
        for env in ("dev", "prod")
    ]
    report = drift.analyse(envs, [drift.Kind.PARITY], manifests=False)
    return {(finding.address, diff.path): diff for finding in report.findings for diff in finding.attributes}
