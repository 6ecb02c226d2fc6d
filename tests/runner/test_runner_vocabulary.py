"""One vocabulary for run, backfill, runs, logs, clear: DAG selection, strict dates, Airflow's names,
errors that say why, tables that fit 80 columns."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli import cli

DAG = '''
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.bash import BashOperator

with DAG("daily", schedule="0 0 * * *", start_date=pendulum.datetime(2024, 1, 1, tz="UTC")) as dag:
    BashOperator(task_id="first", bash_command='echo "first {{ ds }}" >> "$OUT"')
'''

OTHER = DAG.replace('"daily"', '"other"')


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CRON2DAG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OUT", str(tmp_path / "out.txt"))
    (tmp_path / "daily.py").write_text(textwrap.dedent(DAG))
    (tmp_path / "other.py").write_text(textwrap.dedent(OTHER))
    return tmp_path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("value", ["08-01-2025", "01/08/2025", "2025-8-1", "", " ", "now", "yesterday", "P1D"])
def test_dates_are_strict_iso_8601(env: Path, value: str) -> None:
    code, output = invoke("run", str(env / "daily.py"), "--date", value)
    assert code == 2 and "--date" in output and "ISO 8601" in output, output
    code, output = invoke("backfill", str(env / "daily.py"), "--from-date", value, "--to-date", "2024-01-02")
    assert code == 2 and "--from-date" in output and "ISO 8601" in output, output
    assert not (env / "out.txt").exists()


def test_iso_forms_are_accepted(env: Path) -> None:
    for value in ("2024-01-05", "2024-01-06T00:00", "2024-01-07T02:00:00+02:00", "20240108"):
        code, output = invoke("run", str(env / "daily.py"), "--date", value)
        assert code == 0, output
    days = [run["logical_date"] for run in json.loads(invoke("runs", "--format", "json")[1])]
    assert days == ["2024-01-08T00:00:00+00:00", "2024-01-07T00:00:00+00:00", "2024-01-06T00:00:00+00:00",
                    "2024-01-05T00:00:00+00:00"]


def test_backfill_takes_airflows_from_and_to_date_and_the_old_names(env: Path) -> None:
    code, output = invoke("backfill", str(env / "daily.py"), "--from-date", "2024-01-01", "--to-date", "2024-01-02")
    assert code == 0 and "2 runs: 2 success" in output, output
    code, output = invoke("backfill", str(env / "daily.py"), "--start", "2024-01-01", "--end", "2024-01-03",
                          "--reprocess", "none")
    assert code == 0 and "3 logical dates, 1 to run, 2 already done" in output, output
    code, output = invoke("backfill", str(env / "daily.py"), "--from-date", "2024-01-01", "--to-date", "2024-01-01",
                          "--reprocess-behavior", "completed", "--dag-run-conf", "{}")
    assert code == 0 and "1 to run" in output, output


def test_backfill_over_a_range_without_runs_says_why(env: Path) -> None:
    dag = env / "weekly.py"
    dag.write_text(textwrap.dedent(DAG).replace('"0 0 * * *"', '"0 0 * * 1"').replace('"daily"', '"weekly"'))
    code, output = invoke("backfill", str(dag), "--from-date", "2024-01-02", "--to-date", "2024-01-05")
    assert code == 2, output
    assert "no run to backfill" in output and "0 0 * * 1" in output and "next one is 2024-01-08" in output
    code, output = invoke("backfill", str(env / "daily.py"), "--from-date", "2999-01-01", "--to-date", "2999-01-02")
    assert code == 2 and "no data interval has ended yet" in output, output


def test_backfill_near_the_largest_date_is_a_clear_error(env: Path) -> None:
    code, output = invoke("backfill", str(env / "daily.py"), "--start", "9999-12-29", "--end", "9999-12-31")
    assert code == 2 and "9999-12-31" in output and "internal error" not in output, output


def test_run_on_a_crontab_says_migrate_it_first(env: Path) -> None:
    crontab = env / "etl.crontab"
    crontab.write_text("# nightly\n0 2 * * * /opt/etl/extract.sh\n30 2 * * * /opt/etl/load.sh\n")
    for command in ("run", "backfill"):
        args = [command, str(crontab)] + (["--from-date", "2024-01-01", "--to-date", "2024-01-02"]
                                          if command == "backfill" else [])
        code, output = invoke(*args)
        assert code == 2, output
        assert "this is a crontab (2 jobs), not a DAG file: migrate it first" in output
        assert f"cron2dag migrate {crontab}" in output


def test_a_python_file_with_a_syntax_error_is_not_called_a_crontab(env: Path) -> None:
    (env / "broken.py").write_text("import pendulum\ndef f(:\n")
    code, output = invoke("run", str(env / "broken.py"))
    assert code == 2 and "SyntaxError" in output and "crontab" not in output


def test_dag_selection_is_dag_id_everywhere(env: Path) -> None:
    assert invoke("run", str(env / "daily.py"), "--dag-id", "daily", "--date", "2024-01-01")[0] == 0
    # logs and clear: --dag-id, or the older positional form, or nothing when one DAG is recorded
    for args in (["--dag-id", "daily", "2024-01-01", "first"], ["daily", "2024-01-01", "first"],
                 ["2024-01-01", "first"], ["-d", "daily", "manual__2024-01-01T00:00:00+00:00", "first"]):
        code, output = invoke("logs", *args)
        assert code == 0 and "first" in output, (args, output)
    code, output = invoke("clear", "--dag-id", "daily", "2024-01-01", "--only-failed")
    assert code == 0 and "cleared 0 task instances" in output, output
    assert invoke("run", str(env / "other.py"), "-d", "other", "--date", "2024-01-01")[0] == 0
    code, output = invoke("logs", "2024-01-01", "first")
    assert code == 2 and "choose the DAG with --dag-id (DAGs recorded: daily, other)" in output
    code, output = invoke("clear", "2024-01-01")
    assert code == 2 and "--dag-id" in output
    code, output = invoke("clear", "other", "2024-01-01", "--failed")
    assert code == 0, output
    [run] = json.loads(invoke("runs", "--dag-id", "other", "--format", "json")[1])
    assert run["dag_id"] == "other"
    [run] = json.loads(invoke("runs", "-d", "daily", "--format", "json")[1])
    assert run["dag_id"] == "daily"
    code, output = invoke("logs", "--dag-id", "daily", "2024-01-01")
    assert code == 2 and "expected [--dag-id ID] RUN TASK_ID" in output


def test_the_shared_options_have_one_help_text() -> None:
    from click import Context

    from migrator.cli import COMMANDS, LazyGroup  # noqa: F401 - the lazy command table

    helps: dict[str, set[str]] = {}
    for name in ("run", "backfill", "runs", "logs", "clear"):
        command = cli.get_command(Context(cli), name)
        assert command is not None
        for param in command.params:
            if "--dag-id" in getattr(param, "opts", []):
                helps.setdefault("--dag-id", set()).add(param.help or "")
                assert param.opts == ["--dag-id", "-d"], (name, param.opts)
    assert len(helps["--dag-id"]) == 1


def test_tables_fit_80_columns_without_cutting_run_ids(env: Path) -> None:
    code, _ = invoke("backfill", str(env / "daily.py"), "--from-date", "2024-01-01", "--to-date", "2024-01-02")
    assert code == 0
    assert invoke("run", str(env / "daily.py"), "--date", "2024-01-05T06:30:15")[0] == 0
    code, output = invoke("runs")
    assert code == 0
    assert max(len(line) for line in output.splitlines()) <= 80, output
    for run_id in ("backfill__2024-01-01T00:00:00+00:00", "backfill__2024-01-02T00:00:00+00:00",
                   "manual__2024-01-05T06:30:15+00:00"):
        assert run_id in output
    assert "…" not in output
    long_task = "t_" + "x" * 90
    (env / "long.py").write_text(textwrap.dedent(DAG).replace('"first"', repr(long_task)).replace('"daily"', '"long"'))
    code, output = invoke("run", str(env / "long.py"), "--date", "2024-01-01")
    assert code == 0, output
    assert max(len(line) for line in output.splitlines() if line.startswith(("│", "┃", "┏", "└"))) <= 80
    assert "…" not in output and "".join(output.split()).count(long_task) >= 1
