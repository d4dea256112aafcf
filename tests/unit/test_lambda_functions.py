"""lambda_src/functions.json: the one list of Lambda functions, by part."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infrarep import package
from infrarep.errors import ConfigError

LAMBDA_SRC = Path(__file__).resolve().parents[2] / "lambda_src"


def test_the_list_names_every_function_folder_once():
    names = package.function_names(LAMBDA_SRC)
    assert sorted(names) == sorted(path.parent.name for path in LAMBDA_SRC.glob("*/handler.py"))
    assert len(set(names)) == len(names)


def test_a_listed_function_without_a_handler_is_refused(tmp_path: Path):
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "handler.py").write_text("")
    (tmp_path / package.FUNCTIONS_FILE).write_text(json.dumps({"control": ["one"], "workload": ["two"]}))
    with pytest.raises(ConfigError, match=r"functions\.json: function 'two' has no .*two/handler\.py"):
        package.function_names(tmp_path)


@pytest.mark.parametrize("content", ["not json", '["one"]', '{"control": "one"}', '{"control": [1]}'])
def test_a_malformed_list_is_refused(tmp_path: Path, content: str):
    (tmp_path / package.FUNCTIONS_FILE).write_text(content)
    with pytest.raises(ConfigError, match=r"functions\.json: "):
        package.functions(tmp_path)


def test_a_missing_list_is_refused(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"functions\.json: cannot read the list of functions"):
        package.functions(tmp_path)
