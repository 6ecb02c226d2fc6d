"""Every crontab in fixtures/ through parse -> infer -> migrate, loaded and scheduled by real Airflow."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from airflow_harness import AirflowEnv

from migrator.codegen.migrate import migrate
from migrator.codegen.plan import CodegenOptions
from migrator.crontab.parser import load_crontab
from migrator.crontab.schedule import next_fire_times

pytestmark = pytest.mark.airflow

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CRONTABS = sorted(
    p
    for folder in ("crontabs", "infer")
    for p in (FIXTURES / folder).rglob("*.crontab")
    if "invalid" not in p.parts
)
AFTER = dt.datetime(2025, 1, 1, 0, 0, 30, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, list]]:
    infer = pytest.importorskip("migrator.infer").infer_pipeline
    pipelines = [infer(load_crontab(path)) for path in CRONTABS]
    out = {}
    for major in (3, 2):
        results = []
        for index, pipeline in enumerate(pipelines):
            folder = tmp_path_factory.mktemp(f"airflow{major}_{index}")
            results.append(
                (folder, pipeline, migrate([pipeline], folder, CodegenOptions(airflow=major)))
            )
        out[major] = results
    return out


@pytest.mark.parametrize("major", [3, 2])
def test_every_fixture_crontab_loads_and_fires_like_cron(
    request: pytest.FixtureRequest, generated: dict, major: int
) -> None:
    env: AirflowEnv = request.getfixturevalue(f"airflow{major}")
    assert CRONTABS, "no fixture crontabs found"
    for folder, pipeline, result in generated[major]:
        report = env.inspect(folder, fire_times=400, after=AFTER)
        assert report.import_errors == {}, (pipeline.source, report.import_errors)
        assert report.dag_ids == sorted(d.dag_id for d in pipeline.dags), pipeline.source
        for file in result.files:
            plan = file.dag
            info = report.dags[plan.dag_id]
            assert info.fire_times_error is None, info.fire_times_error
            guard = plan.timetable.guard
            runs = [
                r.logical_date
                for r in info.fire_times
                if guard is None or guard.admits(r.logical_date)
            ]
            dag = next(d for d in pipeline.dags if d.dag_id == plan.dag_id)
            first = min(dag.tasks, key=lambda t: (t.offset, t.entry.line))
            expected = next_fire_times(first.entry.schedule, AFTER, 200, default_tz=dag.timezone)
            assert runs[:200] == [t.astimezone(dt.timezone.utc) for t in expected], (
                pipeline.source,
                plan.dag_id,
            )
