"""Hostile input for the runner (issue 16): ids that would leave the runner home, damaged state, DAG files
that end or hang their process at import, inputs that overflow. Each is a clear error, exit 2."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli import cli

ROOT = Path(__file__).resolve().parents[2]

DAG = '''
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.bash import BashOperator

with DAG("daily", schedule="0 0 * * *", start_date=pendulum.datetime(2024, 1, 1, tz="UTC")) as dag:
    BashOperator(task_id="first", bash_command="echo first")
'''


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CRON2DAG_HOME", str(tmp_path / "home"))
    (tmp_path / "daily.py").write_text(textwrap.dedent(DAG))
    return tmp_path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*")}


# -- ids ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("assignment", [
    'dag.dag_id = "x/../../../escaped"',
    'dag.dag_id = "../escaped"',
    'dag.dag_id = "daily\\n"',
    'dag.task_dict["first"].task_id = "../escaped"',
])
def test_ids_changed_after_construction_cannot_leave_the_home(env: Path, assignment: str) -> None:
    (env / "evil.py").write_text(textwrap.dedent(DAG) + assignment + "\n")
    before = files_under(env)
    code, output = invoke("run", str(env / "evil.py"), "--date", "2024-01-01")
    assert code == 2, output
    assert ("is not a valid id" in output or "pass the id when creating the task" in output), output
    assert "internal error" not in output
    created = files_under(env) - before
    assert all(path.is_relative_to(env / "home") for path in created), created
    assert not list(env.parent.rglob("escaped"))


@pytest.mark.parametrize("name", ["'daily\\n'", "'daily\\nother'", "'a/b'"])
def test_an_id_with_a_newline_or_slash_fails_the_id_check(env: Path, name: str) -> None:
    (env / "newline.py").write_text(textwrap.dedent(DAG).replace('"daily"', name))
    code, output = invoke("run", str(env / "newline.py"), "--date", "2024-01-01")
    assert code == 2 and "Broken DAG" in output and "alphanumeric" in output, output
    assert not (env / "home" / "logs").exists()


# -- inputs that overflow ---------------------------------------------------------------------------------
def test_deeply_nested_conf_is_a_clear_error(env: Path) -> None:
    nested = '{"a": ' * 20_000 + "1" + "}" * 20_000
    code, output = invoke("run", str(env / "daily.py"), "--date", "2024-01-01", "--conf", nested)
    assert code == 2 and "--conf: the JSON is nested too deeply" in output


@pytest.mark.parametrize("args", [
    ["backfill", "{dag}", "--start", "9999-12-29", "--end", "9999-12-31"],
    ["run", "{dag}", "--date", "9999-12-31T23:59:59-05:00"],
    ["run", "{dag}", "--date", "0001-01-01T00:00+05:00"],
    ["run", "{dag}", "--retry-delay", "999999999999h", "--date", "2024-01-01"],
])
def test_dates_and_durations_that_overflow_are_clear_errors(env: Path, args: list[str]) -> None:
    code, output = invoke(*[arg.replace("{dag}", str(env / "daily.py")) for arg in args])
    assert code == 2 and "internal error" not in output and "Traceback" not in output, output


# -- DAG files that end or hang the process importing them ------------------------------------------------
@pytest.mark.parametrize(("body", "expected"), [
    ("import os\nos._exit(3)\n", "ended its process with exit code 3"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", "killed its process (SIGKILL)"),
    ("class Escape(BaseException):\n    pass\nraise Escape('no way')\n", "raised Escape: no way"),
    ("raise KeyboardInterrupt\n", "raised KeyboardInterrupt"),
    ("raise SystemExit(4)\n", "sys.exit(4)"),
])
def test_a_dag_file_that_ends_its_import_is_a_broken_dag(env: Path, body: str, expected: str) -> None:
    (env / "ends.py").write_text(textwrap.dedent(DAG) + body)
    for args in (["run", str(env / "ends.py")], ["backfill", str(env / "ends.py"), "--from-date", "2024-01-01",
                                                 "--to-date", "2024-01-02"]):
        code, output = invoke(*args)
        assert code == 2, output
        assert "Broken DAG" in output and expected in output, output
    assert not (env / "home").exists()  # nothing ran, nothing was recorded


def test_a_dag_file_that_ignores_the_import_timeout_is_stopped(tmp_path: Path) -> None:
    """The file ran in the CLI's own process: SIGALRM ignored, `cron2dag run` could not be stopped."""
    dag = tmp_path / "loops.py"
    dag.write_text("import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CRON2DAG"))}
    env.update(CRON2DAG_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT), AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT="1")
    done = subprocess.run([sys.executable, "-m", "migrator", "run", str(dag)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Broken DAG" in done.stderr and "did not finish within 1s" in done.stderr


def test_a_dag_file_that_prints_while_it_loads_prints_nothing_twice(env: Path) -> None:
    (env / "chatty.py").write_text(textwrap.dedent(DAG) + "print('loading the chatty DAG')\n")
    code, output = invoke("run", str(env / "chatty.py"), "--date", "2024-01-01")
    assert code == 0, output
    assert output.count("loading the chatty DAG") == 1


# -- a damaged state database -------------------------------------------------------------------------------
COMMANDS = [
    ["runs"], ["runs", "--format", "json"],
    ["run", "{dag}", "--date", "2024-01-01"],
    ["backfill", "{dag}", "--from-date", "2024-01-01", "--to-date", "2024-01-02"],
    ["logs", "daily", "2024-01-01", "first"],
    ["clear", "daily", "2024-01-01"],
]


def a_recorded_run(env: Path) -> Path:
    code, output = invoke("run", str(env / "daily.py"), "--date", "2024-01-01")
    assert code == 0, output
    state = env / "home" / "state.db"
    conn = sqlite3.connect(state)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file, as after a clean exit
    conn.close()
    return state


def garbage(state: Path) -> None:
    state.write_bytes(os.urandom(8192))


def half_truncated(state: Path) -> None:
    data = state.read_bytes()
    state.write_bytes(data[: len(data) // 2])


def overwritten_pages(state: Path) -> None:
    data = bytearray(state.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    for number in range(1, len(data) // page):  # every page but the first (the header and the schema)
        data[number * page:(number + 1) * page] = b"\xa5" * page
    state.write_bytes(bytes(data))


def replaced_by_a_database_with(table: str):
    def damage(state: Path) -> None:
        state.unlink()
        conn = sqlite3.connect(state)
        conn.execute(table)
        conn.commit()
        conn.close()

    return damage


wrong_schema = replaced_by_a_database_with("CREATE TABLE dag_run (dag_id TEXT, colour TEXT)")
wrong_schema.__name__ = "wrong_schema"
another_program = replaced_by_a_database_with("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
another_program.__name__ = "another_program"


def empty(state: Path) -> None:
    state.write_bytes(b"")


def a_folder(state: Path) -> None:
    state.unlink()
    state.mkdir()
    (state / "keep.txt").write_text("mine")


def home_is_a_file(state: Path) -> None:
    home = state.parent
    shutil.rmtree(home)
    home.write_text("not a folder")


DAMAGE = [garbage, half_truncated, overwritten_pages, wrong_schema, another_program, empty, a_folder, home_is_a_file]


def snapshot(path: Path) -> object:
    if path.is_dir():
        return sorted((p.name, p.read_bytes()) for p in path.iterdir())
    return path.read_bytes()


@pytest.mark.parametrize("damage", DAMAGE, ids=[d.__name__ for d in DAMAGE])
def test_a_damaged_state_database_is_named_with_a_way_out_and_kept(env: Path, damage) -> None:
    state = a_recorded_run(env)
    for name in ("state.db-wal", "state.db-shm"):
        (state.parent / name).unlink(missing_ok=True)
    damage(state)
    named = state.parent if damage is home_is_a_file else state
    before = snapshot(named)
    for args in COMMANDS:
        code, output = invoke(*[arg.replace("{dag}", str(env / "daily.py")) for arg in args])
        assert code == 2, (args, output)
        assert str(named) in output, (args, output)
        assert "internal error" not in output and "Traceback" not in output, (args, output)
        assert any(way in output for way in ("move it away", "Move it away", "move the file away")), (args, output)
        assert named.exists() and snapshot(named) == before, (args, "the damaged file was changed")


def test_two_runners_starting_on_a_new_home_never_see_an_empty_state_db(env: Path) -> None:
    """The state.db appears complete or not at all (a 0-byte state.db is now an error)."""
    processes = [subprocess.Popen([sys.executable, "-m", "migrator", "run", str(env / "daily.py"), "--date",
                                   "2024-01-01"], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(4)]
    for process in processes:
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0, output
    assert not list((env / "home").glob(".state.db.*"))  # the file built aside is gone
