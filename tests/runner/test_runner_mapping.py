"""Dynamic task mapping: definition-time checks, the instances a run starts with, expansion at run time,
map_index in `runs --format json`, logs per instance, and the store upgrade that added map_index.

Airflow semantics are held by the conformance fixtures mapping.py / mapping_failures.py (checked
against real Airflow in the airflow group); these tests cover what those do not.
"""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_runner_loader import load, write

from migrator.cli import cli
from migrator.errors import InputError
from migrator.runner.loader import load_dag_file
from migrator.runner.mapping import initial_instances
from migrator.runner.store import Store

HEADER = """
import pendulum
from airflow.sdk import DAG, task, task_group
from airflow.providers.standard.operators.bash import BashOperator
"""


@pytest.mark.parametrize(("body", "message"), [
    ("BashOperator.partial(task_id='b', no_such=1).expand(bash_command=['a'])",
     "BashOperator.partial() got an unexpected keyword argument 'no_such'"),
    ("BashOperator.partial(task_id='b').expand(bash_command='echo')",
     "BashOperator.expand() got an unexpected type 'str' for keyword argument bash_command"),
    ("BashOperator.partial(task_id='b', bash_command='x').expand(bash_command=['a'])",
     "unmappable or already specified argument: bash_command"),
    ("BashOperator.partial(task_id='b').expand()", "no arguments to expand against"),
    ("BashOperator.partial(task_id='b').expand_kwargs('nope')", "expected XComArg or list[dict], not str"),
    ("@task\ndef f(x): return x\nf.expand(ti=[1])", "cannot call expand() on task context variable 'ti'"),
    ("@task\ndef f(x): return x\nf.expand(y=[1])", "expand() got an unexpected keyword argument 'y'"),
    ("@task\ndef f(x): return x\n@task\ndef g(): return 1\nf.expand(x=g().map(f))",
     "map() argument must be a plain function, not a @task operator"),
    ("@task_group\ndef grp(x):\n    BashOperator.partial(task_id='b').expand(bash_command=[x])\ngrp.expand(x=[1])",
     "operator expansion in an expanded task group is not yet supported"),
])
def test_mapping_mistakes_are_reported_at_their_line(tmp_path: Path, body: str, message: str) -> None:
    source = HEADER + "with DAG('d', schedule=None) as dag:\n" + textwrap.indent(body, "    ") + "\n"
    with pytest.raises(InputError) as caught:
        load_dag_file(write(tmp_path, source))
    text = str(caught.value)
    assert message in text, text
    assert ":" in text.splitlines()[0]


def test_a_run_starts_with_literal_instances_or_one_placeholder(tmp_path: Path) -> None:
    dag = load(tmp_path, HEADER + textwrap.dedent("""
        with DAG("d", schedule=None) as dag:
            @task
            def source():
                return [1, 2]

            @task
            def one(x, y):
                return x + y

            one.expand(x=[1, 2, 3], y=[10, 20])      # 6: the cross product
            one.override(task_id="from_xcom").expand(x=source(), y=[1])
            one.override(task_id="none").expand(x=[], y=[1])

            @task_group
            def grp(v):
                one.override(task_id="inner")(v, 1)
            grp.expand(v=[5, 6])
    """))
    instances = {(task_id, index) for task_id, index, _ in initial_instances(dag)}
    assert {index for task_id, index in instances if task_id == "one"} == set(range(6))
    assert {index for task_id, index in instances if task_id == "from_xcom"} == {-1}
    assert {index for task_id, index in instances if task_id == "none"} == {-1}
    assert {index for task_id, index in instances if task_id == "grp.inner"} == {0, 1}
    assert ("source", -1) in instances


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_runs_json_lists_each_mapped_instance_and_logs_pick_one(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path, HEADER + textwrap.dedent("""
        with DAG("m", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")) as dag:
            @task
            def items():
                return ["a", "b", "c"]

            BashOperator.partial(task_id="echo").expand(bash_command=items().map(lambda s: f"echo item-{s}"))
    """))
    code, output = invoke("run", str(path), "--date", "2024-01-02")
    assert code == 0, output
    code, output = invoke("runs", "--format", "json")
    [run] = json.loads(output)
    echo = [(t["map_index"], t["state"], t["try_number"]) for t in run["tasks"] if t["task_id"] == "echo"]
    assert echo == [(0, "success", 1), (1, "success", 1), (2, "success", 1)]
    assert [t["map_index"] for t in run["tasks"] if t["task_id"] == "items"] == [-1]
    code, output = invoke("logs", "m", "2024-01-02", "echo", "--map-index", "1")
    assert code == 0 and "item-b" in output and "item-a" not in output, output
    assert (home / "logs" / "dag_id=m").is_dir()
    code, output = invoke("logs", "m", "2024-01-02", "echo")
    assert code == 2 and "choose an instance with --map-index (0, 1, 2)" in output, output


def test_clearing_the_source_of_a_mapping_expands_it_afresh(tmp_path: Path, home: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    count = tmp_path / "count"
    monkeypatch.setenv("COUNT", str(count))
    path = write(tmp_path, HEADER + textwrap.dedent("""
        import os

        with DAG("m", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")) as dag:
            @task
            def items():
                return list(range(int(open(os.environ["COUNT"]).read())))

            @task
            def use(x):
                return x

            use.expand(x=items())
    """))
    count.write_text("3")
    assert invoke("run", str(path), "--date", "2024-01-02")[0] == 0
    count.write_text("2")
    code, output = invoke("run", str(path), "--date", "2024-01-02", "--rerun")
    assert code == 0, output
    [run] = json.loads(invoke("runs", "--format", "json")[1])
    assert [(t["map_index"], t["try_number"]) for t in run["tasks"] if t["task_id"] == "use"] == [(0, 2), (1, 2)]


def test_a_state_db_from_before_mapping_is_upgraded_keeping_its_rows(home: Path) -> None:
    home.mkdir()
    old = sqlite3.connect(home / "state.db")
    old.executescript("""
        CREATE TABLE dag_run (dag_id TEXT NOT NULL, run_id TEXT NOT NULL, logical_date TEXT,
            data_interval_start TEXT, data_interval_end TEXT, run_after TEXT NOT NULL, run_type TEXT NOT NULL,
            state TEXT NOT NULL, conf TEXT NOT NULL DEFAULT '{}', dag_file TEXT, created_at TEXT NOT NULL,
            start_date TEXT, end_date TEXT, clear_number INTEGER NOT NULL DEFAULT 0, note TEXT,
            PRIMARY KEY (dag_id, run_id));
        CREATE TABLE task_instance (dag_id TEXT NOT NULL, run_id TEXT NOT NULL, task_id TEXT NOT NULL, state TEXT,
            try_number INTEGER NOT NULL DEFAULT 0, max_tries INTEGER NOT NULL DEFAULT 0,
            retries INTEGER NOT NULL DEFAULT 0, start_date TEXT, end_date TEXT, next_try_at REAL, first_poke_at REAL,
            reschedule_count INTEGER NOT NULL DEFAULT 0, claimed_by TEXT, pid INTEGER, proc_start TEXT, note TEXT,
            PRIMARY KEY (dag_id, run_id, task_id));
        CREATE TABLE xcom (dag_id TEXT NOT NULL, run_id TEXT NOT NULL, task_id TEXT NOT NULL, key TEXT NOT NULL,
            value TEXT NOT NULL, PRIMARY KEY (dag_id, run_id, task_id, key));
        CREATE TABLE asset_event (id INTEGER PRIMARY KEY AUTOINCREMENT, asset_uri TEXT NOT NULL,
            asset_name TEXT NOT NULL, dag_id TEXT NOT NULL, run_id TEXT NOT NULL, task_id TEXT NOT NULL,
            timestamp TEXT NOT NULL);
        INSERT INTO dag_run VALUES ('d', 'r', '2024-01-01T00:00:00+00:00', NULL, NULL, '2024-01-01T00:00:00+00:00',
            'manual', 'success', '{}', NULL, '2024-01-01T00:00:00+00:00', NULL, NULL, 0, NULL);
        INSERT INTO task_instance (dag_id, run_id, task_id, state, try_number) VALUES ('d', 'r', 't', 'success', 1);
        INSERT INTO xcom VALUES ('d', 'r', 't', 'return_value', '42');
        INSERT INTO asset_event (asset_uri, asset_name, dag_id, run_id, task_id, timestamp)
            VALUES ('file:///x', 'x', 'd', 'r', 't', '2024-01-01T00:00:00+00:00');
    """)
    old.commit()
    old.close()
    store = Store(home)
    try:
        [ti] = store.load_tis("d", "r").values()
        assert (ti.task_id, ti.map_index, str(ti.state), ti.try_number) == ("t", -1, "success", 1)
        assert store.get_xcom("d", "r", "t", "return_value") == "42"
        [event] = store.asset_events_for("asset", "x", None)
        assert event["extra"] == {} and event["aliases"] == [] and event["map_index"] == -1
        store.task_state("set", ("d", "r", "t", -1), "k", "1")  # the tables added later are there
        store.asset_state("set", ("x", "file:///x"), "k", "2")
        assert (store.task_state("get", ("d", "r", "t", -1), "k"), store.asset_state("get", ("x", "file:///x"), "k")) \
            == ("1", "2")
    finally:
        store.close()
    store = Store(home)  # opening it again does nothing more
    store.close()
