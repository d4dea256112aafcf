"""infrarep's side of the local AWS: the package is reached only when needed, its errors are
infrarep's one-line errors, and terraform gets the endpoint the rendered override reads."""

from __future__ import annotations

import sys

import hcl2
import pytest

from infrarep import cli, local_target, render
from infrarep_local_aws import STATE_FILE, LocalAws


def _run(capsys, *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        cli.main(list(argv))
    return int(exited.value.code), capsys.readouterr().err


@pytest.mark.parametrize("command", ["up", "down", "status"])
def test_without_the_local_aws_installed_the_local_commands_name_how_to_install_it(
    command, capsys, tmp_path, monkeypatch
):
    monkeypatch.setenv("INFRAREP_STATE_DIR", str(tmp_path))
    monkeypatch.setitem(sys.modules, "infrarep_local_aws", None)  # what an absent package raises
    code, err = _run(capsys, "local", command)
    assert code == 1
    assert err.splitlines() == [
        "error: the local AWS (infrarep_local_aws) is not installed",
        "hint: install it from the repository: pip install -e ./local_aws (`make setup` does)",
    ]


def test_the_local_aws_packages_errors_are_infrareps_one_line_errors(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("INFRAREP_STATE_DIR", str(tmp_path))
    (tmp_path / STATE_FILE).write_text("{not json")
    code, err = _run(capsys, "local", "status")
    assert code == 1
    assert err.startswith(f"error: {tmp_path / STATE_FILE}: unreadable (")
    assert err.splitlines()[1] == "hint: delete it and start the local AWS again"


def test_terraform_gets_the_endpoint_in_the_variable_the_rendered_override_reads():
    local = LocalAws(pid=1, port=4566, proxy_port=4567, log="log", ca_bundle="ca.pem")
    env = local_target.terraform_env(local)
    [declared] = hcl2.loads(render.local_files([""])[render.LOCAL_VARIABLE_FILE] or "")["variable"]
    [variable] = (name.strip('"') for name in declared)
    assert env[f"TF_VAR_{variable}"] == "https://127.0.0.1:4566"
    assert env["AWS_ENDPOINT_URL_S3"] == "https://127.0.0.1:4566"  # the S3 backend reads no variables
    assert env["AWS_CA_BUNDLE"] == "ca.pem"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("test", "test")
