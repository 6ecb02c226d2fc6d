"""Calendars: which schedules are one calendar, and how far apart they fire within a cycle."""

from __future__ import annotations

import pytest
from infer_builders import schedule

from migrator.infer.calendar import NeverFires, forward, timing


def _t(text: str, zone: str = "UTC"):
    return timing(schedule(text), zone)


@pytest.mark.parametrize(
    ("up", "down", "minutes"),
    [
        ("0 0 * * *", "0 1 * * *", 60),
        ("30 23 * * *", "15 0 * * *", 45),  # across midnight
        ("45 23 * * 1-5", "30 0 * * 2-6", 45),  # across midnight, weekdays shifted
        ("5 * * * *", "20 * * * *", 15),
        ("50 * * * *", "10 * * * *", 20),  # across the hour
        ("0 2 1 * *", "0 4 1 * *", 120),  # monthly
        ("0 4 1 * *", "0 9 2 * *", 29 * 60),  # monthly, the next day
        ("0 6,18 * * *", "30 6,18 * * *", 30),
        ("@daily", "0 3 * * *", 180),
    ],
)
def test_same_calendar_and_offset(up: str, down: str, minutes: int):
    a, b = _t(up), _t(down)
    assert a.key == b.key
    assert forward(a, b) == (minutes, minutes)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("0 0 * * *", "0 0 * * 1"),  # daily vs weekly
        ("0 1 * * *", "0 1 * * 1-5"),  # every day vs weekdays
        ("0 * * * *", "0 0 * * *"),  # hourly vs daily
        ("0 0 1 * *", "0 0 * * *"),
    ],
)
def test_different_calendars(a: str, b: str):
    assert _t(a).key != _t(b).key
    assert forward(_t(a), _t(b)) is None


def test_weekday_jobs_do_not_pair_across_a_gap_in_their_days():
    # Mon-Fri 23:45 is followed Tue-Sat 00:30, but not Mon-Fri 00:30 (that one comes first each day)
    late, early = _t("45 23 * * 1-5"), _t("30 0 * * 1-5")
    assert late.key == early.key
    assert forward(late, early) is None
    assert forward(early, late) == (23 * 60 + 15, 23 * 60 + 15)


def test_instants_not_clock_strings():
    # 02:00 in Berlin is 01:00 UTC in winter and 00:00 UTC in summer: before 01:30 UTC all year
    berlin, utc = _t("0 2 * * *", "Europe/Berlin"), _t("30 1 * * *")
    assert forward(berlin, utc) == (30, 90)
    # Tokyo 02:00 is 17:00 UTC the day before
    tokyo = _t("0 2 * * *", "Asia/Tokyo")
    assert forward(tokyo, _t("0 18 * * *")) == (60, 60)


def test_order_that_flips_with_summer_time_is_not_an_order():
    # Berlin 03:00 = 02:00 UTC (winter) / 01:00 UTC (summer); 01:30 UTC is between the two
    assert forward(_t("0 3 * * *", "Europe/Berlin"), _t("30 1 * * *")) is None
    assert forward(_t("30 1 * * *"), _t("0 3 * * *", "Europe/Berlin")) is None


def test_simultaneous_jobs_are_not_ordered():
    assert forward(_t("0 0 * * *"), _t("0 0 * * *")) is None


def test_a_schedule_that_never_fires():
    with pytest.raises(NeverFires):
        _t("0 0 30 2 *")


def test_cadence_words():
    assert _t("0 1 * * *").cadence == "daily"
    assert _t("5 * * * *").cadence == "hourly"
    assert _t("*/15 * * * *").cadence == "every 15 min"
    assert _t("0 6 * * 1-5").cadence == "weekly (Mon,Tue,Wed,Thu,Fri)"
    assert _t("0 8 1 * *").cadence == "monthly"
