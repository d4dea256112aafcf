"""environments.yaml -> the files `infrarep render` owns in each root (envs/<env>/,
terraform/bootstrap, terraform/control_plane).

Two kinds: the committed files (tfvars, backend config) are the same whatever the target,
so switching `target` changes no tracked file; the generated files are what the local target
adds (provider override, its endpoint variable, force_destroy, backend options), written
where git ignores them, and absent on `target: aws`.

Text is produced by pure functions (jinja2 templates, values escaped for HCL); `sync` and
`sync_generated` are the places that write, atomically, and only after everything rendered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2

from . import records
from .config import EnvSettings, Settings, Target
from .errors import InfrarepError
from .files import write_all_atomic
from .local_target import ENDPOINT_SERVICES

TFVARS_FILE = "terraform.auto.tfvars"
BACKEND_FILE = "backend.hcl"
COMMITTED_FILES = (TFVARS_FILE, BACKEND_FILE)
# Generated for the local target (.gitignore lists them); absent on real AWS.
LOCAL_OVERRIDE_FILE = "local_override.tf"
LOCAL_VARIABLE_FILE = "local_aws.tf"
LOCAL_TFVARS_FILE = "local_aws.auto.tfvars"
LOCAL_BACKEND_FILE = "local_backend.hcl"
GENERATED_FILES = (LOCAL_OVERRIDE_FILE, LOCAL_VARIABLE_FILE, LOCAL_TFVARS_FILE, LOCAL_BACKEND_FILE)
BOOTSTRAP_ROOT = Path("terraform/bootstrap")
CONTROL_PLANE_ROOT = Path("terraform/control_plane")
CONTROL_PLANE_STATE_KEY = "control-plane/terraform.tfstate"


def hcl(value: object) -> str:
    """A Python value as an HCL literal that can never inject configuration.

    Strings are JSON-escaped (quotes, backslashes, control characters), then HCL's own
    template sequences `${` and `%{` are doubled so they render literally.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")
    if value is None:
        return "null"
    if isinstance(value, Sequence):
        return "[" + ", ".join(hcl(item) for item in value) + "]"
    if isinstance(value, dict):
        pairs = ", ".join(f"{hcl(str(key))} = {hcl(item)}" for key, item in value.items())
        return "{ " + pairs + " }" if pairs else "{}"
    raise TypeError(f"cannot render {type(value).__name__} as HCL")


def hcl_body(attributes: Mapping[str, object], indent: str = "") -> str:
    """Attributes one per line, laid out exactly as `terraform fmt` does: `=` aligned within
    each run of one-line attributes, a non-empty object value spread over lines."""
    lines: list[str] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        width = max((len(name) for name, _ in run), default=0)
        lines.extend(f"{indent}{name.ljust(width)} = {text}" for name, text in run)
        run.clear()

    for name, value in attributes.items():
        if isinstance(value, dict) and value:
            flush()
            body = hcl_body({hcl(str(key)): item for key, item in value.items()}, indent + "  ")
            lines.append(f"{indent}{name} = {{\n{body}\n{indent}}}")
        else:
            run.append((name, hcl(value)))
    flush()
    return "\n".join(lines)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("infrarep", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - HCL, not HTML; values pass through the `hcl` filter
    )
    env.filters["hcl"] = hcl
    env.filters["hcl_body"] = hcl_body
    return env


def render_template(name: str, **values: object) -> str:
    return _environment().get_template(name).render(**values)


def local_override(aliases: Sequence[str], services: Sequence[str], max_retries: int = 5) -> str:
    """Provider override for the local target; one block per provider configuration ("" = default)."""
    return render_template(
        "local_override.tf.j2",
        aliases=list(aliases),
        services=list(services),
        max_retries=max_retries,
    )


def backend_config(bucket: str, key: str, region: str) -> str:
    return render_template(BACKEND_FILE + ".j2", bucket=bucket, key=key, region=region)


def backend_files(root: Path, target: Target) -> list[Path]:
    """The `-backend-config` files of a root with an S3 backend: its committed backend.hcl,
    then on the local target the generated options that reach the local AWS."""
    return [root / BACKEND_FILE, *([root / LOCAL_BACKEND_FILE] if target is Target.LOCAL else [])]


def state_bucket(settings: Settings, region: str) -> str:
    return f"{settings.state.bucket_prefix}-{region}"


def env_variables(settings: Settings, env: EnvSettings) -> dict[str, object]:
    """The env root's input variables: exactly the declared per-env variations."""
    order = list(settings.promotion.order)
    position = order.index(env.name)
    return {
        "system": settings.system,
        "cost_center": settings.cost_center,
        "env": env.name,
        "region": env.region,
        "promotion_source_env": order[position - 1] if position > 0 else None,
        "vpc_cidr": env.vpc_cidr,
        "az_count": env.az_count,
        "deletion_protection": env.deletion_protection,
        "alert_emails": list(env.alert_emails),
        "payments": env.payments.model_dump(mode="json"),
        "allowed_origins": list(env.allowed_origins),
        "state_bucket": state_bucket(settings, env.region),
        "control_region": settings.control_region,
        **account_variables(env.account_id, env.role_arn),
        **({"control_account_id": settings.control_account_id} if settings.control_account_id else {}),
    }


def account_variables(account_id: str | None, role_arn: str | None) -> dict[str, object]:
    """A root's account and the deployer role its provider assumes, where environments.yaml
    sets them: left out otherwise, so a project in one account renders as it always did (the
    roots' variables default to null)."""
    given = {"account_id": account_id, "deployer_role_arn": role_arn}
    return {name: value for name, value in given.items() if value is not None}


def env_files(settings: Settings, env: EnvSettings) -> dict[str, str]:
    """The committed files of envs/<env>/, the same on every target."""
    return {
        TFVARS_FILE: render_template(TFVARS_FILE + ".j2", variables=env_variables(settings, env)),
        BACKEND_FILE: backend_config(
            state_bucket(settings, env.region), records.state_key(env.name), env.region
        ),
    }


def local_files(aliases: Sequence[str]) -> dict[str, str]:
    """The local target's provider override (one block per alias, "" = default) and the
    endpoint variable it reads: what any root needs to reach the local AWS."""
    return {
        LOCAL_VARIABLE_FILE: render_template(LOCAL_VARIABLE_FILE + ".j2"),
        LOCAL_OVERRIDE_FILE: local_override(aliases, ENDPOINT_SERVICES),
    }


def generated_files(target: Target, backend: bool) -> dict[str, str | None]:
    """What the target adds to one root: on `local`, the provider override and its variable,
    force_destroy (throwaway stacks are destroyed with their objects) and, for a root with an
    S3 backend, the backend options; on `aws`, nothing (None: must not exist)."""
    names = [name for name in GENERATED_FILES if backend or name != LOCAL_BACKEND_FILE]
    if target is not Target.LOCAL:
        return dict.fromkeys(names, None)
    texts: dict[str, str] = {
        **local_files([""]),
        LOCAL_TFVARS_FILE: render_template(LOCAL_TFVARS_FILE + ".j2"),
        LOCAL_BACKEND_FILE: render_template(LOCAL_BACKEND_FILE + ".j2"),
    }
    return {name: texts[name] for name in names}


@dataclass(frozen=True)
class FileChange:
    path: str
    action: str  # "write" | "delete"


def plan_changes(wanted: Mapping[str, str | None], current: Mapping[str, str | None]) -> list[FileChange]:
    """What must change so that `current` (path -> text, None if absent) becomes `wanted`."""
    changes = []
    for path, text in sorted(wanted.items()):
        if text is None and current.get(path) is not None:
            changes.append(FileChange(path, "delete"))
        elif text is not None and current.get(path) != text:
            changes.append(FileChange(path, "write"))
    return changes


def bootstrap_variables(settings: Settings) -> dict[str, object]:
    regions = list(dict.fromkeys([settings.control_region, *(env.region for env in settings.ordered())]))
    return {
        "system": settings.system,
        "cost_center": settings.cost_center,
        "control_region": settings.control_region,
        "bucket_prefix": settings.state.bucket_prefix,
        "regions": regions,
    }


def bootstrap_files(settings: Settings) -> dict[str, str]:
    """The bootstrap root's committed files (its state is local: no backend config)."""
    return {TFVARS_FILE: render_template(TFVARS_FILE + ".j2", variables=bootstrap_variables(settings))}


def control_plane_variables(settings: Settings) -> dict[str, object]:
    """The control plane's inputs: the envs in promotion order, the soak before the last and the
    schedule of the drift checks (null: none)."""
    return {
        "system": settings.system,
        "cost_center": settings.cost_center,
        "region": settings.control_region,
        "environments": [
            {
                "name": env.name,
                "region": env.region,
                "approval_required": env.approval_required,
                **account_variables(env.account_id, env.role_arn),
            }
            for env in settings.ordered()
        ],
        "soak_seconds": settings.promotion.soak_minutes * 60,
        **account_variables(settings.control_account_id, settings.control_role_arn),
        "drift_schedule": settings.drift.schedule,
    }


def control_plane_files(settings: Settings) -> dict[str, str]:
    """The control plane root's committed files."""
    return {
        TFVARS_FILE: render_template(TFVARS_FILE + ".j2", variables=control_plane_variables(settings)),
        BACKEND_FILE: backend_config(
            state_bucket(settings, settings.control_region), CONTROL_PLANE_STATE_KEY, settings.control_region
        ),
    }


def committed_files(settings: Settings, envs: Sequence[EnvSettings], project: Path) -> dict[Path, str]:
    """Every committed file render owns for the selected envs and the bootstrap and control
    plane roots: the same text whatever the target."""
    committed: dict[Path, str] = {}
    for env in envs:
        for name, text in env_files(settings, env).items():
            committed[project / "envs" / env.name / name] = text
    for name, text in bootstrap_files(settings).items():
        committed[project / BOOTSTRAP_ROOT / name] = text
    for name, text in control_plane_files(settings).items():
        committed[project / CONTROL_PLANE_ROOT / name] = text
    return committed


def target_files(settings: Settings, envs: Sequence[EnvSettings], project: Path) -> dict[Path, str | None]:
    """The generated files of the same roots for the configured target: text, or None where
    a file must not exist."""
    roots = [(project / "envs" / env.name, True) for env in envs]
    roots += [(project / BOOTSTRAP_ROOT, False), (project / CONTROL_PLANE_ROOT, True)]
    return {
        root / name: text
        for root, backend in roots
        for name, text in generated_files(settings.target, backend).items()
    }


def sync(settings: Settings, envs: Sequence[EnvSettings], project: Path, write: bool) -> list[FileChange]:
    """Bring the committed and generated files in line with the settings. With write=False
    only report, and only the committed files: the generated ones are every terraform
    command's own business (`sync_generated`)."""
    if not write:
        return _changes(committed_files(settings, envs, project))
    return _apply({**committed_files(settings, envs, project), **target_files(settings, envs, project)})


def sync_generated(settings: Settings, envs: Sequence[EnvSettings], project: Path) -> list[FileChange]:
    """Write the target's generated files (delete them on real AWS) where they differ: cheap
    and idempotent, so every command that runs terraform calls it first."""
    return _apply(target_files(settings, envs, project))


def _changes(wanted: Mapping[Path, str | None]) -> list[FileChange]:
    current = {str(path): _read(path) for path in wanted}
    return plan_changes({str(path): text for path, text in wanted.items()}, current)


def _apply(wanted: Mapping[Path, str | None]) -> list[FileChange]:
    changes = _changes(wanted)
    write_all_atomic(
        {
            Path(change.path): None if change.action == "delete" else wanted[Path(change.path)]
            for change in changes
        }
    )
    return changes


def _read(path: Path) -> str | None:
    try:
        # Bytes that are not UTF-8 become lone surrogates: never equal to rendered text, so stale.
        return path.read_bytes().decode("utf-8", errors="surrogateescape")
    except FileNotFoundError:
        return None
    except OSError as err:
        raise InfrarepError(f"{path}: cannot read ({err.strerror})") from None
