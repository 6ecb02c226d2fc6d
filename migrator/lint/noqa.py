"""`# noqa` comments: parsed by the engine, never seen by rules (STYLE.md, "In this project" 3).

- `# noqa` on a line suppresses every finding that starts or ends on that line;
- `# noqa: BF001, current-time-in-task` suppresses those rules only (codes, names or aliases);
- `# cron2dag: noqa` anywhere in the file suppresses everything in it, `# cron2dag: noqa: BF001`
  suppresses those rules in the whole file.

The same syntax works in crontabs: cron hands `cmd # noqa: CRON002` to the shell, which ignores the
comment.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from migrator.frozen import build

_CODES = r"(?P<codes>[\w-]+(?:[\s,]+[\w-]+)*)"
FILE_NOQA = re.compile(r"#\s*cron2dag\s*:\s*noqa\b(?:\s*:\s*" + _CODES + ")?", re.IGNORECASE)
LINE_NOQA = re.compile(r"#\s*noqa\b(?:\s*:\s*" + _CODES + ")?", re.IGNORECASE)

ALL = None  # a directive without codes


@dataclass(frozen=True)
class NoqaIndex:
    file_all: bool = False
    file_codes: frozenset[str] = frozenset()
    lines: dict[int, frozenset[str] | None] = field(default_factory=dict)

    def to_json(self) -> list:
        return [self.file_all, sorted(self.file_codes), {str(k): (sorted(v) if v is not None else None) for k, v in self.lines.items()}]

    @classmethod
    def from_json(cls, data: list) -> NoqaIndex:
        file_all, file_codes, lines = data
        if not file_all and not file_codes and not lines:  # most files: built without the frozen __init__
            index: NoqaIndex = build(cls, file_all=False, file_codes=frozenset(), lines={})
            return index
        return cls(file_all, frozenset(file_codes), {int(k): (frozenset(v) if v is not None else None) for k, v in lines.items()})

    def suppresses(self, code: str, lines: tuple[int, ...], canonical: Callable[[str], str | None]) -> bool:
        if self.file_all:
            return True
        if any(canonical(c) == code for c in self.file_codes):
            return True
        for line in lines:
            if line in self.lines:
                codes = self.lines[line]
                if codes is None or any(canonical(c) == code for c in codes):
                    return True
        return False


def _codes(text: str | None) -> frozenset[str] | None:
    if not text:
        return None
    return frozenset(part for part in re.split(r"[\s,]+", text.strip()) if part)


def parse_noqa(source: str) -> NoqaIndex:
    if "noqa" not in source and "NOQA" not in source.upper():
        return NoqaIndex()
    file_all = False
    file_codes: set[str] = set()
    lines: dict[int, frozenset[str] | None] = {}
    # "\n" alone ends a line in a crontab, and in Python once the engine made a lone CR a LF
    # (splitlines() would also break at a form feed, U+2028 and others, and miscount)
    for number, line in enumerate(source.split("\n"), start=1):
        if "noqa" not in line.lower():
            continue
        match = FILE_NOQA.search(line)
        if match:
            codes = _codes(match.group("codes"))
            if codes is None:
                file_all = True
            else:
                file_codes |= codes
            continue
        match = LINE_NOQA.search(line)
        if match:
            lines[number] = _codes(match.group("codes"))
    return NoqaIndex(file_all, frozenset(file_codes), lines)
