"""`infrarep render`: writes nothing on bad input, is idempotent, --check exits 2."""

from __future__ import annotations

import pytest

from infrarep import cli


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


def test_render_then_check_is_clean_and_a_change_is_stale(tmp_path, write_config, capsys):
    cfg = write_config(tmp_path)
    code, out, _ = _run(capsys, "render", "--config", str(cfg))
    assert code == 0
    assert out.count("written") == 19  # 4 files x 3 envs + the bootstrap root's 3 + the control plane's 4
    assert _run(capsys, "render", "--config", str(cfg), "--check")[0] == 0
    assert _run(capsys, "render", "--config", str(cfg))[1] == ""

    write_config(tmp_path, prod={"vpc_cidr": "10.9.0.0/16"})
    before = (tmp_path / "envs/prod/terraform.auto.tfvars").read_text()
    code, out, err = _run(capsys, "render", "--config", str(cfg), "--check")
    assert code == 2
    assert out.split() == ["stale", str(tmp_path / "envs/prod/terraform.auto.tfvars")]
    assert "run `infrarep render`" in err
    assert (tmp_path / "envs/prod/terraform.auto.tfvars").read_text() == before


def test_switching_to_real_aws_deletes_the_local_override(tmp_path, write_config, capsys):
    cfg = write_config(tmp_path)
    _run(capsys, "render", "--config", str(cfg), "--env", "dev")
    assert (tmp_path / "envs/dev/local_override.tf").exists()
    write_config(tmp_path, {"target": "aws"})
    code, out, _ = _run(capsys, "render", "--config", str(cfg), "--env", "dev")
    assert code == 0
    assert f"deleted  {tmp_path / 'envs/dev/local_override.tf'}" in out
    assert not (tmp_path / "envs/dev/local_override.tf").exists()


def test_unknown_env_is_an_error(tmp_path, write_config, capsys):
    cfg = write_config(tmp_path)
    code, _, err = _run(capsys, "render", "--config", str(cfg), "--env", "qa")
    assert code == 1
    assert "no environment 'qa' (known: dev, staging, prod)" in err
