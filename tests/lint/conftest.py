"""Shared helpers for the linter's tests: lint a source string, and golden files that change only
with `pytest --update-golden` (then review the diff)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from migrator.lint.config import LintConfig
from migrator.lint.engine import FileResult, Linter
from migrator.lint.registry import default_registry
from migrator.lint.sources import Kind, SourceFile

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "lint"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite the linter's golden files")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden")) or os.environ.get("CRON2DAG_UPDATE_GOLDEN") == "1"


@pytest.fixture
def golden(update_golden: bool) -> Callable[[Path, str], None]:
    def check(path: Path, actual: str) -> None:
        if update_golden:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        assert path.exists(), f"{path} is missing: run pytest tests/lint --update-golden and review it"
        assert actual == path.read_text(encoding="utf-8"), f"{path} differs (pytest --update-golden to accept)"

    return check


def lint_text(
    text: str,
    path: str = "dag.py",
    select: tuple[str, ...] = ("ALL",),
    ignore: tuple[str, ...] = (),
    airflow_version: int = 3,
    settings: dict | None = None,
) -> FileResult:
    registry = default_registry()
    config = LintConfig(select=select, ignore=ignore, airflow_version=airflow_version, settings=settings or {})
    linter = Linter(config, config.rules(registry), registry)
    kind = Kind.PYTHON if path.endswith(".py") else Kind.CRONTAB
    result = linter.lint_bytes(SourceFile(path, kind), text.encode("utf-8"))
    result.findings = sorted([*result.findings, *linter.project_findings({path: result})], key=lambda f: f.sort_key())
    return result


@pytest.fixture
def lint() -> Callable[..., FileResult]:
    return lint_text


def codes(result: FileResult) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in result.findings]


@pytest.fixture
def found() -> Callable[[FileResult], list[tuple[int, str]]]:
    return codes
