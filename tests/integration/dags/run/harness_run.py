"""DAGs that `dags_test` runs to prove the harness reads back states, order, templates and XCom."""

from datetime import datetime, timezone

try:  # Airflow 3
    from airflow.sdk import DAG, CronTriggerTimetable, chain
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.models.baseoperator import chain
    from airflow.timetables.trigger import CronTriggerTimetable
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator

START = datetime(2025, 1, 1, tzinfo=timezone.utc)


def _compute(ti, ds):
    ti.xcom_push(key="extra", value=[1, 2, 3])
    return {"n": 42, "ds": ds}


with DAG("harness_three_tasks", schedule="0 0 * * *", start_date=START, catchup=False):
    chain(
        BashOperator(task_id="greet", bash_command='echo "hello"; echo "ds={{ ds }}"'),
        PythonOperator(task_id="compute", python_callable=_compute),
        BashOperator(
            task_id="report",
            bash_command="echo \"n=$N who={{ dag_run.conf.get('who', 'nobody') }} $GREETING\"",
            env={
                "N": "{{ ti.xcom_pull(task_ids='compute')['n'] }}",
                "GREETING": "{{ var.value.harness_greeting }}",
            },
            append_env=True,
        ),
    )

with DAG("harness_skip_fail", schedule=None, start_date=START):
    skipped = BashOperator(task_id="skipped", bash_command="exit 99")
    failing = BashOperator(task_id="failing", bash_command="echo about to fail; exit 3", retries=0)
    after_failure = BashOperator(task_id="after_failure", bash_command="true")
    failing >> after_failure

# `{{ ds }}` is the logical date's UTC calendar day, whatever the DAG's time zone: a run at midnight
# in Berlin has the previous day as `ds`. Code generators must render dates in the DAG's zone.
with DAG(
    "harness_berlin_dates",
    schedule=CronTriggerTimetable("0 0 * * *", timezone="Europe/Berlin"),
    start_date=START,
):
    BashOperator(
        task_id="dates",
        bash_command=(
            "echo '{{ ds }} {{ logical_date.in_timezone(dag.timezone).strftime('%Y-%m-%d') }}"
            " {{ logical_date.in_timezone(\"Europe/Berlin\").strftime('%Y-%m-%d') }}'"
        ),
    )
