"""Migrated readiness guards, retry classes and deadlines, run by the local runner through the CLI.

The sensor tests start a run, wait until `runs` shows the sensor waiting, then make the signal
appear: no test sleeps a guessed duration.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DAY = "2025-01-05"
WAITING = {"deferred", "up_for_reschedule", "running"}
LIMIT_S = 120  # a backstop for a broken runner, never how long a test expects to wait


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CRON2DAG"))}
    env.update(CRON2DAG_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
    return env


def cron2dag(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrator", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=LIMIT_S, check=False)


def migrate(tmp_path: Path, crontab: str, *options: str) -> tuple[Path, dict[str, str]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "jobs.crontab"
    source.write_text(f"HOME={tmp_path}\nMAILTO=ops@example.com\n{crontab}")
    env = environment(tmp_path)
    done = cron2dag("migrate", str(source), "-o", str(tmp_path / "dags"), *options, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    dags = sorted((tmp_path / "dags").glob("*.py"))
    return dags[0] if len(dags) == 1 else tmp_path / "dags", env


def task_states(env: dict[str, str]) -> dict[str, tuple[str | None, int]]:
    done = cron2dag("runs", "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    runs = json.loads(done.stdout)
    return {t["task_id"]: (t["state"], t["try_number"]) for run in runs for t in run["tasks"]}


def wait_for_state(env: dict[str, str], task_id: str, states: set[str], process: subprocess.Popen) -> None:
    deadline = time.monotonic() + LIMIT_S
    while time.monotonic() < deadline:
        if task_states(env).get(task_id, (None, 0))[0] in states:
            return
        assert process.poll() is None, process.communicate()[0]
        time.sleep(0.1)
    raise AssertionError(f"{task_id} never reached {states}: {task_states(env)}")


def start_run(dag: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "migrator", "run", str(dag), "--date", DAY], cwd=ROOT, env=env,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_a_wait_loop_becomes_a_sensor_that_lets_the_job_start_when_the_file_appears(tmp_path: Path) -> None:
    marker = tmp_path / "in" / DAY / "_SUCCESS"
    dag, env = migrate(
        tmp_path,
        "0 2 * * * while [ ! -f in/$(date +\\%F)/_SUCCESS ]; do sleep 1; done; echo loaded $(date +\\%F) > out.txt\n",
    )
    run = start_run(dag, env)
    sensor = next(t for t in task_states_after_start(env, run) if t.startswith("wait_for_"))
    wait_for_state(env, sensor, WAITING, run)
    assert not (tmp_path / "out.txt").exists()  # the job waits for its data
    marker.parent.mkdir(parents=True)
    marker.touch()
    output, _ = run.communicate(timeout=LIMIT_S)
    assert run.returncode == 0, output
    assert (tmp_path / "out.txt").read_text() == f"loaded {DAY}\n"
    assert {state for state, _ in task_states(env).values()} == {"success"}


def task_states_after_start(env: dict[str, str], process: subprocess.Popen) -> list[str]:
    """The run's task ids, once the run exists."""
    deadline = time.monotonic() + LIMIT_S
    while time.monotonic() < deadline:
        states = task_states(env)
        if states:
            return sorted(states)
        assert process.poll() is None, process.communicate()[0]
        time.sleep(0.1)
    raise AssertionError("the run never started")


def test_a_hard_guard_times_out_and_fails_the_job_a_soft_one_skips_it(tmp_path: Path) -> None:
    hard, env = migrate(tmp_path / "hard", "0 2 * * * [ -f never.csv ] && echo ran > out.txt\n", "--sensor-timeout", "2s")
    done = cron2dag("run", str(hard), "--date", DAY, env=env)
    assert done.returncode == 1, done.stdout
    states = task_states(env)
    sensor = next(t for t in states if t.startswith("wait_for_"))
    job = next(t for t in states if not t.startswith("wait_for_"))
    assert (states[sensor][0], states[job][0]) == ("failed", "upstream_failed")

    soft, env = migrate(tmp_path / "soft", "0 2 * * * [ -f never.csv ] || exit 0; echo ran > out.txt\n",
                        "--sensor-timeout", "2s")
    done = cron2dag("run", str(soft), "--date", DAY, env=env)
    assert done.returncode == 0, done.stdout
    assert {state for state, _ in task_states(env).values()} == {"skipped"}
    assert not (tmp_path / "soft" / "out.txt").exists()


FAKE_AWS = """#!/bin/sh
# `aws s3 ls s3://bucket/prefix`: exit 0 when a file under $FAKE_S3/bucket/ starts with prefix, 1 if none
[ "$1 $2" = "s3 ls" ] || exit 252
path=${3#s3://}
bucket=${path%%/*}
prefix=${path#"$bucket"}
prefix=${prefix#/}
cd "$FAKE_S3/$bucket" 2>/dev/null || exit 1
find . -type f | sed 's|^\\./||' | grep -q "^$prefix" && exit 0
exit 1
"""


def test_an_s3_guard_is_checked_with_the_aws_cli(tmp_path: Path) -> None:
    tools = tmp_path / "bin"
    tools.mkdir(parents=True)
    (tools / "aws").write_text(FAKE_AWS)
    (tools / "aws").chmod((tools / "aws").stat().st_mode | stat.S_IXUSR)
    dag, env = migrate(
        tmp_path,
        "0 2 * * * until aws s3 ls s3://drops/events/$(date +\\%F)/ >/dev/null; do sleep 1; done; echo synced > out.txt\n",
    )
    assert "S3KeySensor" in dag.read_text()
    env.update(PATH=f"{tools}{os.pathsep}{env['PATH']}", FAKE_S3=str(tmp_path / "s3"))
    run = start_run(dag, env)
    sensor = next(t for t in task_states_after_start(env, run) if t.startswith("wait_for_"))
    wait_for_state(env, sensor, WAITING, run)
    drop = tmp_path / "s3" / "drops" / "events" / DAY / "part-0.json"
    drop.parent.mkdir(parents=True)
    drop.write_text("{}")
    output, _ = run.communicate(timeout=LIMIT_S)
    assert run.returncode == 0, output
    assert (tmp_path / "out.txt").read_text() == "synced\n"


def test_a_missing_cli_fails_the_sensor_with_the_reason(tmp_path: Path) -> None:
    dag, env = migrate(tmp_path, "0 2 * * * gsutil -q stat gs://b/x && echo ok > out.txt\n", "--retries", "0")
    tools = tmp_path / "bin"  # bash, and no gsutil
    tools.mkdir()
    (tools / "bash").symlink_to(shutil.which("bash") or "/bin/bash")
    env["PATH"] = f"{tools}{os.pathsep}{Path(sys.executable).parent}"
    done = cron2dag("run", str(dag), "--date", DAY, env=env)
    assert done.returncode == 1
    logs = "".join(p.read_text() for p in (tmp_path / "home" / "logs").rglob("*.log"))
    assert "checks GCS objects with `gsutil -q stat`, and `gsutil` is not on PATH" in logs


def test_retries_follow_the_failure_class_and_usage_errors_are_not_retried(tmp_path: Path) -> None:
    dag, env = migrate(
        tmp_path,
        "0 2 * * * /opt/etl/not-installed.sh\n"
        "0 2 * * * sh -c 'exit 1' && echo never\n"
        "0 2 * * * psql -f no-such-file.sql || false\n",
        "--retry-delay", "1s",
    )
    for module in sorted(dag.glob("*.py")):
        done = cron2dag("run", str(module), "--date", DAY, env=env)
        assert done.returncode == 1, done.stdout
    tries = {task: tries for task, (_, tries) in task_states(env).items()}
    assert sorted(tries.values()) == [1, 1, 3], tries  # 127: no retry; sql: no retry; other: 2 retries


def test_a_run_that_ends_after_its_deadline_mails_mailto(tmp_path: Path) -> None:
    dag, env = migrate(tmp_path, "0 2 * * * echo done > out.txt\n")
    assert "deadline=DeadlineAlert(" in dag.read_text()
    done = cron2dag("run", str(dag), "--date", DAY, env=env)  # a backfill: long past its deadline
    assert done.returncode == 0, done.stdout + done.stderr
    [log] = (tmp_path / "home" / "logs").rglob("task_id=__dag_callbacks__/attempt=1.log")
    text = log.read_text()
    assert "e-mail to ops@example.com not sent" in text
    assert "missed its deadline" in text
