"""Operators the runner carries out with Airflow's semantics, beyond what the conformance fixtures check
against real Airflow: triggered runs (waiting, existing run ids), LatestOnly in backfills, virtual
environments cached by requirements, sensor modes, and what is refused where it is written."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
from test_runner_mapping import invoke

from migrator.errors import InputError
from migrator.runner.loader import load_dag_file

HEADER = """
import datetime
import sys
import pendulum
from airflow.sdk import DAG, task
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
START = pendulum.datetime(2024, 1, 1, tz="UTC")
"""


def write(tmp_path: Path, body: str, name: str = "dag.py") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + textwrap.dedent(body))
    return path


def runs(dag_id: str) -> list[dict]:
    return json.loads(invoke("runs", "--dag-id", dag_id, "--format", "json")[1])


def states(run: dict) -> dict[str, str]:
    return {t["task_id"]: t["state"] for t in run["tasks"]}


TRIGGER = """
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

with DAG("target", schedule=None, start_date=START) as target:
    BashOperator(task_id="work", bash_command='echo "{{ dag_run.conf.get("n") }}"; exit {{ dag_run.conf.get("code", 0) }}')

with DAG("controller", schedule=None, start_date=START) as controller:
    TriggerDagRunOperator(task_id="trigger", trigger_dag_id="target", trigger_run_id="{{ params.run_id }}",
                          conf={"n": 1, "code": {{CODE}}}, wait_for_completion=True, poke_interval=1,
                          params={"run_id": "t1"}, **{{EXTRA}})
"""


def trigger_file(tmp_path: Path, code: int = 0, **extra: object) -> Path:
    return write(tmp_path, TRIGGER.replace("{{CODE}}", str(code)).replace("{{EXTRA}}", repr(extra)))


def test_a_trigger_runs_the_target_here_and_waits_for_it(tmp_path: Path, home: Path) -> None:
    path = trigger_file(tmp_path)
    code, output = invoke("run", str(path), "--dag-id", "controller", "--date", "2024-01-02")
    assert code == 0, output
    [target] = runs("target")
    assert target["run_id"] == "t1" and target["state"] == "success" and states(target) == {"work": "success"}
    [controller] = runs("controller")
    assert states(controller) == {"trigger": "success"}


def test_a_trigger_fails_when_the_run_it_waits_for_fails(tmp_path: Path, home: Path) -> None:
    path = trigger_file(tmp_path, code=3)
    code, output = invoke("run", str(path), "--dag-id", "controller", "--date", "2024-01-02")
    assert code == 1, output
    assert states(runs("controller")[0]) == {"trigger": "failed"}
    assert runs("target")[0]["state"] == "failed"


@pytest.mark.parametrize(("extra", "state"), [({}, "failed"), ({"skip_when_already_exists": True}, "skipped"),
                                              ({"reset_dag_run": True}, "success")])
def test_a_second_trigger_of_the_same_run_id(tmp_path: Path, home: Path, extra: dict, state: str) -> None:
    path = trigger_file(tmp_path, **extra)
    assert invoke("run", str(path), "--dag-id", "controller", "--date", "2024-01-02")[0] == 0
    invoke("run", str(path), "--dag-id", "controller", "--date", "2024-01-03")
    controllers = runs("controller")
    assert states(controllers[0]) == {"trigger": state}, controllers[0]


def test_a_trigger_of_an_unknown_dag_fails(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path, """
        from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

        with DAG("controller", schedule=None, start_date=START) as controller:
            TriggerDagRunOperator(task_id="trigger", trigger_dag_id="nowhere")
    """)
    code, output = invoke("run", str(path), "--date", "2024-01-02")
    assert code == 1, output
    assert "Dag nowhere not found" in invoke("logs", "controller", "2024-01-02", "trigger")[1]


def test_a_trigger_finds_its_target_in_another_file_of_the_folder(tmp_path: Path, home: Path) -> None:
    write(tmp_path, """
        with DAG("target", schedule=None, start_date=START) as target:
            EmptyOperator(task_id="work")
    """, name="target.py")
    path = write(tmp_path, """
        from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

        with DAG("controller", schedule=None, start_date=START) as controller:
            TriggerDagRunOperator(task_id="trigger", trigger_dag_id="target", wait_for_completion=True,
                                  poke_interval=1)
    """, name="controller.py")
    code, output = invoke("run", str(path), "--date", "2024-01-02")
    assert code == 0, output
    assert runs("target")[0]["state"] == "success"


def test_latest_only_skips_all_but_the_latest_backfilled_period(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path, """
        from airflow.providers.standard.operators.latest_only import LatestOnlyOperator

        with DAG("latest", schedule="@daily", start_date=START) as dag:
            LatestOnlyOperator(task_id="latest_only") >> EmptyOperator(task_id="after")
    """)
    import pendulum

    today = pendulum.now("UTC").start_of("day")
    # "@daily" is a cron trigger timetable: the latest run is today's, whose period (today, tomorrow] holds now
    code, output = invoke("backfill", str(path), "--start", today.subtract(days=2).to_date_string(),
                          "--end", today.to_date_string())
    assert code == 0, output
    recorded = sorted(runs("latest"), key=lambda r: r["logical_date"])
    assert [states(r)["after"] for r in recorded] == ["skipped", "skipped", "success"]


def test_virtual_environments_are_made_once_per_requirements(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path, """
        from airflow.providers.standard.operators.python import PythonVirtualenvOperator

        def where():
            import sys
            return sys.prefix

        with DAG("venvs", schedule=None, start_date=START) as dag:
            PythonVirtualenvOperator(task_id="one", python_callable=where, system_site_packages=False)
            PythonVirtualenvOperator(task_id="two", python_callable=where, system_site_packages=False,
                                     max_active_tis_per_dag=1)
    """)
    assert invoke("run", str(path), "--date", "2024-01-02")[0] == 0
    assert invoke("run", str(path), "--date", "2024-01-03")[0] == 0
    venvs = [p for p in (home / "venvs").iterdir() if p.is_dir()]
    assert len(venvs) == 1
    logs = "".join(p.read_text() for p in (home / "logs").rglob("*.log"))
    assert logs.count("New Python virtual environment created") == 1
    assert logs.count("Reusing cached Python virtual environment") == 3


def test_reschedule_mode_timeout_counts_from_the_first_poke(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path, """
        from airflow.providers.standard.sensors.python import PythonSensor

        with DAG("resched", schedule=None, start_date=START) as dag:
            PythonSensor(task_id="wait", python_callable=lambda: False, mode="reschedule", poke_interval=1,
                         timeout=2, soft_fail=True)
    """)
    code, output = invoke("run", str(path), "--date", "2024-01-02")
    assert code == 0, output
    [run] = runs("resched")
    assert [(t["state"], t["try_number"]) for t in run["tasks"]] == [("skipped", 1)]


def test_external_task_sensor_on_a_dag_it_does_not_know_fails_at_once(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path, """
        from airflow.providers.standard.sensors.external_task import ExternalTaskSensor

        with DAG("ext", schedule=None, start_date=START) as dag:
            ExternalTaskSensor(task_id="wait", external_dag_id="elsewhere", external_task_group_id="grp",
                               poke_interval=60, timeout=600)
    """)
    code, output = invoke("run", str(path), "--date", "2024-01-02")
    assert code == 1, output
    assert [(t["state"], t["try_number"]) for t in runs("ext")[0]["tasks"]] == [("failed", 1)]
    log = invoke("logs", "ext", "2024-01-02", "wait")[1]
    assert "Task group 'grp' not found in DAG 'elsewhere' (the runner has neither loaded nor run that DAG)" in log


@pytest.mark.parametrize(("body", "message", "culprit"), [
    ("a = BashOperator(task_id='a', bash_command='true')\n    a.task_id = 'b'\n",
     "task_id 'a' cannot be changed to 'b'", "a.task_id = 'b'"),
    (("class Waits(BashOperator):\n"
      "        def __init__(self, *, deferrable=False, **kwargs):\n"
      "            super().__init__(**kwargs)\n            self.deferrable = deferrable\n"
      "        def execute_complete(self, context, event=None): pass\n"
      "    Waits(task_id='w', bash_command='true', deferrable=True)\n"),
     "Waits(deferrable=True) defers to a trigger", "Waits(task_id="),
])
def test_refused_where_written(tmp_path: Path, body: str, message: str, culprit: str) -> None:
    path = tmp_path / "dag.py"
    path.write_text(HEADER + "with DAG('d', schedule=None, start_date=START) as dag:\n    " + body)
    line = next(number for number, text in enumerate(path.read_text().splitlines(), 1) if culprit in text)
    with pytest.raises(InputError) as caught:
        load_dag_file(path)
    assert message in str(caught.value)
    assert f"dag.py:{line}:" in str(caught.value), str(caught.value)


def test_an_asset_function_is_a_dag_of_one_task_reading_its_inlets(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path, """
        from airflow.sdk import Asset, asset

        @asset(uri="file:///data/raw.csv", schedule=None)
        def raw(outlet_events):
            outlet_events[Asset(name="raw", uri="file:///data/raw.csv")].extra = {"rows": 3}

        @asset(schedule=[raw])
        def clean(self, context, raw):
            events = context["inlet_events"][raw]
            return {"me": self.uri, "reads": raw.uri, "extras": [e.extra for e in events]}
    """)
    loaded = load_dag_file(path)
    assert sorted(loaded.dags) == ["clean", "raw"]
    task = loaded.dags["clean"].task_dict["clean"]
    assert [i.name for i in task.inlets] == ["raw"] and [o.name for o in task.outlets] == ["clean"]
    assert invoke("run", str(path), "--dag-id", "raw", "--date", "2024-01-02")[0] == 0
    code, output = invoke("run", str(path), "--dag-id", "clean", "--date", "2024-01-02")
    assert code == 0, output
    from migrator.runner import xcom_codec
    from migrator.runner.store import Store

    store = Store(home)
    try:
        run_id = runs("clean")[0]["run_id"]
        value = xcom_codec.decode(store.get_xcom("clean", run_id, "clean", "return_value"))
    finally:
        store.close()
    assert value == {"me": "clean", "reads": "file:///data/raw.csv", "extras": [{"rows": 3}]}


def test_partition_declarations_load_and_their_keys_are_checked(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path, """
        from airflow.sdk import Asset, AssetAlias, CronPartitionTimetable, PartitionedAssetTimetable, StartOfDayMapper

        hourly = Asset(name="hourly", uri="file:///data/hourly")
        alias = AssetAlias("some")

        with DAG("produce", schedule=CronPartitionTimetable("0 * * * *", timezone="UTC"), start_date=START):
            @task(outlets=[hourly, alias])
            def make(outlet_events, dag_run):
                outlet_events[hourly].add_partitions(["2024-01-02T00", "2024-01-02T01"])
                for keys in ("  ", "x" * 251):
                    try:
                        outlet_events[hourly].add_partitions(keys)
                    except ValueError as error:
                        print("refused:", error)
                try:
                    outlet_events[alias].add_partitions("k")
                except TypeError as error:
                    print("alias:", error)
            make()

        with DAG("consume", schedule=PartitionedAssetTimetable(assets=hourly, default_partition_mapper=StartOfDayMapper()),
                 start_date=START):
            EmptyOperator(task_id="e")
    """)
    loaded = load_dag_file(path)
    assert loaded.dags["consume"].timetable.summary.startswith("Asset")
    assert invoke("run", str(path), "--dag-id", "produce", "--date", "2024-01-02T03:00:00+00:00")[0] == 0
    log = invoke("logs", "produce", runs("produce")[0]["run_id"], "make")[1]
    assert "refused: partition_key must not be empty or whitespace-only" in log
    assert "refused: partition_key must be at most 250 characters" in log
    assert "alias: add_partitions() is not supported on asset alias outlet events" in log


def xcom(dag_id: str, task_id: str, key: str = "return_value") -> object:
    from migrator.runner import xcom_codec
    from migrator.runner.store import Store

    store = Store(Path(os.environ["CRON2DAG_HOME"]))
    try:
        return xcom_codec.decode(store.get_xcom(dag_id, runs(dag_id)[0]["run_id"], task_id, key))
    finally:
        store.close()


def test_async_callables_and_async_operators_run_in_an_event_loop(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path, """
        import asyncio
        from airflow.sdk import BaseAsyncOperator
        from airflow.providers.standard.operators.python import PythonOperator

        async def nap(seconds):
            await asyncio.sleep(seconds)
            return f"slept {seconds}"

        class Gathers(BaseAsyncOperator):
            async def aexecute(self, context):
                return sorted(await asyncio.gather(nap(0.02), nap(0.01)))

        with DAG("asyncs", schedule=None, start_date=START) as dag:
            PythonOperator(task_id="op", python_callable=nap, op_kwargs={"seconds": 0.01})

            @task
            async def decorated(ti=None):
                return await nap(0) + " in " + ti.task_id

            decorated()
            Gathers(task_id="gathers")
    """)
    code, output = invoke("run", str(path), "--date", "2024-01-02")
    assert code == 0, output
    assert xcom("asyncs", "op") == "slept 0.01"
    assert xcom("asyncs", "decorated") == "slept 0 in decorated"
    assert xcom("asyncs", "gathers") == ["slept 0.01", "slept 0.02"]


def test_a_bash_task_with_multiple_outputs_pushes_each_key(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path, """
        import json

        with DAG("bash_outputs", schedule=None, start_date=START) as dag:
            @task.bash(multiple_outputs=True, output_processor=json.loads)
            def describe():
                return "echo noise; echo '{\\"files\\": \\"3\\", \\"folder\\": \\"/x\\"}'"

            stats = describe()
            BashOperator(task_id="show", bash_command='test "$N" = 3', env={"N": stats["files"]})
    """)
    code, output = invoke("run", str(path), "--date", "2024-01-02")
    assert code == 0, output
    assert xcom("bash_outputs", "describe", "files") == "3"
    assert xcom("bash_outputs", "describe") == {"files": "3", "folder": "/x"}


def test_a_dill_serializer_missing_on_the_runner_side_falls_back_to_pickle(tmp_path: Path, home: Path) -> None:
    import importlib.util

    if importlib.util.find_spec("dill") is not None:
        pytest.skip("dill is installed here: nothing falls back")
    other = tmp_path / "other"
    other.mkdir()
    (other / "dill.py").write_text("from pickle import *\n")  # the other interpreter's "dill"
    path = write(tmp_path, f"""
        from airflow.providers.standard.operators.python import ExternalPythonOperator

        def double(values):
            return {{"doubled": [v * 2 for v in values]}}

        with DAG("dill", schedule=None, start_date=START) as dag:
            ExternalPythonOperator(task_id="double", python=sys.executable, python_callable=double,
                                   serializer="dill", op_args=[[1, 2]], expect_airflow=False,
                                   env_vars={{"PYTHONPATH": {str(other)!r}}})
    """)
    code, output = invoke("run", str(path), "--date", "2024-01-02")
    assert code == 0, output
    assert xcom("dill", "double") == {"doubled": [2, 4]}
    log = invoke("logs", "dill", runs("dill")[0]["run_id"], "double")[1]
    assert "dill is not installed for the runner: arguments and result go through pickle on its side" in log


def test_asset_watchers_are_declarations_checked_as_airflow_checks_them(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path, """
        from airflow.providers.standard.triggers.file import FileDeleteTrigger, FileTrigger
        from airflow.sdk import Asset, AssetWatcher

        watched = Asset("inbox", watchers=[AssetWatcher(name="w", trigger=FileDeleteTrigger(filepath="/tmp/x"))])
        with DAG("watched", schedule=[watched], start_date=START) as dag:
            EmptyOperator(task_id="e")
    """)
    loaded = load_dag_file(path)
    [asset] = loaded.dags["watched"].timetable.asset_condition.iter_assets()
    assert [w.trigger.filepath for w in asset.watchers] == ["/tmp/x"]
    assert invoke("run", str(path), "--date", "2024-01-02")[0] == 0  # a manual run, as `dags test` makes
    bad = tmp_path / "bad.py"
    bad.write_text(path.read_text().replace("FileDeleteTrigger(filepath", "FileTrigger(filepath"))
    line = next(n for n, text in enumerate(bad.read_text().splitlines(), 1) if "watched = Asset(" in text)
    with pytest.raises(InputError) as caught:
        load_dag_file(bad)
    assert "Asset watcher trigger must inherit BaseEventTrigger" in str(caught.value)
    assert f"bad.py:{line}:" in str(caught.value)


def test_task_instance_as_a_type_is_the_running_attempt(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path, """
        from airflow.models import TaskInstance
        from airflow.models.taskinstance import TaskInstance as ModelsTaskInstance
        from airflow.sdk import TaskInstance as SdkTaskInstance
        from airflow.sdk.types import RuntimeTaskInstanceProtocol

        with DAG("ti_types", schedule=None, start_date=START) as dag:
            @task
            def check(ti: TaskInstance | None = None):
                return [isinstance(ti, kind) for kind in (TaskInstance, ModelsTaskInstance, SdkTaskInstance,
                                                          RuntimeTaskInstanceProtocol)]
            check()
    """)
    code, output = invoke("run", str(path), "--date", "2024-01-02")
    assert code == 0, output
    assert xcom("ti_types", "check") == [True, True, True, True]
