"""Fixtures shared by the runner's tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh CRON2DAG_HOME for the commands run in-process."""
    monkeypatch.setenv("CRON2DAG_HOME", str(tmp_path / "home"))
    return tmp_path / "home"
