"""The pre-commit hooks, run by pre-commit itself (`pre-commit try-repo`) in a temporary git repository.

`cron2dag-lint-system` runs offline: pre-commit installs the hook from this repository's path and
calls the `cron2dag` on PATH (a shim for this checkout). `cron2dag-lint` also builds the hook's own
environment, which installs cron2dag's dependencies from the package index: that test is marked
`network` (offline: `pytest -m 'not airflow and not network'`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow

CLEAN = """\
import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG("clean", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule="@daily",
         default_args={"owner": "data", "retries": 2}):
    BashOperator(task_id="export", bash_command="export.sh {{ ds }}")
"""
BAD = CLEAN.replace('schedule="@daily"', 'schedule_interval="@daily"').replace("{{ ds }}", "$(date +%F)")


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.fail("git is required by pre-commit")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "ci@example.com")
    git(repo, "config", "user.name", "ci")
    (repo / "dags").mkdir()
    (repo / "dags" / "clean.py").write_text(CLEAN)
    (repo / "README.md").write_text("not linted\n")
    git(repo, "add", ".")
    return repo


def environment(tmp_path: Path, shim: bool = True) -> dict[str, str]:
    """pre-commit's home in the temp dir, and (with `shim`) a `cron2dag` on PATH running this checkout."""
    env = dict(os.environ)
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    env.pop("PYTHONPATH", None)
    if shim:
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir(exist_ok=True)
        script = bin_dir / "cron2dag"
        script.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m migrator "$@"\n')
        script.chmod(0o755)
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


def pre_commit(repo: Path, hook: str, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--verbose", *extra],
        cwd=repo, env=env, capture_output=True, text=True, timeout=600,
    )


def test_system_hook_passes_clean_files_and_fails_on_findings(repository: Path, tmp_path: Path) -> None:
    env = environment(tmp_path)
    clean = pre_commit(repository, "cron2dag-lint-system", env, "--all-files")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "cron2dag lint (installed)" in clean.stdout and "Passed" in clean.stdout
    (repository / "dags" / "bad.py").write_text(BAD)
    (repository / "nightly.crontab").write_text("0 1 * * * /opt/etl/run.sh\n")
    # pre-commit names every file: the configured exclude must still keep vendored code out
    (repository / "pyproject.toml").write_text('[tool.cron2dag.lint]\nexclude = ["dags/vendor"]\n')
    (repository / "dags" / "vendor").mkdir()
    (repository / "dags" / "vendor" / "third_party.py").write_text(BAD)
    git(repository, "add", ".")
    failing = pre_commit(repository, "cron2dag-lint-system", env, "--all-files")
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "Failed" in failing.stdout
    assert "dags/bad.py:5:" in failing.stdout and "AF301" in failing.stdout and "BF002" in failing.stdout
    assert "nightly.crontab:1:1: CRON002" in failing.stdout
    assert "README.md" not in failing.stdout and "third_party.py" not in failing.stdout


@pytest.mark.network  # pre-commit installs cron2dag's dependencies from the package index
def test_python_hook_installs_its_own_environment(repository: Path, tmp_path: Path) -> None:
    env = environment(tmp_path, shim=False)
    (repository / "dags" / "bad.py").write_text(BAD)
    git(repository, "add", ".")
    result = pre_commit(repository, "cron2dag-lint", env, "--all-files")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "dags/bad.py:5:" in result.stdout and "AF301" in result.stdout
