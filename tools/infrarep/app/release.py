"""Publish a release: the bundle of HEAD, to a file or to the control plane's config store
(where a new object version starts the promotion pipeline)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import lock_store, render
from ..errors import InfrarepError
from ..files import write_atomic
from ..release import BUNDLE_KEY, Bundle, build, conflicting_bundle, version_key
from ..runner import Runner, root_outputs
from .context import Progress, open_project, project_root


@dataclass(frozen=True)
class ReleaseOptions:
    config_path: Path
    version: str | None = None
    out: Path | None = None
    """Write the bundle here instead of uploading it."""


@dataclass(frozen=True)
class Published:
    bundle: Bundle
    location: str
    """The file, or the S3 URL of the uploaded bundle."""
    version_id: str | None
    """The uploaded object's version id."""


def release(options: ReleaseOptions, progress: Progress) -> Published:
    """Bundle HEAD (refusing uncommitted changes) and write or upload it."""
    bundle = build(project_root(options.config_path), options.version)
    if options.out is not None:
        write_atomic(options.out, bundle.data)
        return Published(bundle, str(options.out), None)
    runner = open_project(options.config_path, progress).runner()
    bucket, version_id = upload_release(runner, bundle)
    return Published(bundle, f"s3://{bucket}/{BUNDLE_KEY}", version_id)


def upload_release(runner: Runner, bundle: Bundle) -> tuple[str, str | None]:
    """Store the bundle in the control plane's config store (`store_release`). Returns the
    bucket and the version id of BUNDLE_KEY's new object version."""
    control = root_outputs(runner, runner.settings.control_region, render.CONTROL_PLANE_STATE_KEY)
    bucket = control.get("config_bucket", {}).get("value")
    if not bucket:
        raise InfrarepError(
            f"release: no config store yet ({render.CONTROL_PLANE_ROOT} has no outputs)",
            hint="deploy it first: make control-plane",
        )
    runner.progress(f"{'release':<10} upload  {bundle.version} -> s3://{bucket}/{BUNDLE_KEY}")
    return bucket, store_release(
        runner.clients(runner.settings.control_region, runner.settings.control_role_arn).s3, bucket, bundle
    )


def store_release(s3: Any, bucket: str, bundle: Bundle) -> str | None:
    """The bundle at its version's key (once: a version names one bundle), then at BUNDLE_KEY
    (a new object version starts the pipeline, whose rollbacks may then need the first).
    Returns the version id of BUNDLE_KEY's new object version."""
    stored = {
        "Bucket": bucket,
        "Body": bundle.data,
        "ContentType": "application/zip",
        "Metadata": {
            "version": bundle.version,
            "source-commit": bundle.source_commit,
            "sha256": bundle.sha256,
        },
    }
    key = version_key(bundle.version)
    try:
        s3.put_object(Key=key, IfNoneMatch="*", **stored)
    except Exception as err:  # botocore's errors: told apart by their code
        if lock_store.error_code(err) not in lock_store.CONDITION_FAILED:
            raise
        existing = s3.head_object(Bucket=bucket, Key=key).get("Metadata", {}).get("sha256")
        conflict = conflicting_bundle(bundle, existing)
        if conflict is not None:
            raise conflict from None
    return s3.put_object(Key=BUNDLE_KEY, **stored).get("VersionId")
