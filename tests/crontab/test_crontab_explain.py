"""Plain-English descriptions and explain records."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from migrator.crontab.explain import explain_schedule
from migrator.crontab.parser import parse_crontab, parse_expression
from migrator.crontab.schedule import describe


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        ("0 1 * * *", "At 01:00 every day"),
        ("@daily", "At 00:00 every day"),
        ("* * * * *", "Every minute every day"),
        ("*/15 * * * *", "Every 15 minutes every day"),
        ("0,30 9 * * *", "At 09:00 and 09:30 every day"),
        ("*/10 9-17 * * 1-5", "Every 10 minutes, between 09:00 and 17:59 on Monday through Friday"),
        ("5 */2 * * *", "At minute 5 past the hour, every 2 hours every day"),
        ("0 6 * * 1", "At 06:00 on Monday"),
        ("0 9 * * 5-0", "At 09:00 on Friday through Sunday"),
        ("0 0 1,15 * *", "At 00:00 on the 1st or 15th of the month"),
        ("30 4 1,15 * 5", "At 04:30 on the 1st or 15th of the month, and on every Friday"),
        (
            "0 0 */2 * 1",
            "At 00:00 on every 2nd day of the month from the 1st, but only if it is a Monday",
        ),
        ("0 0 1 1 *", "At 00:00 on the 1st of the month in January"),
        (
            "0 12 * jan-mar,dec sat,sun",
            "At 12:00 on Saturday or Sunday in January through March and December",
        ),
        (
            "0 0 31 2 *",
            "At 00:00 on the 31st of the month in February (a date that never occurs: it never fires)",
        ),
        ("@reboot", "At system startup (@reboot)"),
    ],
)
def test_describe(expr, text):
    assert describe(parse_expression(expr)) == text


def test_explain_record_for_a_random_value_and_delay():
    crontab = parse_crontab("RANDOM_DELAY=7\n10~20 3 * * * job\n")
    entry = crontab.entries[0]
    record = explain_schedule(
        entry.schedule,
        start=datetime(2026, 1, 1, tzinfo=timezone.utc),
        count=1,
        default_tz="UTC",
        entry=entry,
    )
    assert record["expression"] == "10~20 3 * * *"
    assert record["canonical"].endswith(" 3 * * *") and record["canonical"] != "10~20 3 * * *"
    assert any("at random from 10-20" in w for w in record["warnings"])
    assert any("up to 7 minutes late" in w for w in record["warnings"])


def test_explain_record_dst_warnings_per_kind():
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    record = explain_schedule(
        parse_expression("30 1,2 * * *"), start=start, count=0, default_tz="Europe/London"
    )
    assert record["next"] == []
    assert any("2026-03-29 01:30 does not exist in Europe/London" in w for w in record["warnings"])
    assert any(
        "2026-10-25 01:30 happens twice in Europe/London; cron runs the job only the first time"
        in w
        for w in record["warnings"]
    )
    own = explain_schedule(
        parse_expression("30 1 * * *", timezone="Europe/London"),
        start=start,
        count=0,
        default_tz="UTC",
    )
    assert any("cronie skips that run" in w for w in own["warnings"])
    assert (
        explain_schedule(parse_expression("30 1 * * *"), start=start, count=1, default_tz="UTC")[
            "warnings"
        ]
        == []
    )
