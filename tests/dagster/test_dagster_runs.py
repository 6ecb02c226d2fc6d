"""Generated Dagster jobs run the cron commands as cron did, checked by their side effects.

- every job of the nasty-command fixture, executed in-process by real Dagster, leaves exactly the
  bytes that `SHELL -c COMMAND` (with the text after `%` on standard input and the crontab's
  environment), run directly as cron runs it, leaves;
- the dated pipeline (assets, daily partitions in Europe/Paris) sees the partition's date where
  cron ran `date`, reads its secret from the environment at run time (it is in no generated
  file), and passes the crontab's variables byte for byte;
- a 7-day backfill of that pipeline, launched with `dagster job backfill` and carried out by the
  Dagster daemon as in a deployment, runs each date once and only once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from locations import FIXTURES

from migrator.codegen.dagster.plan import module_identifier
from migrator.codegen.migrate import migrate
from migrator.codegen.plan import CodegenOptions
from migrator.crontab.parser import load_crontab
from migrator.infer import infer_pipeline

pytestmark = pytest.mark.dagster

NASTY = FIXTURES / "dagster" / "nasty_commands.crontab"
DATED = FIXTURES / "dagster" / "dated_pipeline.crontab"
TOKEN = "t0ken with 'quotes' and $dollars"
BACKFILL_DAYS = [f"2025-01-{day:02d}" for day in range(1, 8)]


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _run_as_cron(crontab: Path, workdir: Path) -> None:
    """Every entry of `crontab` as cron runs it: `SHELL -c COMMAND`, stdin from `%`, its env."""
    workdir.mkdir(parents=True, exist_ok=True)
    control = {"MAILTO", "CRON_TZ", "MAILFROM"}
    for entry in load_crontab(crontab).entries:
        env = dict(entry.environment)
        shell = env.get("SHELL", "/bin/sh")
        subprocess.run(
            [shell, "-c", entry.command],
            input=(entry.stdin or "").encode("utf-8"),
            env={**os.environ, **{k: v for k, v in env.items() if k not in control}},
            cwd=workdir,
            check=True,
        )


def test_nasty_commands_leave_what_sh_c_leaves(dagster, tmp_path: Path) -> None:
    run_dir, oracle_dir = tmp_path / "dagster_cwd", tmp_path / "cron_cwd"
    run_dir.mkdir()
    pipeline = infer_pipeline(load_crontab(NASTY))
    location = tmp_path / "location"
    migrate([pipeline], location, CodegenOptions(target="dagster", cwd=str(run_dir)))
    jobs = [module_identifier(d.dag_id) for d in pipeline.dags]
    tick = "2025-01-05T05:00:00+00:00"
    (answer,) = dagster.probe(
        tmp_path / "probe",
        [
            {
                "folder": str(location),
                "runs": [{"job": job, "tick": tick} for job in jobs],
                "cwd": str(tmp_path),  # the jobs must not depend on Dagster's own directory
            }
        ],
    )
    assert [r for r in answer["runs"] if not r["success"]] == []
    _run_as_cron(NASTY, oracle_dir)
    produced, expected = _files(run_dir), _files(oracle_dir)
    assert len(expected) >= 11
    assert produced == expected


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("dated")
    run_dir = root / "work"
    run_dir.mkdir()
    migrate(
        [infer_pipeline(load_crontab(DATED))],
        root / "location",
        CodegenOptions(target="dagster", cwd=str(run_dir)),
    )
    return root / "location", run_dir


def test_dated_pipeline_is_assets_partitioned_daily_with_no_secret_in_the_code(
    dated: tuple[Path, Path],
) -> None:
    location, _ = dated
    source = (location / "dated_pipeline.py").read_text(encoding="utf-8")
    for text in _files(location).values():
        assert b"not-in-the-generated-code" not in text
    assert "as Dagster assets in one asset job" in source
    assert "dg.DailyPartitionsDefinition(" in source and 'timezone="Europe/Paris"' in source
    assert 'secret("API_TOKEN")' in source
    assert "def dated_pipeline_mailto(" in source and "stub" in source


def test_a_partition_run_sees_its_date_its_variables_and_its_secret(
    dagster, dated: tuple[Path, Path], tmp_path: Path
) -> None:
    location, run_dir = dated
    (answer,) = dagster.probe(
        tmp_path,
        [
            {
                "folder": str(location),
                "runs": [{"job": "dated_pipeline", "partition_key": "2025-01-05"}],
            }
        ],
        env={"API_TOKEN": TOKEN},
    )
    assert answer["runs"][0]["success"], answer["runs"][0]["error"]
    data = run_dir / "data"
    assert (data / "extract.log").read_text() == "2025-01-05\n"
    assert (data / "orders.csv").read_text() == "orders of 2025-01-05\n"
    assert (data / "load.log").read_text() == f"2025-01-05|hello  world|{TOKEN}\n"
    assert (data / "report.txt").read_text().strip() == "1"


def test_a_run_without_the_secret_fails_and_says_which(
    dagster, dated: tuple[Path, Path], tmp_path: Path
) -> None:
    location, _ = dated
    (answer,) = dagster.probe(
        tmp_path,
        [
            {
                "folder": str(location),
                "runs": [{"job": "dated_pipeline", "partition_key": "2025-01-06"}],
            }
        ],
    )
    assert not answer["runs"][0]["success"]
    assert "API_TOKEN" in answer["runs"][0]["error"]


def test_a_seven_day_backfill_runs_each_date_once(dagster, tmp_path: Path) -> None:
    run_dir, home = tmp_path / "work", tmp_path / "home"
    run_dir.mkdir()
    home.mkdir()
    location = tmp_path / "location"
    migrate(
        [infer_pipeline(load_crontab(DATED))],
        location,
        CodegenOptions(target="dagster", cwd=str(run_dir)),
    )
    env = {"API_TOKEN": TOKEN}
    launched = dagster.cli(
        ["job", "backfill", "-f", "definitions.py", "-j", "dated_pipeline", "--noprompt"]
        + ["--from", BACKFILL_DAYS[0], "--to", BACKFILL_DAYS[-1]],
        location,
        home,
        env,
    )
    assert launched.returncode == 0, (launched.stdout + launched.stderr)[-3000:]
    assert "Launched backfill" in launched.stdout + launched.stderr
    # the daemon carries the backfill out, as under `dagster dev`: wait for its seven runs
    daemon = subprocess.Popen(
        [str(dagster.venv / "bin" / "dagster-daemon"), "run", "-f", "definitions.py"],
        cwd=location,
        env=dagster.environment(home, env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        statuses = _wait_for_runs(dagster, home, len(BACKFILL_DAYS))
    finally:
        os.killpg(daemon.pid, signal.SIGINT)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait()
    assert statuses == ["SUCCESS"] * len(BACKFILL_DAYS)
    extracted = (run_dir / "data" / "extract.log").read_text().split()
    assert sorted(extracted) == BACKFILL_DAYS  # each date once, none twice, none missing
    loads = (run_dir / "data" / "load.log").read_text().splitlines()
    assert sorted(line.split("|")[0] for line in loads) == BACKFILL_DAYS


_RUN_STATUSES = """
import dagster as dg
runs = dg.DagsterInstance.get().get_runs()
print(" ".join(sorted(r.status.value for r in runs)))
"""
_FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


def _wait_for_runs(dagster, home: Path, count: int, limit_s: float = 600) -> list[str]:
    """The statuses of the instance's runs once `count` of them have finished (or at the limit)."""
    deadline = time.monotonic() + limit_s
    statuses: list[str] = []
    while time.monotonic() < deadline:
        done = subprocess.run(
            [str(dagster.python), "-c", _RUN_STATUSES],
            env=dagster.environment(home),
            capture_output=True,
            text=True,
            check=False,
        )
        statuses = done.stdout.split()
        if len([s for s in statuses if s in _FINISHED]) >= count:
            return statuses
        time.sleep(2)  # polling interval, not a guess of how long the runs take
    return statuses
