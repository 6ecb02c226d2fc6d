"""What the backfill rules must NOT flag: the false positives that make people switch a linter off."""

from __future__ import annotations

import textwrap

HEADER = """
import logging
import time
from datetime import date, datetime

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, task

log = logging.getLogger(__name__)

with DAG("d", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule="@daily", catchup=True,
         default_args={"owner": "data", "retries": 2}):
"""


def lint_body(lint, body: str):
    return lint(HEADER + textwrap.indent(textwrap.dedent(body), "    "), select=("BF",))


def test_fixed_dates_are_not_flagged(lint):
    result = lint_body(lint, """
        @task
        def fixed():
            return [datetime(2024, 1, 1), date(2023, 12, 31), pendulum.datetime(2024, 1, 1, tz="UTC")]
        fixed()
        BashOperator(task_id="b", bash_command="run.sh 2024-01-01", start_date=datetime(2024, 1, 1))
    """)
    assert result.findings == []


def test_ds_partitioned_writes_are_not_flagged(lint):
    result = lint_body(lint, """
        BashOperator(task_id="a", bash_command="fetch.sh >> /data/events/{{ ds }}.csv")
        BashOperator(task_id="b", bash_command="dump.sh > /data/{{ ds_nodash }}/dump.csv")
        BashOperator(task_id="c", bash_command="sql.sh 'INSERT INTO t PARTITION (ds={{ ds }}) SELECT 1'")

        @task
        def write(ds=None, **context):
            open(f"/data/{ds}.csv", "a").write("x")
            open(f"/data/{context['logical_date']:%Y%m%d}.csv", "w").write("x")
        write()
    """)
    assert result.findings == []


def test_a_variable_named_now_is_not_flagged(lint):
    result = lint_body(lint, """
        @task
        def named(logical_date=None):
            now = logical_date
            return f"/data/{now:%Y%m%d}.csv"

        @task
        def parameter(now=None):
            return now

        named() >> parameter()
    """)
    assert result.findings == []


def test_time_time_used_only_to_log_a_duration_is_not_flagged(lint):
    result = lint_body(lint, """
        @task
        def timed(ds=None):
            started = time.time()
            rows = ds
            log.info("loaded %s rows in %.2f s", rows, time.time() - started)
            elapsed = time.time() - started
            print(f"took {elapsed:.1f}s")
            return rows
        timed()
    """)
    assert result.findings == []


def test_the_same_reads_are_flagged_when_they_reach_the_data(lint, found):
    result = lint_body(lint, """
        @task
        def leaks():
            started = time.time()
            return {"day": started}
        leaks()
    """)
    assert sorted(code for _, code in found(result)) == ["BF001", "BF006"]


def test_audit_timestamps_retention_cutoffs_and_ages_are_not_flagged(lint):
    """When something happened (`updated=utcnow()`), how old something is, and a cleanup window that
    moves with the clock on purpose: none of them picks which data a run reads or writes."""
    result = lint_body(lint, """
        from datetime import timedelta

        @task
        def audit(record, rows, last_modified):
            record.updated = datetime.utcnow()
            process_end_time = datetime.utcnow()
            rows.append({"created_at": datetime.now(), "value": 1})
            save(record, created=datetime.utcnow())
            age = (datetime.now() - last_modified).total_seconds()
            cutoff = datetime.now() - timedelta(days=30)
            delete_older_than(cutoff)
            return age
        audit(None, [], None)
    """)
    assert result.findings == []


def test_yesterday_from_the_clock_is_still_flagged(lint, found):
    result = lint_body(lint, """
        from datetime import timedelta

        @task
        def load():
            yesterday = datetime.now() - timedelta(days=1)
            return f"/data/{yesterday:%Y-%m-%d}.csv"
        load()
    """)
    assert "BF001" in [code for _, code in found(result)]


def test_a_dag_built_with_a_dynamic_start_date_is_not_a_time(lint, found):
    """`dag = DAG(start_date=datetime.now())` is BF003's finding, once: `dag` is a DAG, not a time, so
    `dag=dag` in every task is not a BF001 finding."""
    result = lint(textwrap.dedent("""
        from datetime import datetime
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG

        default_args = {"owner": "data", "retries": 1, "start_date": datetime.now()}
        dag = DAG("d", schedule="@daily", default_args=default_args, start_date=datetime.now())
        a = BashOperator(task_id="a", bash_command="a.sh", dag=dag, default_args=default_args)
        b = BashOperator(task_id="b", bash_command="b.sh", dag=dag)
    """), select=("BF",))
    assert [code for _, code in found(result)] == ["BF003", "BF003"]


def test_parse_time_rules_skip_python_files_the_scheduler_never_parses(lint, found):
    """pre-commit hands every staged `.py` to the linter: a `setup.py` or a script that reads a file
    at module level costs the scheduler nothing. A module importing Airflow (a DAG file, or a helper
    DAG files import) does."""
    module_level_io = textwrap.dedent("""
        import json, sqlite3
        import requests
        long_description = open("/etc/app/settings.txt").read()
        rows = sqlite3.connect("x.db")
        page = requests.get("https://example.com")
    """)
    assert lint(module_level_io, path="setup.py", select=("PT",)).findings == []
    helper = "from airflow.sdk import Variable\n" + module_level_io
    assert [code for _, code in found(lint(helper, path="helpers.py", select=("PT",)))] == ["PT005", "PT004", "PT003"]


def test_a_duration_since_a_module_level_clock_read_is_not_flagged(lint, found):
    source = HEADER.replace("log = logging", "STARTED = time.time()\nlog = logging") + textwrap.indent(
        textwrap.dedent("""
        @task
        def timed():
            log.info("%.1f s since the file was parsed", time.time() - STARTED)

        @task
        def leaks():
            return {"day": STARTED}

        timed() >> leaks()
    """), "    ")
    assert [code for _, code in found(lint(source, select=("BF001",)))] == ["BF001"]
    assert "STARTED" in lint(source, select=("BF001",)).findings[0].message


def test_a_clock_helper_used_only_for_durations_is_not_flagged(lint, found):
    helpers = "def now_ts():\n    return time.time()\n\n\ndef stamp():\n    return datetime.now().isoformat()\n"
    source = HEADER.replace("log = logging", helpers + "log = logging") + textwrap.indent(
        textwrap.dedent("""
        @task
        def timed():
            started = now_ts()
            log.info("took %.1f s", now_ts() - started)
            return {"day": stamp()}

        timed()
    """), "    ")
    flagged = lint(source, select=("BF001",)).findings
    assert [f.message.split(" in ")[0] for f in flagged] == ["`datetime.now()`"]
    # the same helper handed to an operator as its callable returns the clock as the task's XCom
    handed_on = source.replace("timed()\n", "timed()\n    PythonOperator(task_id='p', python_callable=now_ts)\n")
    handed_on = handed_on.replace("from airflow.sdk import", "from airflow.providers.standard.operators.python import PythonOperator\nfrom airflow.sdk import")
    assert len(lint(handed_on, select=("BF001",)).findings) == 2


def test_credentials_made_up_for_a_test_are_not_flagged(lint, found):
    source = 'CONNECTION = {"login": "etl", "password": "s3cr3t-Pa55"}\n'
    assert [code for _, code in found(lint(source, path="dags/etl.py", select=("OPS004",)))] == ["OPS004"]
    for path in ("tests/test_etl.py", "dags/tests/fixtures.py", "dags/etl_test.py", "conftest.py"):
        assert lint(source, path=path, select=("OPS004",)).findings == [], path
