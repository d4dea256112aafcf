"""README.md and docs/*.md stay true to this repository: their links resolve inside it, the
files they name exist in it, the commands and make targets they name exist, the README's
command table covers the CLI, its exit codes are the CLI's, and it stays short."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
import typer

from infrarep import cli
from infrarep.errors import ExitCode

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
PAGES = [README, *sorted((REPO / "docs").glob("*.md"))]
MAX_README_LINES = 160

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
URL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
CODE_SPAN = re.compile(r"`([^`]+)`")
PARENT_PATH = re.compile(r"(?<![\w./~-])\.\./[\w./-]*")
MARKDOWN_FILE = re.compile(r"(?<![\w./~-])[\w./-]*\.md\b")
INFRAREP_COMMAND = re.compile(r"(?:^|[\s/])infrarep((?: [a-z][a-z-]*)+)")
MAKE_TARGET = re.compile(r"(?:^|[\s(])make ([a-z][\w/-]*)")
MAKEFILE_TARGET = re.compile(r"^([A-Za-z0-9_./%-]+):(?!=)", re.MULTILINE)


def page_id(page: Path) -> str:
    return str(page.relative_to(REPO))


def split_code(text: str) -> tuple[list[str], list[str]]:
    """(prose lines, code): fenced blocks' lines and inline code spans."""
    prose: list[str] = []
    code: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif fenced:
            code.append(line)
        else:
            prose.append(line)
            code.extend(CODE_SPAN.findall(line))
    return prose, code


def anchors(page: Path) -> set[str]:
    """GitHub's heading anchors of a markdown page."""
    prose, _ = split_code(page.read_text())
    found = set()
    for line in prose:
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


def inside_repo(path: Path) -> bool:
    return path.resolve().is_relative_to(REPO)


@cache
def cli_commands() -> dict[str, set[str]]:
    """Each top-level command of the CLI, with its subcommands (empty for a plain command)."""
    group = typer.main.get_command(cli.app)
    commands = {
        name: set(getattr(command, "commands", {}))  # a group's subcommands
        for name, command in getattr(group, "commands", {}).items()
    }
    assert {"deploy", "local"} <= commands.keys(), "the CLI's commands were not found"
    return commands


@cache
def makefile_targets() -> list[str]:
    return MAKEFILE_TARGET.findall((REPO / "Makefile").read_text())


def is_make_target(name: str) -> bool:
    patterns = [re.escape(target).replace("%", ".+") for target in makefile_targets()]
    return any(re.fullmatch(pattern, name) for pattern in patterns)


def command_errors(words: str) -> list[str]:
    """What is wrong with `infrarep <words>` as a command line (words after options dropped)."""
    name, *rest = words.split()
    commands = cli_commands()
    if name not in commands:
        return [f"infrarep {name}: no such command"]
    if commands[name] and (not rest or rest[0] not in commands[name]):
        return [f"infrarep {words.strip()}: {name} takes one of {sorted(commands[name])}"]
    return []


def section(text: str, heading: str) -> str:
    """The body of the `## heading` section of a page."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"README.md has no '## {heading}' section"
    return match.group(1)


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_relative_link_resolves_inside_the_repository(page):
    text = page.read_text()
    prose, _ = split_code(text)
    wrong = []
    for target in LINK.findall("\n".join(prose)):
        if URL.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (page.parent / file_part) if file_part else page
        if not inside_repo(resolved):
            wrong.append(f"{target}: outside the repository")
        elif not resolved.exists():
            wrong.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            wrong.append(f"{target}: no heading #{anchor} in {resolved.relative_to(REPO)}")
    assert wrong == []


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_no_text_points_outside_the_repository(page):
    text = page.read_text()
    wrong = [path for path in PARENT_PATH.findall(text) if not inside_repo(page.parent / path.rstrip(".,"))]
    assert "../shared" not in text
    assert wrong == []


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_markdown_file_named_exists_in_the_repository(page):
    names = {name for name in MARKDOWN_FILE.findall(page.read_text()) if name != ".md"}
    wrong = [
        name
        for name in sorted(names)
        if not any(inside_repo(base / name) and (base / name).is_file() for base in (page.parent, REPO))
    ]
    assert wrong == [], "named but not in the repository (a file elsewhere is not the project's)"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_infrarep_command_named_exists(page):
    _, code = split_code(page.read_text())
    wrong = []
    for snippet in code:
        for words in INFRAREP_COMMAND.findall(snippet):
            wrong += command_errors(words)
    assert wrong == []


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_make_target_named_exists_in_the_makefile(page):
    _, code = split_code(page.read_text())
    named = {target for snippet in code for target in MAKE_TARGET.findall(snippet)}
    assert named, "expected make targets to check"
    assert sorted(target for target in named if not is_make_target(target)) == []


def test_the_command_table_lists_every_command_and_only_real_ones():
    table = section(README.read_text(), "Commands")
    rows = [line for line in table.splitlines() if line.startswith("| `infrarep ")]
    listed = set()
    for row in rows:
        first_cell = row.split("|")[1]
        (words,) = INFRAREP_COMMAND.findall(first_cell.strip().strip("`"))
        assert command_errors(words) == []
        listed.add(" ".join(words.split()[:2]))
    every = {
        f"{name} {sub}" if sub else name
        for name, subs in cli_commands().items()
        for sub in (sorted(subs) or [""])
    }
    assert every - {name.strip() for name in listed} == set(), "commands missing from the table"


def test_the_make_targets_users_run_are_in_the_readme():
    text = README.read_text()
    described = re.findall(r"^([a-z][a-z-]*):.*## ", (REPO / "Makefile").read_text(), re.MULTILINE)
    assert described, "the Makefile's targets carry `## help` comments"
    assert [target for target in described if f"make {target}" not in text] == []


def test_the_exit_codes_are_the_clis():
    table = section(README.read_text(), "Exit codes")
    listed = {int(code) for code in re.findall(r"^\| `(\d+)` \|", table, re.MULTILINE)}
    assert listed == {int(code) for code in ExitCode}


def test_the_readme_stays_short():
    lines = README.read_text().count("\n")
    assert lines < MAX_README_LINES, f"README.md has {lines} lines; move detail into docs/"
