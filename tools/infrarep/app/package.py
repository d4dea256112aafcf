"""Build the Lambda functions into deterministic zips."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import package as packaging
from ..errors import InfrarepError
from .context import Progress


@dataclass(frozen=True)
class PackageOptions:
    source: Path
    out: Path
    functions: Sequence[str] = ()
    """Only these functions; none: every function in `source`."""
    force: bool = False
    """Rebuild even if the inputs are unchanged."""


def package(options: PackageOptions, progress: Progress) -> list[packaging.Packaged]:
    """Build each function into a deterministic zip, skipped when its inputs are unchanged."""
    known = packaging.function_names(options.source)
    unknown = sorted(set(options.functions) - set(known))
    if unknown:
        raise InfrarepError(f"{options.source}: no function {unknown[0]!r} (known: {', '.join(known)})")
    built = []
    for name in options.functions or known:
        progress(f"package  {name}  building" if options.force else f"package  {name}")
        built.append(
            packaging.build(
                name, options.source / name, options.out, packaging.SHARED_FILES, force=options.force
            )
        )
    return built
