"""Task and asset state stores (Airflow 3.3's AIP-103): what a try writes, the next try reads; each
mapped instance has its own; an asset's store is shared by the DAGs that name the asset."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from test_runner_mapping import invoke
from test_runner_operators import runs, write, xcom


def test_a_retry_reads_what_the_failed_try_wrote(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path, """
        from airflow.sdk import NEVER_EXPIRE

        with DAG("resume", schedule=None, start_date=START) as dag:
            @task(retries=2, retry_delay=0)
            def work(task_state_store=None, ti=None):
                seen = task_state_store.get("seen", default=[])
                seen.append(ti.try_number)
                task_state_store.set("seen", seen, retention=NEVER_EXPIRE)
                if ti.try_number < 3:
                    raise RuntimeError("not yet")
                task_state_store.delete("missing")  # no-op
                return {"seen": seen, "default": task_state_store.get("nothing", "dflt")}

            @task
            def other(task_state_store=None):
                return task_state_store.get("seen", "absent")  # another task instance: another store

            work() >> other()
    """)
    code, output = invoke("run", str(path), "--date", "2024-01-02")
    assert code == 0, output
    assert [(t["task_id"], t["state"], t["try_number"]) for t in runs("resume")[0]["tasks"]] == [
        ("other", "success", 1), ("work", "success", 3)]
    assert xcom("resume", "work") == {"seen": [1, 2, 3], "default": "dflt"}
    assert xcom("resume", "other") == "absent"


def test_mapped_instances_have_a_store_each_and_none_cannot_be_stored(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path, """
        with DAG("mapped_state", schedule=None, start_date=START) as dag:
            @task
            def each(n, task_state_store=None, ti=None):
                before = task_state_store.get("n")
                task_state_store.set("n", n * 10)
                try:
                    task_state_store.set("none", None)
                except ValueError as error:
                    refused = str(error)
                task_state_store.set("gone", 1)
                task_state_store.clear()
                task_state_store.set("n", n * 10)
                return [before, task_state_store.get("n"), task_state_store.get("gone"), refused]

            each.expand(n=[1, 2])
    """)
    code, output = invoke("run", str(path), "--date", "2024-01-02")
    assert code == 0, output
    store = sqlite3.connect(home / "state.db")
    rows = sorted(store.execute("SELECT map_index, key, value FROM task_state_store"))
    assert rows == [(0, "n", "10"), (1, "n", "20")]
    assert json.loads(store.execute("SELECT value FROM xcom WHERE map_index = 1").fetchone()[0]) \
        == [None, 20, None, "Cannot set value as None"]


def test_an_asset_store_is_shared_across_dags_and_runs(tmp_path: Path, home: Path) -> None:
    path = write(tmp_path, """
        from airflow.sdk import Asset

        ORDERS = Asset(name="orders", uri="s3://bucket/orders")
        OTHER = Asset(name="other", uri="s3://bucket/other")

        with DAG("producer", schedule=None, start_date=START) as producer:
            @task(outlets=[ORDERS])
            def load(asset_state_store=None):
                runs_before = asset_state_store.get("runs", default=0)  # one asset: the store's methods directly
                asset_state_store.set("runs", runs_before + 1)
                return runs_before + 1
            load()

        with DAG("consumer", schedule=[ORDERS], start_date=START) as consumer:
            @task(inlets=[Asset.ref(name="orders"), OTHER])
            def read(asset_state_store=None):
                try:
                    asset_state_store.get("runs")
                except ValueError as error:
                    several = str(error)
                try:
                    asset_state_store[Asset(name="elsewhere", uri="s3://x")]
                except KeyError as error:
                    missing = str(error)
                return [asset_state_store[ORDERS].get("runs"), asset_state_store[Asset.ref(name="orders")].get("runs"),
                        several, missing]
            read()

            @task
            def no_assets(**context):
                return "asset_state_store" in context
            no_assets()
    """)
    for day in ("2024-01-02", "2024-01-03"):
        assert invoke("run", str(path), "--dag-id", "producer", "--date", day)[0] == 0
    code, output = invoke("run", str(path), "--dag-id", "consumer", "--date", "2024-01-03")
    assert code == 0, output
    runs_seen, by_ref, several, missing = xcom("consumer", "read")
    assert (runs_seen, by_ref) == (2, 2)
    assert several.startswith("Task has 2 concrete inlets and outlets")
    assert "is not in this task's inlets or outlets" in missing
    assert xcom("consumer", "no_assets") is False
    writer = sqlite3.connect(home / "state.db").execute(
        "SELECT asset_name, asset_uri, dag_id, run_id, task_id FROM asset_state_store").fetchall()
    assert writer == [("orders", "s3://bucket/orders", "producer", "manual__2024-01-03T00:00:00+00:00", "load")]
