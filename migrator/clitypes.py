"""Click parameter types shared by several commands, so that an option means the same everywhere."""

from __future__ import annotations

import datetime as dt
import re

import click

_DURATION = re.compile(r"^(\d+)\s*(s|sec|secs|m|min|mins|h|hour|hours)?$")
_UNITS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "h": 3600,
    "hour": 3600,
    "hours": 3600,
}


class Duration(click.ParamType):
    """`300`, `90s`, `5m`, `1h` (`migrate --retry-delay`, `run --retry-delay`)."""

    name = "duration"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.timedelta:
        if isinstance(value, dt.timedelta):
            return value
        match = _DURATION.match(str(value).strip())
        if not match:
            self.fail(f"{value!r} is not a duration like 300, 90s, 5m or 1h", param, ctx)
        seconds = int(match.group(1)) * _UNITS[match.group(2) or "s"]
        try:
            return dt.timedelta(seconds=seconds)
        except OverflowError:
            self.fail(f"{value!r} is too long a duration (at most {dt.timedelta.max.days} days)", param, ctx)
