"""Deterministic arm64 Lambda zips: the same inputs give byte-identical output.

Dependencies are resolved by pip for the Lambda platform (binary wheels only, so a native
extension is an aarch64 build, never this machine's). Timestamps, order and permissions
inside the zip are fixed. A zip whose inputs' digest is unchanged is not rebuilt.

lambda_src/functions.json names every function, by part: `control` (the stack's own) and
`workload`. The env roots read it too (`jsondecode(file(...))`), to hand each zip to the stack.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError
from .files import reproducible_zip
from .pins import LAMBDA_RUNTIME_PYTHON, LAMBDA_WHEEL_PLATFORM
from .process import run

FUNCTIONS_FILE = "functions.json"
REQUIREMENTS = "requirements.txt"
_SKIPPED_PARTS = {"__pycache__", "tests", ".pytest_cache"}
_SKIPPED_SUFFIXES = {".pyc", ".pyo"}


@dataclass(frozen=True)
class SharedFile:
    """A file from outside the function's folder placed in every zip (e.g. the ledger schema)."""

    source: Path
    archive_name: str


SHARED_FILES = (
    SharedFile(Path(__file__).with_name("__init__.py"), "infrarep/__init__.py"),
    SharedFile(Path(__file__).with_name("records.py"), "infrarep/records.py"),
)
"""infrarep's record formats, which the functions share with the CLI: in every zip."""


@dataclass(frozen=True)
class Packaged:
    name: str
    path: Path
    sha256: str
    size: int
    rebuilt: bool


def functions(lambda_src: Path) -> dict[str, list[str]]:
    """lambda_src/functions.json: each part's functions, every one a folder with a handler.py."""
    path = lambda_src / FUNCTIONS_FILE
    try:
        parts = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ConfigError(f"{path}: cannot read the list of functions ({err})") from None
    if not (
        isinstance(parts, dict)
        and all(
            isinstance(names, list) and all(isinstance(name, str) for name in names)
            for names in parts.values()
        )
    ):
        raise ConfigError(f"{path}: expected an object of lists of function names, by part")
    for name in (name for names in parts.values() for name in names):
        if not (lambda_src / name / "handler.py").is_file():
            raise ConfigError(f"{path}: function {name!r} has no {lambda_src / name / 'handler.py'}")
    return parts


def function_names(lambda_src: Path) -> list[str]:
    """Every function of lambda_src/functions.json, part by part."""
    return [name for names in functions(lambda_src).values() for name in names]


def _function_files(source_dir: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(source_dir.rglob("*")):
        relative = path.relative_to(source_dir)
        if path.is_dir() or _SKIPPED_PARTS & set(relative.parts) or path.suffix in _SKIPPED_SUFFIXES:
            continue
        if relative.as_posix() == REQUIREMENTS:
            continue
        yield relative.as_posix(), path


def inputs_digest(source_dir: Path, shared: Iterable[SharedFile]) -> str:
    """sha256 over everything that decides the zip's content."""
    digest = hashlib.sha256()
    digest.update(f"{LAMBDA_WHEEL_PLATFORM} cp{LAMBDA_RUNTIME_PYTHON}\n".encode())
    requirements = source_dir / REQUIREMENTS
    entries = [*_function_files(source_dir)]
    entries += [(item.archive_name, item.source) for item in shared]
    if requirements.exists():
        entries.append((REQUIREMENTS, requirements))
    for name, path in sorted(entries):
        digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def build(
    name: str,
    source_dir: Path,
    out_dir: Path,
    shared: Iterable[SharedFile] = (),
    force: bool = False,
) -> Packaged:
    """Build out_dir/<name>.zip unless its recorded input digest is unchanged."""
    shared = list(shared)
    target = out_dir / f"{name}.zip"
    record = out_dir / f"{name}.inputs.json"
    digest = inputs_digest(source_dir, shared)
    if not force and target.exists() and _recorded_digest(record) == digest:
        return _describe(name, target, rebuilt=False)

    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"package-{name}-") as scratch:
        staging = Path(scratch) / "content"
        staging.mkdir()
        requirements = source_dir / REQUIREMENTS
        if requirements.exists() and _has_requirements(requirements):
            _install_dependencies(requirements, staging)
        for relative, path in _function_files(source_dir):
            _copy(path, staging / relative)
        for item in shared:
            _copy(item.source, staging / item.archive_name)
        partial = Path(scratch) / f"{name}.zip"
        _write_zip(staging, partial)
        shutil.move(partial, target.with_suffix(".zip.tmp"))
        target.with_suffix(".zip.tmp").replace(target)
    record.write_text(json.dumps({"inputs_sha256": digest}) + "\n")
    return _describe(name, target, rebuilt=True)


def _has_requirements(requirements: Path) -> bool:
    return any(
        line.strip() and not line.strip().startswith("#") for line in requirements.read_text().splitlines()
    )


def _install_dependencies(requirements: Path, target: Path) -> None:
    argv = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-compile", "--only-binary=:all:",
        "--platform", LAMBDA_WHEEL_PLATFORM,
        "--implementation", "cp",
        "--python-version", LAMBDA_RUNTIME_PYTHON,
        "--target", str(target),
        "-r", str(requirements),
    ]  # fmt: skip
    run(
        argv,
        failure=f"{requirements}: cannot resolve for {LAMBDA_WHEEL_PLATFORM} / "
        f"Python {LAMBDA_RUNTIME_PYTHON}",
        hint="every dependency needs a binary wheel for that platform (no source builds)",
    )
    for cache in target.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    # pip writes the install location into this file; it would make the zip machine-specific.
    for direct_url in target.glob("*.dist-info/direct_url.json"):
        direct_url.unlink()


def _copy(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, destination)


def _write_zip(content: Path, destination: Path) -> None:
    files = (path for path in content.rglob("*") if not path.is_dir())
    entries = ((path.relative_to(content).as_posix(), path.read_bytes(), 0o644) for path in files)
    destination.write_bytes(reproducible_zip(entries))


def _recorded_digest(record: Path) -> str | None:
    try:
        return json.loads(record.read_text())["inputs_sha256"]
    except (FileNotFoundError, ValueError, KeyError):
        return None


def _describe(name: str, path: Path, rebuilt: bool) -> Packaged:
    data = path.read_bytes()
    return Packaged(name, path, hashlib.sha256(data).hexdigest(), len(data), rebuilt)
