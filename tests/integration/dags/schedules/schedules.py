"""DAGs whose fire times the harness computes with Airflow's own timetables."""

from datetime import datetime, timedelta, timezone

try:  # Airflow 3
    from airflow.sdk import DAG, CronTriggerTimetable
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.timetables.trigger import CronTriggerTimetable
from airflow.providers.standard.operators.empty import EmptyOperator

START = datetime(2025, 1, 1, tzinfo=timezone.utc)

# A bare cron string: Airflow 3 makes it a CronTriggerTimetable, Airflow 2 a CronDataIntervalTimetable.
with DAG("harness_bare_cron", schedule="30 2 * * 1-5", start_date=START):
    EmptyOperator(task_id="nothing")

# An explicit timetable in a DST time zone.
with DAG(
    "harness_trigger_berlin",
    schedule=CronTriggerTimetable("30 2 * * *", timezone="Europe/Berlin"),
    start_date=START,
):
    EmptyOperator(task_id="nothing")

# `interval` only moves the data interval's start; run_after stays the cron instant.
with DAG(
    "harness_trigger_interval",
    schedule=CronTriggerTimetable("0 6 * * *", timezone="UTC", interval=timedelta(days=1)),
    start_date=START,
):
    EmptyOperator(task_id="nothing")
