"""The runner's timetables against Airflow 3's: the same runs (logical dates, data intervals, run_after).

Schedules cover presets, cron strings in time zones with DST changes, explicit timetables of both
kinds, several cron expressions, and timedelta schedules. Airflow computes the first N runs of each
DAG with its own (serialised) timetable; the runner must compute the same N.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from airflow_harness import AirflowEnv

from migrator.runner.loader import load_dag_file
from migrator.runner.shim import airflow_shim

pytestmark = pytest.mark.airflow

SCHEDULES = {
    "preset_daily": '"@daily"',
    "preset_hourly": '"@hourly"',
    "preset_weekly": '"@weekly"',
    "preset_monthly": '"@monthly"',
    "preset_quarterly": '"@quarterly"',
    "cron_workdays": '"15 7 * * 1-5"',
    "cron_steps": '"*/20 9-17 * * *"',
    "paris_0230": 'CronTriggerTimetable("30 2 * * *", timezone="Europe/Paris")',
    "paris_hourly": 'CronTriggerTimetable("15 * * * *", timezone="Europe/Paris")',
    "newyork_interval": 'CronTriggerTimetable("0 6 * * *", timezone="America/New_York", interval=timedelta(hours=6))',
    "data_interval_paris": 'CronDataIntervalTimetable("0 0 * * *", timezone="Europe/Paris")',
    "data_interval_monthly": 'CronDataIntervalTimetable("0 3 1 * *", timezone="UTC")',
    "multiple": 'MultipleCronTriggerTimetable("0 0 * * *", "30 12 * * 1", timezone="UTC")',
    "delta": "timedelta(hours=7)",
}

TEMPLATE = """
from datetime import timedelta
import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable, CronTriggerTimetable, MultipleCronTriggerTimetable
from airflow.providers.standard.operators.empty import EmptyOperator
with DAG("{name}", schedule={schedule}, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    EmptyOperator(task_id="t")
"""


def test_fire_times_match_airflow(airflow3: AirflowEnv, tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    for name, schedule in SCHEDULES.items():
        (folder / f"{name}.py").write_text(TEMPLATE.format(name=name, schedule=schedule))
    after = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
    report = airflow3.inspect(folder, fire_times=120, after=after)
    assert not report.import_errors, report.import_errors
    mismatches = []
    for name in SCHEDULES:
        theirs = report.dags[name].fire_times
        assert len(theirs) == 120, name
        with airflow_shim():
            dag = load_dag_file(folder / f"{name}.py").select(name)
        infos = []
        for info in dag.timetable.iter_dagrun_infos_between(after, dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)):
            infos.append(info)
            if len(infos) == len(theirs):
                break
        for ours, airflow in zip(infos, theirs):
            mine = (ours.run_after, ours.logical_date, ours.data_interval.start, ours.data_interval.end)
            other = (airflow.run_after, airflow.logical_date, airflow.data_interval_start, airflow.data_interval_end)
            if tuple(x.timestamp() for x in mine) != tuple(x.timestamp() for x in other):
                mismatches.append(f"{name}: runner {[x.isoformat() for x in mine]} airflow {[x.isoformat() for x in other]}")
                break
    assert not mismatches, "\n".join(mismatches)
