from __future__ import annotations

import pytest

from infrarep import toolchain
from infrarep.errors import ToolchainError
from infrarep.pins import AWS_PROVIDER


def _messages() -> tuple[list[str], object]:
    seen: list[str] = []
    return seen, seen.append


def test_cache_dir_defaults_outside_the_repo_and_can_be_overridden(tmp_path):
    assert toolchain.CachePaths.from_env({"XDG_CACHE_HOME": str(tmp_path)}).root == tmp_path / "infrarep"
    chosen = toolchain.CachePaths.from_env({"INFRAREP_CACHE_DIR": str(tmp_path / "c")})
    assert chosen.root == tmp_path / "c"
    assert chosen.mirror == tmp_path / "c" / "providers"


def test_mirror_layout_is_terraforms_unpacked_layout(tmp_path):
    path = toolchain.provider_binary_path(tmp_path, AWS_PROVIDER, "linux_amd64")
    assert path.relative_to(tmp_path).as_posix() == (
        f"registry.terraform.io/hashicorp/aws/{AWS_PROVIDER.version}/linux_amd64/"
        f"terraform-provider-aws_v{AWS_PROVIDER.version}_x5"
    )


def test_cli_config_takes_only_the_aws_provider_from_the_mirror(tmp_path):
    text = toolchain.cli_config_text(tmp_path, AWS_PROVIDER)
    assert f'path    = "{tmp_path}"' in text
    assert 'include = ["registry.terraform.io/hashicorp/aws"]' in text
    assert 'exclude = ["registry.terraform.io/hashicorp/aws"]' in text
    assert "provider_installation" not in toolchain.cli_config_text(None, AWS_PROVIDER)


def test_offline_without_go_names_what_is_missing_and_the_way_out(tmp_path):
    paths = toolchain.CachePaths(tmp_path / "cache")
    _, progress = _messages()
    environ = {"PATH": str(tmp_path / "empty-bin"), toolchain.OFFLINE_SETTING: "1"}
    with pytest.raises(ToolchainError) as caught:
        toolchain.resolve_provider(environ, paths, progress)
    assert "registry is unreachable" in caught.value.message
    assert "`go` is not on PATH" in caught.value.message
    assert "--provider-mirror DIR" in (caught.value.hint or "")
    assert f"aws/{AWS_PROVIDER.version}/" in (caught.value.hint or "")
    assert not paths.root.exists(), "nothing half-written"


def test_a_provided_mirror_must_hold_the_pinned_provider(tmp_path):
    paths = toolchain.CachePaths(tmp_path / "cache")
    _, progress = _messages()
    with pytest.raises(ToolchainError, match=r"--provider-mirror .*: missing registry\.terraform\.io"):
        toolchain.resolve_provider({}, paths, progress, provider_mirror=tmp_path / "mirror")


def test_a_provided_mirror_is_used_and_hashed(tmp_path):
    mirror = tmp_path / "mirror"
    binary = toolchain.provider_binary_path(mirror, AWS_PROVIDER, toolchain.go_platform())
    binary.parent.mkdir(parents=True)
    binary.write_bytes(b"provider")
    _, progress = _messages()
    found, h1, stats = toolchain.resolve_provider({}, toolchain.CachePaths(tmp_path / "c"), progress, mirror)
    assert found == mirror
    assert h1 == toolchain.package_hash_h1(binary.parent)
    assert h1.startswith("h1:")
    assert stats is None


def test_h1_changes_with_the_binary(tmp_path):
    (tmp_path / "p").write_bytes(b"one")
    first = toolchain.package_hash_h1(tmp_path)
    (tmp_path / "p").write_bytes(b"two")
    assert toolchain.package_hash_h1(tmp_path) != first


def test_interrupted_build_scratch_is_removed(tmp_path):
    paths = toolchain.CachePaths(tmp_path)
    (paths.builds / "terraform-provider-aws-abc" / "src").mkdir(parents=True)
    seen, progress = _messages()
    toolchain.remove_stale_scratch(paths, progress)
    assert list(paths.builds.iterdir()) == []
    assert any("interrupted build" in line for line in seen)


def test_missing_toolchain_record_says_to_run_setup(tmp_path):
    with pytest.raises(ToolchainError, match="no toolchain recorded") as caught:
        toolchain.load(toolchain.CachePaths(tmp_path))
    assert "make setup" in (caught.value.hint or "")


def test_lock_files_without_the_local_hash_are_named(tmp_path):
    good, bad = tmp_path / "envs/dev", tmp_path / "terraform/bootstrap"
    for root, text in ((good, 'hashes = ["h1:local="]'), (bad, 'hashes = ["h1:other="]')):
        root.mkdir(parents=True)
        (root / ".terraform.lock.hcl").write_text(text)
    assert toolchain.unpinned_lock_files(tmp_path, "h1:local=") == [bad / ".terraform.lock.hcl"]
    assert toolchain.unpinned_lock_files(tmp_path, None) == []


def test_committed_lock_files_pin_one_provider_version():
    from pathlib import Path

    project = Path(__file__).resolve().parents[2]
    locks = sorted(
        [*project.glob("envs/*/.terraform.lock.hcl"), *project.glob("terraform/*/.terraform.lock.hcl")]
    )
    assert len(locks) == 5  # three envs, bootstrap, control plane
    for lock in locks:
        assert f'version     = "{AWS_PROVIDER.version}"' in lock.read_text(), lock
