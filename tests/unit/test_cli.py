"""Exit codes and error shape of the CLI, the same for every command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infrarep import cli
from infrarep.app import context


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        cli.main(list(argv))
    out, err = capsys.readouterr()
    return int(exited.value.code), out, err


def test_usage_errors_exit_1_not_clicks_2(capsys):
    code, _, err = _run(capsys, "local", "up", "--port", "not-a-number")
    assert code == 1
    assert err.startswith("error: Invalid value for '--port'")
    assert "hint: see `infrarep local up --help`" in err


def test_unknown_command_exits_1(capsys):
    code, _, err = _run(capsys, "frobnicate")
    assert code == 1
    assert "No such command 'frobnicate'" in err


def test_help_lists_exit_codes_and_exits_0(capsys):
    code, out, _ = _run(capsys, "--help")
    assert code == 0
    assert "130 interrupted" in out


def test_infrarep_errors_are_one_line_with_a_hint(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("INFRAREP_STATE_DIR", str(tmp_path))
    code, out, err = _run(capsys, "local", "status")
    assert code == 1
    assert out == ""
    assert err.splitlines() == [
        "error: the local AWS is not running (target local)",
        "hint: run `infrarep local up`",
    ]


def test_the_actor_is_the_option_else_the_build_initiator_else_the_login_name(monkeypatch):
    monkeypatch.setenv("CODEBUILD_INITIATOR", "codepipeline/infrarep-control-promotion")
    assert context.actor_name("alice") == "alice"
    assert context.actor_name(None) == "codepipeline/infrarep-control-promotion"
    monkeypatch.delenv("CODEBUILD_INITIATOR")
    monkeypatch.setenv("LOGNAME", "bob")
    assert context.actor_name(None) == "bob"


def test_drift_report_passes_each_alias_on(capsys, tmp_path):
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "plans"
    coded = tmp_path / "prod.json"
    coded.write_text((fixtures / "parity_prod.json").read_text().replace("fx-prod-", "fx-prd-"))
    args = ["drift-report", "--format", "json", "--kind", "parity", "--config", str(tmp_path / "absent.yaml")]
    staging = ["--plan", f"staging={fixtures / 'parity_staging.json'}"]

    named = _run(capsys, *args, *staging, "--plan", f"prod={fixtures / 'parity_prod.json'}")[1]
    aliased = _run(capsys, *args, *staging, "--plan", f"prod={coded}", "--alias", "prod=prd")[1]
    plain = _run(capsys, *args, *staging, "--plan", f"prod={coded}")[1]

    def judged(out: str) -> list:  # the findings and verdicts, without the values as written
        return [
            (f["address"], f["verdict"], [(a["path"], a["verdict"], a["reason"]) for a in f["attributes"]])
            for f in json.loads(out)["findings"]
        ]

    assert judged(aliased) == judged(named)
    assert judged(plain) != judged(named)
