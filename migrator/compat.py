"""The few things Python 3.10 lacks that the toolkit uses."""

from __future__ import annotations

import sys
from enum import Enum

if sys.version_info >= (3, 11):
    import tomllib as tomllib
    from enum import StrEnum as StrEnum
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

    class StrEnum(str, Enum):
        """`enum.StrEnum` for 3.10: members compare and print as their values."""

        def __str__(self) -> str:
            return str(self.value)


__all__ = ["StrEnum", "tomllib"]
