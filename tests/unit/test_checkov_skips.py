"""What a checkov skip on a module resource hides in every env is held here, per env.

A `#checkov:skip` on a resource of a module applies to every env root that calls it. Where the
checked value is a per-env setting of environments.yaml, checkov would flag only the env that
declares it off; this holds every other env to it.
"""

from __future__ import annotations

from pathlib import Path

from infrarep import config

CONFIG = Path(__file__).resolve().parents[2] / "envs" / "environments.yaml"


def test_only_dev_runs_without_deletion_protection():
    # CKV_AWS_139 (Aurora deletion protection) is skipped on modules/database's cluster.
    settings = config.load(CONFIG)
    unprotected = [env.name for env in settings.ordered() if not env.deletion_protection]
    assert unprotected == ["dev"], "only dev, a disposable env, may run without deletion protection"
