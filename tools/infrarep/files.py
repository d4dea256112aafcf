"""Atomic file writes (a reader sees the old file or the new one, never half of one), UTF-8 text
reads with one-line errors, and reproducible zips (the same entries give the same bytes)."""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import stat
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import ConfigError, InfrarepError

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # zip's earliest time: no build time in the bytes


class WriteFailed(InfrarepError):
    """A file could not be written (or replaced, or deleted); nothing was left half-written."""


def read_text(path: Path) -> str:
    """The file as UTF-8 text; bytes that are not UTF-8 are a ConfigError naming the file, the line
    and the byte. OSError (no such file, ...) is the caller's to word."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ConfigError(
            f"{path}: line {line}: not UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start})",
            hint="save the file as UTF-8",
        ) from None


def write_atomic(path: Path, content: str | bytes, mode: int | None = None) -> bool:
    """Write `content` to `path` unless it already holds exactly that; True if it changed.

    The file keeps its permissions; a new one gets the umask's (0644 under umask 022), or `mode`.
    A failure raises WriteFailed naming `path` and leaves no temporary file behind."""
    data = content.encode() if isinstance(content, str) else content
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    except OSError as err:
        raise _failed(path, "cannot read", err) from None
    staged = _stage(path, data, mode)
    _commit(path, staged)
    return True


def write_all_atomic(files: Mapping[Path, str | bytes | None]) -> None:
    """Write (or, for None, delete) several files, all or as few as possible: every new content is
    staged beside its file first, so a folder that cannot be written fails before any file
    changes; then each is moved into place. WriteFailed names the file that failed and says which
    were already changed."""
    folders = {path.parent for path, content in files.items() if content is not None}
    created = sorted(
        {folder for parent in folders for folder in (parent, *parent.parents) if not folder.exists()},
        key=lambda folder: len(folder.parts),
        reverse=True,
    )
    staged: dict[Path, Path | None] = {}
    try:
        for path, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            staged[path] = None if data is None else _stage(path, data, None)
    except WriteFailed:
        _discard(staged.values())
        for folder in created:  # deepest first
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    done: list[Path] = []
    for path, temporary in staged.items():
        try:
            if temporary is None:
                _delete(path)
            else:
                _commit(path, temporary)
        except WriteFailed as err:
            _discard(staged[later] for later in list(staged)[len(done) + 1 :])
            if done:
                err.message += f"; {len(done)} file(s) before it were changed, the rest were not"
            raise
        done.append(path)


def _stage(path: Path, data: bytes, mode: int | None) -> Path:
    """`data` in a new temporary file beside `path`, synced, with the permissions `path` will have:
    `mode`, else those `path` has now, else 0666 less the umask."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if mode is None:
            with contextlib.suppress(FileNotFoundError):
                mode = stat.S_IMODE(path.stat().st_mode)
        temporary, descriptor = _create_beside(path, 0o666 if mode is None else mode)
    except OSError as err:
        raise _failed(path, "cannot write", err) from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)  # exactly `mode`, whatever the umask
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as err:
        _discard([temporary])
        raise _failed(path, "cannot write", err) from None
    return temporary


def _create_beside(path: Path, mode: int) -> tuple[Path, int]:
    """A new empty file next to `path`, created with `mode` less the umask, as any new file is
    (mkstemp would make it 0600): never readable by more than `mode` allows, even for a moment."""
    while True:
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return temporary, os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:
            continue


def _commit(path: Path, temporary: Path) -> None:
    try:
        temporary.replace(path)
    except OSError as err:
        _discard([temporary])
        raise WriteFailed(f"{path}: cannot replace ({err.strerror or err})") from None


def _delete(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as err:
        raise _failed(path, "cannot delete", err) from None


def _discard(temporaries: Iterable[Path | None]) -> None:
    for temporary in temporaries:
        if temporary is not None:
            with contextlib.suppress(OSError):  # the error that got us here is the one to report
                temporary.unlink(missing_ok=True)


def _failed(path: Path, what: str, err: OSError) -> WriteFailed:
    """`envs/dev/backend.hcl: cannot write (Operation not permitted: envs/dev)`."""
    culprit = f": {err.filename}" if err.filename and Path(err.filename) != path else ""
    return WriteFailed(f"{path}: {what} ({err.strerror or err}{culprit})")


def reproducible_zip(entries: Iterable[tuple[str, bytes, int]]) -> bytes:
    """A zip of (name, content, unix mode) entries, in name order, every time stamp ZIP_EPOCH."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content, mode in sorted(entries, key=lambda entry: entry[0]):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.external_attr = (mode & 0o777) << 16
            info.create_system = 3  # unix, so the permissions above are honoured
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content, compresslevel=9)
    return buffer.getvalue()
