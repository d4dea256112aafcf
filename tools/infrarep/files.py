"""Atomic file writes (a reader sees the old file or the new one, never half of one) and
reproducible zips (the same entries give the same bytes)."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # zip's earliest time: no build time in the bytes


def write_atomic(path: Path, content: str | bytes) -> bool:
    """Write `content` to `path` unless it already holds exactly that; True if it changed."""
    data = content.encode() if isinstance(content, str) else content
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False, suffix=".tmp") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    Path(handle.name).replace(path)
    return True


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
