"""files.write_atomic / write_all_atomic: permissions, failures, nothing left behind."""

from __future__ import annotations

import os
import stat

import pytest

from infrarep.files import WriteFailed, write_all_atomic, write_atomic


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_explicit_mode_is_set_before_the_file_appears(tmp_path):
    key = tmp_path / "key.pem"
    write_atomic(key, "secret", mode=0o600)
    assert _mode(key) == 0o600


def test_a_new_file_follows_the_umask(tmp_path):
    previous = os.umask(0o027)
    try:
        write_atomic(tmp_path / "a.txt", "a")
    finally:
        os.umask(previous)
    assert _mode(tmp_path / "a.txt") == 0o640


def test_a_failure_after_some_files_were_replaced_says_how_many(tmp_path, immutable):
    first, locked, last = (tmp_path / name for name in ("a.txt", "b.txt", "c.txt"))
    for path in (first, locked, last):
        path.write_text("old\n")
    immutable(locked)

    with pytest.raises(WriteFailed) as raised:
        write_all_atomic({first: "new\n", locked: "new\n", last: "new\n"})

    assert raised.value.message == (
        f"{locked}: cannot replace (Operation not permitted); "
        "1 file(s) before it were changed, the rest were not"
    )
    assert [p.read_text() for p in (first, locked, last)] == ["new\n", "old\n", "old\n"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt", "c.txt"]


def test_folders_made_for_files_that_could_not_be_staged_are_removed(tmp_path):
    (tmp_path / "blocker").write_text("a file where a folder should be\n")

    with pytest.raises(WriteFailed, match=r"blocker/y\.txt: cannot write \(File exists"):
        write_all_atomic({tmp_path / "new/deeper/x.txt": "x", tmp_path / "blocker/y.txt": "y"})

    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]  # new/deeper/ is gone again
