"""A DAG whose task never ends: the harness must kill the whole process group on timeout."""

from datetime import datetime, timezone

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG
from airflow.providers.standard.operators.bash import BashOperator

with DAG("harness_hang", schedule=None, start_date=datetime(2025, 1, 1, tzinfo=timezone.utc)):
    BashOperator(
        task_id="hang",
        bash_command="echo $$ > {{ dag_run.conf['pidfile'] }}; sleep 600",
    )
