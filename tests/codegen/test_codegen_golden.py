"""Generated DAG modules, compared with reviewed golden files in fixtures/codegen/.

Regenerate after an intended change with `CRON2DAG_UPDATE_GOLDENS=1 pytest tests/codegen` and review
the diff. The goldens are also checked to be what `ruff format` prints and to lint clean.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from codegen_support import edge_case_pipeline, readiness_pipeline, seed_pipeline

from migrator.codegen.migrate import migrate
from migrator.codegen.plan import CodegenOptions

GOLDENS = Path(__file__).resolve().parents[2] / "fixtures" / "codegen"
UPDATE = os.environ.get("CRON2DAG_UPDATE_GOLDENS") == "1"
RUFF = [sys.executable, "-m", "ruff"]

CASES = {
    "seed_airflow3": (seed_pipeline, CodegenOptions()),
    "seed_airflow2": (seed_pipeline, CodegenOptions(airflow=2)),
    "seed_no_wait": (
        seed_pipeline,
        CodegenOptions(wait_for_original_time=False, retries=0, catchup=True),
    ),
    "edge_cases_airflow3": (edge_case_pipeline, CodegenOptions()),
    "edge_cases_airflow2": (edge_case_pipeline, CodegenOptions(airflow=2)),
    "readiness_airflow3": (readiness_pipeline, CodegenOptions()),
    "readiness_airflow2": (readiness_pipeline, CodegenOptions(airflow=2)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_generated_modules_match_goldens(case: str, tmp_path: Path) -> None:
    build, options = CASES[case]
    result = migrate([build()], tmp_path, options)
    golden_dir = GOLDENS / case
    produced = {f.path.name: f.text for f in result.files}
    if UPDATE:
        golden_dir.mkdir(parents=True, exist_ok=True)
        for stale in golden_dir.glob("*.py"):
            stale.unlink()
        for name, text in produced.items():
            (golden_dir / name).write_text(text, encoding="utf-8")
    expected = {p.name: p.read_text(encoding="utf-8") for p in golden_dir.glob("*.py")}
    assert sorted(produced) == sorted(expected)
    for name, text in produced.items():
        assert text == expected[name], (
            f"{case}/{name} differs from its golden (CRON2DAG_UPDATE_GOLDENS=1)"
        )


def test_goldens_are_ruff_formatted_at_any_line_length() -> None:
    for line_length in ("88", "100", "120"):
        done = subprocess.run(
            [*RUFF, "format", "--isolated", "--check", "--line-length", line_length, str(GOLDENS)],
            capture_output=True,
            check=False,
            text=True,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_goldens_lint_clean() -> None:
    done = subprocess.run(
        [
            *RUFF,
            "check",
            "--isolated",
            "--select",
            "E4,E7,E9,F,I,W,B,UP",
            "--target-version",
            "py39",
            str(GOLDENS),
        ],
        capture_output=True,
        check=False,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_goldens_compile() -> None:
    for path in GOLDENS.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
