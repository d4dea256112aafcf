"""Who holds an environment from its plan to its apply, decided from plain data.

Terraform's state lock lasts one command: between `plan` and `apply` of the saved plan (and
while a promotion waits at its approval prompt) it is free, and a second run could plan and
apply the same env in between. So a deploy, a promotion step and a rollback first hold their
env: a lock object beside the env's terraform state, written only if it does not exist
(S3's `If-None-Match: *`), which a second run meets, on any machine, before it plans.

`lock_store` keeps the object in S3; here is what it holds and what a refusal says.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from .errors import InfrarepError

LOCK_SUFFIX = ".infrarep-lock"
ATTEMPTS = 3
"""Tries to take a lock that vanishes between the failed write and the read of its holder."""


class EnvLocked(InfrarepError):
    """Another run holds the env; this one planned and wrote nothing."""


class LockUnreadable(InfrarepError):
    """A lock object that infrarep did not write (or that is damaged): the env stays held."""


class WrongLock(InfrarepError):
    """`unlock --id` named a lock other than the one holding the env."""


def lock_key(state_key: str) -> str:
    """The lock object's key, beside the env's state: `dev/terraform.tfstate.infrarep-lock`."""
    return state_key + LOCK_SUFFIX


@dataclass(frozen=True)
class Holder:
    """The run holding an env: what `unlock --id` names, and who, where and since when."""

    id: str
    env: str
    actor: str
    host: str
    pid: int
    command: str
    since: datetime

    def to_json(self) -> bytes:
        document = {**asdict(self), "since": self.since.astimezone(UTC).isoformat()}
        return (json.dumps(document, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes, where: str) -> Holder:
        try:
            document = json.loads(data)
            holder = cls(
                id=str(document["id"]),
                env=str(document["env"]),
                actor=str(document["actor"]),
                host=str(document["host"]),
                pid=int(document["pid"]),
                command=str(document["command"]),
                since=datetime.fromisoformat(str(document["since"])),
            )
        except (ValueError, TypeError, KeyError) as err:
            raise LockUnreadable(
                f"{where}: not a lock infrarep wrote ({type(err).__name__}); the env stays held",
                hint=f"if no run holds the env, delete that object (e.g. `aws s3 rm {where}`)",
            ) from None
        if holder.since.tzinfo is None:
            raise LockUnreadable(f"{where}: `since` has no time zone; the env stays held")
        return holder

    def describe(self, now: datetime) -> str:
        """`alice on ci-7 (pid 4242, `infrarep deploy --env dev`) since 2026-12-02 07:12:03 UTC
        (5 min ago)`."""
        since = self.since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return (
            f"{self.actor} on {self.host} (pid {self.pid}, `{self.command}`) since {since} "
            f"({age(now - self.since)} ago)"
        )


def age(span: timedelta) -> str:
    """A lock's age in the largest two units: `40 s`, `5 min`, `2 h 3 min`, `3 d 4 h`."""
    seconds = max(0, int(span.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else f"{seconds} s"


def unlock_command(env: str, lock_id: str) -> str:
    return f"infrarep unlock --env {env} --id {lock_id}"


def refusal(env: str, holder: Holder, now: datetime) -> EnvLocked:
    return EnvLocked(
        f"{env}: held by {holder.describe(now)}; nothing was planned",
        hint=f"wait for that run to end; if it is gone, release its lock: {unlock_command(env, holder.id)}",
    )


class Store(Protocol):
    """Where lock objects live (`lock_store.S3LockStore` is the real one)."""

    def create(self, key: str, body: bytes) -> bool:
        """Write `body` at `key` only if nothing is there; False if something is."""

    def read(self, key: str) -> tuple[bytes, str] | None:
        """The object at `key` and its version tag (ETag); None if there is none."""

    def delete(self, key: str, tag: str) -> bool:
        """Delete `key` if it is still the version `tag`; False if it changed or is gone."""

    def where(self, key: str) -> str:
        """`s3://bucket/key`, for messages."""


def acquire(store: Store, key: str, holder: Holder, now: datetime) -> None:
    """Hold the env for `holder`, or raise `EnvLocked` naming the run that holds it."""
    for _ in range(ATTEMPTS):
        if store.create(key, holder.to_json()):
            return
        found = store.read(key)
        if found is not None:
            raise refusal(holder.env, Holder.from_json(found[0], store.where(key)), now)
    raise EnvLocked(f"{holder.env}: {store.where(key)} is taken and released over and over; try again")


@contextmanager
def held(store: Store, key: str, holder: Holder, now: datetime, say: Callable[[str], None]) -> Iterator[None]:
    """Hold the env for `holder` while the block runs; released however it ends (an error,
    Ctrl-C). A lock that cannot be released is said, with how to release it, not raised:
    the block's own outcome is what the run reports."""
    acquire(store, key, holder, now)
    try:
        yield
    finally:
        try:
            if not release(store, key, holder):
                say(f"{holder.env:<10} lock    {holder.id} was released by someone else")
        except InfrarepError as err:
            say(
                f"{holder.env:<10} lock    not released: {err.message}; "
                f"once reachable: {unlock_command(holder.env, holder.id)}"
            )


def release(store: Store, key: str, holder: Holder) -> bool:
    """Give the env up; False if the lock there is no longer `holder`'s (unlocked by hand)."""
    found = store.read(key)
    if found is None:
        return False
    data, tag = found
    try:
        current = Holder.from_json(data, store.where(key))
    except LockUnreadable:
        return False
    return current.id == holder.id and store.delete(key, tag)


def unlock(store: Store, key: str, env: str, lock_id: str, now: datetime) -> Holder | None:
    """Release the lock `lock_id` on `env` whoever holds it (its run died without releasing);
    the holder released, or None if the env was not held."""
    found = store.read(key)
    if found is None:
        return None
    data, tag = found
    holder = Holder.from_json(data, store.where(key))
    if holder.id != lock_id:
        raise WrongLock(
            f"{env}: the lock is {holder.id}, not {lock_id}: held by {holder.describe(now)}",
            hint=f"if that run is gone: {unlock_command(env, holder.id)}",
        )
    if not store.delete(key, tag):
        raise WrongLock(f"{env}: the lock {lock_id} changed while it was being released; nothing released")
    return holder
