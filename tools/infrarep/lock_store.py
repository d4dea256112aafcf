"""Env locks as objects in a region's state bucket: a conditional put (`If-None-Match: *`)
creates one only where none exists, a conditional delete (`If-Match` on its ETag) removes
only the version that was read. The bucket exists before any env's first deploy
(`infrarep bootstrap`), so every run, on any machine, meets the same object."""

from __future__ import annotations

from typing import Any

from .errors import InfrarepError

CONDITION_FAILED = {"PreconditionFailed", "ConditionalRequestConflict"}
"""Codes S3 answers a conditional write (IfNoneMatch, IfMatch) with when the condition fails."""


class LockUnavailable(InfrarepError):
    """The state bucket holding env locks could not be reached or written."""


def error_code(err: Exception) -> str:
    """The AWS error code of a botocore error; "" for anything else."""
    response = getattr(err, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


class S3LockStore:
    """`env_lock.Store` in one S3 bucket, through a boto3 S3 client the caller built."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket

    def where(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def create(self, key: str, body: bytes) -> bool:
        try:
            self.s3.put_object(
                Bucket=self.bucket, Key=key, Body=body, IfNoneMatch="*", ContentType="application/json"
            )
        except Exception as err:  # botocore's errors: told apart by their code
            if error_code(err) in CONDITION_FAILED:
                return False
            raise self._unavailable(key, "cannot write", err) from err
        return True

    def read(self, key: str) -> tuple[bytes, str] | None:
        try:
            found = self.s3.get_object(Bucket=self.bucket, Key=key)
            data: bytes = found["Body"].read()
        except Exception as err:
            if error_code(err) in {"NoSuchKey", "404"}:
                return None
            raise self._unavailable(key, "cannot read", err) from err
        return data, str(found["ETag"])

    def delete(self, key: str, tag: str) -> bool:
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=key, IfMatch=tag)
        except Exception as err:
            if error_code(err) in {*CONDITION_FAILED, "NoSuchKey", "404"}:
                return False
            raise self._unavailable(key, "cannot delete", err) from err
        return True

    def _unavailable(self, key: str, what: str, err: Exception) -> LockUnavailable:
        if error_code(err) == "NoSuchBucket":
            return LockUnavailable(
                f"s3://{self.bucket}: no such state bucket, so no env lock",
                hint="create it: infrarep bootstrap",
            )
        return LockUnavailable(f"{self.where(key)}: {what} the env lock ({err})")
