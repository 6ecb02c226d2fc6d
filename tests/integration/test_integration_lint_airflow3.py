"""The Airflow 3 rules' data, checked against Airflow itself (`pytest -m airflow`).

AF302's table (`rules/airflow3_imports.json`) is regenerated from the real Airflow 2 and 3 venvs and
must equal the committed one; then every name in it is imported in both, and must behave as the table
says. The arguments AF301/AF304 report and the context keys AF303 reports are passed to Airflow 3.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from airflow_harness import find_venv, missing_venv_message

from migrator.lint.api import lint_paths
from migrator.lint.config import LintConfig
from rules import airflow3
from rules.airflow3_scan import DEFAULT_OUTPUT, build

pytestmark = pytest.mark.airflow
PROBE = Path(__file__).with_name("lint_airflow3_probe.py")
ROOT = Path(__file__).resolve().parents[2]


def python_of(major: int) -> str:
    venv = find_venv(major)
    if venv is None:
        pytest.fail(missing_venv_message(major), pytrace=False)
    return str(venv / "bin" / "python")


def probe(major: int, request: dict) -> dict:
    with tempfile.TemporaryDirectory() as home:
        completed = subprocess.run(
            [python_of(major), str(PROBE)], input=json.dumps(request), capture_output=True, text=True, check=False,
            env={**os.environ, "AIRFLOW_HOME": home}, cwd=home,
        )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout)


@pytest.fixture(scope="module")
def table() -> dict:
    with open(DEFAULT_OUTPUT, encoding="utf-8") as handle:
        return json.load(handle)


def test_the_committed_table_is_what_airflow_says(table):
    assert build(python_of(2), python_of(3)) == table, "run `python -m rules.airflow3_scan` and review the diff"


def _provided(path: str) -> bool:
    """A target that these venvs can import: core Airflow, the SDK or the standard provider."""
    return not path.startswith("airflow.providers.") or path.startswith("airflow.providers.standard.")


def test_every_name_of_the_table_behaves_as_it_says_in_airflow3(table):
    moved = [(m, n) for m, names in table["moved"].items() for n in names]
    targets = sorted({tuple(p.rsplit(".", 1)) for names in table["moved"].values() for p in names.values()
                      if airflow3._PATH.fullmatch(p) and _provided(p)})
    removed_names = [(m, n) for m, names in table["removed"].items() if names for n in names]
    removed_modules = [(m, None) for m, names in table["removed"].items() if names is None]
    hints = sorted({tuple(h.strip("`").rsplit(".", 1)) for h in airflow3.REMOVED_HINTS.values()
                    if airflow3._PATH.fullmatch(h.strip("`"))})
    result = probe(3, {"imports": [*moved, *targets, *removed_names, *removed_modules, *hints], "fresh": True})
    status = {(m, n): s for m, n, s in result["imports"]}
    assert [pair for pair in moved if status[pair] != "warns"] == []
    assert [pair for pair in targets if status[pair] != "ok"] == []
    assert [pair for pair in removed_names if status[pair] != "fails"] == []
    assert [pair for pair in removed_modules if status[pair] != "fails"] == []
    assert [pair for pair in hints if status[pair] != "ok"] == []


def test_what_airflow3_no_longer_provides_was_provided_by_airflow2(table):
    # names found in Airflow 2's own modules (not its redirects of Airflow 1 paths to providers)
    redirected = set(table["redirected"])
    removed_names = [(m, n) for m, names in table["removed"].items() if names and m not in redirected for n in names]
    real_modules = [(m, None) for m, names in table["removed"].items() if names is None and m not in redirected]
    result = probe(2, {"imports": [*removed_names, *real_modules]})
    assert [(m, n) for m, n, s in result["imports"] if s == "fails"] == []


def test_removed_arguments_and_context_keys_are_what_airflow3_refuses():
    dag_arguments = [[name, "x"] for name in airflow3.REMOVED_DAG_ARGUMENTS] + [["schedule_interval", "@daily"], ["timetable", None]]
    dag_arguments += [[new, 2] for new in airflow3.REMOVED_DAG_ARGUMENTS.values() if new] + [["schedule", "@daily"]]
    task_arguments = [[name, 1] for name in airflow3.REMOVED_TASK_ARGUMENTS]
    task_arguments += [[new, 1] for new in airflow3.REMOVED_TASK_ARGUMENTS.values() if new]
    result = probe(3, {"dag_arguments": dag_arguments, "task_arguments": task_arguments})
    for name in [*airflow3.REMOVED_DAG_ARGUMENTS, "schedule_interval", "timetable"]:
        expected = "accepted" if name in airflow3.IGNORED_ARGUMENTS else "refused"
        assert result["dag_arguments"][name] == expected, name
    for name in airflow3.REMOVED_TASK_ARGUMENTS:
        expected = "accepted" if name in airflow3.IGNORED_ARGUMENTS else "refused"
        assert result["task_arguments"][name] == expected, name
    for new in [*airflow3.REMOVED_DAG_ARGUMENTS.values(), "schedule"]:
        if new:
            assert result["dag_arguments"][new] == "accepted", new
    for new in airflow3.REMOVED_TASK_ARGUMENTS.values():
        if new:
            assert result["task_arguments"][new] == "accepted", new
    keys = set(probe(3, {})["context_keys"])
    assert keys and not keys & set(airflow3.REMOVED_CONTEXT_KEYS)
    assert {new for new in airflow3.REMOVED_CONTEXT_KEYS.values() if new} <= keys


def test_every_import_of_the_fixture_that_airflow3_refuses_is_flagged():
    path = ROOT / "fixtures" / "lint" / "rules" / "AF302.py"
    imports = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom):
            imports.extend((node.lineno, node.module, alias.name) for alias in node.names)
    result = probe(3, {"imports": [[m, n] for _, m, n in imports]})
    failing = {line for (line, _, _), (_, _, status) in zip(imports, result["imports"]) if status != "ok"}
    outcome = lint_paths([str(path)], LintConfig(select=("AF302",)), use_cache=False)
    flagged = {finding.line for finding in outcome.findings}
    assert failing and failing <= flagged


def test_fixed_airflow2_files_import_in_airflow3_unless_a_finding_says_why(airflow2, airflow3, tmp_path):
    """`lint --fix` never leaves a file Airflow 3 refuses for a reason the linter knows: each fixed
    file imports in Airflow 3, or a finding left in it says why (a missing provider aside)."""
    import shutil

    folder = tmp_path / "dags"
    shutil.copytree(ROOT / "fixtures" / "lint" / "airflow2", folder)
    assert airflow2.import_errors(folder) == {}  # they are working Airflow 2 DAG files
    before = {path.name: path.read_text() for path in folder.glob("*.py")}
    assert airflow3.import_errors(folder)  # which Airflow 3 refuses
    outcome = lint_paths([str(folder)], LintConfig(root=str(tmp_path)), fix=True, use_cache=False)
    assert outcome.fixed >= 10
    left = {Path(f.path).name for f in outcome.findings if f.code.startswith(("AF", "SYN"))}
    errors = {Path(path).name: text for path, text in airflow3.import_errors(folder).items()}
    unexplained = {name: text[-300:] for name, text in errors.items()
                   if name not in left and "No module named 'airflow.providers." not in text}
    assert unexplained == {}
    assert {name for name in before if name not in errors} >= {"legacy_etl.py", "decorated.py"}


def test_a_dag_without_schedule_ran_daily_in_airflow2_and_never_in_airflow3():
    assert probe(2, {})["default_timetable"] == "DeltaDataIntervalTimetable"
    assert probe(3, {})["default_timetable"] == "NullTimetable"
