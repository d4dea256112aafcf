"""The saved-plan reader against the configured terraform (or tofu): what `planfile` reads
from a plan file is what `show -json` shows for it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from infrarep import applied, planfile
from infrarep.terraform import TerraformRoot

pytestmark = pytest.mark.e2e

FIXTURE = Path(__file__).parents[1] / "fixtures" / "saved_plan"


def test_the_saved_plan_holds_the_variables_show_json_shows(tools, tmp_path):
    for name in ("main.tf", "values.tfvars.json"):
        shutil.copy(FIXTURE / name, tmp_path / name)
    root = TerraformRoot(tools.binary(), tmp_path, env=dict(tools.terraform_env()))
    root.init()
    root.plan(tmp_path / "saved.tfplan", var_files=[tmp_path / "values.tfvars.json"])
    shown = root.show_json(tmp_path / "saved.tfplan", tmp_path / "saved.json").read_bytes()

    saved = planfile.read(tmp_path / "saved.tfplan")
    assert (
        applied.root_variables(saved.variables, applied.configuration_of(shown))
        == json.loads(shown)["variables"]
    )
    assert saved.terraform_version == json.loads(shown)["terraform_version"]
