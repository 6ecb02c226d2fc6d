"""Logical dates and data intervals, as Airflow 3's timetables compute them.

Hand-checked cases here; the airflow-marked test_integration_runner_timetables.py compares long runs of
fire times with Airflow's own timetables.
"""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from migrator.runner.timetables import (
    CronDataIntervalTimetable,
    CronTriggerTimetable,
    DeltaDataIntervalTimetable,
    MultipleCronTriggerTimetable,
    NullTimetable,
    OnceTimetable,
    TimetableError,
    timetable_from_schedule,
)

UTC = pendulum.UTC


def between(timetable, start, end):
    return [(i.logical_date, i.data_interval.start, i.data_interval.end, i.run_after)
            for i in timetable.iter_dagrun_infos_between(start, end)]


def test_trigger_timetable_logical_date_is_the_fire_time() -> None:
    runs = between(CronTriggerTimetable("30 2 * * *", timezone="UTC"),
                   pendulum.datetime(2024, 1, 1), pendulum.datetime(2024, 1, 3, 2, 30))
    assert [r[0] for r in runs] == [pendulum.datetime(2024, 1, d, 2, 30) for d in (1, 2, 3)]
    assert all(r[0] == r[1] == r[2] == r[3] for r in runs)


def test_trigger_timetable_with_interval_starts_the_interval_earlier() -> None:
    [run] = between(CronTriggerTimetable("0 6 * * *", timezone="UTC", interval=dt.timedelta(hours=6)),
                    pendulum.datetime(2024, 1, 1), pendulum.datetime(2024, 1, 1, 6))
    logical, start, end, run_after = run
    assert end == run_after == pendulum.datetime(2024, 1, 1, 6)
    assert logical == start == pendulum.datetime(2024, 1, 1, 0)  # Airflow: logical date = interval start


def test_data_interval_timetable_is_airflow2_semantics() -> None:
    runs = between(CronDataIntervalTimetable("@daily", "UTC"), pendulum.datetime(2024, 1, 1), pendulum.datetime(2024, 1, 2))
    assert runs == [
        (pendulum.datetime(2024, 1, 1), pendulum.datetime(2024, 1, 1), pendulum.datetime(2024, 1, 2), pendulum.datetime(2024, 1, 2)),
        (pendulum.datetime(2024, 1, 2), pendulum.datetime(2024, 1, 2), pendulum.datetime(2024, 1, 3), pendulum.datetime(2024, 1, 3)),
    ]


def test_range_is_inclusive_and_aligned() -> None:
    runs = between(CronTriggerTimetable("0 0 * * *", timezone="UTC"),
                   pendulum.datetime(2024, 1, 1, 12), pendulum.datetime(2024, 1, 4))
    assert [r[0].day for r in runs] == [2, 3, 4]


def test_daylight_saving_time() -> None:
    """A 02:30 Europe/Paris job on the spring-forward day, and hourly jobs across the autumn fold."""
    paris = "Europe/Paris"
    runs = between(CronTriggerTimetable("30 2 * * *", timezone=paris),
                   pendulum.datetime(2024, 3, 30, tz=paris), pendulum.datetime(2024, 4, 1, 3, tz=paris))
    assert [r[0].in_timezone(paris).isoformat() for r in runs] == [
        "2024-03-30T02:30:00+01:00", "2024-03-31T03:30:00+02:00", "2024-04-01T02:30:00+02:00",
    ]
    hourly = between(CronTriggerTimetable("30 * * * *", timezone=paris),
                     pendulum.datetime(2024, 10, 27, 0, 0, tz=UTC), pendulum.datetime(2024, 10, 27, 2, 0, tz=UTC))
    # every UTC hour has its run, including both 02:30 wall-clock instants of the fold
    assert [r[0].isoformat() for r in hourly] == [
        "2024-10-27T00:30:00+00:00", "2024-10-27T01:30:00+00:00",
    ]


def test_manual_runs_infer_their_interval() -> None:
    at = pendulum.datetime(2024, 5, 5, 10)
    assert CronTriggerTimetable("0 * * * *", timezone="UTC").infer_manual_data_interval(run_after=at).start == at
    interval = CronDataIntervalTimetable("0 0 * * *", "UTC").infer_manual_data_interval(run_after=at)
    assert (interval.start, interval.end) == (pendulum.datetime(2024, 5, 4), pendulum.datetime(2024, 5, 5))
    assert NullTimetable().infer_manual_data_interval(run_after=at).end == at


def test_multiple_crons_one_run_per_instant() -> None:
    runs = between(MultipleCronTriggerTimetable("0 0 * * *", "0 12 * * *", "0 0 * * 1", timezone="UTC"),
                   pendulum.datetime(2024, 1, 1), pendulum.datetime(2024, 1, 2))
    assert [r[0].hour for r in runs] == [0, 12, 0]


def test_schedule_values() -> None:
    tz = pendulum.timezone("UTC")
    assert isinstance(timetable_from_schedule("@daily", tz), CronTriggerTimetable)
    assert timetable_from_schedule("@daily", tz).summary == "0 0 * * *"
    assert isinstance(timetable_from_schedule(None, tz), NullTimetable)
    assert isinstance(timetable_from_schedule("@once", tz), OnceTimetable)
    with pytest.raises(TimetableError):
        timetable_from_schedule("61 * * * *", tz)
    with pytest.raises(TimetableError):
        timetable_from_schedule("@continuous", tz)


def test_airflow2_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__SCHEDULER__CREATE_CRON_DATA_INTERVALS", "True")
    tz = pendulum.timezone("UTC")
    assert isinstance(timetable_from_schedule("@daily", tz), CronDataIntervalTimetable)
    assert isinstance(timetable_from_schedule(dt.timedelta(hours=2), tz), DeltaDataIntervalTimetable)


def test_delta_intervals() -> None:
    runs = between(DeltaDataIntervalTimetable(dt.timedelta(hours=8)), pendulum.datetime(2024, 1, 1),
                   pendulum.datetime(2024, 1, 1, 16))
    assert [(r[0].hour, r[2].hour) for r in runs] == [(0, 8), (8, 16), (16, 0)]
