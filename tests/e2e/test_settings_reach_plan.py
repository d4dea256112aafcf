"""Every per-env setting of envs/environments.yaml reaches a plan.

Each setting (every field of `config.EnvSettings`, nested ones included, so a field added
later is walked too) is changed in one env to another valid value and rendered into its own
copy of the project. `render --check` must call that copy stale, and every root a changed
file belongs to must plan different resources: a value that is rendered but read by nothing
fails, because only the resources' planned values are compared, never the variables.

The plans are made with real terraform and the provider against the local AWS, from an
empty state (so every resource is planned in full), each root initialised once and its
`.terraform` shared by every copy through TF_DATA_DIR, two plans at a time.
"""

from __future__ import annotations

import copy
import json
import shutil
import typing
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from infrarep import config, local_target
from infrarep.errors import ConfigError, TerraformFailed
from infrarep.terraform import TerraformRoot

from .projects import FUNCTIONS, run_infrarep, scratch_project

pytestmark = pytest.mark.e2e

# Promoted into and promoted from: every per-env setting applies to it. (The first env of
# promotion.order is deployed, never promoted into: config refuses approval_required there.)
VARIED_ENV = "staging"
PLAN_WORKERS = 2
RELEASE = {"TF_VAR_release_version": "settings-walk", "TF_VAR_source_commit": "0" * 40}
LOCAL_BACKEND = 'terraform {\n  backend "local" {}\n}\n'
# Candidate values for a text setting; the first one the config model accepts is used.
SAMPLE_TEXTS = (
    "ops@example.com",
    "https://pay.other.example.com",
    "us-east-2",
    "10.99.0.0/16",
    "db.r6g.xlarge",
    "t4g.large",
)


PROVIDER_ONLY = {
    "account_id": "the provider's allowed_account_ids",
    "role_arn": "the provider's assume_role",
}
"""Settings that choose where the provider acts, not what it plans: no planned resource can
show them (on the local AWS every account is reachable). tests/unit/test_accounts.py checks
they are rendered into every root, and test_promotion's prod-us lives in its own account
through them."""


def setting_keys(model: type[BaseModel] = config.EnvSettings, prefix: str = "") -> list[str]:
    """Dotted paths of every leaf field of the per-env settings model (`PROVIDER_ONLY` left out)."""
    keys = []
    for name, info in model.model_fields.items():
        if model is config.EnvSettings and name == "name":
            continue  # the env's key in the file, not a setting
        if model is config.EnvSettings and name in PROVIDER_ONLY:
            continue
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys.extend(setting_keys(annotation, f"{prefix}{name}."))
        else:
            keys.append(prefix + name)
    return keys


KEYS = setting_keys()


def _field_annotation(key: str) -> Any:
    model: Any = config.EnvSettings
    *parents, leaf = key.split(".")
    for part in parents:
        model = model.model_fields[part].annotation
    return model.model_fields[leaf].annotation


def _current(env: config.EnvSettings, key: str) -> Any:
    value: Any = env
    for part in key.split("."):
        value = getattr(value, part)
    return value


def _candidates(annotation: Any, current: Any) -> list[Any]:
    """Other values of the field's type, as YAML would hold them."""
    if annotation is bool:
        return [not current]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [member.value for member in annotation if member != current]
    if annotation is int:
        return [current + 1, current - 1]
    if annotation is float:
        return [current / 2, (current + 1) / 2]
    if annotation is str:
        return list(SAMPLE_TEXTS)
    if typing.get_origin(annotation) is tuple:
        return [[*current, sample] for sample in SAMPLE_TEXTS]
    return []


def _with(document: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    target = changed["environments"].setdefault(VARIED_ENV, {})
    *parents, leaf = key.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[leaf] = value
    return changed


def variation(document: dict[str, Any], key: str) -> Any | None:
    """Another value for `key` in VARIED_ENV that the config model accepts."""
    base = config.parse(yaml.safe_dump(document)).environments[VARIED_ENV]
    current = _current(base, key)
    for value in _candidates(_field_annotation(key), current):
        if value == current or (isinstance(current, tuple) and tuple(value) == current):
            continue
        try:
            config.parse(yaml.safe_dump(_with(document, key, value)))
        except ConfigError:
            continue
        return value
    return None


def planned_resources(plan: dict[str, Any]) -> dict[str, Any]:
    """Address -> planned values of every resource in the plan (variables left out)."""
    found: dict[str, Any] = {}

    def walk(module: dict[str, Any]) -> None:
        for resource in module.get("resources", []):
            found[resource["address"]] = resource.get("values")
        for child in module.get("child_modules", []):
            walk(child)

    walk(plan.get("planned_values", {}).get("root_module", {}))
    return found


@dataclass
class Reach:
    key: str
    value: Any = None
    stale: list[str] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _copy_roots(project: Path, to: Path) -> Path:
    """The project's roots copied (state, `.terraform` left out), modules and packages linked."""
    for folder in ("envs", "terraform"):
        shutil.copytree(
            project / folder, to / folder, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*")
        )
    for folder in ("modules", "dist", "lambda_src"):
        (to / folder).symlink_to(project / folder, target_is_directory=True)
    return to


def _placeholder_packages(project: Path) -> None:
    """The env stacks hash each function's zip at plan time; its content is the same in
    every plan compared here, so an empty zip stands in for a built one."""
    out = project / "dist" / "lambda"
    out.mkdir(parents=True)
    for name in FUNCTIONS:
        with zipfile.ZipFile(out / f"{name}.zip", "w") as archive:
            archive.writestr("handler.py", "")


@pytest.fixture(scope="module")
def reaches(tmp_path_factory: pytest.TempPathFactory, tools, local) -> dict[str, Reach]:
    project = scratch_project(tmp_path_factory.mktemp("settings-project"), with_functions=False)
    _placeholder_packages(project)
    document = yaml.safe_load((project / "envs" / "environments.yaml").read_text())
    variants = tmp_path_factory.mktemp("settings-variants")
    up_to_date = run_infrarep(project, variants, "render", "--check")
    assert up_to_date.returncode == 0, f"the project is not rendered: {up_to_date.stdout}"
    # The local target's generated files (git keeps none): terraform runs in these roots directly.
    generated = run_infrarep(project, variants, "render")
    assert generated.returncode == 0, generated.stderr
    reaches = {key: Reach(key) for key in KEYS}
    for number, key in enumerate(KEYS):
        reach = reaches[key]
        reach.value = variation(document, key)
        if reach.value is None:
            reach.problems.append(f"no valid other value among {SAMPLE_TEXTS}: add a sample")
            continue
        copied = _copy_roots(project, variants / str(number))
        (copied / "envs" / "environments.yaml").write_text(yaml.safe_dump(_with(document, key, reach.value)))
        checked = run_infrarep(copied, variants, "render", "--check", "--json")
        reach.stale = sorted(
            str(Path(change["path"]).resolve().relative_to(copied.resolve()))
            for change in json.loads(checked.stdout)["changes"]
        )
        if checked.returncode != 2 or not reach.stale:
            reach.problems.append(
                f"render --check exits {checked.returncode}, nothing stale: the value is rendered nowhere"
            )
            continue
        rendered = run_infrarep(copied, variants, "render")
        assert rendered.returncode == 0, rendered.stderr
        reach.roots = sorted({str(Path(path).parent) for path in reach.stale})

    needed = sorted({root for reach in reaches.values() for root in reach.roots})

    def terraform(workdir: Path, root: str) -> TerraformRoot:
        env = {**tools.terraform_env(), **local_target.terraform_env(local), **RELEASE}
        env["TF_DATA_DIR"] = str(project / root / ".terraform")
        return TerraformRoot(tools.binary(), workdir, env=env)

    def init(root: str) -> None:
        if (project / root / "backend.tf").exists():
            (project / root / "backend_override.tf").write_text(LOCAL_BACKEND)
        terraform(project / root, root).init(backend_config=[])

    def plan(workdir: Path, root: str) -> dict[str, Any]:
        runner = terraform(workdir, root)
        runner.plan(workdir / "walk.tfplan")
        shown = runner.show_json(workdir / "walk.tfplan", workdir / "walk.json")
        return planned_resources(json.loads(shown.read_bytes()))

    with ThreadPoolExecutor(PLAN_WORKERS) as pool:
        list(pool.map(init, needed))
        # Copied after init, so each copy has the lock file and the local-backend override.
        for number, key in enumerate(KEYS):
            for root in reaches[key].roots:
                for name in (".terraform.lock.hcl", "backend_override.tf"):
                    if (project / root / name).exists():
                        shutil.copy(project / root / name, variants / str(number) / root / name)
        baselines = {root: pool.submit(plan, project / root, root) for root in needed}
        variations = {
            (key, root): pool.submit(plan, variants / str(number) / root, root)
            for number, key in enumerate(KEYS)
            for root in reaches[key].roots
        }
        for (key, root), planned in variations.items():
            try:
                differs = planned.result() != baselines[root].result()
            except TerraformFailed as failed:
                reaches[key].problems.append(f"{root}: plan failed: {failed.stderr_tail[-600:]}")
                continue
            if not differs:
                reaches[key].problems.append(f"{root}: rendered, but its planned resources are unchanged")
    return reaches


def test_the_walk_covers_nested_settings():
    assert {"region", "approval_required", "payments.lambda_memory_mb", "payments.table_capacity.min"} <= set(
        KEYS
    )
    assert "payments.table_capacity.max" in KEYS and "payments" not in KEYS
    assert set(PROVIDER_ONLY) <= set(config.EnvSettings.model_fields) and not set(PROVIDER_ONLY) & set(KEYS)


@pytest.mark.parametrize("key", KEYS)
def test_each_setting_changes_a_plan(reaches: dict[str, Reach], key: str):
    reach = reaches[key]
    where = f"environments.{VARIED_ENV}.{key} = {reach.value!r}"
    assert not reach.problems, f"{where}: " + "; ".join(reach.problems)
    assert reach.roots, f"{where}: reaches no plan"
