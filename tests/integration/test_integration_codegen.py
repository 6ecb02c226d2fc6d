"""Generated DAGs in real Apache Airflow: they load, fire when cron fired, and run in order.

Run with `pytest -m airflow` (what `.ci/run` does) after `bash .ci/airflow-venvs`.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "codegen"))

from airflow_harness import AirflowEnv, DagTestRequest
from codegen_support import echo_seed_pipeline, edge_case_pipeline, seed_pipeline

from migrator.codegen.migrate import migrate
from migrator.codegen.plan import CodegenOptions
from migrator.crontab.schedule import next_fire_times
from migrator.infer.model import Pipeline

pytestmark = pytest.mark.airflow

AFTER = dt.datetime(2025, 1, 1, 0, 0, 30, tzinfo=dt.timezone.utc)
PIPELINES = {
    "seed": seed_pipeline,
    "edge_cases": edge_case_pipeline,
    "echo_seed": echo_seed_pipeline,
}


def cron_fire_times(pipeline: Pipeline, dag_id: str, count: int) -> list[dt.datetime]:
    """What the crontab front end says cron does for the DAG's first job."""
    dag = next(d for d in pipeline.dags if d.dag_id == dag_id)
    first = min(dag.tasks, key=lambda t: (t.offset, t.entry.line))
    times = next_fire_times(first.entry.schedule, AFTER, count, default_tz=dag.timezone)
    return [t.astimezone(dt.timezone.utc) for t in times]


def check_folder(
    env: AirflowEnv, folder: Path, pipeline: Pipeline, options: CodegenOptions
) -> None:
    result = migrate([pipeline], folder, options)
    report = env.inspect(folder, fire_times=400, after=AFTER)
    assert report.import_errors == {}
    assert report.dag_ids == sorted(d.dag_id for d in pipeline.dags)
    for file in result.files:
        plan = file.dag
        info = report.dags[plan.dag_id]
        assert info.timetable.endswith("CronTriggerTimetable")
        assert info.fire_times_error is None, info.fire_times_error
        expected_ids = {t.task_id for t in plan.tasks} | {w.task_id for w in plan.waits}
        expected_ids |= {link.task_id for link in plan.links}
        if plan.timetable.guard:
            expected_ids.add(plan.guard_task_id)
        assert set(info.task_ids) == expected_ids
        runs = [r.logical_date for r in info.fire_times]
        assert all(
            r.run_after == r.logical_date for r in info.fire_times
        )  # logical date = cron's instant
        guard = plan.timetable.guard
        admitted = [t for t in runs if guard is None or guard.admits(t)][:200]
        assert len(admitted) == 200
        assert admitted == cron_fire_times(pipeline, plan.dag_id, 200)


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_generated_dags_load_and_fire_like_cron_in_airflow3(
    airflow3: AirflowEnv, tmp_path: Path, name: str
) -> None:
    check_folder(airflow3, tmp_path, PIPELINES[name](), CodegenOptions())


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_airflow2_output_loads_and_fires_like_cron(
    airflow2: AirflowEnv, tmp_path: Path, name: str
) -> None:
    check_folder(airflow2, tmp_path, PIPELINES[name](), CodegenOptions(airflow=2))


def _with_variable(env: AirflowEnv, monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    """Airflow reads Variable `name` from AIRFLOW_VAR_<NAME>; the harness drops AIRFLOW* variables."""
    original = env.environment

    def environment(home: Path, dags_folder: Path) -> dict[str, str]:
        return {**original(home, dags_folder), f"AIRFLOW_VAR_{name}": value}

    monkeypatch.setattr(env, "environment", environment)


@pytest.mark.parametrize("major", [3, 2])
def test_seed_pipeline_runs_in_dependency_order_with_logical_dates(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, major: int
) -> None:
    env: AirflowEnv = request.getfixturevalue(f"airflow{major}")
    out = tmp_path / "ran.txt"
    monkeypatch.setenv("CRON2DAG_SEED_OUT", str(out))
    _with_variable(env, monkeypatch, "DB_PASSWORD", "from-a-variable")
    dags = tmp_path / "dags"
    # Airflow 3.3.2's `dags test` fails a successful run of a DAG with a Deadline Alert (dag.test()
    # hands the serialized alert where the scheduler hands its id, see docs/readiness.md)
    migrate([echo_seed_pipeline()], dags, CodegenOptions(airflow=major, deadlines=False))
    sunday = dt.datetime(2025, 1, 5, tzinfo=dt.timezone.utc)  # a backfill of a past day
    daily, weekly = env.dags_test_many(
        dags,
        [
            DagTestRequest("seed_pipeline", sunday),
            DagTestRequest("weekly_report", sunday + dt.timedelta(hours=6)),
        ],
    )
    assert daily.state == "success", daily.describe()
    assert weekly.state == "success", weekly.describe()
    lines = out.read_text().splitlines()
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
    order = [line.split()[0] for line in lines[:-1]]
    for upstream, downstream in [
        ("ingest_from_rest_api", "transform_api_data"),
        ("transform_api_data", "combine_api_and_database"),
        ("ingest_from_database", "combine_api_and_database"),
        ("pull_partner_drop", "combine_api_and_database"),
        ("combine_api_and_database", "load_to_warehouse"),
    ]:
        assert order.index(upstream) < order.index(downstream)
        assert daily.ran_before(upstream, downstream)
    assert daily.states["wait_for_pull_partner_drop"] == "success"
    assert weekly.states["wait_for_seed_pipeline_load_to_warehouse"] == "success"
    assert "hunter2" not in (dags / "seed_pipeline.py").read_text()
