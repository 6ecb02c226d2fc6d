"""Dependency inference: from a crontab's time offsets and evidence to a pipeline of DAGs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from migrator.infer.overrides import Overrides, load_overrides
    from migrator.infer.pipeline import infer_pipeline

__all__ = ["Overrides", "infer_pipeline", "load_overrides"]

_WHERE = {"Overrides": "overrides", "load_overrides": "overrides", "infer_pipeline": "pipeline"}


def __getattr__(name: str) -> Any:
    # loaded on first use: the linter imports `migrator.infer.facts` and `.shell` (small, pure) and must
    # not pay for the pipeline, which imports networkx (about 0.1 s a run)
    if name in _WHERE:
        from importlib import import_module

        value = getattr(import_module(f"migrator.infer.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
