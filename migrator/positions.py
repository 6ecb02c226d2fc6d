"""Positions in source text: lines counted as the file's own language counts them.

Python ends a line at LF, CRLF or a lone CR; cron at LF only. Neither ends one at a form feed, a
vertical tab, U+001C-U+001E, NEL or U+2028/U+2029, as `str.splitlines()` does: code that counts lines
must not use it.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from migrator.frozen import build

_PYTHON_BREAK = re.compile(r"\r\n|\r|\n")


# not slotted: `new_span` builds spans by filling `__dict__`
@dataclass(frozen=True)
class Span:
    """Where something is in its source file: 1-based line and column, end exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int

    def to_json(self) -> dict[str, int]:
        return {
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
        }


def new_span(line: int, column: int, end_line: int, end_column: int) -> Span:
    """`Span(...)` without the frozen dataclass's `__init__` (one `object.__setattr__` per field), for
    code that makes spans by the thousand: the extractor, and the lint cache when it rebuilds findings."""
    span: Span = build(Span, line=line, column=column, end_line=end_line, end_column=end_column)
    return span


class Lines:
    """Character offsets of a text's lines, counted as its positions are (Python: LF, CRLF or a lone CR
    end a line; cron: LF only), and conversions from `ast`'s UTF-8 byte columns."""

    def __init__(self, text: str, python: bool = True) -> None:
        self.text = text
        if python:
            self.starts = [0] + [match.end() for match in _PYTHON_BREAK.finditer(text)]
        else:
            self.starts = [0] + [match.end() for match in re.finditer("\n", text)]

    def offset(self, line: int, column: int) -> int | None:
        """The offset of a 1-based line and 1-based character column; None when outside the text."""
        if not 1 <= line <= len(self.starts) or column < 1:
            return None
        offset = self.starts[line - 1] + column - 1
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        return offset if offset <= end else None

    def byte_offset(self, line: int, byte_column: int) -> int:
        """The offset of an `ast` position (1-based line, 0-based UTF-8 byte column)."""
        start = self.starts[line - 1]
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        text = self.text[start:end]
        if text.isascii():
            return start + byte_column
        return start + len(text.encode("utf-8")[:byte_column].decode("utf-8", errors="replace"))

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and character column of an offset."""
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def node_offsets(self, node: object) -> tuple[int, int]:
        """Character offsets [start, end) of an `ast` node."""
        line = node.lineno  # type: ignore[attr-defined]
        end_line = node.end_lineno or line  # type: ignore[attr-defined]
        end_column = node.end_col_offset  # type: ignore[attr-defined]
        start = self.byte_offset(line, node.col_offset)  # type: ignore[attr-defined]
        end = self.byte_offset(end_line, node.col_offset if end_column is None else end_column)  # type: ignore[attr-defined]
        return start, end
