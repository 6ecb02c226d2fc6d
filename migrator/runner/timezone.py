"""Time zone helpers with Airflow's conventions: naive means UTC, results are pendulum DateTimes.

The runner computes logical dates exactly as Airflow does, so it works with the same types:
`pendulum.DateTime` everywhere a template can see a date (`{{ logical_date.add(days=1) }}` works).
"""

from __future__ import annotations

import datetime as dt

import pendulum
from pendulum import DateTime

UTC = pendulum.UTC


def utcnow() -> DateTime:
    return pendulum.now(UTC)


def parse_timezone(name: str | int | dt.tzinfo) -> dt.tzinfo:
    if isinstance(name, dt.tzinfo):
        return name
    return pendulum.timezone(name)


def make_aware(value: dt.datetime, timezone: dt.tzinfo | None = None) -> dt.datetime:
    """Attach `timezone` to a naive wall-clock time; on a DST fold pick the second occurrence."""
    if value.utcoffset() is not None:
        raise ValueError(f"make_aware expects a naive datetime, got {value}")
    timezone = timezone or UTC
    value = value.replace(fold=1)
    convert = getattr(timezone, "convert", None)
    if convert is not None:
        return convert(value)
    return value.replace(tzinfo=timezone)


def make_naive(value: dt.datetime, timezone: dt.tzinfo | None = None) -> dt.datetime:
    if value.utcoffset() is None:
        raise ValueError("make_naive() cannot be applied to a naive datetime")
    local = value.astimezone(timezone or UTC)
    return dt.datetime(local.year, local.month, local.day, local.hour, local.minute, local.second, local.microsecond)


def convert_to_utc(value: dt.datetime | None) -> DateTime | None:
    if value is None:
        return None
    if value.utcoffset() is None:
        value = pendulum.instance(value, UTC)
    return pendulum.instance(value.astimezone(UTC))


def coerce_datetime(value: dt.datetime | None, tz: dt.tzinfo | None = None) -> DateTime | None:
    """An aware pendulum DateTime; naive input is taken in `tz` (UTC by default), aware keeps its zone."""
    if value is None:
        return None
    if isinstance(value, DateTime):
        return value if value.tzinfo else make_aware(value, tz)  # type: ignore[return-value]
    return pendulum.instance(value if value.tzinfo else make_aware(value, tz))


def parse(text: str, timezone: dt.tzinfo | str | None = None) -> DateTime:
    """Parse an ISO-like date or datetime; without an offset it is taken in `timezone` (UTC)."""
    result = pendulum.parse(text, tz=timezone or UTC, strict=False)
    if not isinstance(result, DateTime):
        raise ValueError(f"not a date or datetime: {text!r}")  # noqa: TRY004 - a bad value, not a bad type
    return result
