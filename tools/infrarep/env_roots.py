"""The env roots are thin and identical: envs/<env>/ holds the same hand-written Terraform as
the first env's root, plus the files `infrarep render` writes. A root that lacks them would
plan nothing (terraform takes a folder without a backend block or a module call as an empty
configuration with local state), so a new env's root is checked before terraform runs."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from .errors import ConfigError

TERRAFORM_SUFFIXES = (".tf", ".tf.json")


def hand_written(names: Collection[str], rendered: Collection[str]) -> list[str]:
    """The Terraform files of a root that render does not write, sorted."""
    return sorted(name for name in names if name.endswith(TERRAFORM_SUFFIXES) and name not in rendered)


def check_root(
    env: str, files: Mapping[str, bytes], reference_env: str, reference: Mapping[str, bytes]
) -> None:
    """Refuse `env`'s root unless its hand-written files (name: content) are exactly the reference
    root's: missing, extra and different files are named, with what would fix them."""
    root, source = f"envs/{env}", f"envs/{reference_env}"
    missing = [name for name in reference if name not in files]
    if missing:
        raise ConfigError(
            f"{root}: missing {', '.join(missing)}: every env root holds the hand-written files of {source}",
            hint=f"copy them: cp {' '.join(f'{source}/{name}' for name in missing)} {root}/",
        )
    extra = [name for name in files if name not in reference]
    different = [name for name in reference if files[name] != reference[name]]
    if extra or different:
        named = ", ".join(f"{root}/{name}" for name in sorted([*extra, *different]))
        raise ConfigError(
            f"{named}: not as in {source}: env roots are identical outside the files render writes",
            hint="a difference between envs belongs in envs/environments.yaml",
        )
