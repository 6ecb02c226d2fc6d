"""The crontab model: what the parser produces and everything downstream reads.

Frozen dataclasses, positions 1-based. The parse tree never leaves the parser; these do.
Schedule semantics (matching, fire times, canonical form) live in `migrator.crontab.schedule`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, overload

from migrator.compat import StrEnum
from migrator.crontab.dialects import DEFAULT_DIALECT, Dialect  # noqa: F401  DEFAULT_DIALECT: re-exported
from migrator.errors import Diagnostic
from migrator.positions import Span


class FieldKind(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY_OF_MONTH = "day_of_month"
    MONTH = "month"
    DAY_OF_WEEK = "day_of_week"


# Inclusive bounds as crontab(5) gives them; 7 is accepted for Sunday and stored as 0.
FIELD_BOUNDS: dict[FieldKind, tuple[int, int]] = {
    FieldKind.MINUTE: (0, 59),
    FieldKind.HOUR: (0, 23),
    FieldKind.DAY_OF_MONTH: (1, 31),
    FieldKind.MONTH: (1, 12),
    FieldKind.DAY_OF_WEEK: (0, 7),
}

FIELD_ORDER: tuple[FieldKind, ...] = tuple(FieldKind)


@dataclass(frozen=True, slots=True)
class CronField:
    """One of the five time fields, as written and as the set of values it allows."""

    kind: FieldKind
    text: str
    values: frozenset[int]
    # cron treats a day field whose text starts with '*' as unrestricted for the dom/dow rule,
    # even when it is '*/2' and so does not allow every value.
    starts_with_star: bool
    span: Span
    # cronie's `a~b` picks one value at random when it loads the file; these are the (low, high) ranges
    # it picks from. `values` holds the value cron2dag picked (stable for the same line), see docs/crontabs.md.
    random_ranges: tuple[tuple[int, int], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "text": self.text,
            "values": sorted(self.values),
            "starts_with_star": self.starts_with_star,
            "random_ranges": [list(r) for r in self.random_ranges],
            "span": self.span.to_json(),
        }


@dataclass(frozen=True, slots=True)
class Schedule:
    """When an entry fires. `fields` is None only for `@reboot`."""

    text: str
    macro: str | None
    fields: tuple[CronField, ...] | None
    # IANA name from CRON_TZ (or TZ, see docs/crontabs.md) in effect for the entry; None means the default zone.
    timezone: str | None
    span: Span

    @property
    def is_reboot(self) -> bool:
        return self.macro == "@reboot"

    def field(self, kind: FieldKind) -> CronField:
        if self.fields is None:
            raise ValueError(f"{self.text} has no time fields")
        return self.fields[FIELD_ORDER.index(kind)]

    @property
    def is_wildcard(self) -> bool:
        """cron's "wildcard job": minute or hour text starts with '*'. It decides DST behaviour."""
        if self.fields is None:
            return False
        return self.fields[0].starts_with_star or self.fields[1].starts_with_star

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "macro": self.macro,
            "fields": None if self.fields is None else [f.to_json() for f in self.fields],
            "timezone": self.timezone,
            "span": self.span.to_json(),
        }


@dataclass(frozen=True, slots=True)
class EnvAssignment:
    """A `NAME=value` line, value unquoted as cron reads it."""

    name: str
    value: str
    span: Span

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "span": self.span.to_json()}


@dataclass(frozen=True, slots=True)
class Comment:
    text: str  # without the leading '#' and surrounding whitespace
    span: Span

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "span": self.span.to_json()}


class Environment(Sequence[tuple[str, str]]):
    """The assignments in effect for an entry: the first `count` of the file's, in file order.

    Every entry of a file shares one list of assignments: a tuple per entry would make a file of
    many assignments quadratic in time and memory (50,000 alternating assignment and job lines:
    12 GB). Reads like the tuple of `(name, value)` pairs it stands for, and equals it.
    """

    __slots__ = ("_count", "_pairs")

    def __init__(self, pairs: Sequence[tuple[str, str]] = (), count: int | None = None) -> None:
        self._pairs = pairs
        self._count = len(pairs) if count is None else count

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return islice(self._pairs, self._count)

    @overload
    def __getitem__(self, index: int) -> tuple[str, str]: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[tuple[str, str], ...]: ...
    def __getitem__(self, index: int | slice) -> Any:
        return tuple(self)[index]

    def after(self, earlier: Environment) -> Sequence[tuple[str, str]] | None:
        """The assignments made between `earlier` and this (an entry further down the same file),
        in O(their number); None when this does not continue `earlier`."""
        if earlier._pairs is self._pairs and earlier._count <= self._count:
            return self._pairs[earlier._count : self._count]
        return None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Environment, tuple, list)):
            return len(self) == len(other) and tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))


@dataclass(frozen=True, slots=True)
class CronEntry:
    """One job line."""

    schedule: Schedule
    # the `user` column of /etc/crontab and cron.d files; None in a user crontab
    user: str | None
    # the command text exactly as written after the schedule (and user), before `%` processing
    raw_command: str
    # what cron hands to the shell: text before the first unescaped `%`, with `\%` turned into `%`
    command: str
    # text after the first unescaped `%`, each further `%` turned into a newline; None when there is none
    stdin: str | None
    # the comment lines directly above the entry (no blank line between), top to bottom
    comments: tuple[str, ...]
    # every environment assignment in effect for this entry, in file order (later wins)
    environment: Sequence[tuple[str, str]]
    span: Span
    # cronie's `-` prefix: do not log the job to syslog
    no_log: bool = False
    # cronie's `-n` option at the start of the command: mail the output only when the job fails
    mail_only_on_error: bool = False

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def env(self) -> dict[str, str]:
        return dict(self.environment)

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "schedule": self.schedule.to_json(),
            "user": self.user,
            "raw_command": self.raw_command,
            "command": self.command,
            "stdin": self.stdin,
            "comments": list(self.comments),
            "environment": [[name, value] for name, value in self.environment],
            "no_log": self.no_log,
            "mail_only_on_error": self.mail_only_on_error,
            "span": self.span.to_json(),
        }


@dataclass(frozen=True, slots=True)
class CronTab:
    path: str
    system: bool  # True for the /etc/crontab and cron.d format (with a user column)
    dialect: Dialect
    entries: tuple[CronEntry, ...]
    environment: tuple[EnvAssignment, ...]
    comments: tuple[Comment, ...]
    blank_lines: tuple[int, ...] = field(default=())
    # problems that do not stop cron from reading the file (a missing final newline, CRLF endings, TZ=...)
    warnings: tuple[Diagnostic, ...] = field(default=())

    def json_text(self) -> Iterator[str]:
        """`to_json()` as JSON text, in pieces: one key per line, one list item per line.

        The same document as `json.dumps(self.to_json())`, fast enough for any file: every entry
        repeats the environment in effect for it (the contract), so a 10,000-line crontab with a
        few hundred assignments is tens of megabytes of JSON. The environment shared by consecutive
        entries and the parts of fields shared by many entries are encoded once (`_EntryJson`).
        """
        encode = _ENCODER.encode
        yield "{\n"
        yield f'  "path": {encode(self.path)},\n'
        yield f'  "system": {encode(self.system)},\n'
        yield f'  "dialect": {encode(str(self.dialect))},\n'
        yield '  "entries": ['
        entries = _EntryJson()
        for index, entry in enumerate(self.entries):
            yield (",\n    " if index else "\n    ") + entries.text(entry)
        yield "\n  ],\n" if self.entries else "],\n"
        for key, items in (
            ("environment", [e.to_json() for e in self.environment]),
            ("comments", [c.to_json() for c in self.comments]),
        ):
            yield from _json_list(key, items, encode)
            yield ",\n"
        yield f'  "blank_lines": {encode(list(self.blank_lines))},\n'
        yield from _json_list("warnings", [w.to_json() for w in self.warnings], encode)
        yield "\n}\n"

    def to_json(self) -> dict[str, Any]:
        """The `cron2dag parse --format json` contract (docs/contracts.md, "parse")."""
        return {
            "path": self.path,
            "system": self.system,
            "dialect": str(self.dialect),
            "entries": [e.to_json() for e in self.entries],
            "environment": [e.to_json() for e in self.environment],
            "comments": [c.to_json() for c in self.comments],
            "blank_lines": list(self.blank_lines),
            "warnings": [w.to_json() for w in self.warnings],
        }


class _EntryJson:
    """`CronEntry.to_json()` as text, with what entries share encoded once (see `json_text`).

    Keys and order are those of the `to_json` methods; a test holds the two to the same document.
    """

    def __init__(self) -> None:
        self.environments: dict[int, tuple[Sequence[tuple[str, str]], str]] = {}
        self.fields: dict[tuple[Any, ...], str] = {}

    def text(self, entry: CronEntry) -> str:
        string = _string
        schedule = entry.schedule
        fields = (
            "null"
            if schedule.fields is None
            else "[" + ", ".join(self._field(f) for f in schedule.fields) + "]"
        )
        return (
            f'{{"line": {entry.line}, "schedule": {{"text": {string(schedule.text)}, '
            f'"macro": {_scalar(schedule.macro)}, "fields": {fields}, '
            f'"timezone": {_scalar(schedule.timezone)}, "span": {_span(schedule.span)}}}, '
            f'"user": {_scalar(entry.user)}, "raw_command": {string(entry.raw_command)}, '
            f'"command": {string(entry.command)}, "stdin": {_scalar(entry.stdin)}, '
            f'"comments": [{", ".join(map(string, entry.comments))}], '
            f'"environment": {self._environment(entry.environment)}, '
            f'"no_log": {_scalar(entry.no_log)}, '
            f'"mail_only_on_error": {_scalar(entry.mail_only_on_error)}, '
            f'"span": {_span(entry.span)}}}'
        )

    def _environment(self, environment: Sequence[tuple[str, str]]) -> str:
        known = self.environments.get(id(environment))
        if known is None or known[0] is not environment:
            pairs = ", ".join(f"[{_string(n)}, {_string(v)}]" for n, v in environment)
            known = (environment, f"[{pairs}]")
            self.environments[id(environment)] = known
        return known[1]

    def _field(self, field: CronField) -> str:
        key = (field.kind, field.text, field.values, field.starts_with_star, field.random_ranges)
        head = self.fields.get(key)
        if head is None:
            whole = _ENCODER.encode(field.to_json())
            head = whole[: whole.rindex(', "span": ')]
            self.fields[key] = head
        return f'{head}, "span": {_span(field.span)}}}'


_ENCODER = json.JSONEncoder(separators=(", ", ": "))
_string = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]


def _scalar(value: str | bool | None) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return _string(value)


def _span(span: Span) -> str:
    return (
        f'{{"line": {span.line}, "column": {span.column}, "end_line": {span.end_line}, '
        f'"end_column": {span.end_column}}}'
    )


def _json_list(key: str, items: list[Any], encode: Any) -> Iterator[str]:
    if not items:
        yield f'  "{key}": []'
        return
    yield f'  "{key}": [\n    ' + ",\n    ".join(encode(item) for item in items) + "\n  ]"
