"""The runner's conformance suite under real Apache Airflow 3 (`airflow dags test`).

For every case of fixtures/runner/cases.json, Airflow must produce exactly what the expectation files
record, which is also what `cron2dag run` produces (tests/runner/test_runner_conformance.py): final
task and run states, try numbers, XCom values, rendered templated fields, and every task starting
after its upstream tasks finished. Run with `pytest -m airflow` (what `.ci/run` does).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runner"))

from airflow_harness import AirflowEnv, DagTestRequest
from runner_conformance import (
    FIXTURES,
    airflow_results,
    compare,
    expected,
    load_cases,
    run_in_runner,
)

pytestmark = pytest.mark.airflow

CASES = load_cases()


def _with_fs_connection(env: AirflowEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """Airflow's FileSensor needs the `fs_default` connection (the runner treats it as an empty base path)."""
    original = env.environment

    def environment(home: Path, dags_folder: Path) -> dict[str, str]:
        return {**original(home, dags_folder), "AIRFLOW_CONN_FS_DEFAULT": '{"conn_type": "fs", "extra": {"path": ""}}'}

    monkeypatch.setattr(env, "environment", environment)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_airflow_matches_the_runner(airflow3: AirflowEnv, case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _with_fs_connection(airflow3, monkeypatch)
    requests = [DagTestRequest(spec.dag_id, spec.logical_date, spec.conf) for spec in case.runs]
    results = airflow3.dags_test_many(FIXTURES, requests)
    for result in results:
        assert result.error is None, result.describe() + "\n" + result.output[-3000:]
    got = airflow_results(case, results)
    problems = compare(expected(case), got, "airflow")
    assert not problems, "\n".join(problems)
    ours = run_in_runner(case, tmp_path / "home")
    for index, (mine, theirs) in enumerate(zip(ours, got)):
        states = {t: (v["state"], v["try_number"]) for t, v in mine["tasks"].items()}
        assert states == {t: (v["state"], v["try_number"]) for t, v in theirs["tasks"].items()}, f"run {index + 1}"
        assert mine["state"] == theirs["state"], f"run {index + 1}"
