"""The configuration recipes of the docs work as written: the `repo: local` pre-commit hook of docs/ci.md
is run by pre-commit itself on a repository with a clean and a bad DAG file (offline: it runs the
installed `cron2dag`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CI_PAGE = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")

CLEAN = """\
import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG("clean", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule="@daily",
         default_args={"owner": "data", "retries": 2}):
    BashOperator(task_id="export", bash_command="export.sh {{ ds }}")
"""
BAD = CLEAN.replace("{{ ds }}", "$(date +%F)")


def local_hook_config() -> str:
    blocks = re.findall(r"```yaml\n(.*?)```", CI_PAGE, re.DOTALL)
    local = [block for block in blocks if "repo: local" in block]
    assert len(local) == 1, "docs/ci.md shows one `repo: local` pre-commit configuration"
    return local[0]


@pytest.mark.slow
def test_the_local_pre_commit_hook_of_the_docs_passes_clean_files_and_fails_on_findings(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.fail("git is required by pre-commit")
    repo = tmp_path / "repo"
    (repo / "dags").mkdir(parents=True)
    (repo / ".pre-commit-config.yaml").write_text(local_hook_config())
    (repo / "dags" / "clean.py").write_text(CLEAN)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # the installed cron2dag

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    def pre_commit() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=repo, env=env,
                              capture_output=True, text=True, timeout=600, check=False)

    git("init", "-q")
    git("add", ".")
    clean = pre_commit()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "cron2dag lint" in clean.stdout and "Passed" in clean.stdout
    (repo / "dags" / "bad.py").write_text(BAD)
    git("add", ".")
    failing = pre_commit()
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "dags/bad.py:7:" in failing.stdout and "BF002" in failing.stdout
