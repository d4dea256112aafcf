"""Release bundles: the repository at one commit, zipped as the promotion pipeline's source.

A bundle is every file git tracks at HEAD plus RELEASE.json (version and source commit), in a
reproducible zip: the same commit and version give the same bytes. The pipeline's builds run
`make deploy` in the unpacked bundle, where there is no .git: deploy reads the version from
RELEASE.json (`recorded`).

Each bundle is stored twice in the control plane's config store: at BUNDLE_KEY, whose new
object versions start the promotion pipeline, and at its version's own key (`version_key`),
written once and never replaced, where a requested rollback's build finds that version's code
without looking anything up (modules/promotion_pipeline/rollback_build.tf).
"""

from __future__ import annotations

import hashlib
import io
import json
import posixpath
import tarfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError, InfrarepError
from .files import reproducible_zip
from .process import git
from .records import InvalidRecord, check_version

RELEASE_FILE = "RELEASE.json"
BUNDLE_KEY = "releases/source.zip"  # modules/promotion_pipeline's source_object_key
_IN_A_CHECKOUT = "a bundle is one git commit: run this in a git checkout of the project, with git installed"


def version_key(version: str) -> str:
    """`releases/<version>/source.zip`: the key the bundle of `version` keeps (BUNDLE_KEY with
    the version as one more folder; modules/promotion_pipeline derives the same)."""
    folder, name = posixpath.split(BUNDLE_KEY)
    return posixpath.join(folder, check_version(version), name)


def conflicting_bundle(bundle: Bundle, stored_sha256: str | None) -> InfrarepError | None:
    """Why the bundle cannot take its version's key, already holding a bundle with `stored_sha256`;
    None when that is this very bundle (the same commit released again under the same version)."""
    if stored_sha256 == bundle.sha256:
        return None
    return InfrarepError(
        f"release: version {bundle.version} was released before as another bundle "
        f"(sha256:{stored_sha256 or 'unknown'}, this one sha256:{bundle.sha256})",
        hint="a version names one bundle for good (rollbacks build from it): release under a new --version",
    )


@dataclass(frozen=True)
class Bundle:
    version: str
    source_commit: str
    data: bytes
    files: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def recorded(project: Path) -> tuple[str, str] | None:
    """(version, source commit) from the project's RELEASE.json; None outside a bundle."""
    path = project / RELEASE_FILE
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise ConfigError(f"{path}: not a release file ({err})") from None
    release = document if isinstance(document, dict) else {}
    version, commit = release.get("version"), release.get("source_commit")
    if not (isinstance(version, str) and version and isinstance(commit, str) and commit):
        raise ConfigError(f"{path}: expected an object with non-empty strings version and source_commit")
    return version, commit


def checked_version(version: str | None) -> str | None:
    """A --version as given, if it can label a release (it becomes part of S3 keys and tags)."""
    if version is not None:
        try:
            check_version(version, "--version")
        except InvalidRecord as err:
            raise ConfigError(str(err)) from None
    return version


def build(project: Path, version: str | None) -> Bundle:
    """The bundle of HEAD; refuses a work tree whose tracked files differ from HEAD."""
    version = checked_version(version)
    commit = git(project, "rev-parse", "--short=12", "HEAD", hint=_IN_A_CHECKOUT).decode().strip()
    if git(project, "status", "--porcelain", "--untracked-files=no"):
        raise InfrarepError(
            f"release: {project} has uncommitted changes to tracked files; a bundle is commit {commit}",
            hint="commit (or stash) them first: the bundle and its version must name one commit",
        )
    with tarfile.open(fileobj=io.BytesIO(git(project, "archive", "--format=tar", "HEAD"))) as archive:
        entries = [
            (member.name, archive.extractfile(member).read(), _mode(member.mode))  # type: ignore[union-attr]
            for member in archive.getmembers()
            if member.isfile()
        ]
    release = {"version": version or commit, "source_commit": commit}
    entries.append((RELEASE_FILE, (json.dumps(release, sort_keys=True) + "\n").encode(), 0o644))
    return Bundle(release["version"], commit, reproducible_zip(entries), len(entries))


def _mode(archived: int) -> int:
    """git records only "executable or not"; its archive applies the user's umask to that."""
    return 0o755 if archived & 0o111 else 0o644
