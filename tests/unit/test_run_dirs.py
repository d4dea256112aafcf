"""Each run (each infrarep process) plans into its own directory, and old ones are pruned."""

from __future__ import annotations

from pathlib import Path

from infrarep.workspace import Workspace, new_run_id, stale_runs


def workspace(tmp_path: Path, run_id: str | None = None) -> Workspace:
    extra = {"run_id": run_id} if run_id else {}
    return Workspace(
        project=tmp_path,
        state_dir=tmp_path / ".infrarep",
        config_path=tmp_path / "envs/environments.yaml",
        **extra,
    )


def test_two_runs_of_one_env_write_to_different_directories(tmp_path):
    first, second = workspace(tmp_path), workspace(tmp_path)
    assert first.run_dir("dev") != second.run_dir("dev")
    assert first.run_dir("dev").parent == second.run_dir("dev").parent == tmp_path / ".infrarep/runs/dev"
    assert first.run_dir("dev") == first.run_dir("dev")  # one run, one directory per env


def test_new_run_ids_are_unique_and_named_like_runs():
    ids = [new_run_id() for _ in range(3)]
    assert len(set(ids)) == 3
    assert all(stale_runs(ids, current, keep=3) == [] for current in ids)  # none is "anything else"


def test_all_but_the_newest_runs_and_anything_else_are_stale():
    runs = [f"20261202T07{minute:02d}00Z-0000000{minute % 10}" for minute in range(6)]
    legacy = ["plan.tfplan", "plan.json", "release.tfvars.json"]
    assert stale_runs([*legacy, *runs], current=runs[-1], keep=3) == sorted([*runs[:3], *legacy])
    # the current run is kept even when others started later
    assert stale_runs(runs, current=runs[0], keep=3) == runs[1:4]


def test_prune_keeps_the_newest_runs_and_removes_the_rest(tmp_path):
    old = [workspace(tmp_path, f"20261201T0{hour}0000Z-0000000{hour}") for hour in range(5)]
    for run in old:
        (run.run_dir("dev") / "plan.tfplan").parent.mkdir(parents=True)
        (run.run_dir("dev") / "plan.tfplan").write_bytes(b"plan")
    (tmp_path / ".infrarep/runs/dev/plan.tfplan").write_bytes(b"the layout before run directories")
    current = workspace(tmp_path)
    current.run_dir("dev").mkdir()
    current.prune_runs("dev", keep=3)
    left = sorted(path.name for path in (tmp_path / ".infrarep/runs/dev").iterdir())
    assert left == sorted([old[3].run_id, old[4].run_id, current.run_id])
    current.prune_runs("staging")  # nothing there yet: nothing to do
