"""Each module's native `terraform test` runs (plan-only, mocked provider), with the real terraform."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infrarep.terraform import TerraformRoot

pytestmark = pytest.mark.e2e

MODULES = Path(__file__).resolve().parents[2] / "modules"
TESTED = sorted({path.parent.parent.name for path in MODULES.glob("*/tests/*.tftest.hcl")})


@pytest.mark.parametrize("module", TESTED)
def test_module_runs_pass(module, tools, tmp_path):
    copy = tmp_path / "modules"
    shutil.copytree(MODULES, copy, ignore=shutil.ignore_patterns(".terraform*"))
    root = TerraformRoot(tools.binary(), copy / module, env=tools.terraform_env())
    root.init()
    output = root.test()
    summary = [line for line in output if line.startswith(("Success!", "Failure!"))]
    assert summary and summary[-1].startswith("Success!"), "\n".join(output[-20:])
