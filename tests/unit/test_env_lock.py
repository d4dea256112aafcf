"""The env lock a deploy, a promotion step and a rollback hold from plan to apply: decisions
against an in-memory store, and the S3 store (moto in-process) with its conditional writes."""

from __future__ import annotations

import threading
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from infrarep import config, env_lock, lock_store
from infrarep.runner import Runner

from ..moto_world import create_bucket

REPO = Path(__file__).parents[2]

NOW = datetime(2026, 12, 2, 7, 12, 3, tzinfo=UTC)
KEY = "dev/terraform.tfstate.infrarep-lock"


def holder(id: str = "3f2a9c1b0d4e", actor: str = "alice", since: datetime = NOW) -> env_lock.Holder:
    return env_lock.Holder(
        id=id,
        env="dev",
        actor=actor,
        host="ci-7",
        pid=4242,
        command="infrarep deploy --env dev --version v2",
        since=since,
    )


@dataclass
class MemoryStore:
    """`env_lock.Store` in a dict; each write gets a new tag, as S3 gives a new ETag."""

    objects: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    writes: int = 0
    vanish_once: bool = False
    """The lock is released between a refused write and the read of its holder."""

    def create(self, key: str, body: bytes) -> bool:
        if key in self.objects:
            if self.vanish_once:
                self.vanish_once = False
                del self.objects[key]
            return False
        self.writes += 1
        self.objects[key] = (body, f'"etag-{self.writes}"')
        return True

    def read(self, key: str) -> tuple[bytes, str] | None:
        return self.objects.get(key)

    def delete(self, key: str, tag: str) -> bool:
        if key not in self.objects or self.objects[key][1] != tag:
            return False
        del self.objects[key]
        return True

    def where(self, key: str) -> str:
        return f"s3://infrarep-tfstate-us-east-1/{key}"


def test_a_second_run_is_refused_in_one_line_naming_the_holder_and_how_to_release_it():
    store = MemoryStore()
    env_lock.acquire(store, KEY, holder(), NOW)
    with pytest.raises(env_lock.EnvLocked) as refused:
        env_lock.acquire(
            store, KEY, holder("0000aaaa1111", actor="bob"), NOW + timedelta(minutes=5, seconds=9)
        )
    assert refused.value.message == (
        "dev: held by alice on ci-7 (pid 4242, `infrarep deploy --env dev --version v2`) "
        "since 2026-12-02 07:12:03 UTC (5 min ago); nothing was planned"
    )
    assert refused.value.hint == (
        "wait for that run to end; if it is gone, release its lock: "
        "infrarep unlock --env dev --id 3f2a9c1b0d4e"
    )
    assert "\n" not in refused.value.message
    assert env_lock.Holder.from_json(store.objects[KEY][0], "x") == holder()  # the first run still holds it


def test_the_env_is_free_again_once_released():
    store = MemoryStore()
    env_lock.acquire(store, KEY, holder(), NOW)
    assert env_lock.release(store, KEY, holder())
    env_lock.acquire(store, KEY, holder("0000aaaa1111", actor="bob"), NOW)
    assert env_lock.Holder.from_json(store.objects[KEY][0], "x").actor == "bob"


def test_a_run_releases_only_its_own_lock():
    store = MemoryStore()
    env_lock.acquire(store, KEY, holder(), NOW)
    assert env_lock.unlock(store, KEY, "dev", "3f2a9c1b0d4e", NOW) == holder()  # by hand: its run died
    env_lock.acquire(store, KEY, holder("0000aaaa1111", actor="bob"), NOW)
    assert not env_lock.release(store, KEY, holder())  # the first run, ending late, leaves bob's lock
    assert KEY in store.objects


def test_a_lock_released_between_the_refused_write_and_the_read_is_taken_on_the_next_try():
    store = MemoryStore()
    env_lock.acquire(store, KEY, holder(), NOW)
    store.vanish_once = True
    env_lock.acquire(store, KEY, holder("0000aaaa1111", actor="bob"), NOW)
    assert env_lock.Holder.from_json(store.objects[KEY][0], "x").actor == "bob"


@pytest.mark.parametrize("ending", [None, RuntimeError("terraform failed"), KeyboardInterrupt()])
def test_held_releases_on_success_failure_and_ctrl_c(ending):
    store = MemoryStore()
    said: list[str] = []
    expected = pytest.raises(type(ending)) if ending else nullcontext()
    with expected, env_lock.held(store, KEY, holder(), NOW, said.append):
        assert KEY in store.objects
        if ending:
            raise ending
    assert store.objects == {} and said == []


def test_held_says_when_its_lock_was_released_by_hand_meanwhile():
    store = MemoryStore()
    said: list[str] = []
    with env_lock.held(store, KEY, holder(), NOW, said.append):
        env_lock.unlock(store, KEY, "dev", "3f2a9c1b0d4e", NOW)
    assert said == ["dev        lock    3f2a9c1b0d4e was released by someone else"]


def test_a_refused_run_runs_nothing_inside_held():
    store = MemoryStore()
    env_lock.acquire(store, KEY, holder(), NOW)
    ran = []
    with pytest.raises(env_lock.EnvLocked), env_lock.held(store, KEY, holder("0000aaaa1111"), NOW, print):
        ran.append(True)
    assert ran == [] and env_lock.Holder.from_json(store.objects[KEY][0], "x") == holder()


def test_unlock_needs_the_id_of_the_lock_that_holds_the_env():
    store = MemoryStore()
    assert env_lock.unlock(store, KEY, "dev", "3f2a9c1b0d4e", NOW) is None  # not held
    env_lock.acquire(store, KEY, holder(), NOW)
    with pytest.raises(env_lock.WrongLock) as wrong:
        env_lock.unlock(store, KEY, "dev", "0000aaaa1111", NOW + timedelta(hours=2, minutes=3))
    assert wrong.value.message == (
        "dev: the lock is 3f2a9c1b0d4e, not 0000aaaa1111: held by alice on ci-7 (pid 4242, "
        "`infrarep deploy --env dev --version v2`) since 2026-12-02 07:12:03 UTC (2 h 3 min ago)"
    )
    assert wrong.value.hint == "if that run is gone: infrarep unlock --env dev --id 3f2a9c1b0d4e"
    assert KEY in store.objects


@pytest.mark.parametrize("body", [b"not json", b"{}", b'{"id": "x"}', b"[1]"])
def test_a_lock_object_infrarep_did_not_write_keeps_the_env_held_and_is_named(body):
    store = MemoryStore(objects={KEY: (body, '"etag-0"')})
    with pytest.raises(env_lock.LockUnreadable) as unreadable:
        env_lock.acquire(store, KEY, holder(), NOW)
    assert unreadable.value.message.startswith(
        f"s3://infrarep-tfstate-us-east-1/{KEY}: not a lock infrarep wrote"
    )
    assert "aws s3 rm" in (unreadable.value.hint or "")
    assert not env_lock.release(store, KEY, holder()) and KEY in store.objects


def test_the_holder_round_trips_through_its_json():
    assert env_lock.Holder.from_json(holder().to_json(), "x") == holder()


@pytest.mark.parametrize(
    ("span", "said"),
    [
        (timedelta(seconds=-3), "0 s"),
        (timedelta(seconds=40), "40 s"),
        (timedelta(minutes=5, seconds=59), "5 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(hours=2, minutes=3), "2 h 3 min"),
        (timedelta(days=3, hours=4, minutes=5), "3 d 4 h"),
    ],
)
def test_age_in_the_two_largest_units(span, said):
    assert env_lock.age(span) == said


def test_the_lock_sits_beside_the_env_state():
    assert env_lock.lock_key("dev/terraform.tfstate") == KEY


# --- the S3 store, moto in-process ---


@pytest.fixture
def s3(aws):
    import boto3

    client = boto3.client("s3", region_name="us-east-1")
    create_bucket(client, "infrarep-tfstate-us-east-1", "us-east-1", versioned=True)
    return client


def test_s3_writes_a_lock_only_where_none_is_and_deletes_only_the_version_it_read(s3):
    store = lock_store.S3LockStore(s3, "infrarep-tfstate-us-east-1")
    assert store.create(KEY, b"first")
    assert not store.create(KEY, b"second")
    found = store.read(KEY)
    assert found is not None and found[0] == b"first"
    assert not store.delete(KEY, '"0123456789abcdef0123456789abcdef"')
    assert store.delete(KEY, found[1])
    assert store.read(KEY) is None and not store.delete(KEY, found[1])
    assert store.create(KEY, b"third")  # free again, though the bucket keeps the old versions


def test_s3_without_the_state_bucket_says_to_bootstrap(s3):
    store = lock_store.S3LockStore(s3, "infrarep-tfstate-eu-west-1")
    with pytest.raises(lock_store.LockUnavailable) as missing:
        env_lock.acquire(store, KEY, holder(), NOW)
    assert missing.value.message == "s3://infrarep-tfstate-eu-west-1: no such state bucket, so no env lock"
    assert missing.value.hint == "create it: infrarep bootstrap"


# --- a run's hold (runner.Runner.hold) on moto in-process ---


def _runner_without_toolchain(lines: list[str]) -> Runner:
    """`Runner.hold` needs the settings, per-region clients and progress, not terraform."""
    runner = Runner.__new__(Runner)
    runner.settings = config.load(REPO / "envs" / "environments.yaml")
    runner.local = None
    runner.progress = lines.append
    runner._clients, runner._clients_lock, runner._held = {}, threading.Lock(), set()
    return runner


def test_a_promotion_step_holds_its_target_once_through_its_deploy(s3):
    lines: list[str] = []
    runner = _runner_without_toolchain(lines)
    dev = runner.settings.env("dev")
    with runner.hold(dev, "alice", lambda: NOW):
        with runner.hold(dev, "alice", lambda: NOW):  # the step's deploy, inside the step
            found = s3.get_object(Bucket="infrarep-tfstate-us-east-1", Key=KEY)["Body"].read()
            assert env_lock.Holder.from_json(found, "x").actor == "alice"
        assert s3.list_objects_v2(Bucket="infrarep-tfstate-us-east-1", Prefix=KEY)["KeyCount"] == 1
        other = _runner_without_toolchain(lines)  # another run
        with (
            pytest.raises(env_lock.EnvLocked, match=r"^dev: held by alice on "),
            other.hold(dev, "bob", lambda: NOW),
        ):
            pass
    assert s3.list_objects_v2(Bucket="infrarep-tfstate-us-east-1", Prefix=KEY)["KeyCount"] == 0
    assert lines == []
