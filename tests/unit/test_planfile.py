"""Reading a saved plan without terraform: root variables and the code digest."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import msgspec
import pytest

from infrarep import applied, planfile

FIXTURE = Path(__file__).parents[1] / "fixtures" / "saved_plan"


def _rewritten(source: Path, target: Path, changed: dict[str, bytes]) -> Path:
    """A copy of the saved plan `source` with the entries in `changed` replaced or added."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            copy.writestr(info, changed.pop(info.filename, original.read(info)))
        for name, data in changed.items():
            copy.writestr(name, data)
    return target


def test_the_variables_are_those_terraform_show_json_shows():
    saved = planfile.read(FIXTURE / "variables.tfplan")
    shown = json.loads((FIXTURE / "variables.json").read_bytes())
    configuration = applied.configuration_of((FIXTURE / "variables.json").read_bytes())

    assert applied.root_variables(saved.variables, configuration) == shown["variables"]
    assert saved.terraform_version == shown["terraform_version"]


def test_numbers_keep_their_exact_value_and_kind():
    variables = planfile.read(FIXTURE / "variables.tfplan").variables
    assert variables["ratio"] == 0.1 and isinstance(variables["ratio"], float)  # msgpack: the text "0.1"
    assert variables["big"] == 123456789012345678901234567890  # beyond int64: text, read as an int
    assert variables["count_of"] == -3 and isinstance(variables["count_of"], int)
    assert variables["limits"]["tiers"] == {"a": 1, "b": 2.5}
    assert variables["anything"] == {"list": [1, "two", False, None], "nested": {"x": [0.25]}}


def test_a_variable_left_at_its_default_is_not_in_the_saved_plan_but_shown_with_it():
    saved = planfile.read(FIXTURE / "variables.tfplan")
    assert "nothing" not in saved.variables
    configuration = applied.configuration_of((FIXTURE / "variables.json").read_bytes())
    assert applied.root_variables(saved.variables, configuration)["nothing"] == {"value": None}


def test_the_code_digest_follows_the_configuration_snapshot_not_the_state(tmp_path):
    source = FIXTURE / "variables.tfplan"
    digest = planfile.read(source).code_digest

    new_state = _rewritten(source, tmp_path / "state.tfplan", {"tfstate": b'{"version": 4, "serial": 9}'})
    assert planfile.read(new_state).code_digest == digest

    with zipfile.ZipFile(source) as original:
        code = original.read("tfconfig/m-/main.tf")
    new_code = _rewritten(source, tmp_path / "code.tfplan", {"tfconfig/m-/main.tf": code + b"\n# changed\n"})
    assert planfile.read(new_code).code_digest != digest

    new_lock = _rewritten(source, tmp_path / "lock.tfplan", {".terraform.lock.hcl": b"# another provider\n"})
    assert planfile.read(new_lock).code_digest != digest


def test_a_dynamic_value_is_read_by_its_type():
    encoded = msgspec.msgpack.encode(
        [
            b'["object",{"n":"number","s":["set","string"],"d":"dynamic"}]',
            {"n": "0.3", "s": ["a"], "d": [b'"bool"', True]},
        ]
    )
    assert planfile.dynamic_value(encoded) == {"n": 0.3, "s": ["a"], "d": True}
    assert planfile.dynamic_value(msgspec.msgpack.encode(None)) is None


def test_an_unknown_value_is_refused():
    encoded = msgspec.msgpack.encode([b'"string"', msgspec.msgpack.Ext(0, b"")])
    with pytest.raises(ValueError, match="unknown value"):
        planfile.dynamic_value(encoded)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such plan file"),
        (b"not a zip", "not a saved terraform plan"),
        (b"", "not a saved terraform plan"),
    ],
)
def test_an_unreadable_plan_file_is_named(tmp_path, content, message):
    path = tmp_path / "broken.tfplan"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(planfile.PlanFileUnreadable, match=message) as raised:
        planfile.read(path)
    assert str(path) in raised.value.message


def test_a_zip_without_a_plan_is_named(tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(
        planfile.PlanFileUnreadable, match=r"other\.zip: not a saved terraform plan \(no tfplan"
    ):
        planfile.read(path)


def test_a_truncated_plan_entry_is_named(tmp_path):
    broken = _rewritten(FIXTURE / "variables.tfplan", tmp_path / "cut.tfplan", {"tfplan": b"\x12\xff\x01abc"})
    with pytest.raises(planfile.PlanFileUnreadable, match=r"cut\.tfplan: tfplan: cannot decode"):
        planfile.read(broken)
