"""Dependency inference: from a crontab's time offsets and evidence to a pipeline of DAGs."""

from __future__ import annotations

from migrator.infer.overrides import Overrides, load_overrides
from migrator.infer.pipeline import infer_pipeline

__all__ = ["Overrides", "infer_pipeline", "load_overrides"]
