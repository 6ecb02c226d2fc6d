"""End to end: crontabs migrated by `cron2dag migrate`, run and backfilled by the local runner."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "fixtures" / "crontabs" / "seed_pipeline.crontab"
SEED_EDGES = [
    ("ingest_from_rest_api", "transform_api_data"),
    ("transform_api_data", "combine_api_and_database"),
    ("ingest_from_database", "combine_api_and_database"),
    ("combine_api_and_database", "load_to_warehouse"),
]


def cron2dag(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrator", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture()
def env(tmp_path: Path) -> dict[str, str]:
    """The seed crontab's jobs are `python <job>.py`: a stand-in `python` on PATH records each job run."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "python"
    stub.write_text('#!/bin/sh\necho "$(basename "$1" .py) $AIRFLOW_CTX_LOGICAL_DATE" >> "$OUT"\n')
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CRON2DAG"))}
    return {**base, "PATH": f"{bin_dir}:{os.environ['PATH']}", "OUT": str(tmp_path / "out.txt"),
            "CRON2DAG_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}


def test_seed_crontab_migrates_runs_and_backfills(env: dict[str, str], tmp_path: Path) -> None:
    migrated = cron2dag("migrate", str(SEED), "-o", str(tmp_path / "dags"), env=env)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    dag_file = tmp_path / "dags" / "seed_pipeline.py"

    done = cron2dag("run", str(dag_file), "--date", "2025-01-05", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = Path(env["OUT"]).read_text().splitlines()
    order = [line.split()[0] for line in lines]
    assert sorted(order) == sorted({job for edge in SEED_EDGES for job in edge})
    for upstream, downstream in SEED_EDGES:
        assert order.index(upstream) < order.index(downstream)
    assert {line.split()[1] for line in lines} == {"2025-01-05T00:00:00+00:00"}

    Path(env["OUT"]).unlink()
    env = {**env, "CRON2DAG_HOME": str(tmp_path / "home-backfill")}  # the manual run above is not part of it
    done = cron2dag("backfill", str(dag_file), "--start", "2025-01-01", "--end", "2025-01-07", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "7 runs: 7 success" in done.stdout
    per_day: dict[str, list[str]] = {}
    for line in Path(env["OUT"]).read_text().splitlines():
        job, logical_date = line.split()
        per_day.setdefault(logical_date[:10], []).append(job)
    assert sorted(per_day) == [f"2025-01-0{day}" for day in range(1, 8)]
    for jobs in per_day.values():
        assert len(jobs) == 5 and len(set(jobs)) == 5
        for upstream, downstream in SEED_EDGES:
            assert jobs.index(upstream) < jobs.index(downstream)
    runs = json.loads(cron2dag("runs", "--format", "json", env=env).stdout)
    backfilled = [run for run in runs if run["run_id"].startswith("backfill__")]
    assert len(backfilled) == 7 and all(run["state"] == "success" for run in backfilled)


def test_generated_pipeline_with_sensors_and_a_cross_dag_link(env: dict[str, str], tmp_path: Path) -> None:
    """The codegen integration test's pipeline (time wait, Variable, ExternalTaskSensor between DAGs)
    gives in the runner what it gives under `airflow dags test`."""
    sys.path.insert(0, str(ROOT / "tests" / "codegen"))
    try:
        from codegen_support import echo_seed_pipeline
    finally:
        sys.path.pop(0)
    from migrator.codegen.migrate import migrate
    from migrator.codegen.plan import CodegenOptions

    dags = tmp_path / "dags"
    migrate([echo_seed_pipeline("OUT")], dags, CodegenOptions(airflow=3))
    env = {**env, "AIRFLOW_VAR_DB_PASSWORD": "from-a-variable"}
    sunday = dt.datetime(2025, 1, 5, tzinfo=dt.timezone.utc)
    daily = cron2dag("run", str(dags / "seed_pipeline.py"), "--date", sunday.isoformat(), env=env)
    assert daily.returncode == 0, daily.stdout + daily.stderr
    weekly = cron2dag("run", str(dags / "weekly_report.py"), "--date", (sunday + dt.timedelta(hours=6)).isoformat(),
                      env=env)
    assert weekly.returncode == 0, weekly.stdout + weekly.stderr
    lines = Path(env["OUT"]).read_text().splitlines()
    assert lines[-1] == "weekly_report 2025-01-05"
    ran = {line.split()[0]: line.split(maxsplit=1)[1] for line in lines[:-1]}
    assert ran == {
        "ingest_from_rest_api": "2025-01-05",
        "ingest_from_database": "2025-01-05",
        "pull_partner_drop": "20250105",
        "transform_api_data": "2025-01-05",
        "combine_api_and_database": "2025-01-05",
        "load_to_warehouse": "2025-01-04 secret-set",
    }
    assert "hunter2" not in (dags / "seed_pipeline.py").read_text()
