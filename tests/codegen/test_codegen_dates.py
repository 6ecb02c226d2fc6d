"""Rewritten date substitutions render what GNU date printed when cron ran the job."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from zoneinfo import ZoneInfo

import pendulum
import pytest
from codegen_support import airflow_render
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from migrator.codegen.command import to_template
from migrator.codegen.dates import Expression, Literal, rewrite_dates

ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
FORMATS = [
    "%F",
    "%Y%m%d",
    "%Y-%m-%d_%H%M",
    "%d/%m/%y",
    "%Y/%j",
    "%s%N",
    "%a-%b-%-d",
    "%H:%M:%S%z",
    "%G-W%V-%u",
    "%D",
    "%T",
    "%Z",
]
RELATIVE = [
    "",
    "yesterday",
    "today",
    "tomorrow",
    "1 day ago",
    "-3 days",
    "2 weeks ago",
    "+1 day",
    "-2 hours",
    "90 minutes ago",
]


def gnu_date(moment: dt.datetime, zone: str, relative: str, fmt: str, utc: bool) -> str:
    """What `date [-u] -d RELATIVE +FMT` printed at `moment` (GNU date, the zone in TZ)."""
    local = moment.astimezone(ZoneInfo("UTC" if utc else zone))
    base = local.strftime("%Y-%m-%d %H:%M:%S")
    # relative items first: after a time, `-3 days` would read as a UTC offset of -3
    args = ["date", "-d", f"{relative} {base}".strip(), f"+{fmt}"] + (["-u"] if utc else [])
    env = {**os.environ, "TZ": "UTC" if utc else zone, "LC_ALL": "C"}
    return subprocess.run(args, capture_output=True, text=True, check=True, env=env).stdout.rstrip(
        "\n"
    )


def near_clock_change(moment: dt.datetime, zone: str) -> bool:
    tz = ZoneInfo(zone)
    offsets = {(moment + dt.timedelta(days=d)).astimezone(tz).utcoffset() for d in range(-15, 16)}
    return len(offsets) > 1


def render(command: str, zone: str, moment: dt.datetime) -> str:
    rewritten = rewrite_dates(command, zone)
    return airflow_render(to_template(list(rewritten.segments)), pendulum.instance(moment))


@settings(max_examples=60, deadline=None)
@given(
    st.datetimes(
        min_value=dt.datetime(2000, 1, 1),
        max_value=dt.datetime(2037, 12, 31),
        timezones=st.just(dt.timezone.utc),
    ),
    st.sampled_from(ZONES),
    st.sampled_from(FORMATS),
    st.sampled_from(RELATIVE),
    st.booleans(),
)
def test_rewritten_date_renders_what_gnu_date_printed(moment, zone, fmt, relative, utc) -> None:
    moment = moment.replace(microsecond=0)
    # DST days: GNU date and pendulum agree on calendar days, but the local string we hand to
    # `date -d` is ambiguous there; the DST behaviour is pinned in the unit tests below
    assume(not near_clock_change(moment, zone))
    option = f" -d '{relative}'" if relative else ""
    command = f"echo \"$(date{' -u' if utc else ''}{option} +'{fmt}')\""
    rewritten = rewrite_dates(command, zone)
    if fmt == "%s%N":
        assert not rewritten.rewrote and rewritten.kept
        return
    assert rewritten.rewrote, rewritten.kept
    expected = gnu_date(moment, zone, relative, fmt, utc)
    assert render(command, zone, moment) == f'echo "{expected}"'


def test_backfill_of_a_day_sees_that_day() -> None:
    run = dt.datetime(2025, 1, 5, tzinfo=dt.timezone.utc)
    assert render("load.sh $(date +%F)", "UTC", run) == "load.sh 2025-01-05"
    assert render("load.sh `date -d yesterday +%Y%m%d`", "UTC", run) == "load.sh 20250104"
    assert (
        render("x $(date -d '1 day ago' +%F) $(date --date='-3 days' +%F)", "UTC", run)
        == "x 2025-01-04 2025-01-02"
    )


def test_zone_of_the_dag_and_utc_flag() -> None:
    run = dt.datetime(2025, 1, 4, 23, 30, tzinfo=dt.timezone.utc)  # 00:30 on the 5th in Paris
    assert render("$(date +%F)", "Europe/Paris", run) == "2025-01-05"
    assert render("$(date -u +%F)", "Europe/Paris", run) == "2025-01-04"
    assert render("$(TZ=Asia/Tokyo date +%F)", "UTC", run) == "2025-01-05"


def test_calendar_days_across_a_clock_change() -> None:
    # 01:30 in Paris on the day after the spring change: yesterday 01:30 is 23 hours earlier
    run = dt.datetime(2025, 3, 31, 1, 30, tzinfo=ZoneInfo("Europe/Paris"))
    command = "\"$(date -d yesterday +'%F %H:%M')\""
    assert render(command, "Europe/Paris", run.astimezone(dt.timezone.utc)) == '"2025-03-30 01:30"'


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("echo $(date)", "no +FORMAT"),
        ("echo $(date +%s)", "%s"),
        ("echo $(date -d 'next monday' +%F)", "relative"),
        ("echo $(date -d '1 month ago' +%F)", "relative"),
        ("echo $(date -r /etc/passwd +%F)", "option"),
        ("echo $(date +%F | tr -d -)", "plain"),
        ("echo $(date +'%Y %m')", "spaces"),
        ('echo $(date +"%F-$HOST")', "expanded"),
        ("echo $(LANG=de date +%F)", "LANG"),
    ],
)
def test_forms_that_cannot_be_rewritten_are_kept_and_reported(command: str, reason: str) -> None:
    rewritten = rewrite_dates(command, "UTC")
    assert rewritten.segments == (Literal(command),)
    assert len(rewritten.kept) == 1 and reason in rewritten.kept[0].reason


@pytest.mark.parametrize(
    "command",
    [
        "echo '$(date +%F)'",
        "echo \\$(date +%F)",
        "echo hi # $(date +%F)",
        "date +%F",
        "echo $'$(date +%F)'",
    ],
)
def test_text_the_shell_does_not_expand_is_not_touched(command: str) -> None:
    rewritten = rewrite_dates(command, "UTC")
    assert rewritten.segments == (Literal(command),) and not rewritten.kept


def test_nested_substitution_is_rewritten_in_place() -> None:
    rewritten = rewrite_dates('ls $(find /in -name "$(date +%F)*")', "UTC")
    assert [type(s) for s in rewritten.segments] == [Literal, Expression, Literal]
    assert rewritten.segments[0] == Literal('ls $(find /in -name "')


def test_quoted_format_with_spaces_is_rewritten_inside_double_quotes() -> None:
    run = dt.datetime(2025, 1, 5, 6, 7, tzinfo=dt.timezone.utc)
    assert render('echo "$(date +"%Y %m %e")"', "UTC", run) == 'echo "2025 01  5"'
