"""`infrarep render`: writes nothing on bad input, is idempotent, --check exits 2."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from infrarep import cli, render

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP, CONTROL = render.BOOTSTRAP_ROOT, render.CONTROL_PLANE_ROOT


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        cli.main(list(argv))
    out, err = capsys.readouterr()
    return int(exited.value.code), out, err


def test_unknown_region_names_the_field_and_writes_nothing(tmp_path, write_config, capsys):
    cfg = write_config(tmp_path, staging={"region": "us-west-9"})
    code, _, err = _run(capsys, "render", "--config", str(cfg))
    assert code == 1
    assert "environments.staging.region: 'us-west-9' is not an AWS region" in err
    assert sorted(p.name for p in (tmp_path / "envs").iterdir()) == ["environments.yaml"]


def test_a_bad_drift_schedule_is_one_line_exit_1_and_nothing_rendered(tmp_path, write_config, capsys):
    cfg = write_config(tmp_path, {"drift": {"schedule": "cron(0 6 * * * *)"}})
    code, out, err = _run(capsys, "render", "--config", str(cfg))
    assert code == 1
    assert out == ""
    assert err.splitlines() == [
        f"error: {cfg}: drift.schedule: 'cron(0 6 * * * *)': "
        "cron: exactly one of day-of-month and day-of-week must be '?'"
    ]
    assert sorted(p.name for p in (tmp_path / "envs").iterdir()) == ["environments.yaml"]
    assert not (tmp_path / "terraform").exists()


def test_render_then_check_is_clean_and_a_change_is_stale(tmp_path, write_config, capsys):
    cfg = write_config(tmp_path)
    code, out, _ = _run(capsys, "render", "--config", str(cfg))
    assert code == 0
    # committed: 2 per env root, the bootstrap's tfvars, the control plane's 2; generated for
    # the local target: 4 per root with a backend, the bootstrap's 3
    assert out.count("written") == 2 * 3 + 1 + 2 + 4 * 3 + 3 + 4
    assert _run(capsys, "render", "--config", str(cfg), "--check")[0] == 0
    assert _run(capsys, "render", "--config", str(cfg))[1] == ""

    write_config(tmp_path, prod={"vpc_cidr": "10.9.0.0/16"})
    before = (tmp_path / "envs/prod/terraform.auto.tfvars").read_text()
    code, out, err = _run(capsys, "render", "--config", str(cfg), "--check")
    assert code == 2
    assert out.split() == ["stale", str(tmp_path / "envs/prod/terraform.auto.tfvars")]
    assert "run `infrarep render`" in err
    assert (tmp_path / "envs/prod/terraform.auto.tfvars").read_text() == before


def test_switching_to_real_aws_deletes_the_local_files_and_changes_no_committed_one(
    tmp_path, write_config, capsys
):
    cfg = write_config(tmp_path)
    _run(capsys, "render", "--config", str(cfg), "--env", "dev")
    committed = {name: (tmp_path / "envs/dev" / name).read_text() for name in render.COMMITTED_FILES}
    assert (tmp_path / "envs/dev/local_override.tf").exists()
    write_config(tmp_path, {"target": "aws"})
    assert _run(capsys, "render", "--config", str(cfg), "--env", "dev", "--check")[0] == 0
    code, out, _ = _run(capsys, "render", "--config", str(cfg), "--env", "dev")
    assert code == 0
    local_files = {
        tmp_path / root / name
        for root in ("envs/dev", BOOTSTRAP, CONTROL)
        for name in render.GENERATED_FILES
        if (root, name) != (BOOTSTRAP, render.LOCAL_BACKEND_FILE)  # the bootstrap's state is local
    }
    assert {tuple(line.split()) for line in out.splitlines()} == {
        ("deleted", str(path)) for path in local_files
    }
    assert not any(path.exists() for path in local_files)
    assert {name: (tmp_path / "envs/dev" / name).read_text() for name in render.COMMITTED_FILES} == committed


def test_check_ignores_the_generated_files(tmp_path, write_config, capsys):
    cfg = write_config(tmp_path)
    _run(capsys, "render", "--config", str(cfg))
    for name in render.GENERATED_FILES:
        (tmp_path / "envs/prod" / name).unlink()  # a fresh clone: git keeps none of them
    (tmp_path / "envs/dev/local_override.tf").write_text("# edited\n")
    assert _run(capsys, "render", "--config", str(cfg), "--check") == (
        0,
        "",
        "render: everything is up to date\n",
    )


def _git(repo: Path, *args: str) -> list[str]:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def test_switching_target_in_a_copy_of_the_project_changes_no_tracked_file(tmp_path, capsys):
    for name in _git(REPO, "ls-files", "--", ".gitignore", "envs", "terraform"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, tmp_path / name)
    (tmp_path / "modules").mkdir()
    _git(tmp_path, "init", "--quiet")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "clone")
    cfg = tmp_path / "envs/environments.yaml"
    local_text = cfg.read_text()
    assert "\ntarget: local\n" in local_text
    roots = [tmp_path / "envs" / env for env in ("dev", "staging", "prod")] + [
        tmp_path / BOOTSTRAP,
        tmp_path / CONTROL,
    ]

    def generated() -> set[Path]:
        return {root / name for root in roots for name in render.GENERATED_FILES if (root / name).exists()}

    assert _run(capsys, "render", "--config", str(cfg), "--check")[0] == 0  # a fresh clone is rendered
    assert generated() == set()
    assert _run(capsys, "render", "--config", str(cfg))[0] == 0
    assert _git(tmp_path, "status", "--porcelain") == []
    assert len(generated()) == 4 * 4 + 3  # every root; the bootstrap has no backend config

    cfg.write_text(local_text.replace("\ntarget: local\n", "\ntarget: aws\n"))
    assert _run(capsys, "render", "--config", str(cfg))[0] == 0
    assert _git(tmp_path, "status", "--porcelain") == [" M envs/environments.yaml"]
    assert generated() == set()

    cfg.write_text(local_text)
    assert _run(capsys, "render", "--config", str(cfg))[0] == 0
    assert _git(tmp_path, "status", "--porcelain") == []
    assert len(generated()) == 4 * 4 + 3


def test_unknown_env_is_an_error(tmp_path, write_config, capsys):
    cfg = write_config(tmp_path)
    code, _, err = _run(capsys, "render", "--config", str(cfg), "--env", "qa")
    assert code == 1
    assert "no environment 'qa' (known: dev, staging, prod)" in err
