"""Jinja2 templates to HCL text. Pure: values in, text out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache

import jinja2


def hcl(value: object) -> str:
    """A Python value as an HCL literal that can never inject configuration.

    Strings are JSON-escaped (quotes, backslashes, control characters), then HCL's own
    template sequences `${` and `%{` are doubled so they render literally.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")
    if value is None:
        return "null"
    if isinstance(value, Sequence):
        return "[" + ", ".join(hcl(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{hcl(str(key))} = {hcl(item)}" for key, item in value.items()) + "}"
    raise TypeError(f"cannot render {type(value).__name__} as HCL")


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("infrarep", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - HCL, not HTML; values pass through the `hcl` filter
    )
    env.filters["hcl"] = hcl
    return env


def render_template(name: str, **values: object) -> str:
    return _environment().get_template(name).render(**values)


def local_override(aliases: Sequence[str], services: Sequence[str], max_retries: int = 2) -> str:
    """Provider override for the local target; one block per provider configuration ("" = default)."""
    return render_template(
        "local_override.tf.j2",
        aliases=list(aliases),
        services=list(services),
        max_retries=max_retries,
    )


def backend_config(bucket: str, key: str, region: str, local: bool) -> str:
    return render_template("backend.hcl.j2", bucket=bucket, key=key, region=region, local=local)
