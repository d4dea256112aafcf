"""Reading a saved plan without terraform: root variables and the code digest; only for the
terraform versions whose plan format a test verified."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import msgspec
import pytest

from infrarep import applied, pins, planfile, plans, recording, runner
from infrarep.terraform import TerraformBinary

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


def _plan_files(tmp_path: Path, flavour: str, version: str, said: list[str]) -> runner.PlanFiles:
    major, minor, patch = (int(part) for part in version.split("."))
    binary = TerraformBinary(Path("/usr/local/bin") / flavour, flavour, (major, minor, patch))
    return runner.PlanFiles(binary, tmp_path / "configurations", said.append)


def test_only_the_plans_of_a_verified_terraform_are_read_directly():
    assert ("terraform", "1.11.4") in pins.VERIFIED_PLANFILE_FORMATS  # the fixture's
    assert planfile.format_verified("terraform", "1.11.4")
    assert not planfile.format_verified("terraform", "1.11.5")
    assert not planfile.format_verified("tofu", "1.11.4")  # OpenTofu's format is its own


def test_the_guard_chooses_by_the_binary_s_flavour_and_version(tmp_path):
    said: list[str] = []
    saved = _plan_files(tmp_path, "terraform", "1.11.4", said).saved(FIXTURE / "variables.tfplan")
    assert saved is not None and saved.terraform_version == "1.11.4"
    assert said == []

    for flavour, version in (("terraform", "1.11.5"), ("tofu", "1.11.4")):
        assert _plan_files(tmp_path, flavour, version, said).saved(FIXTURE / "variables.tfplan") is None
    assert [line.split(":")[0].split(maxsplit=1)[1] for line in said] == ["terraform 1.11.5", "tofu 1.11.4"]


def test_an_unverified_version_is_said_once_naming_it_and_the_slower_path(tmp_path):
    said: list[str] = []
    plan_files = _plan_files(tmp_path, "terraform", "1.12.0", said)
    for _ in range(3):
        assert plan_files.saved(FIXTURE / "variables.tfplan") is None
    assert said == [
        "plans      terraform 1.12.0: saved-plan format not verified (verified: terraform 1.11.4);"
        " reading plans with `show -json` instead (slower)"
    ]


def test_a_plan_naming_another_version_than_its_binary_is_not_read_directly(tmp_path):
    """A pre-release build's plans name their full version (1.11.4-beta1); its binary's
    version as infrarep records it drops the suffix."""
    with zipfile.ZipFile(FIXTURE / "variables.tfplan") as original:
        plan = original.read("tfplan")
    assert plan.count(b"1.11.4") == 1  # terraform_version: same length, so the message stays whole
    other = _rewritten(
        FIXTURE / "variables.tfplan",
        tmp_path / "other.tfplan",
        {"tfplan": plan.replace(b"1.11.4", b"1.11.5")},
    )
    assert planfile.read(other).terraform_version == "1.11.5"

    said: list[str] = []
    assert _plan_files(tmp_path, "terraform", "1.11.4", said).saved(other) is None
    assert len(said) == 1 and said[0].startswith(
        "plans      terraform 1.11.5: saved-plan format not verified"
    )


def _run(plan_file: Path, shown: Path | None) -> runner.PlannedRun:
    """A deploy's run of `plan_file`, whose `show -json` form is `shown` (None: never exported)."""

    def export_json(background: bool = False) -> Path:
        assert shown is not None, "exported the plan JSON"
        return shown

    return runner.PlannedRun("dev", FIXTURE, plan_file, plans.PlanSummary(()), 0.0, export_json)


def test_the_config_manifest_reads_the_same_inputs_from_the_json_form_of_an_unverified_plan(tmp_path):
    """The deploy's root variables, terraform version and configuration: from the plan file
    and the kept configuration (verified: no export), else from `show -json` of the plan."""
    state = json.dumps({"version": 4, "resources": []}).encode()
    shown = FIXTURE / "variables.json"  # `terraform show -json variables.tfplan`

    said: list[str] = []
    verified = _plan_files(tmp_path / "verified", "terraform", "1.11.4", said)
    digest = planfile.read(FIXTURE / "variables.tfplan").code_digest
    kept = verified.configuration_path(digest)
    kept.parent.mkdir(parents=True)
    kept.write_bytes(applied.configuration_of(shown.read_bytes()))
    direct = recording.ManifestInputs(verified, _run(FIXTURE / "variables.tfplan", None))

    unverified = _plan_files(tmp_path / "unverified", "terraform", "1.12.0", said)
    through_json = recording.ManifestInputs(unverified, _run(FIXTURE / "variables.tfplan", shown))

    assert through_json.document(state, "state") == direct.document(state, "state")
    assert len(said) == 1 and "terraform 1.12.0" in said[0]
    assert not (tmp_path / "unverified" / "configurations").exists()  # no code digest to keep it by
