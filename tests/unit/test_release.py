"""Release bundles: HEAD plus RELEASE.json, reproducible, refused for a dirty tree; read back by deploy."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from infrarep import cli, records, release, runner
from infrarep.app.release import store_release
from infrarep.errors import ConfigError, InfrarepError

from ..moto_world import create_bucket


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "envs").mkdir(parents=True)
    (root / "modules").mkdir()  # a project: envs/ beside modules/ (empty: git keeps no folder)
    (root / "envs" / "environments.yaml").write_text("system: demo\n")
    (root / "Makefile").write_text("deploy:\n\t@echo deploy\n")
    script = root / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    _git(root, "init", "--quiet")
    _git(root, "add", ".")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "one")
    return root


def _entries(bundle: release.Bundle) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(io.BytesIO(bundle.data)) as archive:
        return {info.filename: info for info in archive.infolist()}


def test_a_bundle_is_head_plus_the_release_file(repo):
    (repo / "untracked.txt").write_text("not in the commit")
    commit = _git(repo, "rev-parse", "--short=12", "HEAD")

    bundle = release.build(repo, "v1.2")

    entries = _entries(bundle)
    assert sorted(entries) == ["Makefile", "RELEASE.json", "envs/environments.yaml", "run.sh"]
    with zipfile.ZipFile(io.BytesIO(bundle.data)) as archive:
        assert json.loads(archive.read("RELEASE.json")) == {"version": "v1.2", "source_commit": commit}
    assert entries["run.sh"].external_attr >> 16 == 0o755
    assert (bundle.version, bundle.source_commit, bundle.files) == ("v1.2", commit, 4)


def test_the_version_defaults_to_the_commit(repo):
    bundle = release.build(repo, None)
    assert bundle.version == bundle.source_commit == _git(repo, "rev-parse", "--short=12", "HEAD")


def test_the_same_commit_and_version_give_the_same_bytes(repo):
    first = release.build(repo, "v1")
    _git(repo, "checkout", "--quiet", "--", ".")  # touches nothing tracked; mtimes may change
    (repo / "Makefile").touch()
    assert release.build(repo, "v1").sha256 == first.sha256
    assert release.build(repo, "v2").sha256 != first.sha256


def test_uncommitted_changes_are_refused(repo):
    (repo / "Makefile").write_text("edited\n")
    with pytest.raises(InfrarepError, match="uncommitted changes to tracked files"):
        release.build(repo, "v1")


def test_outside_a_git_repository_the_error_names_the_directory(tmp_path):
    with pytest.raises(InfrarepError, match=f"git rev-parse --short=12` in {tmp_path} failed") as failed:
        release.build(tmp_path, "v1")
    assert failed.value.hint is not None and "git checkout" in failed.value.hint


def test_outside_a_git_repository_deploy_names_no_commit(tmp_path):
    assert runner.current_release(tmp_path, None) == runner.Release("unknown", "unknown")
    assert runner.current_release(tmp_path, "v1") == runner.Release("v1", "unknown")


def test_a_dirty_checkout_deploys_as_the_commit_marked_dirty(repo):
    commit = _git(repo, "rev-parse", "--short=12", "HEAD")
    (repo / "Makefile").write_text("edited\n")
    assert runner.current_release(repo, None) == runner.Release(f"{commit}-dirty", f"{commit}-dirty")


def test_deploy_reads_the_version_from_an_unpacked_bundle(repo, tmp_path):
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(io.BytesIO(release.build(repo, "v7").data)) as archive:
        archive.extractall(unpacked)
    commit = _git(repo, "rev-parse", "--short=12", "HEAD")

    assert runner.current_release(unpacked, None) == runner.Release("v7", commit)
    assert runner.current_release(unpacked, "v8") == runner.Release("v8", commit)


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", '{"version": "v1"}', '{"version": "", "source_commit": "abc"}'],
)
def test_a_broken_release_file_is_an_error_naming_it(tmp_path, content):
    (tmp_path / "RELEASE.json").write_text(content)
    with pytest.raises(ConfigError, match=r"RELEASE\.json: "):
        release.recorded(tmp_path)


def test_without_a_release_file_nothing_is_recorded(tmp_path):
    assert release.recorded(tmp_path) is None


def test_the_cli_writes_the_bundle_and_reports_it_as_json(repo, capsys, monkeypatch):
    monkeypatch.chdir(repo)
    out = repo.parent / "bundle.zip"
    with pytest.raises(SystemExit) as exited:
        cli.main(["release", "--version", "v3", "--out", str(out), "--json"])
    assert exited.value.code == 0
    reported = json.loads(capsys.readouterr().out)
    assert reported["sha256"] == release.build(repo, "v3").sha256
    assert out.read_bytes() == release.build(repo, "v3").data
    assert (reported["files"], reported["location"], reported["version_id"]) == (4, str(out), None)


def test_a_version_that_cannot_label_a_release_is_refused_before_anything_runs(repo):
    with pytest.raises(ConfigError, match=r"--version: 'v 1' is not a version"):
        release.build(repo, "v 1")
    with pytest.raises(ConfigError, match=r"--version: 'a/b' is not a version"):
        runner.current_release(repo, "a/b")


STORE = "infrarep-control-config-123456789012"


@pytest.fixture
def s3(aws):
    import boto3

    client = boto3.client("s3", region_name="us-east-1")
    create_bucket(client, STORE, "us-east-1", versioned=True)
    return client


def test_each_version_keeps_its_own_key_beside_the_pipelines():
    assert release.version_key("v1.2") == "releases/v1.2/source.zip"
    assert release.version_key("e2e-2") != release.BUNDLE_KEY
    with pytest.raises(records.InvalidRecord, match="is not a version"):
        release.version_key("../x")


def test_a_release_is_stored_at_its_version_key_and_at_the_pipelines_key(repo, s3):
    first, second = release.build(repo, "v1"), release.build(repo, "v2")

    store_release(s3, STORE, first)
    latest = store_release(s3, STORE, second)

    for bundle in (first, second):
        kept = s3.get_object(Bucket=STORE, Key=f"releases/{bundle.version}/source.zip")
        assert kept["Body"].read() == bundle.data
        assert kept["Metadata"] == {
            "version": bundle.version,
            "source-commit": bundle.source_commit,
            "sha256": bundle.sha256,
        }
    pipeline = s3.get_object(Bucket=STORE, Key=release.BUNDLE_KEY)
    assert pipeline["VersionId"] == latest and pipeline["Body"].read() == second.data


def test_a_version_key_is_written_once(repo, s3):
    bundle = release.build(repo, "v1")
    store_release(s3, STORE, bundle)
    store_release(s3, STORE, bundle)  # the same bundle again: nothing to refuse

    (repo / "Makefile").write_text("deploy:\n\t@echo other\n")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-am", "two")
    other = release.build(repo, "v1")
    with pytest.raises(InfrarepError, match="version v1 was released before as another bundle") as refused:
        store_release(s3, STORE, other)
    assert "release under a new --version" in (refused.value.hint or "")

    key = release.version_key("v1")
    assert len(s3.list_object_versions(Bucket=STORE, Prefix=key)["Versions"]) == 1
    assert s3.get_object(Bucket=STORE, Key=key)["Body"].read() == bundle.data
    # The pipeline was not started with the refused bundle either.
    assert s3.get_object(Bucket=STORE, Key=release.BUNDLE_KEY)["Body"].read() == bundle.data
