"""`app.status.env_statuses`: each env's status read from its own ledger, found through its
stack outputs in the state (moto in-process); a never deployed env has none."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from infrarep import config, ledger, records, render
from infrarep.app.status import env_statuses

from ..ledger_rows import row
from ..moto_world import create_bucket, create_ledger_table

REPO = Path(__file__).parents[2]
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@dataclass
class _Runner:
    """What the status reads of `runner.Runner`: the settings and per-region clients."""

    settings: config.Settings

    def clients(self, region: str) -> ledger.Clients:
        return ledger.make_clients(region)

    def env_clients(self, env: config.EnvSettings) -> ledger.Clients:
        return self.clients(env.region)


def _deployed(settings: config.Settings, env: config.EnvSettings, rows: list[records.LedgerEntry]) -> None:
    """The env's state with its stack output, its ledger table, and `rows` in it."""
    clients = ledger.make_clients(env.region)
    stack = {"ledger_table_name": f"{env.name}-ledger", "config_bucket": f"{env.name}-config"}
    bucket = render.state_bucket(settings, env.region)
    create_bucket(clients.s3, bucket, env.region)
    state = {"version": 4, "outputs": {"stack": {"value": stack, "type": "object"}}}
    clients.s3.put_object(Bucket=bucket, Key=records.state_key(env.name), Body=json.dumps(state).encode())
    create_ledger_table(clients.dynamodb, stack["ledger_table_name"])
    where = ledger.EnvResources(env.name, env.region, stack["ledger_table_name"], stack["config_bucket"])
    for entry in rows:
        ledger.record(clients, where, entry)


def test_each_env_shows_what_its_own_ledger_says_and_a_new_env_is_never_deployed(aws):
    settings = config.load(REPO / "envs" / "environments.yaml")
    dev, staging, prod = settings.ordered()
    _deployed(settings, dev, [row("dev", "v2", NOW)])
    _deployed(settings, staging, [row("staging", "v1", NOW, records.Status.FAILED)])

    shown = env_statuses(_Runner(settings), [dev, staging, prod])  # type: ignore[arg-type]

    assert [(status.env, status.region) for status in shown] == [
        (env.name, env.region) for env in (dev, staging, prod)
    ]
    assert shown[0].to_dict()["version"] == "v2"
    assert shown[1].running is None and shown[1].to_dict()["last_attempt"]["status"] == "FAILED"
    assert shown[2].line().split()[2:4] == ["never", "deployed"]
