"""drift.schedule: EventBridge Scheduler expressions, accepted and refused as the service does."""

from __future__ import annotations

import pytest

from infrarep import schedule_expression


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minute)",
        "rate(1 hour)",
        "rate(6 hours)",
        "rate(1 day)",
        "rate(30 minutes)",
        "cron(0 */6 * * ? *)",
        "cron(0 6 ? * MON-FRI *)",
        "cron(15 10 ? * 6L 2026-2030)",
        "cron(0 9 ? * 3#2 *)",
        "cron(0 9 LW * ? *)",
        "cron(0 9 15W * ? *)",
        "cron(0/15 * * JAN,MAR ? *)",
        "at(2026-12-31T23:00:00)",
    ],
)
def test_scheduler_accepts(expression):
    assert schedule_expression.problem(expression) is None


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("rate(1 hours)", "rate(1 hours): with 1 the unit is 'hour'"),
        ("rate(5 hour)", "rate(5 hour): with 5 the unit is 'hours'"),
        ("rate(0 minutes)", "rate value '0' is not a positive whole number"),
        ("rate(2 weeks)", "rate unit 'weeks' is not one of minute(s), hour(s), day(s)"),
        ("every 6 hours", "not rate(value unit), cron(six fields) or at(yyyy-mm-ddThh:mm:ss)"),
        ("cron(0 6 * * ?)", "cron needs six fields"),
        ("cron(0 6 * * * *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 6 ? * ? *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 24 * * ? *)", "cron hours '24': '24' is not 0-23"),
        ("cron(0 9 ? 13 MON *)", "cron month '13': '13' is not 1-12 or JAN-DEC"),
        ("cron(0 9 ? * 3#2,4 *)", "cron day-of-week '3#2,4': a '#' item must stand alone"),
        ("cron(? 9 * * ? *)", "cron minutes '?': '?' is allowed only in day-of-month and day-of-week"),
        ("cron(0 9 * * ? 1969)", "cron year '1969': '1969' is not 1970-2199"),
        ("at(2026-13-01T00:00:00)", "at(2026-13-01T00:00:00): not a date and time"),
        ("at(2026-1-1T0:0:0)", "not a date and time"),
        ("rate(" + "9" * 300 + " minutes)", "longer than 256 characters"),
    ],
)
def test_scheduler_refuses_naming_what_is_wrong(expression, expected):
    found = schedule_expression.problem(expression)
    assert found is not None and expected in found
