"""The CI workflows and pre-commit hooks shipped for users call only infrarep commands and flags
that exist, and make targets the Makefile has; pre-commit runs what `make lint` runs.
(actionlint checks the workflows themselves in `make lint`.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from infrarep import cli

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PRE_COMMIT = ROOT / ".pre-commit-config.yaml"

_INFRAREP = re.compile(r"(?:^|[\s(/])infrarep\s+(?P<words>[^\n|;&>)]*)")
_MAKE = re.compile(r"(?:^|[\s(])make\s+(?:--?[a-z-]+\s+)*(?P<target>[a-z][a-z-]*)")


def scripts(path: Path) -> list[str]:
    """The shell a file runs: workflow steps' `run:`, pre-commit hooks' `entry:`."""
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    if path == PRE_COMMIT:
        return [hook["entry"] for repo in document["repos"] for hook in repo["hooks"]]
    return [step["run"] for job in document["jobs"].values() for step in job["steps"] if "run" in step]


def invocations(script: str) -> list[tuple[list[str], list[str]]]:
    """(command words, --flags) of each `infrarep ...` in a script; continued lines joined."""
    text = script.replace("\\\n", " ")
    found = []
    for match in _INFRAREP.finditer(text):
        words = match["words"].split()
        command = []
        for word in words[:2]:  # a command, or a group and its command; then options
            if not re.fullmatch(r"[a-z][a-z-]*", word):
                break
            command.append(word)
        flags = [word.split("=", 1)[0] for word in words if word.startswith("--")]
        found.append((command, flags))
    return found


def problems(script: str, root: Any) -> list[str]:
    """What a script calls that the CLI (`root`, its click group) does not have."""
    wrong = []
    for words, flags in invocations(script):
        command = root
        for word in words:
            if not hasattr(command, "commands"):  # a command, not a group: the rest are values
                break
            if word not in command.commands:
                wrong.append(f"infrarep {' '.join(words)}: no command {word!r}")
                command = None
                break
            command = command.commands[word]
        if command is None:
            continue
        known = {opt for param in command.params for opt in getattr(param, "opts", [])}
        wrong += [f"infrarep {' '.join(words)}: no option {flag}" for flag in flags if flag not in known]
    return wrong


def makefile_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), flags=re.M))


@pytest.fixture(scope="module")
def commands() -> Any:
    return typer.main.get_command(cli.app)


def test_there_are_workflows_for_pull_requests_main_and_a_schedule():
    triggers = set()
    for path in WORKFLOWS:
        document = yaml.safe_load(path.read_text())
        triggers |= set(document[True])  # YAML 1.1 reads the key `on` as True
    assert {"pull_request", "push", "schedule"} <= triggers


@pytest.mark.parametrize("path", [*WORKFLOWS, PRE_COMMIT], ids=lambda path: path.name)
def test_every_infrarep_command_and_flag_called_exists(path, commands):
    called = [problem for script in scripts(path) for problem in problems(script, commands)]
    assert called == []
    assert any(invocations(script) for script in scripts(path))


@pytest.mark.parametrize("path", [*WORKFLOWS, PRE_COMMIT], ids=lambda path: path.name)
def test_every_make_target_called_exists(path):
    targets = {match["target"] for script in scripts(path) for match in _MAKE.finditer(script)}
    assert targets <= makefile_targets()


def test_a_call_the_cli_does_not_have_is_found(commands):
    script = (
        'infrarep drift-report --plan "dev=a.json" \\\n  --format html --colour \\\n  | tee x\n'
        "infrarep lint --all\n"
        "infrarep local up --json --colour && infrarep local status --json\n"
    )
    assert problems(script, commands) == [
        "infrarep drift-report: no option --colour",
        "infrarep lint: no command 'lint'",
        "infrarep local up: no option --colour",
    ]


def test_pre_commit_runs_what_make_lint_runs():
    lint = re.search(r"^lint:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), flags=re.M)
    assert lint is not None
    entries = " ".join(scripts(PRE_COMMIT))
    for line in lint[1].splitlines():
        check = line.strip().lstrip("@").replace("$(BIN)/", "").replace("$(INFRAREP)", "infrarep")
        check = check.replace("$(MAKE) --no-print-directory ", "make --no-print-directory ")
        words = check.replace(" .", "").split()
        assert all(word in entries for word in words), f"`make lint` runs {check!r}; no pre-commit hook does"
