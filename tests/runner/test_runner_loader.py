"""Loading DAG files: both Airflow import paths, clear errors for anything outside the subset."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from migrator.errors import InputError, UsageError
from migrator.runner.loader import load_dag_file
from migrator.runner.sdk.operators import BashOperator


def write(tmp_path: Path, source: str, name: str = "dag.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source).lstrip())
    return path


def load(tmp_path: Path, source: str):
    return load_dag_file(write(tmp_path, source)).select(None)


def test_airflow3_paths(tmp_path: Path) -> None:
    dag = load(tmp_path, """
        import pendulum
        from airflow.sdk import DAG, TaskGroup, chain, task
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.providers.standard.operators.empty import EmptyOperator
        from airflow.providers.standard.operators.python import PythonOperator, BranchPythonOperator
        from airflow.providers.standard.sensors.filesystem import FileSensor
        from airflow.timetables.trigger import CronTriggerTimetable

        with DAG("d", schedule=CronTriggerTimetable("0 3 * * *", timezone="Europe/Paris"),
                 start_date=pendulum.datetime(2024, 1, 1, tz="Europe/Paris")) as dag:
            a = BashOperator(task_id="a", bash_command="true")
            with TaskGroup("g"):
                b = EmptyOperator(task_id="b")
            chain(a, b)
    """)
    assert dag.dag_id == "d"
    assert sorted(dag.task_dict) == ["a", "g.b"]
    assert dag.task_dict["g.b"].upstream_task_ids == {"a"}
    assert str(dag.timezone) == "Europe/Paris"
    assert isinstance(dag.task_dict["a"], BashOperator)


def test_submodules_of_airflow_sdk_import_by_name(tmp_path: Path) -> None:
    # `from airflow.sdk import timezone` failed: Python looked for migrator.runner.sdk.timezone
    dag = load(tmp_path, """
        from airflow.sdk import DAG, timezone, exceptions
        from airflow.providers.standard.operators.bash import BashOperator

        with DAG("d", schedule=None, start_date=timezone.datetime(2024, 1, 1)) as dag:
            BashOperator(task_id="a", bash_command="true", retries=0)
        assert issubclass(exceptions.AirflowSkipException, Exception)
    """)
    assert dag.start_date.year == 2024 and str(dag.start_date.tzinfo) == "UTC"


def test_airflow2_paths(tmp_path: Path) -> None:
    dag = load(tmp_path, """
        from datetime import datetime, timedelta
        from airflow import DAG
        from airflow.operators.bash import BashOperator
        from airflow.operators.dummy import DummyOperator
        from airflow.operators.python import PythonOperator
        from airflow.models.baseoperator import chain, cross_downstream
        from airflow.utils.task_group import TaskGroup
        from airflow.utils.trigger_rule import TriggerRule
        from airflow.decorators import task, dag as dag_decorator
        from airflow.sensors.external_task import ExternalTaskSensor

        default_args = {"owner": "me", "retries": 3, "retry_delay": timedelta(minutes=1)}
        with DAG("legacy", schedule_interval="@daily", start_date=datetime(2023, 1, 1), default_args=default_args,
                 catchup=False) as dag:
            start = DummyOperator(task_id="start")
            run = BashOperator(task_id="run", bash_command="echo {{ ds }}", trigger_rule=TriggerRule.ALL_DONE)
            start >> run
    """)
    task = dag.task_dict["run"]
    assert task.retries == 3 and task.owner == "me" and task.trigger_rule == "all_done"
    assert type(dag.timetable).__name__ == "CronDataIntervalTimetable"  # Airflow 2's meaning of schedule_interval


def test_default_args_fill_only_accepted_arguments(tmp_path: Path) -> None:
    dag = load(tmp_path, """
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.providers.standard.operators.python import PythonOperator
        with DAG("d", default_args={"retries": 2, "append_env": True, "bash_command": "echo default"}) as dag:
            BashOperator(task_id="b")
            PythonOperator(task_id="p", python_callable=print)
    """)
    bash, python = dag.task_dict["b"], dag.task_dict["p"]
    assert bash.bash_command == "echo default" and bash.append_env and bash.retries == 2
    assert python.retries == 2 and not hasattr(python, "append_env")


def test_dag_decorator_and_task_ids(tmp_path: Path) -> None:
    dag = load(tmp_path, """
        from airflow.sdk import dag, task

        @dag(schedule=None)
        def pipeline(limit: int = 5):
            @task
            def step(x):
                return x

            step(step(step(limit)))

        pipeline()
    """)
    assert dag.dag_id == "pipeline"
    assert sorted(dag.task_dict) == ["step", "step__1", "step__2"]
    assert dag.params["limit"] == 5


@pytest.mark.parametrize(("source", "message", "line"), [
    ("from airflow.sdk import DAG, ObjectStoragePath\n", "airflow.sdk.ObjectStoragePath is not supported", 1),
    ("import os\nfrom airflow.providers.amazon.aws.operators.s3 import S3CreateBucketOperator\n",
     "module 'airflow.providers.amazon.aws.operators' is outside the local runner's subset", 2),
    ("from airflow.sdk import DAG, task_group\nwith DAG('d') as d:\n    @task_group\n    def outer(x):\n"
     "        @task_group\n        def inner(y): pass\n        inner.expand(y=[1])\n    outer.expand(x=[1, 2])\n",
     "a mapped task group inside another mapped task group is not supported", 7),
    ("from airflow.sdk import DAG, task\nwith DAG('d') as d:\n    @task.docker(image='x')\n    def f(): pass\n",
     "@task.docker is not supported", 3),
    ("from airflow.providers.standard.operators.bash import BashOperator\n"
     "from airflow.sdk import DAG\nwith DAG('d') as d:\n    BashOperator(task_id='x', bash_command='true', run_as_user='bob')\n",
     "run_as_user", 4),
])
def test_outside_the_subset_is_named_with_its_line(tmp_path: Path, source: str, message: str, line: int) -> None:
    path = write(tmp_path, source)
    with pytest.raises(InputError) as caught:
        load_dag_file(path)
    [diagnostic] = caught.value.diagnostics
    assert message in diagnostic.message
    assert diagnostic.line == line
    assert str(diagnostic).startswith(f"{diagnostic.path}:{line}:")


def test_broken_dag_is_reported_like_airflow(tmp_path: Path) -> None:
    path = write(tmp_path, """
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.bash import BashOperator

        with DAG("d") as dag:
            BashOperator(task_id="a", bash_command="true", not_an_argument=1)
    """)
    with pytest.raises(InputError) as caught:
        load_dag_file(path)
    text = str(caught.value)
    assert "Broken DAG: [" in text and "Traceback (most recent call last):" in text
    assert "Invalid arguments were passed to BashOperator" in text
    assert caught.value.diagnostics[0].line == 5


def test_syntax_error_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_dag_file(write(tmp_path, "def broken(:\n"))
    assert caught.value.diagnostics[0].line == 1 and "SyntaxError" in caught.value.diagnostics[0].message
    with pytest.raises(InputError, match="no such DAG file"):
        load_dag_file(tmp_path / "missing.py")


def test_cycle_and_duplicate_ids(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Cycle detected in DAG: d: "):
        load(tmp_path, """
            from airflow.sdk import DAG
            from airflow.providers.standard.operators.empty import EmptyOperator
            with DAG("d") as dag:
                a, b, c = (EmptyOperator(task_id=x) for x in "abc")
                a >> b >> c >> a
        """)
    with pytest.raises(InputError, match="has already been added to the DAG"):
        load(tmp_path, """
            from airflow.sdk import DAG
            from airflow.providers.standard.operators.empty import EmptyOperator
            with DAG("d") as dag:
                EmptyOperator(task_id="a")
                EmptyOperator(task_id="a")
        """)


def test_several_dags_need_a_choice(tmp_path: Path) -> None:
    path = write(tmp_path, """
        from airflow.sdk import DAG
        for name in ("one", "two"):
            with DAG(name):
                pass
    """)
    loaded = load_dag_file(path)
    assert sorted(loaded.dags) == ["one", "two"]
    with pytest.raises(UsageError, match="choose one with --dag-id"):
        loaded.select(None)
    with pytest.raises(UsageError, match="no DAG with id 'three'"):
        loaded.select("three")


def test_shim_hides_and_restores_other_airflow_modules(tmp_path: Path) -> None:
    """Airflow imported elsewhere in the process is hidden while a DAG loads, and put back after."""
    import types

    fake = types.ModuleType("airflow")
    sys.modules["airflow"] = fake
    try:
        load(tmp_path, "from airflow import DAG\nd = DAG('d')\n")
        assert sys.modules["airflow"] is fake
    finally:
        del sys.modules["airflow"]


def test_generated_dags_load(tmp_path: Path) -> None:
    """The DAG files `cron2dag migrate` writes (goldens of the codegen tests) load unchanged."""
    root = Path(__file__).resolve().parents[2] / "fixtures" / "codegen"
    files = sorted(root.glob("*/*.py"))
    assert files
    for path in files:
        loaded = load_dag_file(path)
        assert loaded.dags, path
