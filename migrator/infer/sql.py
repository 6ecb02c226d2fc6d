"""Tables and files that a SQL statement in a command line reads and writes.

Regular expressions, not a SQL parser: cron lines carry short statements (`INSERT INTO a SELECT ...
FROM b`, psql's `\\copy t FROM 'file'`), and a miss only costs one piece of evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from migrator.infer.words import wordset

_NAME = r'(?:"[^"]+"|`[^`]+`|\[[^\]]+\]|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"[^"]+"|`[^`]+`|\[[^\]]+\]|[A-Za-z_][\w$]*))*'
_FLAGS = re.IGNORECASE | re.DOTALL

_WRITE_PATTERNS = [
    re.compile(rf"\binsert\s+(?:overwrite\s+)?(?:into\s+)?(?:table\s+)?({_NAME})", _FLAGS),
    re.compile(rf"\breplace\s+into\s+({_NAME})", _FLAGS),
    re.compile(
        rf"\bcreate\s+(?:or\s+replace\s+)?(?:(?:temp|temporary|unlogged|external|transient)\s+)?"
        rf"(?:table|view|materialized\s+view)\s+(?:if\s+not\s+exists\s+)?({_NAME})",
        _FLAGS,
    ),
    re.compile(rf"\brefresh\s+materialized\s+view\s+(?:concurrently\s+)?({_NAME})", _FLAGS),
    re.compile(rf"\btruncate\s+(?:table\s+)?({_NAME})", _FLAGS),
    re.compile(rf"\bupdate\s+({_NAME})\s+set\b", _FLAGS),
    re.compile(rf"\bdelete\s+from\s+({_NAME})", _FLAGS),
    re.compile(rf"\bmerge\s+into\s+({_NAME})", _FLAGS),
    re.compile(
        rf"\bload\s+data\s+(?:local\s+)?inpath\s+\S+\s+(?:overwrite\s+)?into\s+table\s+({_NAME})",
        _FLAGS,
    ),
    re.compile(rf"\binto\s+table\s+({_NAME})", _FLAGS),
]
_READ_PATTERN = re.compile(rf"\b(?:from|join)\s+({_NAME})(\s*\()?", _FLAGS)
_CTE = re.compile(r"(?:\bwith|,)\s*(?:recursive\s+)?([A-Za-z_]\w*)\s+as\s*\(", _FLAGS)
# `COPY t FROM 'f'` / `\copy t TO f` / `\copy (SELECT ...) TO f`
_COPY = re.compile(
    rf"\\?\bcopy\s+(\(.*?\)|{_NAME})\s*(?:\([^)]*\))?\s+(from|to)\s+('[^']*'|\"[^\"]*\"|\S+)",
    _FLAGS,
)
# MySQL's `LOAD DATA [LOCAL] INFILE 'f' INTO TABLE t`, Hive's `LOAD DATA [LOCAL] INPATH 'f'`
_LOAD_FILE = re.compile(
    r"\bload\s+data\s+(?:(?:low_priority|concurrent)\s+)?(?:local\s+)?in(?:file|path)\s+"
    r"('[^']*'|\"[^\"]*\"|\S+)",
    _FLAGS,
)
# MySQL's `SELECT ... INTO OUTFILE 'f'`
_INTO_FILE = re.compile(r"\binto\s+(?:outfile|dumpfile)\s+('[^']*'|\"[^\"]*\"|\S+)", _FLAGS)
_SQL_HINT = re.compile(
    r"\b(select|insert|update|delete|merge|create|refresh|truncate|copy|replace|load)\b",
    re.IGNORECASE,
)
# words that follow FROM/JOIN but are not tables
_NOT_TABLES = wordset("""
        select stdin stdout program lateral unnest generate_series values only dual
        where on using information_schema pg_catalog
    """)


@dataclass(frozen=True)
class SqlAccess:
    reads: tuple[str, ...]  # table names, lowercase, unquoted
    writes: tuple[str, ...]
    file_reads: tuple[str, ...]  # files named by COPY ... FROM, LOAD DATA INFILE
    file_writes: tuple[str, ...]  # files named by COPY ... TO, SELECT ... INTO OUTFILE


def looks_like_sql(text: str) -> bool:
    return bool(_SQL_HINT.search(text)) and (" " in text.strip())


def normalize_table(name: str) -> str:
    parts = [p.strip().strip('"`[]') for p in name.split(".")]
    return ".".join(p.lower() for p in parts if p)


def analyze_sql(text: str) -> SqlAccess:
    reads: dict[str, None] = {}
    writes: dict[str, None] = {}
    file_reads: list[str] = []
    file_writes: list[str] = []
    ctes = {m.group(1).lower() for m in _CTE.finditer(text)}
    copy_spans: list[tuple[int, int]] = []
    for match in _COPY.finditer(text):
        source, direction, target = match.group(1), match.group(2).lower(), match.group(3)
        target = target.strip("'\"").rstrip(";")
        copy_spans.append(match.span())
        is_io = target.lower() in (
            "stdin",
            "stdout",
            "pstdin",
            "pstdout",
        ) or target.lower().startswith("program")
        if source.startswith("("):
            inner = analyze_sql(source[1:-1])
            for t in inner.reads:
                reads.setdefault(t, None)
            if direction == "to" and not is_io:
                file_writes.append(target)
            continue
        table = normalize_table(source)
        if direction == "from":
            writes.setdefault(table, None)
            if not is_io:
                file_reads.append(target)
        else:
            reads.setdefault(table, None)
            if not is_io:
                file_writes.append(target)
    for match in _LOAD_FILE.finditer(text):
        file_reads.append(match.group(1).strip("'\"").rstrip(";"))
    for match in _INTO_FILE.finditer(text):
        file_writes.append(match.group(1).strip("'\"").rstrip(";"))
    written_spans: list[tuple[int, int]] = []
    for pattern in _WRITE_PATTERNS:
        for match in pattern.finditer(text):
            if any(a <= match.start() < b for a, b in copy_spans):
                continue
            table = normalize_table(match.group(1))
            if table and table.split(".")[-1] not in _NOT_TABLES:
                writes.setdefault(table, None)
                written_spans.append(match.span(1))
    for match in _READ_PATTERN.finditer(text):
        if match.group(2) or any(a <= match.start() < b for a, b in copy_spans):
            continue  # a function call such as `FROM generate_series(...)`, or COPY's file
        if any(a <= match.start(1) < b for a, b in written_spans):
            continue  # `DELETE FROM t` names the target, not a source
        table = normalize_table(match.group(1))
        if not table or table in ctes or table.split(".")[-1] in _NOT_TABLES or table in writes:
            continue
        reads.setdefault(table, None)
    return SqlAccess(tuple(reads), tuple(writes), tuple(file_reads), tuple(file_writes))
