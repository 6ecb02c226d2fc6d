"""Every module `migrate` writes from a property-generated crontab is clean (issue 16).

For Airflow 3 and 2: it compiles, `ruff format --check` changes nothing at ruff's default line length
and above (88, 100, 120: a user's project may set any), and `ruff check` with the goldens' rule
selection finds nothing. The fixture and golden tests cover hand-picked files; this covers the shapes
nobody picked (long ids, many edges, waits, cross-DAG links, odd text).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from crontab_strategies import crontab_texts
from fuzz_profiles import fuzz_examples
from hypothesis import given, settings

from migrator.codegen.migrate import migrate
from migrator.codegen.plan import CodegenOptions
from migrator.crontab.parser import parse_crontab
from migrator.infer import infer_pipeline

pytestmark = pytest.mark.fuzz
_BESIDE = Path(sys.executable).with_name("ruff")  # the venv's ruff, without a Python start-up
RUFF = [str(_BESIDE)] if _BESIDE.exists() else [sys.executable, "-m", "ruff"]
LINT_SELECTION = "E4,E7,E9,F,I,W,B,UP"


def _ruff(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RUFF, *arguments], capture_output=True, text=True, check=False)


@settings(max_examples=fuzz_examples(15, ci=120))
@given(crontab_texts())
def test_generated_modules_compile_format_and_lint_clean(text: str) -> None:
    pipeline = infer_pipeline(parse_crontab(text, "fuzzed.crontab", system=False))
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        for major in (3, 2):
            migrate([pipeline], out / str(major), CodegenOptions(airflow=major))
        modules = sorted(out.rglob("*.py"))
        for module in modules:
            compile(module.read_text(encoding="utf-8"), str(module), "exec")
        if not modules:
            return
        for line_length in ("88", "100", "120"):
            done = _ruff("format", "--isolated", "--check", "--line-length", line_length, scratch)
            assert done.returncode == 0, f"--line-length {line_length}:\n{done.stdout}{text}"
        lint = _ruff(
            "check", "--isolated", "--select", LINT_SELECTION, "--target-version", "py39", scratch
        )
        assert lint.returncode == 0, lint.stdout + text
