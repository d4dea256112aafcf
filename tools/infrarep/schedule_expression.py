"""EventBridge Scheduler schedule expressions, checked as the service checks them:
`rate(value unit)`, `cron(minutes hours day-of-month month day-of-week year)`, `at(yyyy-mm-ddThh:mm:ss)`.

`problem` is pure: it names what is wrong, or returns None when Scheduler would accept it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

MAX_LENGTH = 256  # CreateSchedule's ScheduleExpression

RATE = re.compile(r"rate\((?P<value>\S+) (?P<unit>\S+)\)")
RATE_UNITS = ("minute", "hour", "day")
CRON = re.compile(r"cron\((?P<fields>.*)\)")
AT = re.compile(r"at\((?P<moment>.*)\)")
AT_FORMAT = "%Y-%m-%dT%H:%M:%S"
AT_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}")

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class CronField:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names that stand for low, low + 1, ...
    any_allowed: bool = False  # `?`
    last_allowed: bool = False  # `L`, and `nL` in day-of-week
    weekday_allowed: bool = False  # `nW`, `LW`
    nth_allowed: bool = False  # `n#k`


CRON_FIELDS = (
    CronField("minutes", 0, 59),
    CronField("hours", 0, 23),
    CronField("day-of-month", 1, 31, any_allowed=True, last_allowed=True, weekday_allowed=True),
    CronField("month", 1, 12, names=MONTHS),
    CronField("day-of-week", 1, 7, names=WEEKDAYS, any_allowed=True, last_allowed=True, nth_allowed=True),
    CronField("year", 1970, 2199),
)


def problem(expression: str) -> str | None:
    """Why EventBridge Scheduler would refuse `expression`, or None."""
    if len(expression) > MAX_LENGTH:
        return f"longer than {MAX_LENGTH} characters"
    if rate := RATE.fullmatch(expression):
        return _rate_problem(rate["value"], rate["unit"])
    if cron := CRON.fullmatch(expression):
        return _cron_problem(cron["fields"])
    if at := AT.fullmatch(expression):
        return _at_problem(at["moment"])
    return "not rate(value unit), cron(six fields) or at(yyyy-mm-ddThh:mm:ss)"


def _rate_problem(value: str, unit: str) -> str | None:
    if not re.fullmatch(r"[1-9][0-9]*", value):
        return f"rate value {value!r} is not a positive whole number"
    singular = unit.removesuffix("s")
    if singular not in RATE_UNITS:
        return f"rate unit {unit!r} is not one of minute(s), hour(s), day(s)"
    wanted = singular if value == "1" else singular + "s"
    if unit != wanted:
        return f"rate({value} {unit}): with {value} the unit is {wanted!r}"
    return None


def _cron_problem(text: str) -> str | None:
    fields = text.split()
    if len(fields) != len(CRON_FIELDS) or text != " ".join(fields):
        return (
            "cron needs six fields separated by single spaces "
            "(minutes hours day-of-month month day-of-week year), "
            f"got {len(fields)}"
        )
    for field, value in zip(CRON_FIELDS, fields, strict=True):
        if found := _field_problem(field, value):
            return f"cron {field.name} {value!r}: {found}"
    day_of_month, day_of_week = fields[2], fields[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        return "cron: exactly one of day-of-month and day-of-week must be '?'"
    return None


def _field_problem(field: CronField, value: str) -> str | None:
    if value == "?":
        return None if field.any_allowed else "'?' is allowed only in day-of-month and day-of-week"
    items = value.split(",")
    if len(items) > 1 and any("#" in item for item in items):
        return "a '#' item must stand alone"
    for item in items:
        if found := _item_problem(field, item):
            return found
    return None


def _item_problem(field: CronField, item: str) -> str | None:
    if field.last_allowed and item == "L":
        return None
    if field.weekday_allowed and item == "LW":
        return None
    if field.weekday_allowed and item.endswith("W"):
        return _value_problem(field, item[:-1])
    if field.nth_allowed and "#" in item:
        day, _, nth = item.partition("#")
        return _value_problem(field, day) or (
            None if nth in {"1", "2", "3", "4", "5"} else f"#{nth}: the week of the month is 1-5"
        )
    if field.nth_allowed and field.last_allowed and item.endswith("L"):
        return _value_problem(field, item[:-1])
    start, slash, step = item.partition("/")
    if slash and not re.fullmatch(r"[1-9][0-9]*", step):
        return f"increment {step!r} is not a positive whole number"
    if start == "*":
        return None
    low, dash, high = start.partition("-")
    return _value_problem(field, low) or (_value_problem(field, high) if dash else None)


def _value_problem(field: CronField, text: str) -> str | None:
    if text.upper() in field.names:
        return None
    if not re.fullmatch(r"[0-9]+", text) or not field.low <= int(text) <= field.high:
        names = f" or {field.names[0]}-{field.names[-1]}" if field.names else ""
        return f"{text!r} is not {field.low}-{field.high}{names}"
    return None


def _at_problem(moment: str) -> str | None:
    try:
        valid = AT_MOMENT.fullmatch(moment) is not None and bool(datetime.strptime(moment, AT_FORMAT))
    except ValueError:
        valid = False
    return None if valid else f"at({moment}): not a date and time yyyy-mm-ddThh:mm:ss"
