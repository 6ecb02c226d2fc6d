"""Session fixtures for the integration tests that run real Apache Airflow (`pytest -m airflow`).

`airflow3` and `airflow2` are `AirflowEnv`s (see airflow_harness.py) over the venvs that
`bash .ci/airflow-venvs` creates in `.ci/.venvs/`, or over `$CRON2DAG_AIRFLOW3_VENV` /
`$CRON2DAG_AIRFLOW2_VENV`. Each migrates one template metadata DB per session; every Airflow
subprocess then works in a fresh AIRFLOW_HOME holding a copy of it. Put tests that use them in
this directory and mark them `@pytest.mark.airflow`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from airflow_harness import AirflowEnv, find_venv, missing_venv_message

_STARTED: list[AirflowEnv] = []


def _start(major: int, tmp_path_factory: pytest.TempPathFactory) -> AirflowEnv:
    venv = find_venv(major)
    if venv is None:
        pytest.fail(missing_venv_message(major), pytrace=False)
    env = AirflowEnv.create(venv, tmp_path_factory.mktemp(f"airflow{major}", numbered=True))
    if env.major != major:
        pytest.fail(f"{venv} has Airflow {env.version}, expected {major}.x", pytrace=False)
    _STARTED.append(env)
    return env


@pytest.fixture(scope="session")
def airflow3(tmp_path_factory: pytest.TempPathFactory) -> AirflowEnv:
    """Apache Airflow 3 (the reference), with a migrated template metadata DB."""
    return _start(3, tmp_path_factory)


@pytest.fixture(scope="session")
def airflow2(tmp_path_factory: pytest.TempPathFactory) -> AirflowEnv:
    """Apache Airflow 2 (for `--airflow 2` output), with a migrated template metadata DB."""
    return _start(2, tmp_path_factory)


@pytest.fixture(params=[3, 2], ids=["airflow3", "airflow2"])
def airflow_any(request: pytest.FixtureRequest) -> Iterator[AirflowEnv]:
    """Each Airflow major version in turn, for checks that must hold on both."""
    yield request.getfixturevalue(f"airflow{request.param}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How long the Airflow subprocesses took: the integration suite's budget is mostly here."""
    if not _STARTED:
        return
    terminalreporter.section("Airflow harness")
    for env in _STARTED:
        total = sum(seconds for _, seconds in env.calls)
        slowest = sorted(env.calls, key=lambda call: -call[1])[:5]
        terminalreporter.write_line(
            f"Airflow {env.version}: {len(env.calls)} processes, {total:.1f} s in total; slowest: "
            + ", ".join(f"{what} {seconds:.1f} s" for what, seconds in slowest)
        )
