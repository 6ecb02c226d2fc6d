"""Frozen dataclasses made by the thousand (spans, extracted records, findings rebuilt from the lint
cache), built without their generated `__init__`, which pays one `object.__setattr__` per field."""

from __future__ import annotations

from typing import Any


def build(cls: type, **values: Any) -> Any:
    """An instance of the frozen dataclass `cls` holding `values`; every field must be given."""
    instance = object.__new__(cls)
    instance.__dict__.update(values)
    return instance
