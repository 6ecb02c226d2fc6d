"""`migrate` over every fixture crontab, for Airflow 3 and 2: what the issue promises of every output.

- byte-identical files from two runs in different processes (different hash seeds);
- `ruff format --check` finds nothing to change;
- exactly the DAGs of `infer --format json`, with its `dag_id`s and `task_id`s (plus only the
  tasks migrate adds: time waits, cross-DAG sensors and the calendar guard).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli import cli

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
CRONTABS = sorted(
    p
    for p in FIXTURES.rglob("*")
    if p.is_file()
    and (p.suffix == ".crontab" or p.parent.name == "etc")
    and "invalid" not in p.parts
)
MAJORS = ("3", "2")
ADDED_PREFIXES = ("wait_for_", "cron_calendar_guard")

# one process migrates every fixture crontab for both Airflow versions into argv[1]/<major>/<n>
MIGRATE_ALL = """
import sys
from pathlib import Path
from click.testing import CliRunner
from migrator.cli import cli

out, crontabs = Path(sys.argv[1]), sys.argv[2:]
for major in ("3", "2"):
    for index, crontab in enumerate(crontabs):
        done = CliRunner().invoke(
            cli, ["migrate", crontab, "-o", str(out / major / str(index)), "--airflow", major]
        )
        if done.exit_code != 0:
            sys.exit(f"{crontab} (--airflow {major}): exit {done.exit_code}\\n{done.output}")
"""


def _migrate_all(out: Path, hash_seed: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", MIGRATE_ALL, str(out), *map(str, CRONTABS)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    runs = [_migrate_all(first, "1"), _migrate_all(second, "2")]
    for run in runs:
        _, errors = run.communicate()
        assert run.returncode == 0, errors[-3000:]
    return first, second


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.py"))}


def test_fixture_crontabs_were_found() -> None:
    assert len(CRONTABS) > 30
    assert FIXTURES / "crontabs" / "etc" / "crontab" in CRONTABS


def test_same_input_gives_byte_identical_files(outputs: tuple[Path, Path]) -> None:
    first, second = outputs
    produced = _files(first)
    assert produced, "migrate wrote nothing"
    assert produced == _files(second)


def test_every_output_is_ruff_formatted(outputs: tuple[Path, Path]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--isolated", "--check", str(outputs[0])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _generated_ids(folder: Path) -> dict[str, set[str]]:
    """dag_id -> task ids of every operator, read from the generated modules."""
    dags: dict[str, set[str]] = {}
    for module in sorted(folder.glob("*.py")):
        dag_id, task_ids = None, set()
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            value = keywords.get("dag_id" if _name(node) == "DAG" else "task_id")
            if isinstance(value, ast.Constant):
                if _name(node) == "DAG":
                    dag_id = value.value
                else:
                    task_ids.add(value.value)
        assert dag_id is not None, module
        assert module.name == f"{dag_id}.py"
        dags[dag_id] = task_ids
    return dags


def _name(call: ast.Call) -> str | None:
    return call.func.id if isinstance(call.func, ast.Name) else None


@pytest.mark.parametrize("major", MAJORS)
def test_dag_and_task_ids_are_those_of_infer(outputs: tuple[Path, Path], major: str) -> None:
    runner = CliRunner()
    for index, crontab in enumerate(CRONTABS):
        inferred = runner.invoke(cli, ["infer", str(crontab), "--format", "json"])
        assert inferred.exit_code == 0, inferred.output
        expected = {
            d["dag_id"]: {t["task_id"] for t in d["tasks"]}
            for d in json.loads(inferred.stdout)["dags"]
        }
        generated = _generated_ids(outputs[0] / major / str(index))
        assert sorted(generated) == sorted(expected), crontab
        for dag_id, task_ids in expected.items():
            assert task_ids <= generated[dag_id], (crontab, dag_id)
            added = generated[dag_id] - task_ids
            assert all(t.startswith(ADDED_PREFIXES) for t in added), (crontab, dag_id, added)
