"""Terraform and the AWS provider on a machine that may not reach the Terraform registry.

`setup()` finds terraform (or tofu) >= 1.9, makes the hashicorp/aws provider available
(registry, a mirror the user provides, or a build from the Go module proxy into a
filesystem mirror in the cache), writes a terraform CLI config for it, and records the
result in `toolchain.json` so that every later command starts in milliseconds.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from . import process, terraform
from .errors import ToolchainError
from .files import write_atomic
from .pins import AWS_PROVIDER, MIN_TERRAFORM, OPENTOFU, GoToolPin, ProviderPin

Progress = Callable[[str], None]

REGISTRY_PROBE_URL = "https://registry.terraform.io/.well-known/terraform.json"
TERRAFORM_SETTING = "INFRAREP_TERRAFORM"
CACHE_SETTING = "INFRAREP_CACHE_DIR"
OFFLINE_SETTING = "INFRAREP_OFFLINE"


@dataclass(frozen=True)
class CachePaths:
    """Everything setup keeps outside the repo, under one root (default ~/.cache/infrarep)."""

    root: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> CachePaths:
        if environ.get(CACHE_SETTING):
            return cls(Path(environ[CACHE_SETTING]).expanduser().resolve())
        base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return cls(Path(base) / "infrarep")

    @property
    def mirror(self) -> Path:
        return self.root / "providers"

    @property
    def builds(self) -> Path:
        return self.root / "build"

    @property
    def tools(self) -> Path:
        return self.root / "bin"

    @property
    def cli_config(self) -> Path:
        return self.root / "terraformrc"

    @property
    def record(self) -> Path:
        return self.root / "toolchain.json"


@dataclass(frozen=True)
class BuildStats:
    seconds: float
    peak_rss_mib: int
    size_mib: int


@dataclass(frozen=True)
class Toolchain:
    """What setup found or built; read back by every command that runs terraform."""

    terraform: str
    flavour: str
    terraform_version: str
    provider_mode: str  # "registry" | "mirror"
    mirror: str | None
    provider_h1: str | None
    cli_config: str
    provider_build: BuildStats | None = None

    def terraform_env(self) -> dict[str, str]:
        return {"TF_CLI_CONFIG_FILE": self.cli_config}

    def binary(self) -> terraform.TerraformBinary:
        major, minor, patch = (int(part) for part in self.terraform_version.split("."))
        return terraform.TerraformBinary(Path(self.terraform), self.flavour, (major, minor, patch))


def go_platform() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{platform.system().lower()}_{arch}"


def provider_binary_path(mirror: Path, pin: ProviderPin, target_platform: str) -> Path:
    """Where terraform's unpacked filesystem-mirror layout expects the provider binary."""
    return mirror / pin.source / pin.version / target_platform / pin.binary_name


def package_hash_h1(package_dir: Path) -> str:
    """Terraform's `h1:` hash of an unpacked provider package (Go's dirhash Hash1)."""
    summary = hashlib.sha256()
    for path in sorted(p for p in package_dir.rglob("*") if p.is_file()):
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        summary.update(f"{digest.hexdigest()}  {path.relative_to(package_dir).as_posix()}\n".encode())
    return "h1:" + base64.b64encode(summary.digest()).decode()


def cli_config_text(mirror: Path | None, pin: ProviderPin) -> str:
    """A terraform CLI config: the provider from the mirror, anything else from the registry."""
    if mirror is None:
        return "# infrarep: providers come from the Terraform registry.\n"
    return (
        "# Written by `infrarep setup`: the AWS provider comes from a filesystem mirror.\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {json.dumps(str(mirror))}\n"
        f"    include = [{json.dumps(pin.source)}]\n"
        "  }\n"
        "  direct {\n"
        f"    exclude = [{json.dumps(pin.source)}]\n"
        "  }\n"
        "}\n"
    )


def registry_reachable(timeout: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(REGISTRY_PROBE_URL, timeout=timeout) as answer:
            return answer.status == 200
    except (urllib.error.URLError, TimeoutError, OSError):
        return False


def load(paths: CachePaths) -> Toolchain:
    """The toolchain recorded by the last successful setup."""
    try:
        data = json.loads(paths.record.read_text())
    except FileNotFoundError:
        raise ToolchainError(
            f"{paths.record}: no toolchain recorded", hint="run `make setup` (or `infrarep setup`)"
        ) from None
    except ValueError as err:
        raise ToolchainError(f"{paths.record}: unreadable ({err})", hint="run `make setup`") from err
    build = data.pop("provider_build", None)
    toolchain = Toolchain(**data, provider_build=BuildStats(**build) if build else None)
    if not Path(toolchain.terraform).exists():
        raise ToolchainError(
            f"{paths.record}: terraform {toolchain.terraform} no longer exists",
            hint="run `make setup`",
        )
    return toolchain


# --- terraform ------------------------------------------------------------------------------


def resolve_terraform(
    environ: Mapping[str, str], paths: CachePaths, progress: Progress
) -> terraform.TerraformBinary:
    """INFRAREP_TERRAFORM (a path or a command: terraform or tofu), else the first >= 1.9 found."""
    setting = environ.get(TERRAFORM_SETTING)
    if setting:
        found = shutil.which(setting, path=environ.get("PATH"))
        if found is None:
            raise ToolchainError(f"{TERRAFORM_SETTING}={setting}: no such executable")
        binary = terraform.binary_version(Path(found))
        _require_min_version(binary, f"{TERRAFORM_SETTING}={setting}")
        return binary
    candidates = [shutil.which(name, path=environ.get("PATH")) for name in ("terraform", "tofu")]
    candidates.append(str(built_tool_path(paths, OPENTOFU)))
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            binary = terraform.binary_version(Path(candidate))
            if binary.version >= MIN_TERRAFORM:
                return binary
            progress(f"terraform: {candidate} is {binary.version_text}, older than 1.9; skipped")
    progress(f"terraform: none >= 1.9 on PATH; building OpenTofu {OPENTOFU.go_version} (a few minutes)")
    built = go_build(OPENTOFU, built_tool_path(paths, OPENTOFU), paths, progress, ldflags="-s -w")
    return terraform.binary_version(built[0])


def _require_min_version(binary: terraform.TerraformBinary, where: str) -> None:
    if binary.version < MIN_TERRAFORM:
        raise ToolchainError(f"{where}: version {binary.version_text} is older than 1.9")


def built_tool_path(paths: CachePaths, pin: GoToolPin) -> Path:
    return paths.tools / f"{pin.binary}-{pin.go_version}" / pin.binary


# --- the provider -----------------------------------------------------------------------------


def resolve_provider(
    environ: Mapping[str, str],
    paths: CachePaths,
    progress: Progress,
    provider_mirror: Path | None = None,
    pin: ProviderPin = AWS_PROVIDER,
) -> tuple[Path | None, str | None, BuildStats | None]:
    """Returns (mirror dir or None for the registry, h1 hash of the mirrored package, build stats)."""
    target = go_platform()
    if provider_mirror is not None:
        binary = provider_binary_path(provider_mirror, pin, target)
        if not binary.is_file():
            raise ToolchainError(
                f"--provider-mirror {provider_mirror}: missing {binary.relative_to(provider_mirror)}"
            )
        progress(f"provider: using the mirror at {provider_mirror}")
        return provider_mirror, package_hash_h1(binary.parent), None

    binary = provider_binary_path(paths.mirror, pin, target)
    if binary.is_file():
        progress(f"provider: hashicorp/aws {pin.version} found in the mirror {paths.mirror}")
        return paths.mirror, _cached_h1(binary), None

    if environ.get(OFFLINE_SETTING) != "1" and registry_reachable():
        progress("provider: the Terraform registry answers; `terraform init` downloads hashicorp/aws")
        return None, None, None

    if shutil.which("go", path=environ.get("PATH")) is None:
        raise ToolchainError(
            "provider hashicorp/aws: the Terraform registry is unreachable and `go` is not on PATH,"
            " so the provider cannot be built",
            hint=(
                "install Go, or pass --provider-mirror DIR where DIR holds "
                f"{provider_binary_path(Path('DIR'), pin, target).relative_to('DIR')}"
            ),
        )
    progress(
        f"provider: the Terraform registry is unreachable; building hashicorp/aws {pin.version} "
        f"({pin.go_module}@{pin.go_version}) from the Go module proxy."
    )
    progress(
        "provider: this is long the first time (measured: about 40 min and 9 GiB of memory on "
        "2 cores); later runs reuse it"
    )
    _, stats = go_build(
        GoToolPin(pin.go_module, pin.go_version, ".", pin.binary_name),
        binary,
        paths,
        progress,
        ldflags=f"-s -w -X {pin.go_module}/version.ProviderVersion={pin.version}",
    )
    return paths.mirror, _cached_h1(binary), stats


def _cached_h1(binary: Path) -> str:
    """h1 of the package holding `binary`, memoised beside it by size and mtime."""
    stat = binary.stat()
    memo = binary.parent.parent / f".{binary.parent.name}.h1.json"
    key = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    try:
        saved = json.loads(memo.read_text())
        if saved["key"] == key:
            return saved["h1"]
    except (FileNotFoundError, ValueError, KeyError):
        pass
    h1 = package_hash_h1(binary.parent)
    write_atomic(memo, json.dumps({"key": key, "h1": h1}))
    return h1


def go_build(
    pin: GoToolPin, destination: Path, paths: CachePaths, progress: Progress, ldflags: str
) -> tuple[Path, BuildStats]:
    """Download a module, build it in a scratch copy, move the binary into place atomically.

    An interrupted build leaves only a scratch directory, removed by the next run; the
    destination never holds a half-written binary.
    """
    started = time.monotonic()
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false"}
    remove_stale_scratch(paths, progress)

    progress(f"build: downloading {pin.go_module}@{pin.go_version}")
    module = f"{pin.go_module}@{pin.go_version}"
    fetched = process.run(["go", "mod", "download", "-json", module], paths.builds, env)
    module_dir = Path(json.loads(fetched)["Dir"])

    scratch = Path(tempfile.mkdtemp(prefix=f"{pin.binary}-", dir=paths.builds))
    try:
        source = scratch / "src"
        shutil.copytree(module_dir, source)
        for path in [source, *source.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
        _download_with_progress(env, source, started, progress)
        total = len(process.run(["go", "list", "-deps", pin.package], source, env).splitlines())
        progress(f"build: compiling {total} packages (go build -trimpath)")
        output = scratch / pin.binary
        _go_build_with_progress(
            [
                "go",
                "build",
                "-v",
                "-trimpath",
                f"-ldflags={ldflags}",
                "-o",
                str(output),
                pin.package,
            ],
            env,
            source,
            total,
            started,
            progress,
        )
        destination.parent.mkdir(parents=True, exist_ok=True)
        output.replace(destination)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    stats = BuildStats(
        seconds=round(time.monotonic() - started, 1),
        peak_rss_mib=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
        size_mib=destination.stat().st_size // (1 << 20),
    )
    progress(
        f"build: {destination.name} ready in {stats.seconds:.0f}s, peak RSS {stats.peak_rss_mib} MiB, "
        f"{stats.size_mib} MiB"
    )
    return destination, stats


def remove_stale_scratch(paths: CachePaths, progress: Progress) -> None:
    """Scratch dirs left by an interrupted build: never reused, always rebuilt from scratch
    (Go's own build cache keeps that fast)."""
    paths.builds.mkdir(parents=True, exist_ok=True)
    for stale in paths.builds.iterdir():
        progress(f"build: removing an interrupted build's scratch dir {stale.name}")
        shutil.rmtree(stale, ignore_errors=True)


def _download_with_progress(env: Mapping[str, str], cwd: Path, started: float, progress: Progress) -> None:
    """`go mod download -json` prints one object per module as it lands: count them."""
    progress("build: downloading dependencies from the Go module proxy")
    process = subprocess.Popen(
        ["go", "mod", "download", "-json"], cwd=cwd, env=dict(env), stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    fetched, last_report, failures = 0, time.monotonic(), []
    for line in process.stdout:
        if line.startswith('\t"Path"'):
            fetched += 1
        elif line.startswith('\t"Error"'):
            failures.append(line.strip())
        if time.monotonic() - last_report >= 30:
            last_report = time.monotonic()
            progress(f"build: {fetched} modules downloaded, {time.monotonic() - started:.0f}s elapsed")
    if process.wait() != 0 or failures:
        raise ToolchainError(
            f"`go mod download` failed in {cwd}: {' | '.join(failures[-3:]) or 'see go output'}"
        )
    progress(f"build: {fetched} modules downloaded")


def _go_build_with_progress(
    argv: list[str],
    env: Mapping[str, str],
    cwd: Path,
    total: int,
    started: float,
    progress: Progress,
) -> None:
    """`go build -v` names each package it compiles on stderr: count them for progress."""
    process = subprocess.Popen(argv, cwd=cwd, env=dict(env), stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    compiled, last_report, errors = 0, time.monotonic(), []
    for line in process.stderr:
        if line.startswith(("#", " ", "\t")) or ":" in line:
            errors.append(line.rstrip())
            continue
        compiled += 1
        if time.monotonic() - last_report >= 30:
            last_report = time.monotonic()
            share = min(99, 100 * compiled // max(total, 1))
            progress(
                f"build: {compiled}/{total} packages compiled (~{share}%), "
                f"{time.monotonic() - started:.0f}s elapsed"
            )
    if process.wait() != 0:
        raise ToolchainError(f"`go build` failed in {cwd}: {' | '.join(errors[-5:]) or 'no output'}")


# --- setup ----------------------------------------------------------------------------------------


def setup(
    environ: Mapping[str, str],
    progress: Progress,
    provider_mirror: Path | None = None,
) -> Toolchain:
    """Idempotent: a second run with the cache present takes seconds."""
    paths = CachePaths.from_env(environ)
    progress(f"cache: {paths.root}")
    binary = resolve_terraform(environ, paths, progress)
    progress(f"terraform: {binary.path} ({binary.flavour} {binary.version_text})")
    mirror, h1, stats = resolve_provider(environ, paths, progress, provider_mirror)
    write_atomic(paths.cli_config, cli_config_text(mirror, AWS_PROVIDER))
    previous_build = _previous_build_stats(paths)
    toolchain = Toolchain(
        terraform=str(binary.path),
        flavour=binary.flavour,
        terraform_version=binary.version_text,
        provider_mode="registry" if mirror is None else "mirror",
        mirror=str(mirror) if mirror else None,
        provider_h1=h1,
        cli_config=str(paths.cli_config),
        provider_build=stats or previous_build,
    )
    write_atomic(paths.record, json.dumps(asdict(toolchain), indent=2) + "\n")
    progress(f"cli config: {paths.cli_config} (export TF_CLI_CONFIG_FILE to use it by hand)")
    for lock in unpinned_lock_files(Path.cwd(), h1):
        progress(
            f"warning: {lock} does not pin this provider build ({h1}); terraform init will refuse it. "
            "Different Go toolchain? Run `terraform providers lock -fs-mirror=<mirror> -platform=<os_arch>` "
            "there and commit the result"
        )
    return toolchain


def unpinned_lock_files(project: Path, h1: str | None) -> list[Path]:
    """Committed lock files that do not list the mirrored provider's hash."""
    if h1 is None:
        return []
    locks = sorted(
        [*project.glob("envs/*/.terraform.lock.hcl"), *project.glob("terraform/*/.terraform.lock.hcl")]
    )
    return [lock for lock in locks if h1 not in lock.read_text()]


def _previous_build_stats(paths: CachePaths) -> BuildStats | None:
    try:
        return load(paths).provider_build
    except ToolchainError:
        return None
