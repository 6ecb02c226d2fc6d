"""Exactly once under concurrency: many runners started together on one DAG and date.

Every attempt appends `<task> <try>` to $OUT, so a task that ran twice shows up as two lines, whatever
the runners recorded. Marked slow; `.ci/run` runs it again with more trials (CRON2DAG_STRESS_TRIALS).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNNERS = 8
TRIALS = int(os.environ.get("CRON2DAG_STRESS_TRIALS", "4"))

RECORD = 'echo "$AIRFLOW_CTX_TASK_ID $AIRFLOW_CTX_TRY_NUMBER" >> "$OUT"'

FAN_OUT = f'''
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.bash import BashOperator
with DAG("fan_out", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), max_active_tasks=16) as dag:
    root = BashOperator(task_id="root", bash_command={RECORD!r})
    root >> [BashOperator(task_id=f"leaf{{i:02d}}", bash_command={RECORD!r}) for i in range(20)]
'''

# 22 tasks in layers, Python (forked) and Bash (spawned) tasks mixed, joins with several upstreams.
LAYERED = f'''
import os
import pendulum
from airflow.sdk import DAG, task
from airflow.providers.standard.operators.bash import BashOperator

@task
def python_step(ti=None):
    with open(os.environ["OUT"], "a") as out:
        out.write(f"{{ti.task_id}} {{ti.try_number}}\\n")

with DAG("layered", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), max_active_tasks=16) as dag:
    previous = [BashOperator(task_id=f"l0_{{i}}", bash_command={RECORD!r}) for i in range(2)]
    for layer in range(1, 5):
        current = [BashOperator(task_id=f"l{{layer}}_{{i}}", bash_command={RECORD!r}) for i in range(3)]
        current += [python_step.override(task_id=f"l{{layer}}_py{{i}}")() for i in range(2)]
        for task_ in current:
            previous >> task_
        previous = current
'''


def start_runners(dag_file: Path, env: dict[str, str]) -> list[subprocess.Popen[str]]:
    return [subprocess.Popen([sys.executable, "-m", "migrator", "run", str(dag_file), "--date", "2024-01-01"],
                             cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            for _ in range(RUNNERS)]


def one_trial(tmp_path: Path, name: str, source: str, tasks: int) -> None:
    tmp_path.mkdir()
    dag_file = tmp_path / f"{name}.py"
    dag_file.write_text(source)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CRON2DAG"))}
    env.update(CRON2DAG_HOME=str(tmp_path / "home"), OUT=str(tmp_path / "out.txt"), PYTHONPATH=str(ROOT))
    runners = start_runners(dag_file, env)
    outputs = [runner.communicate(timeout=300)[0] for runner in runners]
    for runner, output in zip(runners, outputs):
        assert runner.returncode == 0, output
    ran = Counter((tmp_path / "out.txt").read_text().splitlines())
    assert len(ran) == tasks, sorted(ran)
    assert [line for line, count in ran.items() if count > 1 or not line.endswith(" 1")] == [], ran
    listed = subprocess.run([sys.executable, "-m", "migrator", "runs", "--format", "json"], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True)
    [run] = json.loads(listed.stdout)
    assert run["state"] == "success"
    assert {task["try_number"] for task in run["tasks"]} == {1}
    with sqlite3.connect(tmp_path / "home" / "state.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM task_attempt").fetchone()[0] == tasks
    # a runner that arrived after the run had finished said so, and did not run it again
    late = [output for output in outputs if "already finished" in output]
    assert all("--rerun" in output for output in late)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "source", "tasks"), [("fan_out", FAN_OUT, 21), ("layered", LAYERED, 22)])
def test_eight_runners_started_together_run_every_task_once(tmp_path: Path, name: str, source: str,
                                                           tasks: int) -> None:
    for trial in range(TRIALS):
        one_trial(tmp_path / f"trial{trial}", name, source, tasks)
