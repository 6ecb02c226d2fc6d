"""The conformance suite in the runner: every case of fixtures/runner gives the recorded results.

The same expectations hold for Apache Airflow 3 (tests/integration/test_integration_runner_conformance.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from runner_conformance import compare, expected, load_cases, run_in_runner

CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_runner_matches_expectations(case, tmp_path: Path) -> None:
    problems = compare(expected(case), run_in_runner(case, tmp_path / "home"), "runner")
    assert not problems, "\n".join(problems)
