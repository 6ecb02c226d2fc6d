"""A DAG that loads: the import-error test checks it is found beside the broken file."""

from datetime import datetime, timezone

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("harness_good", schedule=None, start_date=datetime(2025, 1, 1, tzinfo=timezone.utc)):
    EmptyOperator(task_id="nothing")
