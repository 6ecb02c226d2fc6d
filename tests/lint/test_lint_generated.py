"""Every DAG file `cron2dag migrate` writes must lint clean, for Airflow 3 and Airflow 2."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

from migrator.cli import cli

CRONTABS = sorted(p for p in (ROOT / "fixtures" / "crontabs").rglob("*") if p.is_file() and "invalid" not in p.parts)
CODEGEN_GOLDEN = sorted(p for p in (ROOT / "fixtures" / "codegen").iterdir() if p.is_dir())

# What migrate leaves flagged on purpose (issue 4): a wall-clock date form it cannot rewrite stays in
# the command under a "# kept wall-clock" comment, and the linter must report it (BF002).
KEPT_COMMENT = "# kept wall-clock"


def kept_date_lines(directory: Path) -> set[tuple[str, int, str]]:
    """(file, line, BF002) for every command migrate kept wall-clock dates in, read off its comments."""
    expected: set[tuple[str, int, str]] = set()
    for module in sorted(directory.glob("*.py")):
        pending = False
        for number, line in enumerate(module.read_text().splitlines(), start=1):
            if line.strip().startswith(KEPT_COMMENT):
                pending = True
            elif pending and line.strip().startswith("bash_command="):
                expected.add((module.name, number, "BF002"))
                pending = False
    return expected


def unowned_dags(summary: str) -> int:
    """How many DAGs the migrate summary says have no owner (one note per crontab lists them)."""
    match = re.search(r"DAGs? (.+?) ha(?:s|ve) no owner", summary)
    if match is None:
        return 0
    names = match.group(1)
    more = re.search(r" and (\d+) more$", names)
    listed = names[: more.start()] if more else names
    return len(listed.split(", ")) + (int(more.group(1)) if more else 0)


def findings_by_place(findings: list[dict]) -> set[tuple[str, int, str]]:
    return {(Path(f["path"]).name, f["line"], f["code"]) for f in findings}


def lint_json(directory: Path, airflow: str) -> list[dict]:
    result = CliRunner().invoke(
        cli, ["lint", str(directory), "--no-cache", "--format", "json", "--airflow-version", airflow]
    )
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def case(path: Path, airflow: str):
    return pytest.param(path, airflow, id=f"{path.relative_to(ROOT / 'fixtures')}-af{airflow}")


@pytest.mark.parametrize(("crontab", "airflow"), [case(p, v) for p in CRONTABS for v in ("3", "2")])
def test_migrated_dags_lint_clean(crontab: Path, airflow: str, tmp_path: Path) -> None:
    out = tmp_path / "dags"
    migrated = CliRunner().invoke(cli, ["migrate", str(crontab), "-o", str(out), "--airflow", airflow])
    assert migrated.exit_code == 0, migrated.output
    assert list(out.glob("*.py")), "migrate wrote no DAG file"
    findings = lint_json(out, airflow)
    report = "\n".join(f"{f['path']}:{f['line']}: {f['code']} {f['message']}" for f in findings)
    owner_findings = [f for f in findings if f["code"] == "OPS003"]
    assert findings_by_place([f for f in findings if f["code"] != "OPS003"]) == kept_date_lines(out), report
    # migrate sets an owner whenever the crontab names one (user column, spool file, MAILTO) and
    # says so when it cannot; the linter then reports exactly that, once per DAG
    unowned = unowned_dags(migrated.output)
    assert len(owner_findings) == unowned, report
    if unowned:
        owned = tmp_path / "owned"
        again = CliRunner().invoke(
            cli, ["migrate", str(crontab), "-o", str(owned), "--airflow", airflow, "--owner", "data-platform"]
        )
        assert again.exit_code == 0, again.output
        assert [f for f in lint_json(owned, airflow) if f["code"] == "OPS003"] == []


@pytest.mark.parametrize(
    ("directory", "airflow"),
    [case(p, "2" if "airflow2" in p.name else "3") for p in CODEGEN_GOLDEN],
)
def test_codegen_golden_dags_lint_clean(directory: Path, airflow: str) -> None:
    findings = lint_json(directory, airflow)
    report = "\n".join(f"{f['path']}:{f['line']}: {f['code']} {f['message']}" for f in findings)
    assert findings_by_place(findings) == kept_date_lines(directory), report


def test_kept_dates_are_found_in_the_goldens() -> None:
    """The edge-case golden keeps `$(date +%s)`: the exact check above must not be vacuous."""
    assert any(kept_date_lines(d) for d in CODEGEN_GOLDEN)
