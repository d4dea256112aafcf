"""`infrarep local up/status/down`: the CLI starts, finds and stops the local AWS by PID."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e


def test_cli_local_up_status_down(tmp_path):
    env = {**os.environ, "INFRAREP_STATE_DIR": str(tmp_path)}
    cli = [sys.executable, "-m", "infrarep.cli"]
    up = subprocess.run([*cli, "local", "up", "--json"], env=env, capture_output=True, text=True, check=False)
    assert up.returncode == 0, up.stderr
    started = json.loads(up.stdout)
    assert started["endpoint"] == f"https://127.0.0.1:{started['port']}"
    try:
        status = subprocess.run(
            [*cli, "local", "status", "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert status.returncode == 0
        assert json.loads(status.stdout)["pid"] == started["pid"]
    finally:
        down = subprocess.run([*cli, "local", "down"], env=env, capture_output=True, text=True, check=False)
    assert down.returncode == 0
    assert f"pid {started['pid']}" in down.stderr
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", started["port"]), timeout=2).close()
    after = subprocess.run([*cli, "local", "status"], env=env, capture_output=True, text=True, check=False)
    assert after.returncode == 1
    assert "not running" in after.stderr
