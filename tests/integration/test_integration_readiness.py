"""Migrated readiness guards, retry classes and deadlines in real Apache Airflow.

A sensor waits and lets its job run when the file appears mid-run (the test creates the file once
the metadata DB shows the sensor waiting), fails the job when a hard guard's file never comes and
skips it for a soft one; generated Deadline Alerts load and survive serialization; retries differ by
failure class, and a usage-error exit code is not retried. Run with `pytest -m airflow`.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from airflow_harness import AirflowEnv, DagTestRequest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "codegen"))

from codegen_support import readiness_pipeline

from migrator.codegen.migrate import migrate
from migrator.codegen.plan import CodegenOptions
from migrator.crontab.parser import parse_crontab
from migrator.infer import infer_pipeline

pytestmark = pytest.mark.airflow

DAY = dt.datetime(2025, 1, 5, 2, 0, tzinfo=dt.timezone.utc)
# FileSensor resolves paths through a File (path) connection; absolute paths ignore its base path
FS_DEFAULT = json.dumps({"conn_type": "fs", "extra": {"path": "/"}})
WAITING = {"deferred", "up_for_reschedule", "running"}


def with_fs(env: AirflowEnv) -> AirflowEnv:
    return env.with_environment(AIRFLOW_CONN_FS_DEFAULT=FS_DEFAULT)


def migrate_crontab(tmp_path: Path, lines: str, options: CodegenOptions) -> dict[str, Path]:
    """Migrate a crontab whose jobs run in `tmp_path`; dag_id -> module.

    No MAILTO, so no Deadline Alert: Airflow 3.3.2's `dags test` fails the end of a successful run of
    a DAG that has one (see docs/readiness.md); deadlines have their own test below.
    """
    text = f"HOME={tmp_path}\n{lines}"
    pipeline = infer_pipeline(parse_crontab(text, str(tmp_path / "jobs.crontab")))
    result = migrate([pipeline], tmp_path / "dags", options)
    return {f.dag.dag_id: f.path for f in result.files}


def only(dags: dict[str, Path]) -> tuple[str, Path]:
    [(dag_id, path)] = dags.items()
    return dag_id, path


@pytest.mark.parametrize("major", [3, 2])
def test_a_sensor_waits_and_its_job_runs_once_the_file_appears(
    request: pytest.FixtureRequest, tmp_path: Path, major: int
) -> None:
    env = with_fs(request.getfixturevalue(f"airflow{major}"))
    dag_id, path = only(
        migrate_crontab(
            tmp_path,
            "0 2 * * * while [ ! -f in/$(date +\\%F)/_SUCCESS ]; do sleep 1; done; "
            "echo loaded $(date +\\%F) > out.txt\n",
            CodegenOptions(airflow=major),
        )
    )
    sensor = f"wait_for_{dag_id}_input"
    assert "FileSensor(" in path.read_text()
    running = env.start_dags_test(path, dag_id, DAY)
    try:
        # dag.test() runs the trigger inline, sometimes before the deferred state is committed (on
        # Airflow 2 always): the log says when the sensor has deferred
        deferred = "Pausing task as DEFERRED." if major >= 3 else "[DAG TEST] running trigger in line"
        running.wait_for_state(sensor, WAITING, or_output=deferred)
        assert not (tmp_path / "out.txt").exists()  # the job has not started: it waits for its data
        marker = tmp_path / "in" / "2025-01-05" / "_SUCCESS"
        marker.parent.mkdir(parents=True)
        marker.touch()
        result = running.result()
    finally:
        running.stop()
    assert result.state == "success", result.describe()
    assert result.states == {sensor: "success", dag_id: "success"}
    assert result.ran_before(sensor, dag_id)
    assert (tmp_path / "out.txt").read_text() == "loaded 2025-01-05\n"


@pytest.mark.parametrize("major", [3, 2])
def test_a_missing_file_fails_a_hard_guard_and_skips_a_soft_one(
    request: pytest.FixtureRequest, tmp_path: Path, major: int
) -> None:
    env = with_fs(request.getfixturevalue(f"airflow{major}"))
    # `dags test` runs a deferred sensor's trigger until its first event and never applies the
    # deferral time-out (the scheduler does): the time-out is tested in reschedule mode
    options = CodegenOptions(airflow=major, sensor_timeout=dt.timedelta(seconds=3), deferrable=False)
    hard_id, hard = only(migrate_crontab(tmp_path / "hard", "0 2 * * * [ -f never.csv ] && echo ran > out.txt\n", options))
    soft_id, soft = only(
        migrate_crontab(tmp_path / "soft", "0 2 * * * [ -f never.csv ] || exit 0; echo ran > out.txt\n", options)
    )
    [failed] = env.dags_test_many(hard, [DagTestRequest(hard_id, DAY)])
    [skipped] = env.dags_test_many(soft, [DagTestRequest(soft_id, DAY)])
    assert failed.state == "failed", failed.describe()
    assert failed.states == {f"wait_for_{hard_id}_input": "failed", hard_id: "upstream_failed"}
    assert skipped.state == "success", skipped.describe()
    assert skipped.states == {f"wait_for_{soft_id}_input": "skipped", soft_id: "skipped"}
    assert not (tmp_path / "hard" / "out.txt").exists() and not (tmp_path / "soft" / "out.txt").exists()


# Runs in the Airflow 3 venv: every DAG of a folder, its Deadline Alert before and after the round trip
# through serialization (what the scheduler and the API server read).
DEADLINES = r"""
import json, sys
from airflow.dag_processing.dagbag import BundleDagBag
from airflow.sdk import DeadlineAlert
from airflow.serialization.serialized_objects import DagSerialization

bag = BundleDagBag(dag_folder=sys.argv[1], bundle_path=sys.argv[1], bundle_name="dags-folder")
out = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
for dag_id, dag in bag.dags.items():
    alerts = dag.deadline if isinstance(dag.deadline, list) else [dag.deadline] if dag.deadline else []
    data = DagSerialization.to_dict(dag)
    again = DagSerialization.from_dict(data)
    kept = again.deadline if isinstance(again.deadline, list) else [again.deadline] if again.deadline else []
    out["dags"][dag_id] = {
        "intervals": [a.interval.total_seconds() for a in alerts if isinstance(a, DeadlineAlert)],
        "references": [type(a.reference).__name__ for a in alerts],
        "callbacks": [a.callback.path for a in alerts],
        "kwargs": [a.callback.kwargs for a in alerts],
        "serialized": len(kept),
    }
open(sys.argv[2], "w").write(json.dumps(out))
"""


def test_generated_deadlines_load_and_survive_serialization(airflow3: AirflowEnv, tmp_path: Path) -> None:
    result = migrate([readiness_pipeline()], tmp_path / "dags", CodegenOptions())
    expected = {f.dag.dag_id: f.dag.deadline for f in result.files}
    home = airflow3.new_home()
    script, out = home / "deadlines.py", home / "deadlines.json"
    script.write_text(DEADLINES, encoding="utf-8")
    done = subprocess.run(
        [str(airflow3.python), str(script), str(tmp_path / "dags"), str(out)],
        env=airflow3.environment(home, tmp_path / "dags"),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=airflow3.timeout_s,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["errors"] == {}
    assert sorted(report["dags"]) == sorted(expected)
    for dag_id, plan in expected.items():
        found = report["dags"][dag_id]
        assert plan is not None
        assert found["intervals"] == [plan.interval.total_seconds()], dag_id
        assert found["references"] == ["DagRunLogicalDateDeadline"]
        assert found["callbacks"] == ["airflow.providers.smtp.notifications.smtp.SmtpNotifier"]
        assert found["kwargs"][0]["to"] == ["data-team@example.com"]
        assert found["serialized"] == 1


@pytest.mark.parametrize("major", [3, 2])
def test_every_guard_idiom_migrates_to_dags_that_load(
    request: pytest.FixtureRequest, tmp_path: Path, major: int
) -> None:
    """The readiness fixture's S3, GCS and HDFS sensors import from the real providers."""
    env: AirflowEnv = request.getfixturevalue(f"airflow{major}")
    result = migrate([readiness_pipeline()], tmp_path, CodegenOptions(airflow=major))
    report = env.inspect(tmp_path)
    assert report.import_errors == {}
    sensors = {s.task_id for f in result.files for s in f.dag.sensors}
    assert len(sensors) == 9
    assert sensors <= {t for dag in report.dags.values() for t in dag.task_ids}


def test_retries_differ_by_failure_class(airflow3: AirflowEnv, tmp_path: Path) -> None:
    dags = migrate_crontab(
        tmp_path,
        # other: 2 retries; SQL: none; appending: none; a program that is not there (127): none
        "0 2 * * * echo tried >> tries.log 2>&1; sh -c 'exit 1'\n"
        "0 2 * * * psql -f no-such.sql || false\n"
        "0 2 * * * echo row >> rows.csv; false\n"
        "0 2 * * * /opt/etl/not-installed.sh\n",
        CodegenOptions(retry_delay=dt.timedelta(seconds=1)),
    )
    by_text = {path.read_text(): dag_id for dag_id, path in dags.items()}
    ids = {
        kind: next(dag_id for text, dag_id in by_text.items() if marker in text)
        for kind, marker in [("other", "tries.log"), ("sql", "psql"), ("append", "rows.csv"), ("usage", "not-installed")]
    }
    results = env_results(airflow3, tmp_path / "dags", ids)
    tries = {kind: result.tasks[ids[kind]].try_number for kind, result in results.items()}
    assert {kind: result.state for kind, result in results.items()} == dict.fromkeys(ids, "failed")
    assert tries == {"other": 3, "sql": 1, "append": 1, "usage": 1}
    assert (tmp_path / "rows.csv").read_text() == "row\n"  # appended once, not once per try
    assert "exit code 127 fails on every try" in results["usage"].output


def env_results(env: AirflowEnv, folder: Path, ids: dict[str, str]) -> dict[str, object]:
    requests = [DagTestRequest(dag_id, DAY) for dag_id in ids.values()]
    results = env.dags_test_many(folder, requests)
    return dict(zip(ids, results))
