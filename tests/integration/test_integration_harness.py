"""The Airflow harness proves itself on tiny hand-written DAGs (tests/integration/dags/).

Everything marked `airflow` runs real Apache Airflow (`pytest -m airflow`, as `.ci/run` does); the
unmarked tests check the harness's own plumbing and run in the default suite.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from itertools import pairwise
from pathlib import Path

import pytest
from airflow_harness import (
    AirflowEnv,
    AirflowHarnessError,
    DagTestRequest,
    DagTestResult,
    RunInfo,
    find_venv,
    missing_venv_message,
    split_task_logs,
)

DAGS = Path(__file__).parent / "dags"
UTC = timezone.utc


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- plumbing (no Airflow needed) ------------------------------------------------------------------


def test_missing_venv_is_reported_with_the_way_to_create_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CRON2DAG_AIRFLOW3_VENV", str(tmp_path / "nowhere"))
    assert find_venv(3) is None
    (tmp_path / "nowhere" / "bin").mkdir(parents=True)
    (tmp_path / "nowhere" / "bin" / "python").touch()
    assert find_venv(3) == tmp_path / "nowhere"
    message = missing_venv_message(3)
    assert "bash .ci/airflow-venvs" in message
    assert "CRON2DAG_AIRFLOW3_VENV" in message


def test_dags_test_output_is_cut_per_task():
    output = (
        "noise\n"
        "[info] [DAG TEST] starting task_id=a map_index=-1 [x]\n"
        "a says hi\n"
        "[info] [DAG TEST] end task task_id=a map_index=-1 [x]\n"
        "between\n"
        "INFO - [DAG TEST] starting task_id=b map_index=2\n"
        "b[2] says hi\n"
        "INFO - [DAG TEST] end task task_id=b map_index=2\n"
        "[info] [DAG TEST] starting task_id=a map_index=-1 [x]\n"
        "a again\n"
        "[info] [DAG TEST] end task task_id=a map_index=-1 [x]\n"
    )
    assert split_task_logs(output) == {"a": "a says hi\na again\n", "b[2]": "b[2] says hi\n"}


def test_extra_environment_reaches_airflow_and_callers_airflow_settings_do_not(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", "/somewhere/else")
    monkeypatch.setenv("AIRFLOW_VAR_LEAK", "x")
    base = AirflowEnv(venv=tmp_path, workdir=tmp_path, version="3.3.2", template_home=tmp_path)
    env = base.with_environment(AIRFLOW_VAR_DB_PASSWORD="secret").environment(
        tmp_path, tmp_path / "d"
    )
    assert env["AIRFLOW_VAR_DB_PASSWORD"] == "secret"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(tmp_path / "d")
    assert "AIRFLOW_VAR_LEAK" not in env
    assert base.extra_env == {}  # the session's env is not changed


def test_naive_datetimes_are_refused(tmp_path):
    env = AirflowEnv(venv=tmp_path, workdir=tmp_path, version="3.3.2", template_home=tmp_path)
    with pytest.raises(ValueError, match="timezone-aware"):
        env.next_fire_times(DAGS / "schedules", "harness_bare_cron", 1, datetime(2025, 1, 1))


# -- against real Airflow ----------------------------------------------------------------------------


@pytest.mark.airflow
def test_import_errors_and_dag_ids(airflow_any: AirflowEnv):
    report = airflow_any.inspect(DAGS / "broken")
    assert list(report.import_errors) == ["bad_import.py"]
    assert "cron2dag_harness_no_such_module" in report.import_errors["bad_import.py"]
    assert report.dag_ids == ["harness_good"]
    assert report.dags["harness_good"].task_ids == ("nothing",)
    assert report.airflow_version == airflow_any.version


@pytest.mark.airflow
def test_a_clean_folder_has_no_import_errors(airflow3: AirflowEnv):
    assert airflow3.import_errors(DAGS / "schedules") == {}
    assert airflow3.dag_ids(DAGS / "schedules") == [
        "harness_bare_cron",
        "harness_trigger_berlin",
        "harness_trigger_interval",
    ]


@pytest.mark.airflow
def test_several_folders_in_one_process_report_like_one_each(airflow3: AirflowEnv):
    calls = len(airflow3.calls)
    broken, schedules = airflow3.inspect_many(
        [DAGS / "broken", DAGS / "schedules"], fire_times=2, after=at(2025, 3, 27)
    )
    assert len(airflow3.calls) == calls + 1
    assert list(broken.import_errors) == ["bad_import.py"] and broken.dag_ids == ["harness_good"]
    assert schedules.import_errors == {} and len(schedules.dag_ids) == 3
    assert [r.run_after for r in schedules.dags["harness_bare_cron"].fire_times] == WEEKDAYS_0230[
        :2
    ]


WEEKDAYS_0230 = [
    at(2025, 3, 27, 2, 30),
    at(2025, 3, 28, 2, 30),
    at(2025, 3, 31, 2, 30),
    at(2025, 4, 1, 2, 30),
]


@pytest.mark.airflow
def test_airflow3_reads_a_bare_cron_string_as_a_trigger_timetable(airflow3: AirflowEnv):
    runs = airflow3.next_fire_times(
        DAGS / "schedules", "harness_bare_cron", 4, after=at(2025, 3, 27)
    )
    assert runs == [RunInfo(t, t, t, t) for t in WEEKDAYS_0230]
    report = airflow3.inspect(DAGS / "schedules")
    assert report.dags["harness_bare_cron"].timetable.endswith("trigger.CronTriggerTimetable")


@pytest.mark.airflow
def test_airflow2_reads_a_bare_cron_string_as_data_intervals(airflow2: AirflowEnv):
    # The logical date is the interval's start; the run happens at its end, one fire time later.
    runs = airflow2.next_fire_times(
        DAGS / "schedules", "harness_bare_cron", 3, after=at(2025, 3, 27)
    )
    assert [r.logical_date for r in runs] == WEEKDAYS_0230[:3]
    assert [r.run_after for r in runs] == WEEKDAYS_0230[1:4]
    assert [(r.data_interval_start, r.data_interval_end) for r in runs] == list(
        pairwise(WEEKDAYS_0230)
    )


@pytest.mark.airflow
def test_fire_times_follow_the_timetable_zone_across_dst(airflow3: AirflowEnv):
    folder = DAGS / "schedules"
    spring = airflow3.next_fire_times(folder, "harness_trigger_berlin", 3, after=at(2025, 3, 29))
    # 02:30 does not exist in Berlin on 2025-03-30: Airflow fires at 03:30 CEST (01:30 UTC).
    assert [r.run_after for r in spring] == [
        at(2025, 3, 29, 1, 30),
        at(2025, 3, 30, 1, 30),
        at(2025, 3, 31, 0, 30),
    ]
    autumn = airflow3.next_fire_times(folder, "harness_trigger_berlin", 2, after=at(2025, 10, 26))
    # 02:30 happens twice on 2025-10-26: Airflow takes the second one (CET, 01:30 UTC).
    assert [r.run_after for r in autumn] == [at(2025, 10, 26, 1, 30), at(2025, 10, 27, 1, 30)]
    assert all(r.logical_date == r.run_after for r in spring + autumn)


@pytest.mark.airflow
def test_trigger_interval_moves_only_the_data_interval_start(airflow3: AirflowEnv):
    [run] = airflow3.next_fire_times(
        DAGS / "schedules", "harness_trigger_interval", 1, after=at(2025, 1, 10, 7)
    )
    assert run.run_after == at(2025, 1, 11, 6)
    assert run.data_interval_end == at(2025, 1, 11, 6)
    # Airflow's DagRunInfo.logical_date is the data interval's start.
    assert run.data_interval_start == run.logical_date == at(2025, 1, 10, 6)


@pytest.fixture(scope="module", params=[3, 2], ids=["airflow3", "airflow2"])
def harness_runs(request: pytest.FixtureRequest) -> dict[str, DagTestResult]:
    """All `dags test` runs of dags/run/ in one Airflow process (that is the point of batching)."""
    env: AirflowEnv = request.getfixturevalue(f"airflow{request.param}")
    env = env.with_environment(
        AIRFLOW_VAR_HARNESS_GREETING="hi"
    )  # a Variable, from the environment
    day = at(2025, 1, 5)
    results = env.dags_test_many(
        DAGS / "run" / "harness_run.py",
        [
            DagTestRequest("harness_three_tasks", day, conf={"who": "ci"}),
            DagTestRequest("harness_skip_fail", day),
            DagTestRequest("harness_no_such_dag", day),  # must not stop the batch
            DagTestRequest("harness_berlin_dates", at(2025, 1, 4, 23)),  # midnight in Berlin
        ],
    )
    return {result.dag_id: result for result in results}


@pytest.mark.airflow
def test_a_dag_that_does_not_load_is_an_error_result_not_a_crash(harness_runs):
    run = harness_runs["harness_no_such_dag"]
    assert run.state is None and run.run_id is None and run.tasks == {}
    assert "harness_no_such_dag" in (run.error or "")


@pytest.mark.airflow
def test_dags_test_runs_three_tasks_in_order_and_reads_back_the_run(harness_runs):
    run = harness_runs["harness_three_tasks"]
    assert run.state == "success", run.describe() + run.output[-3000:]
    assert run.error is None
    assert run.logical_date == at(2025, 1, 5)
    assert run.conf == {"who": "ci"}
    assert run.states == {"compute": "success", "greet": "success", "report": "success"}
    assert run.order() == ["greet", "compute", "report"]
    assert run.ran_before("greet", "compute") and run.ran_before("compute", "report")
    assert {t.try_number for t in run.tasks.values()} == {1}

    greet, compute, report = (run.tasks[t] for t in ("greet", "compute", "report"))
    assert greet.rendered_fields["bash_command"] == 'echo "hello"; echo "ds=2025-01-05"'
    assert greet.xcom == {"return_value": "ds=2025-01-05"}  # the last line of output
    assert compute.xcom == {"return_value": {"n": 42, "ds": "2025-01-05"}, "extra": [1, 2, 3]}
    assert report.rendered_fields["env"] == {"N": "42", "GREETING": "hi"}
    assert report.xcom == {"return_value": "n=42 who=ci hi"}
    assert "ds=2025-01-05" in greet.log and "n=42 who=ci hi" in report.log
    assert "n=42" not in greet.log


@pytest.mark.airflow
def test_dags_test_reports_skips_failures_and_their_propagation(harness_runs):
    run = harness_runs["harness_skip_fail"]
    assert run.state == "failed"
    assert run.error is None  # a failed run is a result, not a harness error
    assert run.states == {
        "skipped": "skipped",
        "failing": "failed",
        "after_failure": "upstream_failed",
    }
    assert run.tasks["after_failure"].try_number == 0
    assert "about to fail" in run.tasks["failing"].log
    assert "non-zero exit code 3" in run.tasks["failing"].log


@pytest.mark.airflow
def test_ds_is_the_utc_day_of_the_logical_date(harness_runs):
    run = harness_runs["harness_berlin_dates"]
    assert run.state == "success", run.describe()
    # ds: UTC day; dag.timezone: the start_date's zone (UTC here), not the timetable's.
    assert run.tasks["dates"].xcom["return_value"] == "2025-01-04 2025-01-04 2025-01-05"
    # A manual run's data interval comes from `infer_manual_data_interval`: empty without `interval`.
    assert (
        run.data_interval_start == run.data_interval_end == run.logical_date == at(2025, 1, 4, 23)
    )


@pytest.mark.airflow
def test_a_hanging_run_is_killed_with_its_tasks(airflow3: AirflowEnv, tmp_path):
    pidfile = tmp_path / "task.pid"
    with pytest.raises(AirflowHarnessError, match="timed out after 20 s"):
        airflow3.dags_test(
            DAGS / "hang" / "harness_hang.py",
            "harness_hang",
            at(2025, 1, 5),
            conf={"pidfile": str(pidfile)},
            timeout_s=20,
        )
    assert pidfile.exists(), "the task never started: cannot tell whether it was killed"
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid), f"task process {pid} survived the harness timeout"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead already; only its parent has not collected it yet.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")
