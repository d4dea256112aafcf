"""`Project.require_ready`, the step before every terraform run: stale committed files are
refused; the target's generated files are written (local) or removed (aws), so a fresh clone
needs no render step and a checkout switched to real AWS keeps no local override."""

from __future__ import annotations

import re

import pytest

from infrarep import cli, config, render
from infrarep.app.context import Project, StaleRender

BOOTSTRAP, CONTROL = render.BOOTSTRAP_ROOT, render.CONTROL_PLANE_ROOT


def _project(cfg, monkeypatch, tmp_path) -> Project:
    monkeypatch.setenv("INFRAREP_STATE_DIR", str(tmp_path / "state"))
    return Project(config.load(cfg), cfg, progress=lambda _: None, verbose=False)


def _generated(tmp_path) -> set[str]:
    return {
        str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.name in render.GENERATED_FILES
    }


def _render(cfg) -> None:
    with pytest.raises(SystemExit):
        cli.main(["render", "--config", str(cfg)])


def _clone(tmp_path) -> None:
    """What a fresh clone lacks: git keeps none of the generated files."""
    for path in tmp_path.rglob("*"):
        if path.name in render.GENERATED_FILES:
            path.unlink()


def test_a_fresh_clone_gets_the_local_files_of_the_roots_it_runs(tmp_path, write_config, monkeypatch):
    cfg = write_config(tmp_path)
    _render(cfg)
    _clone(tmp_path)
    project = _project(cfg, monkeypatch, tmp_path)

    project.require_ready([project.env("staging")], packages=False)

    assert _generated(tmp_path) == {
        f"{root}/{name}"
        for root in ("envs/staging", BOOTSTRAP, CONTROL)
        for name in render.GENERATED_FILES
        if (root, name) != (BOOTSTRAP, render.LOCAL_BACKEND_FILE)
    }


def test_on_real_aws_what_a_local_run_left_is_removed(tmp_path, write_config, monkeypatch):
    cfg = write_config(tmp_path)
    _render(cfg)
    assert _generated(tmp_path)
    cfg = write_config(tmp_path, {"target": "aws"})
    project = _project(cfg, monkeypatch, tmp_path)

    project.require_ready(project.settings.ordered(), packages=False)

    assert _generated(tmp_path) == set()


def test_a_stale_committed_file_is_refused_before_anything_is_written(tmp_path, write_config, monkeypatch):
    cfg = write_config(tmp_path)
    _render(cfg)
    _clone(tmp_path)
    cfg = write_config(tmp_path, dev={"az_count": 3})
    project = _project(cfg, monkeypatch, tmp_path)

    with pytest.raises(StaleRender, match=re.escape("envs/dev/terraform.auto.tfvars: stale")):
        project.require_ready([project.env("dev")], packages=False)

    assert _generated(tmp_path) == set()
