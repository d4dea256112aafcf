"""The env roots are thin and identical: whatever differs between envs is rendered."""

from __future__ import annotations

from pathlib import Path

from infrarep import config, render

ENVS = Path(__file__).resolve().parents[2] / "envs"
RENDERED = {*render.COMMITTED_FILES, *render.GENERATED_FILES}
ORDER = config.load(ENVS / "environments.yaml").promotion.order


def _hand_written(env: str) -> dict[str, str]:
    return {
        path.name: path.read_text()
        for path in sorted((ENVS / env).iterdir())
        if path.is_file() and path.name not in RENDERED and not path.name.startswith(".terraform")
    }


def test_only_rendered_files_differ_between_env_roots():
    first = _hand_written(ORDER[0])
    assert set(first) == {"backend.tf", "main.tf", "outputs.tf", "variables.tf", "versions.tf"}
    for env in ORDER[1:]:
        assert _hand_written(env) == first, (
            f"envs/{env} differs from envs/{ORDER[0]} outside the rendered files"
        )


def test_every_env_root_is_an_env_of_environments_yaml():
    assert sorted(path.name for path in ENVS.iterdir() if path.is_dir()) == sorted(ORDER)


def test_env_roots_declare_no_resources():
    for env in ORDER:
        for name, text in _hand_written(env).items():
            assert "\nresource " not in f"\n{text}", f"envs/{env}/{name} declares a resource"
