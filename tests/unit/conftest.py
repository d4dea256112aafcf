"""Fixtures of the unit tests."""

from __future__ import annotations

import array
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

FS_IOC_GETFLAGS, FS_IOC_SETFLAGS = 0x80086601, 0x40086602  # linux/fs.h, 64-bit
FS_IMMUTABLE_FL = 0x00000010


def _set_immutable(path: Path, on: bool) -> None:
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        flags = array.array("l", [0])
        fcntl.ioctl(descriptor, FS_IOC_GETFLAGS, flags, True)
        flags[0] = flags[0] | FS_IMMUTABLE_FL if on else flags[0] & ~FS_IMMUTABLE_FL
        fcntl.ioctl(descriptor, FS_IOC_SETFLAGS, flags)
    finally:
        os.close(descriptor)


@pytest.fixture
def immutable() -> Iterator[Callable[[Path], None]]:
    """`immutable(path)`: what `chattr +i` does, which stops root too (chmod does not): a folder
    no entry can be added to or removed from, a file that cannot be replaced. Undone after."""
    marked: list[Path] = []

    def mark(path: Path) -> None:
        try:
            _set_immutable(path, True)
        except OSError as err:  # not root, or a file system without the flag
            pytest.skip(f"cannot make {path} immutable here: {err.strerror}")
        marked.append(path)

    yield mark
    for path in reversed(marked):
        _set_immutable(path, False)
