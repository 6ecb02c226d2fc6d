"""Reliability: the runner killed at random points, Ctrl-C, two runners on one run, tasks that fail,
hang, crash or flood their output. Every test drives the real CLI in subprocesses."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Every deadline below only turns a hang into a failure: a loaded CI machine (or eight engineers on two
# cores) stretches a few seconds of work into a minute, so none of them is close to how long work takes.
HANG = 600.0  # and the tasks that must be killed sleep an hour, far beyond it


def cli(*args: str, env: dict[str, str], **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "migrator", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)  # type: ignore[call-overload]


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CRON2DAG"))}
    env.update(CRON2DAG_HOME=str(tmp_path / "home"), OUT=str(tmp_path / "out.txt"), PYTHONPATH=str(ROOT), **extra)
    return env


def runs(env: dict[str, str]) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "migrator", "runs", "--format", "json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def wait_until(condition, what: str, timeout: float = HANG) -> None:
    """Poll for a state (a generous deadline only turns a hang into a failure, it is not a guess)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for: {what}"
        time.sleep(0.02)


COUNTING_DAG = '''
import pendulum
from airflow.sdk import DAG, task
from airflow.providers.standard.operators.bash import BashOperator

STEP = 'echo "start $AIRFLOW_CTX_TASK_ID {{ ds }} $AIRFLOW_CTX_TRY_NUMBER" >> "$OUT"; sleep 0.{n}; ' \\
       'echo "end $AIRFLOW_CTX_TASK_ID {{ ds }} $AIRFLOW_CTX_TRY_NUMBER" >> "$OUT"'

with DAG("counting", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), max_active_tasks=2) as dag:
    extract = BashOperator(task_id="extract", bash_command=STEP.replace("{n}", "3"))
    left = BashOperator(task_id="left", bash_command=STEP.replace("{n}", "2"))
    right = BashOperator(task_id="right", bash_command=STEP.replace("{n}", "4"))

    @task
    def load(ds=None, ti=None):
        import os, time
        with open(os.environ["OUT"], "a") as out:
            out.write(f"start load {ds} {ti.try_number}\\n")
        time.sleep(0.2)
        with open(os.environ["OUT"], "a") as out:
            out.write(f"end load {ds} {ti.try_number}\\n")
        return ds

    extract >> [left, right] >> load()
'''


def wait_for_kill_point(point: str, count: int, process: subprocess.Popen[str], tmp_path: Path) -> None:
    out = tmp_path / "out.txt"

    def events() -> int:
        return sum(1 for line in out.read_text().splitlines() if line.startswith(point)) if out.exists() else 0

    def registered() -> bool:
        import sqlite3

        path = tmp_path / "home" / "state.db"
        if not path.exists():
            return False
        try:  # read-only: connecting must not create the file the runner is about to create
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as conn:
                return bool(conn.execute("SELECT COUNT(*) FROM runner").fetchone()[0])
        except sqlite3.Error:  # being created
            return False

    if point == "at once":
        return
    if point == "registered":
        wait_until(lambda: process.poll() is not None or registered(), "the runner to register")
        return
    target = events() + count
    wait_until(lambda: process.poll() is not None or events() >= target, f"{count} more task {point}s")


def test_sigkill_at_random_points_loses_nothing_and_repeats_no_success(tmp_path: Path) -> None:
    (tmp_path / "counting.py").write_text(COUNTING_DAG)
    env = environment(tmp_path)
    args = ("backfill", str(tmp_path / "counting.py"), "--from-date", "2024-01-01", "--to-date", "2024-01-24",
            "--max-active-runs", "2")
    rng = random.Random(20240101)
    kills = 0
    for _ in range(14):
        process = cli(*args, env=env)
        # Kill points are states, never delays (a busy machine stretches every delay): at once (while
        # Python starts or the DAG loads), once the runner is registered in the state store, or once
        # a few more task attempts have started or ended (while tasks run and results are recorded).
        wait_for_kill_point(rng.choice(["at once", "registered", "start", "end"]), rng.randint(1, 4),
                            process, tmp_path)
        if process.poll() is None:
            process.kill()
            kills += 1
        process.communicate()
    assert kills >= 10
    final = cli(*args, env=env)
    output, _ = final.communicate(timeout=HANG)
    assert final.returncode == 0, output

    recorded = runs(env)
    assert len(recorded) == 24 and all(run["state"] == "success" for run in recorded)
    final_try = {(t["task_id"], run["logical_date"][:10]): t["try_number"] for run in recorded for t in run["tasks"]}
    assert all(t["state"] == "success" for run in recorded for t in run["tasks"])

    started: dict[tuple[str, str], list[int]] = defaultdict(list)
    ended: dict[tuple[str, str], list[int]] = defaultdict(list)
    for line in (tmp_path / "out.txt").read_text().splitlines():
        what, task_id, day, attempt = line.split()
        (started if what == "start" else ended)[(task_id, day)].append(int(attempt))
    assert set(started) == set(final_try)
    for key, attempts in started.items():
        assert len(attempts) == len(set(attempts)), f"{key}: an attempt ran twice: {attempts}"
        # the attempt recorded as successful is the last one that ran: nothing ran after a recorded success
        assert max(attempts) == final_try[key], (key, attempts, final_try[key])
        assert final_try[key] in ended[key], key
    # nothing recorded was lost: every attempt that started has its log and its attempt record
    home = Path(env["CRON2DAG_HOME"])
    for (task_id, day), attempts in started.items():
        run_dir = next((home / "logs" / "dag_id=counting").glob(f"run_id=backfill__{day}*"))
        for attempt in attempts:
            assert (run_dir / f"task_id={task_id}" / f"attempt={attempt}.log").exists(), (task_id, day, attempt)
    interrupted = sum(1 for attempts in started.values() for a in attempts if a != max(attempts))
    assert interrupted > 0  # the kills did interrupt tasks, which then ran again (retries=0)
    # every line of every attempt's log, the recovery notes included, says which run, date and attempt
    import re

    for path in (home / "logs").rglob("attempt=*.log"):
        attempt = path.stem.split("=")[1]
        for line in path.read_text().splitlines():
            assert re.match(rf"\[\S+\] run_id=backfill__\S+ logical_date=\S+ attempt={attempt} \| ", line), (path, line)


HANGING_DAG = '''
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.bash import BashOperator
with DAG("hanging", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")) as dag:
    for i in range(3):
        BashOperator(task_id=f"sleep{i}", bash_command='echo $$ >> "$OUT"; sleep 3600')
'''


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split(") ")[1][0] != "Z"


def start_hanging_run(tmp_path: Path, dag: str) -> tuple[subprocess.Popen[str], dict[str, str], Path]:
    """Start `run` of the hanging DAG and return once its three tasks have written their pids."""
    (tmp_path / "hanging.py").write_text(dag)
    env = environment(tmp_path)
    process = cli("run", str(tmp_path / "hanging.py"), "--date", "2024-01-01", env=env)
    out = tmp_path / "out.txt"
    wait_until(lambda: out.exists() and len(out.read_text().splitlines()) >= 3, "three tasks to start")
    return process, env, out


def test_ctrl_c_stops_cleanly_and_the_run_resumes(tmp_path: Path) -> None:
    process, env, out = start_hanging_run(tmp_path, HANGING_DAG)
    pids = [int(p) for p in out.read_text().split()]
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=HANG)
    assert process.returncode == 130, output
    assert "interrupted" in output
    assert not any(_alive(pid) for pid in pids), "task processes survived Ctrl-C"
    [run] = runs(env)
    assert run["state"] == "queued"
    assert [t["state"] for t in run["tasks"]] == [None, None, None]
    assert [t["try_number"] for t in run["tasks"]] == [1, 1, 1]
    log = (Path(env["CRON2DAG_HOME"]) / "logs/dag_id=hanging/run_id=manual__2024-01-01T00:00:00+00:00"
           / "task_id=sleep0/attempt=1.log").read_text()
    assert "interrupted by the user (Ctrl-C)" in log
    # resuming runs the interrupted tasks again, without counting the interruption against retries
    (tmp_path / "hanging.py").write_text(HANGING_DAG.replace("sleep 3600", "true"))
    done = subprocess.run([sys.executable, "-m", "migrator", "run", str(tmp_path / "hanging.py"), "--date",
                           "2024-01-01"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=HANG, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    [run] = runs(env)
    assert run["state"] == "success" and [t["try_number"] for t in run["tasks"]] == [2, 2, 2]


WIDE_DAG = '''
import os
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.bash import BashOperator

def finished(context):
    with open(os.environ["OUT"] + ".callbacks", "a") as out:
        out.write(f"{context['dag_run'].run_id} {os.getpid()}\\n")

with DAG("wide", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), max_active_tasks=16,
         on_success_callback=finished) as dag:
    for i in range(24):
        BashOperator(task_id=f"t{i:02d}", bash_command='echo "$AIRFLOW_CTX_TASK_ID $AIRFLOW_CTX_TRY_NUMBER" >> "$OUT"; sleep 0.5')
'''


def test_two_runners_on_one_run_never_run_a_task_twice(tmp_path: Path) -> None:
    (tmp_path / "wide.py").write_text(WIDE_DAG)
    # Each runner may run 4 tasks at once ([core] parallelism), the run 16: both runners get work.
    env = environment(tmp_path, AIRFLOW__CORE__PARALLELISM="4")
    first = cli("run", str(tmp_path / "wide.py"), "--date", "2024-01-01", env=env)
    second = cli("run", str(tmp_path / "wide.py"), "--date", "2024-01-01", env=env)
    out_first, _ = first.communicate(timeout=HANG)
    out_second, _ = second.communicate(timeout=HANG)
    assert first.returncode == 0, out_first
    assert second.returncode == 0, out_second
    lines = (tmp_path / "out.txt").read_text().splitlines()
    assert sorted(lines) == [f"t{i:02d} 1" for i in range(24)]
    [run] = runs(env)
    assert run["state"] == "success"
    attempts = Path(env["CRON2DAG_HOME"]) / "state.db"
    import sqlite3

    runners = {row[0] for row in sqlite3.connect(attempts).execute("SELECT runner_id FROM task_attempt")}
    assert len(runners) == 2, "both runners should have taken part"
    # the run finishes once: its DAG callback runs once, not once per runner
    assert len((tmp_path / "out.txt.callbacks").read_text().splitlines()) == 1


BAD_TASKS_DAG = '''
from datetime import timedelta
import pendulum
from airflow.sdk import DAG, task
from airflow.providers.standard.operators.bash import BashOperator
with DAG("bad_tasks", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), max_active_tasks=8) as dag:
    BashOperator(task_id="floods_lines", bash_command="yes 'some output line' | head -c 30000000; echo last")
    BashOperator(task_id="floods_without_newlines", bash_command="head -c 20000000 /dev/zero; echo; echo last")
    BashOperator(task_id="hangs", bash_command="sleep 3600", execution_timeout=timedelta(seconds=1))
    BashOperator(task_id="ignores_sigterm", bash_command="trap '' TERM; sleep 3600 & wait; sleep 3600",
                 execution_timeout=timedelta(seconds=1))
    BashOperator(task_id="quick", bash_command="echo quick")

    @task
    def exits():
        import os
        os._exit(3)

    @task
    def segfaults():
        import os, signal
        os.kill(os.getpid(), signal.SIGSEGV)

    @task(execution_timeout=timedelta(seconds=1))
    def busy_loop():
        while True:
            pass

    @task
    def bad_bytes():
        import sys
        sys.stdout.buffer.write(bytes(range(256)) + b"\\n")
        return "ok"

    exits(); segfaults(); busy_loop(); bad_bytes()
'''


def test_failing_hanging_crashing_and_flooding_tasks_do_not_take_the_runner_down(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(BAD_TASKS_DAG)
    env = environment(tmp_path, CRON2DAG_KILL_GRACE="1")
    process = cli("run", str(tmp_path / "bad.py"), "--date", "2024-01-01", env=env)
    # the hanging tasks sleep an hour: a runner that waited for them instead of their execution_timeout
    # hits this deadline
    output, _ = process.communicate(timeout=HANG)
    assert process.returncode == 1, output  # a failed run, reported; not a crash
    assert "internal error" not in output and "Traceback" not in output
    [run] = runs(env)
    states = {t["task_id"]: t["state"] for t in run["tasks"]}
    assert states == {
        "floods_lines": "success", "floods_without_newlines": "success", "quick": "success", "bad_bytes": "success",
        "hangs": "failed", "ignores_sigterm": "failed", "exits": "failed", "segfaults": "failed", "busy_loop": "failed",
    }
    ends = {t["task_id"]: t["end"] for t in run["tasks"]}
    assert ends["quick"] < ends["floods_lines"]  # other tasks kept going while one flooded
    home = Path(env["CRON2DAG_HOME"]) / "logs/dag_id=bad_tasks/run_id=manual__2024-01-01T00:00:00+00:00"
    flood = (home / "task_id=floods_lines/attempt=1.log").stat().st_size
    assert flood > 30_000_000  # all of it was kept, line by line
    zero_log = (home / "task_id=floods_without_newlines/attempt=1.log").read_bytes()
    assert zero_log.count(b"\n") >= 20_000_000 // (64 * 1024)  # split into bounded lines
    assert "exited with code 3" in (home / "task_id=exits/attempt=1.log").read_text()
    assert "SIGSEGV" in (home / "task_id=segfaults/attempt=1.log").read_text()
    assert "AirflowTaskTimeout" in (home / "task_id=busy_loop/attempt=1.log").read_text()
    assert "AirflowTaskTimeout" in (home / "task_id=hangs/attempt=1.log").read_text()
    xcom = subprocess.run([sys.executable, "-m", "migrator", "logs", "bad_tasks", "2024-01-01", "floods_lines"],
                          cwd=ROOT, env=env, capture_output=True, check=False)
    assert xcom.returncode == 0


def test_two_runners_opening_a_new_state_db_together_both_start(tmp_path: Path, monkeypatch) -> None:
    """SQLite answers `PRAGMA journal_mode=WAL` "database is locked" at once, without waiting, while another
    runner switches the same new state.db to WAL: the second of two runners started together crashed."""
    import sqlite3

    from migrator.runner import store as store_module

    class Contended(sqlite3.Connection):
        refusals = 2

        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:  # type: ignore[override]
            if sql == "PRAGMA journal_mode=WAL" and Contended.refusals:
                Contended.refusals -= 1
                raise sqlite3.OperationalError("database is locked")
            return super().execute(sql, *args)

    real_connect = sqlite3.connect
    monkeypatch.setattr(store_module.sqlite3, "connect",
                        lambda *args, **kwargs: real_connect(*args, factory=Contended, **kwargs))
    store = store_module.Store(tmp_path / "home")
    assert Contended.refusals == 0
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


TIMEOUT_GROUP_DAG = '''
from datetime import timedelta
import pendulum
from airflow.sdk import DAG, task
from airflow.providers.standard.operators.bash import BashOperator
with DAG("timeout_group", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")) as dag:
    BashOperator(task_id="bash", bash_command='sleep 3600 & echo $! >> "$OUT"; wait',
                 execution_timeout=timedelta(seconds=1))

    @task(execution_timeout=timedelta(seconds=1))
    def python():
        import os, subprocess, time
        child = subprocess.Popen(["sleep", "3600"])
        with open(os.environ["OUT"], "a") as out:
            out.write(f"{child.pid}\\n")
        time.sleep(3600)

    python()
'''


def test_execution_timeout_terminates_the_whole_process_group(tmp_path: Path) -> None:
    (tmp_path / "timeout_group.py").write_text(TIMEOUT_GROUP_DAG)
    env = environment(tmp_path)
    done = subprocess.run([sys.executable, "-m", "migrator", "run", str(tmp_path / "timeout_group.py"), "--date",
                           "2024-01-01"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=HANG, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    [run] = runs(env)
    assert {t["task_id"]: t["state"] for t in run["tasks"]} == {"bash": "failed", "python": "failed"}
    grandchildren = [int(pid) for pid in (tmp_path / "out.txt").read_text().split()]
    assert len(grandchildren) == 2
    wait_until(lambda: not [pid for pid in grandchildren if _alive(pid)], "the background processes to die")


DAEMON_DAG = '''
import pendulum
from airflow.sdk import DAG, task
from airflow.providers.standard.operators.bash import BashOperator
with DAG("daemon", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")) as dag:
    @task
    def starts_daemon():
        import os, subprocess
        daemon = subprocess.Popen(["sleep", "3600"])  # inherits the task's stdout
        with open(os.environ["OUT"], "a") as out:
            out.write(f"{daemon.pid}\\n")
        return "started"

    starts_daemon() >> BashOperator(task_id="after", bash_command="echo after")
'''


def test_a_python_task_that_leaves_a_process_running_still_finishes(tmp_path: Path) -> None:
    """Airflow 3's supervisor stops reading a finished task's output after [workers] socket_cleanup_timeout;
    the runner used to wait for the end of the output, i.e. for the daemon the task had started."""
    (tmp_path / "daemon.py").write_text(DAEMON_DAG)
    env = environment(tmp_path, AIRFLOW__WORKERS__SOCKET_CLEANUP_TIMEOUT="1")
    try:
        done = subprocess.run([sys.executable, "-m", "migrator", "run", str(tmp_path / "daemon.py"), "--date",
                               "2024-01-01"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=HANG,
                              check=False)
    finally:
        for pid in (tmp_path / "out.txt").read_text().split() if (tmp_path / "out.txt").exists() else []:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
    assert done.returncode == 0, done.stdout + done.stderr
    [run] = runs(env)
    assert {t["task_id"]: t["state"] for t in run["tasks"]} == {"starts_daemon": "success", "after": "success"}
    log = (Path(env["CRON2DAG_HOME"]) / "logs/dag_id=daemon/run_id=manual__2024-01-01T00:00:00+00:00"
           / "task_id=starts_daemon/attempt=1.log").read_text()
    assert "no longer reading it" in log


TWO_RUNS_DAG = '''
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.bash import BashOperator
with DAG("two_runs", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), max_active_runs=2) as dag:
    # the second day's task outlives SIGTERM, so the first run's task is done while the second is still busy
    BashOperator(task_id="a", bash_command='{% if ds == "2024-01-02" %}trap "" TERM; {% endif %}'
                                           'echo {{ ds }} >> "$OUT"; sleep 3600')
'''


def test_ctrl_c_during_a_backfill_leaves_every_run_resumable(tmp_path: Path) -> None:
    """A run whose tasks were all terminated while another run's task was still stopping was settled as a
    'task deadlock' and recorded as failed, so `backfill` would have skipped it instead of resuming it."""
    (tmp_path / "two_runs.py").write_text(TWO_RUNS_DAG)
    env = environment(tmp_path, CRON2DAG_KILL_GRACE="2")
    process = cli("backfill", str(tmp_path / "two_runs.py"), "--from-date", "2024-01-01", "--to-date", "2024-01-02", env=env)
    out = tmp_path / "out.txt"
    wait_until(lambda: out.exists() and len(out.read_text().split()) >= 2, "both runs' tasks to start")
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=HANG)
    assert process.returncode == 130, output
    assert "deadlock" not in output
    recorded = runs(env)
    assert [(run["logical_date"][:10], run["state"]) for run in recorded] == [("2024-01-02", "queued"),
                                                                              ("2024-01-01", "queued")]


def test_a_killed_runner_keeps_the_log_of_the_task_it_was_running(tmp_path: Path) -> None:
    """Task output was buffered in the runner until the attempt ended: SIGKILL lost all of it."""
    dag = HANGING_DAG.replace('echo $$ >> "$OUT"', 'echo "output before the kill"; echo $$ >> "$OUT"')
    process, env, out = start_hanging_run(tmp_path, dag)
    log = (Path(env["CRON2DAG_HOME"]) / "logs/dag_id=hanging/run_id=manual__2024-01-01T00:00:00+00:00"
           / "task_id=sleep0/attempt=1.log")
    # on disk while the attempt still runs (it never ends by itself), not when it ends
    wait_until(lambda: "output before the kill" in log.read_text(), "the task's output in its log")
    process.kill()
    process.communicate()
    wait_until(lambda: not any(_alive(int(pid)) for pid in out.read_text().split()), "the tasks to die")
    assert "Running command" in log.read_text() and "output before the kill" in log.read_text()


ORPHANS_DAG = '''
import pendulum
from airflow.sdk import DAG, task
from airflow.providers.standard.operators.bash import BashOperator
with DAG("orphans", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")) as dag:
    # the shell, a child in its process group, and a child that left the group for a session of its own
    BashOperator(task_id="bash", bash_command='sleep 3600 & echo "$$ $!" >> "$OUT"; sleep 3600; echo end >> "$OUT"')
    BashOperator(task_id="escapes", bash_command='setsid sleep 3600 & echo "$$ $!" >> "$OUT"; wait')

    @task
    def python():
        import os, subprocess, time
        child = subprocess.Popen(["sleep", "3600"])
        with open(os.environ["OUT"], "a") as out:
            out.write(f"{os.getpid()} {child.pid}\\n")
        time.sleep(3600)
        with open(os.environ["OUT"], "a") as out:
            out.write("end\\n")

    python()
'''


def test_sigkill_of_the_runner_kills_its_tasks_and_their_children(tmp_path: Path) -> None:
    """Task processes lead their own sessions: after `kill -9` of the runner they used to live on and
    finish their work unrecorded, so resuming ran it a second time."""
    process, env, out = start_hanging_run(tmp_path, ORPHANS_DAG)
    pids = [int(p) for p in out.read_text().split()]
    assert len(pids) == 6 and all(_alive(pid) for pid in pids)
    process.kill()
    process.communicate()
    wait_until(lambda: not any(_alive(pid) for pid in pids), "every task process and child to die")
    # the next run resumes the interrupted attempts: nothing ran unobserved in between
    (tmp_path / "hanging.py").write_text(ORPHANS_DAG.replace("3600", "0"))
    done = subprocess.run([sys.executable, "-m", "migrator", "run", str(tmp_path / "hanging.py"), "--date",
                           "2024-01-01"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=HANG, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert out.read_text().count("end") == 2  # the resumed attempts, not the killed ones
    [run] = runs(env)
    assert {t["task_id"]: (t["state"], t["try_number"]) for t in run["tasks"]} == {
        "bash": ("success", 2), "escapes": ("success", 2), "python": ("success", 2)}


def test_clear_after_the_runner_was_killed(tmp_path: Path) -> None:
    """`clear` refused ("being executed by a runner") a run whose runner had been killed with SIGKILL."""
    process, env, out = start_hanging_run(tmp_path, HANGING_DAG)
    process.kill()
    process.communicate()
    pids = [int(p) for p in out.read_text().split()]
    try:
        done = subprocess.run([sys.executable, "-m", "migrator", "clear", "hanging", "2024-01-01"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=HANG, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "cleared 3 task instances" in done.stdout
        wait_until(lambda: not any(_alive(pid) for pid in pids), "the dead runner's tasks to die")
    finally:
        for pid in pids:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    [run] = runs(env)
    assert run["state"] == "queued" and [t["state"] for t in run["tasks"]] == [None, None, None]
