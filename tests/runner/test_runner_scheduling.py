"""Scheduling semantics beyond the conformance suite: concurrency limits, depends_on_past when blocked,
fail_fast, dagrun_timeout, callbacks, custom operators and sensors, assets, priority order."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli import cli


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CRON2DAG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OUT", str(tmp_path / "out.txt"))
    return tmp_path / "home"


def dag_file(tmp_path: Path, body: str, header: str = "") -> Path:
    path = tmp_path / "dag.py"
    path.write_text(textwrap.dedent('''
        import os, time
        from datetime import timedelta
        import pendulum
        from airflow.sdk import DAG, task, Asset, BaseOperator
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.providers.standard.operators.python import PythonOperator
        from airflow.providers.standard.sensors.filesystem import FileSensor
        START = pendulum.datetime(2024, 1, 1, tz="UTC")
    ''') + textwrap.dedent(header) + textwrap.dedent(body))
    return path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def runs(home: Path) -> list[dict]:
    return json.loads(invoke("runs", "--format", "json")[1])


def intervals(home: Path, run_id: str | None = None) -> list[tuple[str, str, str]]:
    """(task, start, end) of every task instance that ran."""
    query = "SELECT task_id, start_date, end_date FROM task_attempt"
    rows = sqlite3.connect(home / "state.db").execute(query).fetchall()
    return [(t, s, e) for t, s, e in rows if s and e]


def max_overlap(spans: list[tuple[str, str, str]]) -> int:
    events = sorted([(s, 1) for _, s, _ in spans] + [(e, -1) for _, _, e in spans])
    level = peak = 0
    for _, delta in events:
        level += delta
        peak = max(peak, level)
    return peak


def barrier(folder: str, count: str) -> str:
    """A bash command that marks this task as started in `folder`, then waits (polling, at most 60 s)
    until `count` tasks have: tasks overlap because they wait for each other, not for a guessed time."""
    return (f'mkdir -p "{folder}"; touch "{folder}/$AIRFLOW_CTX_TASK_ID.$AIRFLOW_CTX_DAG_RUN_ID"; '
            f'for _ in $(seq 6000); do [ $(ls "{folder}" | wc -l) -ge {count} ] && break; sleep 0.01; done; '
            f'[ $(ls "{folder}" | wc -l) -ge {count} ] || exit 1')


def test_max_active_tasks_limits_parallel_tasks(tmp_path: Path, home: Path) -> None:
    path = dag_file(tmp_path, f'''
        with DAG("limited", schedule=None, start_date=START, max_active_tasks=3) as dag:
            for i in range(9):
                BashOperator(task_id=f"t{{i}}", bash_command={barrier("$OUT.d", "3")!r})
    ''')
    assert invoke("run", str(path), "--date", "2024-01-01")[0] == 0
    assert max_overlap(intervals(home)) == 3


def test_max_active_runs_limits_parallel_runs(tmp_path: Path, home: Path) -> None:
    path = dag_file(tmp_path, f'''
        with DAG("daily", schedule="@daily", start_date=START, max_active_runs=2) as dag:
            BashOperator(task_id="only", bash_command={barrier("$OUT.{{ ds[:7] }}",
                                                               "{{ 2 if ds[:7] == '2024-01' else 6 }}")!r})
    ''')
    code, output = invoke("backfill", str(path), "--start", "2024-01-01", "--end", "2024-01-06")
    assert code == 0, output
    assert max_overlap(intervals(home)) == 2
    code, output = invoke("backfill", str(path), "--start", "2024-02-01", "--end", "2024-02-06", "--max-active-runs", "6")
    assert code == 0, output
    assert max_overlap([i for i in intervals(home)]) == 6


def test_depends_on_past_blocks_after_a_failure(tmp_path: Path, home: Path) -> None:
    path = dag_file(tmp_path, '''
        with DAG("dop", schedule="@daily", start_date=START) as dag:
            BashOperator(task_id="step", depends_on_past=True, bash_command='[ "{{ ds }}" != 2024-01-02 ]')
    ''')
    code, output = invoke("backfill", str(path), "--start", "2024-01-01", "--end", "2024-01-04")
    assert code == 2 and "depends_on_past" in output  # Airflow requires a reprocess behaviour
    code, output = invoke("backfill", str(path), "--start", "2024-01-01", "--end", "2024-01-04",
                          "--reprocess", "failed")
    assert code == 1, output
    states = {r["logical_date"][:10]: (r["state"], r["tasks"][0]["state"]) for r in runs(home)}
    assert states == {"2024-01-01": ("success", "success"), "2024-01-02": ("failed", "failed"),
                      "2024-01-03": ("queued", None), "2024-01-04": ("queued", None)}
    assert "blocked by depends_on_past" in output


def test_fail_fast_stops_the_rest(tmp_path: Path, home: Path) -> None:
    path = dag_file(tmp_path, f'''
        with DAG("ff", schedule=None, start_date=START, fail_fast=True) as dag:
            # "fails" fails once the two others have started: they are running when fail_fast stops them
            BashOperator(task_id="fails", bash_command={barrier("$OUT.d", "3")!r} + "; exit 1")
            BashOperator(task_id="long", bash_command={barrier("$OUT.d", "1")!r} + "; sleep 300")
            BashOperator(task_id="later", bash_command="true") << BashOperator(
                task_id="first", bash_command={barrier("$OUT.d", "1")!r} + "; sleep 300")
    ''')
    code, output = invoke("run", str(path), "--date", "2024-01-01")
    assert code == 1
    states = {t["task_id"]: t["state"] for t in runs(home)[0]["tasks"]}
    assert states == {"fails": "failed", "long": "failed", "first": "failed", "later": "skipped"}


def test_dagrun_timeout(tmp_path: Path, home: Path) -> None:
    path = dag_file(tmp_path, '''
        with DAG("slow", schedule=None, start_date=START, dagrun_timeout=timedelta(seconds=1)) as dag:
            BashOperator(task_id="slow", bash_command="sleep 30") >> BashOperator(task_id="next", bash_command="true")
    ''')
    code, output = invoke("run", str(path), "--date", "2024-01-01")
    assert code == 1
    [run] = runs(home)
    assert run["state"] == "failed"
    assert {t["task_id"]: t["state"] for t in run["tasks"]} == {"slow": "skipped", "next": "skipped"}


def test_python_callbacks_run_in_the_task_process(tmp_path: Path, home: Path) -> None:
    path = dag_file(tmp_path, '''
        def note(kind):
            def callback(context):
                with open(os.environ["OUT"], "a") as out:
                    out.write(f"{kind} {context['ti'].task_id} {context['ti'].try_number}\\n")
            return callback

        with DAG("callbacks", schedule=None, start_date=START,
                 default_args={"on_success_callback": note("success"), "on_failure_callback": note("failure"),
                               "on_retry_callback": note("retry"), "retry_delay": 0}) as dag:
            BashOperator(task_id="ok", bash_command="true")
            BashOperator(task_id="flaky", bash_command='[ "$AIRFLOW_CTX_TRY_NUMBER" = 2 ]', retries=1)
            BashOperator(task_id="broken", bash_command="exit 1")
    ''')
    assert invoke("run", str(path), "--date", "2024-01-01")[0] == 1
    lines = sorted((tmp_path / "out.txt").read_text().splitlines())
    assert lines == ["failure broken 1", "retry flaky 1", "success flaky 2", "success ok 1"]


def test_smtp_notifier_is_logged_not_sent(tmp_path: Path, home: Path) -> None:
    path = dag_file(tmp_path, '''
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier
        with DAG("mail", schedule=None, start_date=START,
                 default_args={"on_failure_callback": SmtpNotifier(to=["ops@example.com"])}) as dag:
            BashOperator(task_id="broken", bash_command="exit 1")
    ''')
    assert invoke("run", str(path), "--date", "2024-01-01")[0] == 1
    code, output = invoke("logs", "mail", "2024-01-01", "broken")
    assert "e-mail to ops@example.com not sent" in output


def test_custom_operator_and_sensor(tmp_path: Path, home: Path) -> None:
    path = dag_file(tmp_path, '''
        from airflow.sdk import BaseSensorOperator

        class Greet(BaseOperator):
            template_fields = ("name",)

            def __init__(self, *, name, **kwargs):
                super().__init__(**kwargs)
                self.name = name

            def execute(self, context):
                self.log.info("hello %s", self.name)
                return f"hello {self.name}"

        class Countdown(BaseSensorOperator):
            def poke(self, context):
                marker = os.environ["OUT"] + ".pokes"
                with open(marker, "a") as out:
                    out.write("poke\\n")
                return len(open(marker).read().split()) >= 3

        with DAG("custom", schedule=None, start_date=START) as dag:
            Greet(task_id="greet", name="{{ ds }}") >> Countdown(task_id="count", poke_interval=0.1, mode="reschedule")
    ''')
    code, output = invoke("run", str(path), "--date", "2024-01-01")
    assert code == 0, output
    [run] = runs(home)
    tasks = {t["task_id"]: t for t in run["tasks"]}
    assert tasks["count"]["try_number"] == 1  # rescheduling is not a new try
    assert (tmp_path / "out.txt.pokes").read_text().split() == ["poke"] * 3
    row = sqlite3.connect(home / "state.db").execute("SELECT value FROM xcom WHERE task_id = 'greet'").fetchone()
    assert json.loads(row[0]) == "hello 2024-01-01"


def test_assets_are_recorded(tmp_path: Path, home: Path) -> None:
    path = dag_file(tmp_path, '''
        with DAG("producer", schedule=[Asset("s3://bucket/input")], start_date=START) as dag:
            BashOperator(task_id="make", bash_command="true", outlets=[Asset("s3://bucket/output")])
            BashOperator(task_id="skipped", bash_command="exit 99", outlets=[Asset("s3://bucket/never")])
    ''')
    assert invoke("run", str(path), "--date", "2024-01-01")[0] == 0
    rows = sqlite3.connect(home / "state.db").execute("SELECT asset_uri, task_id FROM asset_event").fetchall()
    assert rows == [("s3://bucket/output", "make")]


def test_priority_weight_orders_launches(tmp_path: Path, home: Path) -> None:
    path = dag_file(tmp_path, '''
        with DAG("prio", schedule=None, start_date=START, max_active_tasks=1) as dag:
            low = BashOperator(task_id="a_low", bash_command='echo a_low >> "$OUT"', priority_weight=1)
            high = BashOperator(task_id="b_high", bash_command='echo b_high >> "$OUT"', priority_weight=10)
            chain_head = BashOperator(task_id="c_head", bash_command='echo c_head >> "$OUT"')
            for i in range(20):  # downstream weight: c_head carries its 20 descendants
                chain_head >> BashOperator(task_id=f"d{i}", bash_command="true")
    ''')
    assert invoke("run", str(path), "--date", "2024-01-01")[0] == 0
    assert (tmp_path / "out.txt").read_text().split()[:3] == ["c_head", "b_high", "a_low"]


def test_resume_after_editing_the_dag_adds_new_tasks(tmp_path: Path, home: Path) -> None:
    path = dag_file(tmp_path, '''
        with DAG("grow", schedule=None, start_date=START) as dag:
            BashOperator(task_id="one", bash_command="exit 1")
    ''')
    assert invoke("run", str(path), "--date", "2024-01-01")[0] == 1
    path.write_text(path.read_text().replace('bash_command="exit 1")', 'bash_command="true")\n    BashOperator(task_id="two", bash_command="true")'))
    assert invoke("run", str(path), "--date", "2024-01-01", "--rerun")[0] == 0
    assert sorted(t["task_id"] for t in runs(home)[0]["tasks"]) == ["one", "two"]


def test_dag_callbacks(tmp_path: Path, home: Path) -> None:
    path = dag_file(tmp_path, '''
        def record(context):
            with open(os.environ["OUT"], "a") as out:
                out.write(f"{context['reason']} {context['dag_run'].run_id}\\n")

        with DAG("dag_callbacks", schedule=None, start_date=START, on_success_callback=record,
                 on_failure_callback=record, params={"fail": False}) as dag:
            BashOperator(task_id="t", bash_command='[ "{{ params.fail }}" = False ]')
    ''')
    assert invoke("run", str(path), "--date", "2024-01-01")[0] == 0
    assert invoke("run", str(path), "--date", "2024-01-02", "--conf", '{"fail": true}')[0] == 1
    assert (tmp_path / "out.txt").read_text().splitlines() == [
        "success manual__2024-01-01T00:00:00+00:00", "task_failure manual__2024-01-02T00:00:00+00:00"]


def test_priority_weights_count_every_relative_once_on_random_dags() -> None:
    """The memoised walk missed relatives reached twice (a diamond below a diamond): 108 of 400 random
    DAGs got too small a priority_weight_total. Checked against a plain search of each task's relatives."""
    import random
    import types

    from migrator.runner.scheduler import priority_weights

    def task(task_id: str, rng: random.Random, varied: bool) -> types.SimpleNamespace:
        return types.SimpleNamespace(task_id=task_id, upstream_task_ids=set(), downstream_task_ids=set(),
                                     priority_weight=rng.randint(-3, 10) if varied else 1,
                                     weight_rule=rng.choice(["downstream", "upstream", "absolute"]))

    def searched(dag: types.SimpleNamespace) -> dict[str, int]:
        totals = {}
        for task_id, one in dag.task_dict.items():
            if one.weight_rule == "absolute":
                totals[task_id] = one.priority_weight
                continue
            side = "upstream_task_ids" if one.weight_rule == "upstream" else "downstream_task_ids"
            seen: set[str] = set()
            stack = list(getattr(one, side))
            while stack:
                other = stack.pop()
                if other not in seen:
                    seen.add(other)
                    stack.extend(getattr(dag.task_dict[other], side))
            totals[task_id] = one.priority_weight + sum(dag.task_dict[o].priority_weight for o in seen)
        return totals

    for seed in range(400):
        rng = random.Random(seed)
        tasks = {f"t{i}": task(f"t{i}", rng, varied=seed % 2 == 1) for i in range(rng.randint(1, 40))}
        ids = list(tasks)
        for i, upper in enumerate(ids):
            for lower in ids[i + 1:]:
                if rng.random() < 0.15:
                    tasks[upper].downstream_task_ids.add(lower)
                    tasks[lower].upstream_task_ids.add(upper)
        dag = types.SimpleNamespace(task_dict=tasks)
        assert priority_weights(dag) == searched(dag), seed
