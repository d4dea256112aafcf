"""The env roots are thin and identical: whatever differs between envs is rendered."""

from __future__ import annotations

from pathlib import Path

from infrarep import render

ENVS = Path(__file__).resolve().parents[2] / "envs"
RENDERED = {*render.COMMITTED_FILES, *render.GENERATED_FILES}


def _hand_written(env: str) -> dict[str, str]:
    return {
        path.name: path.read_text()
        for path in sorted((ENVS / env).iterdir())
        if path.is_file() and path.name not in RENDERED and not path.name.startswith(".terraform")
    }


def test_only_rendered_files_differ_between_env_roots():
    dev = _hand_written("dev")
    assert set(dev) == {"backend.tf", "main.tf", "outputs.tf", "variables.tf", "versions.tf"}
    for env in ("staging", "prod"):
        assert _hand_written(env) == dev, f"envs/{env} differs from envs/dev outside the rendered files"


def test_env_roots_declare_no_resources():
    for env in ("dev", "staging", "prod"):
        for name, text in _hand_written(env).items():
            assert "\nresource " not in f"\n{text}", f"envs/{env}/{name} declares a resource"
