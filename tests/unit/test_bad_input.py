"""Bad input ends in one line naming the file (and field), exit 1, and nothing left behind."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from infrarep import cli, render

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plans"


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        cli.main(list(argv))
    out, err = capsys.readouterr()
    return int(exited.value.code), out, err


def _one_error(err: str) -> str:
    """The error line; only a `hint:` may follow it, and no traceback."""
    lines = err.splitlines()
    assert lines and lines[0].startswith("error: "), err[:2000]
    assert all(line.startswith("hint: ") for line in lines[1:]), err[:2000]
    return lines[0]


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- bytes that are not UTF-8, and nesting no reader survives ---


def test_config_that_is_not_utf8_names_file_and_line(tmp_path, write_config, capsys):
    cfg = write_config(tmp_path)
    cfg.write_bytes(cfg.read_bytes() + b"# caf\xe9\n")
    lines = cfg.read_bytes().count(b"\n")

    code, out, err = _run(capsys, "render", "--config", str(cfg))

    assert code == 1
    assert out == ""
    assert _one_error(err).startswith(f"error: {cfg}: line {lines}: not UTF-8 (byte 0xe9 at offset ")
    assert _tree(tmp_path / "envs") == {"environments.yaml": cfg.read_bytes()}


def test_policy_that_is_not_utf8_names_file_and_line(tmp_path, capsys):
    policy = tmp_path / "policy.yaml"
    policy.write_bytes(b"accepted:\n  - type: aws_sqs_queue\n    reason: caf\xe9\n")

    code, out, err = _run(
        capsys,
        "drift-report",
        "--plan",
        f"dev={FIXTURES / 'live_dev.json'}",
        "--policy",
        str(policy),
        "--config",
        str(tmp_path / "absent.yaml"),
    )

    assert code == 1
    assert out == ""
    assert _one_error(err) == f"error: {policy}: line 3: not UTF-8 (byte 0xe9 at offset 49)"


def test_invalid_utf8_inside_a_plan_value_names_the_file_and_offset(tmp_path, capsys):
    data = (FIXTURES / "live_dev.json").read_bytes()
    value = data.index(b'"before":{', data.index(b'"resource_drift"'))
    bad = data.index(b':"', value + 10) + 2  # inside the first string of a drifted resource's `before`
    plan = tmp_path / "dev.json"
    plan.write_bytes(data[:bad] + b"\xff" + data[bad:])

    code, out, err = _run(capsys, "drift-report", "--plan", f"dev={plan}", "--config", str(tmp_path / "x"))

    assert code == 1
    assert out == ""
    error = [line for line in err.splitlines() if line.startswith("error: ")]
    assert error == [f"error: {plan}: not a terraform plan JSON (invalid UTF-8: byte 0xff at offset {bad})"]
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 5000 + b"]" * 5000,
        b'{"format_version":"1.2","planned_values":{},"resource_drift":[{"address":"a.b","mode":'
        b'"managed","type":"a","name":"b","change":{"actions":["update"],"before":'
        + b"[" * 5000
        + b"]" * 5000
        + b"}}]}",
    ],
    ids=["bare", "inside-a-value"],
)
def test_a_plan_nested_5000_deep_is_one_line(tmp_path, capsys, content):
    plan = tmp_path / "deep.json"
    plan.write_bytes(content)

    code, out, err = _run(capsys, "drift-report", "--plan", f"dev={plan}", "--config", str(tmp_path / "x"))

    assert code == 1
    assert out == ""
    assert _one_error(err).startswith(f"error: {plan}: not a terraform plan JSON (")


def test_a_config_nested_5000_deep_is_one_line(tmp_path, write_config, capsys):
    cfg = write_config(tmp_path)
    cfg.write_text(cfg.read_text().replace("alert_emails: []", "alert_emails: " + "[" * 5000 + "]" * 5000))

    code, _, err = _run(capsys, "render", "--config", str(cfg))

    assert code == 1
    assert _one_error(err) == f"error: {cfg}: nested too deeply, or a value contains itself"
    assert not (tmp_path / "envs" / "dev").exists()


def test_a_policy_nested_5000_deep_is_one_line(tmp_path, capsys):
    policy = tmp_path / "policy.yaml"
    policy.write_text("accepted: " + "[" * 5000 + "]" * 5000 + "\n")
    args = ["--plan", f"dev={FIXTURES / 'live_dev.json'}", "--config", str(tmp_path / "x")]

    code, _, err = _run(capsys, "drift-report", *args, "--policy", str(policy))

    assert code == 1
    assert _one_error(err) == f"error: {policy}: nested too deeply, or a value contains itself"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("cost_center: platform", "cost_center: 2024-13-45", "not valid YAML (month must be in 1..12)"),
        ("version: 1", "version: " + "9" * 5000, "not valid YAML (Exceeds the limit (4300 digits)"),
        ("system: infrarep", 'system: "a\x00"', "line 2: not valid YAML (character #x0000 is not allowed)"),
        ("version: 1", "version: [1", "line 2: not valid YAML (expected ',' or ']', but got ':')"),
    ],
    ids=["impossible-date", "huge-integer", "nul-character", "unclosed-list"],
)
def test_yaml_that_cannot_be_read_is_one_line(tmp_path, write_config, capsys, old, new, expected):
    cfg = write_config(tmp_path)
    cfg.write_text(cfg.read_text().replace(old, new, 1))

    code, _, err = _run(capsys, "render", "--config", str(cfg))

    assert code == 1
    assert _one_error(err).startswith(f"error: {cfg}: {expected}")


# --- what an error line echoes ---


def _alias_bomb(levels: int) -> str:
    """`levels` nested anchors, each a list of nine of the one before: 9**levels addresses."""
    chain = "&l0 [" + ", ".join(["ops@example.com"] * 9) + "]"
    for level in range(1, levels):
        chain = f"&l{level} [" + ", ".join([chain] + [f"*l{level - 1}"] * 8) + "]"
    return chain


def test_an_alias_bomb_is_refused_in_one_short_line(tmp_path, write_config, capsys):
    cfg = write_config(tmp_path)
    text = cfg.read_text().replace("alert_emails: []", f"alert_emails: [{_alias_bomb(6)}]")
    cfg.write_text(text)
    assert len(text) < 4000  # a few KB of YAML, 9**6 addresses once expanded

    code, _, err = _run(capsys, "render", "--config", str(cfg))

    assert code == 1
    assert _one_error(err) == f"error: {cfg}: more than 10000 values once its aliases are expanded"
    assert len(err) < 300


def test_a_wrong_value_is_echoed_cut_short(tmp_path, write_config, capsys):
    cfg = write_config(tmp_path)
    # 9**4 addresses: under the expansion limit, yet megabytes as text.
    cfg.write_text(cfg.read_text().replace("alert_emails: []", f"alert_emails: [{_alias_bomb(4)}]"))

    code, _, err = _run(capsys, "render", "--config", str(cfg))

    assert code == 1
    line = _one_error(err)
    assert line.startswith(f"error: {cfg}: environments.dev.alert_emails.0: expected string, got [[[")
    assert len(line) < len(str(cfg)) + 200


def test_a_huge_string_is_echoed_cut_short(tmp_path, write_config, capsys):
    cfg = write_config(tmp_path, staging={"region": "us-west-" + "9" * 1_000_000})

    code, _, err = _run(capsys, "render", "--config", str(cfg))

    assert code == 1
    line = _one_error(err)
    assert line.startswith(f"error: {cfg}: environments.staging.region: 'us-west-999")
    assert line.endswith("' is not an AWS region")
    assert len(line) < len(str(cfg)) + 200


# --- strict types ---


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"az_count": "3"}, "az_count", "expected int, got '3'"),
        ({"az_count": 3.0}, "az_count", "expected int, got 3.0"),
        ({"az_count": True}, "az_count", "expected int, got True"),
        ({"approval_required": "yes"}, "approval_required", "expected bool, got 'yes'"),
        ({"deletion_protection": 1}, "deletion_protection", "expected bool, got 1"),
        ({"region": 7}, "region", "expected string, got 7"),
        ({"alert_emails": "ops@example.com"}, "alert_emails", "expected tuple, got 'ops@example.com'"),
        ({"payments": {"lambda_memory_mb": 256.0}}, "payments.lambda_memory_mb", "expected int, got 256.0"),
        ({"payments": {"aurora_io_optimized": "no"}}, "payments.aurora_io_optimized", "expected bool"),
        ({"payments": {"xray_sampling_rate": "0.5"}}, "payments.xray_sampling_rate", "expected float"),
    ],
)
def test_types_are_strict(tmp_path, write_config, capsys, changes, field, expected):
    cfg = write_config(tmp_path, prod=changes)

    code, _, err = _run(capsys, "render", "--config", str(cfg))

    assert code == 1
    assert _one_error(err).startswith(f"error: {cfg}: environments.prod.{field}: {expected}")
    assert not (tmp_path / "envs" / "prod").exists()


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        ({"promotion": {"soak_minutes": "60"}}, "promotion.soak_minutes: expected int, got '60'"),
        ({"version": 1.0}, "version: expected int, got 1.0"),
        ({"target": "cloud"}, "target: 'cloud' is not one of local, aws"),
    ],
)
def test_top_level_types_are_strict_too(tmp_path, write_config, capsys, top, expected):
    cfg = write_config(tmp_path, top)

    code, _, err = _run(capsys, "render", "--config", str(cfg))

    assert code == 1
    assert _one_error(err) == f"error: {cfg}: {expected}"


def test_whole_numbers_are_fine_where_a_fraction_is_expected(tmp_path, write_config, capsys):
    cfg = write_config(tmp_path, prod={"payments": {"xray_sampling_rate": 1}})

    assert _run(capsys, "render", "--config", str(cfg))[0] == 0


# --- where render writes, and how ---


def test_a_config_outside_a_project_is_refused(tmp_path, write_config, capsys):
    cfg = tmp_path / "elsewhere" / "x.yaml"
    cfg.parent.mkdir()
    cfg.write_text(write_config(tmp_path / "scratch").read_text())

    code, out, err = _run(capsys, "render", "--config", str(cfg))

    assert code == 1
    assert out == ""
    assert _one_error(err).startswith(f"error: {cfg}: not in the envs/ folder of a project")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "scratch"]
    assert [p.name for p in cfg.parent.iterdir()] == ["x.yaml"]


def test_an_envs_folder_without_modules_beside_it_is_not_a_project(tmp_path, write_config, capsys):
    cfg = write_config(tmp_path)
    (tmp_path / "modules").rmdir()

    code, _, err = _run(capsys, "render", "--config", str(cfg))

    assert code == 1
    assert _one_error(err).startswith(f"error: {cfg}: not in the envs/ folder of a project")
    assert not (tmp_path / "terraform").exists()


def test_render_into_a_folder_that_cannot_be_written_leaves_nothing(
    tmp_path, write_config, capsys, immutable
):
    cfg = write_config(tmp_path)
    before = _tree(tmp_path)
    immutable(tmp_path / "envs")  # read-only for root too: envs/dev cannot be created

    code, out, err = _run(capsys, "render", "--config", str(cfg))

    assert code == 1
    assert out == ""
    assert _one_error(err).startswith(f"error: {tmp_path / 'envs/dev'}/")
    assert "Operation not permitted" in err
    assert _tree(tmp_path) == before  # not even the bootstrap or control plane files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["envs", "modules"]


def test_render_over_a_file_that_cannot_be_replaced_leaves_no_temporary_file(
    tmp_path, write_config, capsys, immutable
):
    cfg = write_config(tmp_path)
    assert _run(capsys, "render", "--config", str(cfg))[0] == 0
    locked = tmp_path / "envs/staging/terraform.auto.tfvars"
    locked.write_text(locked.read_text() + "# edited by hand\n")  # stale, so render replaces it
    immutable(locked)
    before = _tree(tmp_path)

    code, out, err = _run(capsys, "render", "--config", str(cfg))

    assert code == 1
    assert out == ""
    assert _one_error(err) == f"error: {locked}: cannot replace (Operation not permitted)"
    assert _tree(tmp_path) == before
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_render_where_a_folder_is_a_file_is_one_line(tmp_path, write_config, capsys):
    cfg = write_config(tmp_path)
    (tmp_path / "envs" / "staging").write_text("not a folder\n")
    before = _tree(tmp_path)

    code, _, err = _run(capsys, "render", "--config", str(cfg))

    assert code == 1
    assert _one_error(err).startswith(f"error: {tmp_path / 'envs/staging'}/")
    assert "Not a directory" in err
    assert _tree(tmp_path) == before


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_rendered_files_follow_the_umask_and_keep_their_mode(tmp_path, write_config, capsys, umask_022):
    cfg = write_config(tmp_path)
    assert _run(capsys, "render", "--config", str(cfg))[0] == 0
    rendered = [p for p in (tmp_path / "envs").rglob("*") if p.is_file() and p != cfg]
    assert len(rendered) == 3 * (len(render.COMMITTED_FILES) + len(render.GENERATED_FILES))
    assert {_mode(p) for p in rendered} == {0o644}

    tfvars = tmp_path / "envs/prod/terraform.auto.tfvars"
    tfvars.chmod(0o640)
    write_config(tmp_path, prod={"az_count": 2})
    assert _run(capsys, "render", "--config", str(cfg))[1].split() == ["written", str(tfvars)]
    assert _mode(tfvars) == 0o640


def test_a_report_written_with_out_follows_the_umask(tmp_path, capsys, umask_022):
    out = tmp_path / "report.md"
    args = ["--plan", f"dev={FIXTURES / 'live_dev.json'}", "--config", str(tmp_path / "x")]

    code, _, _ = _run(capsys, "drift-report", *args, "--format", "markdown", "--out", str(out))

    assert code == 2
    assert _mode(out) == 0o644


def test_a_report_that_cannot_be_written_is_one_line(tmp_path, capsys):
    (tmp_path / "reports").write_text("a file, not a folder\n")
    out = tmp_path / "reports" / "drift.md"
    args = ["--plan", f"dev={FIXTURES / 'live_dev.json'}", "--config", str(tmp_path / "x")]

    code, _, err = _run(capsys, "drift-report", *args, "--out", str(out))

    assert code == 1
    assert [line for line in err.splitlines() if line.startswith("error: ")] == [
        f"error: {out}: cannot read (Not a directory)"
    ]


# --- env names on the command line ---


def test_a_plan_for_an_env_the_config_does_not_know_is_an_error(tmp_path, write_config, capsys):
    cfg = write_config(tmp_path)

    code, out, err = _run(
        capsys, "drift-report", "--plan", f"prdo={FIXTURES / 'parity_prod.json'}", "--config", str(cfg)
    )

    assert code == 1
    assert out == ""
    assert _one_error(err) == f"error: {cfg}: no environment 'prdo' (known: dev, staging, prod)"


def test_an_env_name_that_appears_nowhere_in_its_plan_is_warned_about(tmp_path, capsys):
    plan = FIXTURES / "parity_prod.json"

    code, _, err = _run(capsys, "drift-report", "--plan", f"prdo={plan}", "--config", str(tmp_path / "x"))

    assert code in (0, 2)
    assert (
        f"warning: --plan prdo={plan}: 'prdo' appears nowhere in the plan, so none of its values are "
        "normalised as that env's; is the env name right?"
    ) in err.splitlines()
    _, _, err = _run(capsys, "drift-report", "--plan", f"prod={plan}", "--config", str(tmp_path / "x"))
    assert "warning" not in err


def test_two_normal_plans_for_one_env_say_so_plainly(tmp_path, capsys):
    first, second = FIXTURES / "parity_dev.json", FIXTURES / "pending_dev.json"

    args = ["--plan", f"dev={first}", "--plan", f"dev={second}", "--config", str(tmp_path / "x")]

    code, _, err = _run(capsys, "drift-report", *args)

    assert code == 1
    assert [line for line in err.splitlines() if line.startswith("error: ")] == [
        f"error: --plan dev={second}: dev already has a normal plan ({first})"
    ]


# --- env aliases and policy expiry ---


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"staging": {"aliases": ["s"]}, "prod": {"aliases": ["prd", "s"]}},
            "'s' is also an alias of staging",
        ),
        ({"prod": {"aliases": ["staging"]}}, "'staging' is the name of environment staging"),
    ],
    ids=["claimed-twice", "another-env-name"],
)
def test_an_alias_in_the_config_that_names_two_envs_is_one_line(
    tmp_path, write_config, capsys, changes, expected
):
    cfg = write_config(tmp_path, **changes)
    position = len(changes["prod"]["aliases"]) - 1
    plan = f"prod={FIXTURES / 'parity_prod.json'}"

    code, out, err = _run(capsys, "drift-report", "--plan", plan, "--config", str(cfg))

    assert code == 1
    assert out == ""
    assert _one_error(err) == f"error: {cfg}: environments.prod.aliases.{position}: {expected}"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("prd", "--alias 'prd': expected ENV=CODE, e.g. --alias prod=prd"),
        ("prdo=prd", "--alias prdo=prd: no environment 'prdo' (known: dev, staging, prod)"),
        ("staging=p", "--alias staging=p: 'p' is also an alias of prod"),
        ("prod=dev", "--alias prod=dev: 'dev' is the name of environment dev"),
        ("prod=PRD", "--alias prod=PRD: 'PRD' is not an alias: lowercase letters and digits, at least one"),
    ],
    ids=["no-equals", "unknown-env", "claimed-by-another", "another-env-name", "upper-case"],
)
def test_a_bad_alias_option_is_one_line(tmp_path, write_config, capsys, spec, expected):
    cfg = write_config(tmp_path, prod={"aliases": ["p"]})
    plans = [
        "--plan",
        f"staging={FIXTURES / 'parity_staging.json'}",
        "--plan",
        f"prod={FIXTURES / 'parity_prod.json'}",
    ]

    code, out, err = _run(capsys, "drift-report", *plans, "--alias", spec, "--config", str(cfg))

    assert code == 1
    assert out == ""
    assert _one_error(err).startswith(f"error: {expected}")


def test_without_a_config_an_alias_names_an_env_a_plan_is_given_for(tmp_path, capsys):
    plan = f"prod={FIXTURES / 'parity_prod.json'}"

    code, _, err = _run(
        capsys, "drift-report", "--plan", plan, "--alias", "staging=stg", "--config", str(tmp_path / "x")
    )

    assert code == 1
    assert _one_error(err) == "error: --alias staging=stg: no environment 'staging' (known: prod)"


def test_a_policy_expiry_that_is_not_a_date_is_one_line(tmp_path, capsys):
    policy = tmp_path / "policy.yaml"
    policy.write_text("accepted:\n  - type: aws_sqs_queue\n    reason: r\n    expires: 2026-11-31\n")
    args = ["--plan", f"dev={FIXTURES / 'live_dev.json'}", "--config", str(tmp_path / "x")]

    code, out, err = _run(capsys, "drift-report", *args, "--policy", str(policy))

    assert code == 1
    assert out == ""
    assert _one_error(err) == (
        f"error: {policy}: accepted.0.expires: '2026-11-31' is not a date (day is out of range for month)"
    )


# --- docs ---


def test_docs_outside_a_project_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)

    code, _, err = _run(capsys, "docs", "--check")

    assert code == 1
    assert _one_error(err) == "error: modules: no such folder"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("variables.tf", b'variable "x" {\n  description = "caf\xe9"\n}\n', "line 2: not UTF-8 (byte 0xe9"),
        ("variables.tf", b'variable "x" {\n  type = string\n', "not valid HCL (Unexpected token"),
        ("README.md", b"# caf\xe9\n", "line 1: not UTF-8 (byte 0xe9 at offset 5)"),
    ],
    ids=["tf-not-utf8", "tf-not-hcl", "readme-not-utf8"],
)
def test_docs_over_a_file_it_cannot_read_is_one_line(tmp_path, capsys, monkeypatch, name, content, expected):
    module = tmp_path / "modules" / "queue"
    module.mkdir(parents=True)
    (module / "outputs.tf").write_text('output "arn" {\n  description = "The ARN."\n  value = 1\n}\n')
    (module / name).write_bytes(content)
    monkeypatch.chdir(tmp_path)

    code, _, err = _run(capsys, "docs")

    assert code == 1
    assert _one_error(err).startswith(f"error: modules/queue/{name}: {expected}")
    assert sorted(p.name for p in module.iterdir()) == sorted({"outputs.tf", name})
