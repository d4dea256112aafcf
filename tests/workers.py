"""How the suite is spread over pytest-xdist's workers (`-n 2 --dist loadfile`, pyproject.toml).

A unit of work is a test file, as `--dist loadfile` makes it, except that the files sharing an
expensive session fixture are one unit: a session fixture is set up once per worker, and
`control_plane` (the control plane applied, and `shared_dev`, dev deployed beside it) is
minutes of the provider's waits. Units start longest first: the e2e suites wait on the
provider far more than they compute, so the longest, test_promotion.py, runs beside all the
others, and started last it would be the tail of the run.
"""

from __future__ import annotations

import pytest
from xdist.scheduler import LoadFileScheduling

# unit name: (its session fixture, the files that use it)
SHARED_SESSION_FIXTURES: dict[str, tuple[str, tuple[str, ...]]] = {
    "control_plane": (
        "control_plane",
        ("tests/e2e/test_control_plane.py", "tests/e2e/test_soak.py", "tests/e2e/test_stack.py"),
    ),
}

# Measured, longest first (`pytest --durations=0`). Unlisted units follow in collection order.
LONGEST_FIRST = (
    "tests/e2e/test_promotion.py",
    "control_plane",
    "tests/e2e/test_settings_reach_plan.py",
    "tests/e2e/test_module_tests.py",
    "tests/e2e/test_toolchain_roundtrip.py",
    "tests/e2e/test_saved_plan.py",
    "tests/e2e/test_scan.py",
    "tests/e2e/test_package.py",
)

_UNIT_OF_FILE = {path: unit for unit, (_, paths) in SHARED_SESSION_FIXTURES.items() for path in paths}


def unit_of(nodeid: str) -> str:
    """The unit of work a test belongs to: its file, or the unit its file shares a fixture in."""
    path = nodeid.split("::", 1)[0]
    return _UNIT_OF_FILE.get(path, path)


def longest_first(items: list[pytest.Item]) -> None:
    """Reorder `items` in place, unit by unit, longest unit first; each unit keeps its order."""
    rank = {unit: number for number, unit in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(unit_of(item.nodeid), len(rank)))


def check_shared_fixtures(items: list[pytest.Item]) -> None:
    """A file that uses a shared session fixture outside its unit would set up its own copy on
    another worker: refused, naming the file."""
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        for unit, (fixture, paths) in SHARED_SESSION_FIXTURES.items():
            if fixture in item.fixturenames and path not in paths:
                raise pytest.UsageError(
                    f"{path} uses the session fixture `{fixture}`: add it to the `{unit}` unit "
                    "in tests/workers.py (SHARED_SESSION_FIXTURES)"
                )


class SharedFixtureFileScheduling(LoadFileScheduling):
    """`--dist loadfile`, with the units of SHARED_SESSION_FIXTURES. The order of the units is
    the collection's (`--no-loadscope-reorder`), which `longest_first` sets."""

    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid)
