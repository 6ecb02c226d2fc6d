"""Ids the extractor could not read: what stands for them, kept apart from the model so that the
project rule (duplicate DAG ids across files), which runs on every lint, needs nothing heavier."""

from __future__ import annotations


def is_placeholder(identifier: str | None) -> bool:
    """A DAG, task or group id the extractor could not read (`<f"load_{table}">`): it stands for
    whatever the expression between the angle brackets evaluates to, which Airflow ids never contain."""
    return identifier is not None and "<" in identifier
