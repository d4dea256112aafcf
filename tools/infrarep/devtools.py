"""Run a pinned Go tool the project's own checks use, built once into the cache:
`python -m infrarep.devtools actionlint .github/workflows/*.yml`.

Not part of the `infrarep` command: users of infrarep need none of these tools."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import InfrarepError
from .pins import ACTIONLINT, GoToolPin
from .toolchain import CachePaths, built_tool_path, go_build

TOOLS = {pin.binary: pin for pin in (ACTIONLINT,)}


def tool(name: str, paths: CachePaths) -> Path:
    """The tool's binary, built from the Go module proxy the first time."""
    pin: GoToolPin | None = TOOLS.get(name)
    if pin is None:
        raise InfrarepError(f"{name}: not a dev tool (known: {', '.join(sorted(TOOLS))})")
    path = built_tool_path(paths, pin)
    if not path.exists():
        print(f"{name}: building {pin.go_module}@{pin.go_version} (once)", file=sys.stderr)
        go_build(pin, path, paths, lambda line: print(line, file=sys.stderr), ldflags="-s -w")
    return path


def main(argv: Sequence[str]) -> None:
    if not argv:
        sys.exit(f"usage: python -m infrarep.devtools TOOL [ARGS...]; tools: {', '.join(sorted(TOOLS))}")
    try:
        binary = tool(argv[0], CachePaths.from_env(os.environ))
    except InfrarepError as err:
        sys.exit(f"error: {err}")
    sys.exit(subprocess.call([str(binary), *argv[1:]]))  # its output and exit code, as they are


if __name__ == "__main__":
    main(sys.argv[1:])
