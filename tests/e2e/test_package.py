"""`infrarep package`: arm64 dependencies, byte-identical output, skipped when unchanged.

Resolves real wheels from the package index (pip), so it lives with the e2e tests.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from infrarep import files, package, process

pytestmark = pytest.mark.e2e

FIXTURE = Path(__file__).parent / "fixtures" / "native_function"
EM_AARCH64 = 183


def _elf_machine(data: bytes) -> int:
    assert data[:4] == b"\x7fELF", "not an ELF file"
    little_endian = data[5] == 1
    return int.from_bytes(data[18:20], "little" if little_endian else "big")


@pytest.fixture
def function_dir(tmp_path: Path) -> Path:
    source = tmp_path / "src" / "native"
    shutil.copytree(FIXTURE, source)
    return source


def test_native_dependency_is_an_aarch64_build(function_dir, tmp_path):
    built = package.build("native", function_dir, tmp_path / "out")
    with zipfile.ZipFile(built.path) as archive:
        extensions = [
            name for name in archive.namelist() if name.startswith("msgspec/") and name.endswith(".so")
        ]
        assert extensions, "msgspec's native extension is missing from the zip"
        for name in extensions:
            assert _elf_machine(archive.read(name)) == EM_AARCH64, f"{name} is not aarch64"
        assert "handler.py" in archive.namelist()
        assert not [name for name in archive.namelist() if "__pycache__" in name or name.endswith(".pyc")]


def test_same_inputs_give_byte_identical_zips(function_dir, tmp_path):
    first = package.build("native", function_dir, tmp_path / "one")
    second = package.build("native", function_dir, tmp_path / "two")
    assert first.sha256 == second.sha256
    assert first.path.read_bytes() == second.path.read_bytes()
    with zipfile.ZipFile(first.path) as archive:
        infos = archive.infolist()
    assert {info.date_time for info in infos} == {files.ZIP_EPOCH}
    assert [info.filename for info in infos] == sorted(info.filename for info in infos)


def test_unchanged_inputs_are_not_rebuilt_and_a_change_is(function_dir, tmp_path):
    out = tmp_path / "out"
    shared = tmp_path / "schema.py"
    shared.write_text("VERSION = 1\n")
    shared_files = [package.SharedFile(shared, "infrarep/records.py")]
    first = package.build("native", function_dir, out, shared_files)
    assert first.rebuilt
    again = package.build("native", function_dir, out, shared_files)
    assert not again.rebuilt and again.sha256 == first.sha256

    shared.write_text("VERSION = 2\n")
    changed = package.build("native", function_dir, out, shared_files)
    assert changed.rebuilt and changed.sha256 != first.sha256
    with zipfile.ZipFile(changed.path) as archive:
        assert archive.read("infrarep/records.py") == b"VERSION = 2\n"


def test_a_dependency_without_an_arm64_wheel_is_a_clear_error(function_dir, tmp_path):
    (function_dir / "requirements.txt").write_text("no-such-package-infrarep-test==0.0.1\n")
    with pytest.raises(
        process.CommandFailed, match=r"requirements\.txt: cannot resolve for manylinux2014_aarch64"
    ):
        package.build("native", function_dir, tmp_path / "out")
    assert not (tmp_path / "out" / "native.zip").exists()
