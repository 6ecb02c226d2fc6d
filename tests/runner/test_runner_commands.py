"""The commands: run, backfill, runs, logs, clear (exit codes, contracts, resuming)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli import cli

DAG = '''
from datetime import timedelta
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.bash import BashOperator

with DAG("daily", schedule="0 0 * * *", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
         default_args={"retry_delay": timedelta(seconds=0)}, params={"n": 1}) as dag:
    first = BashOperator(task_id="first", bash_command='echo "first {{ ds }}" >> "$OUT"')
    second = BashOperator(task_id="second", bash_command='echo "second {{ ds }} {{ params.n }}" >> "$OUT"; '
                                                        '[ "{{ ds }}" != "{{ var.value.get("fail_on", "") }}" ]')
    first >> second
'''


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CRON2DAG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OUT", str(tmp_path / "out.txt"))
    monkeypatch.delenv("AIRFLOW_VAR_FAIL_ON", raising=False)
    (tmp_path / "daily.py").write_text(textwrap.dedent(DAG))
    return tmp_path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def lines(env: Path) -> list[str]:
    out = env / "out.txt"
    return out.read_text().splitlines() if out.exists() else []


def test_run_succeeds_and_prints_a_summary(env: Path) -> None:
    code, output = invoke("run", str(env / "daily.py"), "--date", "2024-01-05")
    assert code == 0, output
    assert lines(env) == ["first 2024-01-05", "second 2024-01-05 1"]
    assert "manual__2024-01-05T00:00:00+00:00: success" in output
    assert "│ first" in output and "│ second" in output


def test_failed_run_exits_1_and_rerun_reruns(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_FAIL_ON", "2024-01-05")
    code, output = invoke("run", str(env / "daily.py"), "--date", "2024-01-05", "--conf", '{"n": 2}')
    assert code == 1, output
    assert "failed" in output
    monkeypatch.delenv("AIRFLOW_VAR_FAIL_ON")
    ran = len(lines(env))
    # a finished run is left alone: shown, not run again, exit code from its state
    code, output = invoke("run", str(env / "daily.py"), "--date", "2024-01-05")
    assert code == 1 and "already finished (failed); nothing was run" in output and "--rerun" in output
    assert len(lines(env)) == ran
    code, output = invoke("run", str(env / "daily.py"), "--date", "2024-01-05", "--rerun")
    assert code == 0, output
    runs = json.loads(invoke("runs", "--format", "json")[1])
    assert [t["try_number"] for t in runs[0]["tasks"]] == [2, 2]  # a rerun is a new try, as after a clear
    code, output = invoke("run", str(env / "daily.py"), "--date", "2024-01-05")
    assert code == 0 and "already finished (success)" in output


def test_bad_input_exits_2(env: Path) -> None:
    assert invoke("run", str(env / "missing.py"))[0] == 2
    code, output = invoke("run", str(env / "daily.py"), "--conf", "[1]")
    assert code == 2 and "expected a JSON object" in output
    code, output = invoke("run", str(env / "daily.py"), "--date", "yesterday-ish")
    assert code == 2 and "--date" in output
    code, output = invoke("run", str(env / "daily.py"), "--task", "nope")
    assert code == 2 and "no task 'nope'" in output
    code, output = invoke("backfill", str(env / "daily.py"), "--start", "2024-01-05", "--end", "2024-01-01")
    assert code == 2 and "must not be after" in output


def test_backfill_of_seven_days(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_FAIL_ON", "2024-01-04")
    code, output = invoke("backfill", str(env / "daily.py"), "--start", "2024-01-01", "--end", "2024-01-07",
                          "--max-active-runs", "3")
    assert code == 1, output
    assert "7 runs: 1 failed, 6 success" in output
    ran = lines(env)
    for day in range(1, 8):
        assert f"first 2024-01-0{day}" in ran
    # runs are isolated: each saw its own date; the failure stayed in its run
    runs = json.loads(invoke("runs", "--dag-id", "daily", "--format", "json")[1])
    assert [r["logical_date"][:10] for r in runs] == [f"2024-01-0{d}" for d in range(7, 0, -1)]
    assert [r["run_id"] for r in runs][-1] == "backfill__2024-01-01T00:00:00+00:00"
    # again: only the failed run is redone, and only when asked
    monkeypatch.delenv("AIRFLOW_VAR_FAIL_ON")
    code, output = invoke("backfill", str(env / "daily.py"), "--start", "2024-01-01", "--end", "2024-01-07")
    assert code == 0 and "0 to run, 7 already done" in output
    code, output = invoke("backfill", str(env / "daily.py"), "--start", "2024-01-01", "--end", "2024-01-07",
                          "--reprocess", "failed", "--dry-run")
    assert code == 0 and "rerun (failed run is reprocessed)" in output and output.count("skip (already success)") == 6
    code, output = invoke("backfill", str(env / "daily.py"), "--start", "2024-01-01", "--end", "2024-01-07",
                          "--reprocess", "failed")
    assert code == 0, output
    assert "1 runs: 1 success" in output


def test_runs_json_contract(env: Path) -> None:
    invoke("run", str(env / "daily.py"), "--date", "2024-01-05")
    code, output = invoke("runs", "--format", "json")
    assert code == 0
    [run] = json.loads(output)
    assert set(run) == {"dag_id", "run_id", "logical_date", "state", "tasks"}
    assert run["state"] == "success" and run["logical_date"] == "2024-01-05T00:00:00+00:00"
    assert [set(task) for task in run["tasks"]] == [{"task_id", "map_index", "state", "try_number", "start", "end"}] * 2
    assert [task["map_index"] for task in run["tasks"]] == [-1, -1]
    assert run["tasks"][0]["start"] <= run["tasks"][0]["end"] <= run["tasks"][1]["start"]


def test_runs_when_nothing_ran(env: Path) -> None:
    assert invoke("runs", "--format", "json") == (0, "[]\n")
    code, output = invoke("runs")
    assert code == 0 and "no runs recorded" in output


def test_runs_of_a_dag_that_never_ran_names_it(env: Path) -> None:
    invoke("run", str(env / "daily.py"), "--date", "2024-01-05")
    assert invoke("runs", "--dag-id", "other", "--format", "json") == (0, "[]\n")
    code, output = invoke("runs", "--dag-id", "other")
    assert code == 0 and "no runs of DAG other recorded" in output


def test_logs_carry_run_date_and_attempt(env: Path) -> None:
    invoke("run", str(env / "daily.py"), "--date", "2024-01-05")
    code, output = invoke("logs", "daily", "2024-01-05", "second")
    assert code == 0, output
    body = [line for line in output.splitlines() if line]
    assert body and all("run_id=manual__2024-01-05T00:00:00+00:00 logical_date=2024-01-05T00:00:00+00:00 attempt=1 |"
                        in line for line in body)
    assert any("Command exited with return code 0" in line for line in body)
    assert (env / "home/logs/dag_id=daily/run_id=manual__2024-01-05T00:00:00+00:00/task_id=second/attempt=1.log").exists()
    code, output = invoke("logs", "daily", "2024-01-05", "second", "--attempt", "3")
    assert code == 2 and "no attempt 3" in output
    code, output = invoke("logs", "daily", "no-such-run", "second")
    assert code == 2 and "no run 'no-such-run'" in output


def test_clear_then_run_resumes_only_the_cleared(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_FAIL_ON", "2024-01-05")
    invoke("run", str(env / "daily.py"), "--date", "2024-01-05")
    monkeypatch.delenv("AIRFLOW_VAR_FAIL_ON")
    code, output = invoke("clear", "daily", "manual__2024-01-05T00:00:00+00:00", "--failed")
    assert code == 0 and "cleared 1 task instance" in output
    [run] = json.loads(invoke("runs", "--format", "json")[1])
    assert run["state"] == "queued"
    code, output = invoke("run", str(env / "daily.py"), "--date", "2024-01-05")
    assert code == 0, output
    assert "unfinished run (queued) is resumed" in output
    assert lines(env).count("first 2024-01-05") == 1  # the successful task was not run again
    assert lines(env).count("second 2024-01-05 1") == 2


def test_run_single_task(env: Path) -> None:
    code, output = invoke("run", str(env / "daily.py"), "--date", "2024-01-05", "--task", "second")
    assert code == 0, output
    assert lines(env) == ["second 2024-01-05 1"]
    [run] = json.loads(invoke("runs", "--format", "json")[1])
    assert run["state"] == "queued"  # the other task has not run


def test_ctrl_c_while_the_dag_file_loads_exits_130(env: Path) -> None:
    # Before the runner's own handler is in place, click turned Ctrl-C into "Aborted!" and exit code 1.
    # The file is imported in a child process first: Ctrl-C reaches the command, which stops the child.
    import os
    import signal
    import subprocess
    import sys
    import time

    marker = env / "importing"
    (env / "slow_import.py").write_text(f"import os, time\nopen({str(marker)!r}, 'w').write(str(os.getpid()))\n"
                                        "time.sleep(3600)\n")
    process = subprocess.Popen([sys.executable, "-m", "migrator", "run", str(env / "slow_import.py")],
                               env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               # as from a terminal: a shell starts background jobs (`.ci/run &`) with
                               # SIGINT ignored, and Python then keeps ignoring it
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 600  # a hang guard, not a guess
    while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 130 and "interrupted" in output and "Aborted" not in output, output
    importer = int(marker.read_text())
    deadline = time.monotonic() + 600  # a hang guard, not a guess
    while Path(f"/proc/{importer}").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not Path(f"/proc/{importer}").exists(), "the import's child process outlived the command"
