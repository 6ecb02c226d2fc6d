"""The crontab model: what the parser produces and everything downstream reads.

Frozen dataclasses, positions 1-based. The parse tree never leaves the parser; these do.
Schedule semantics (matching, fire times, canonical form) live in `migrator.crontab.schedule`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migrator.compat import StrEnum


class Dialect(StrEnum):
    """Which cron implementation's reading of the file to follow (see README, "Dialects")."""

    CRONIE = "cronie"
    DEBIAN = "debian"
    VIXIE = "vixie"


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


@dataclass(frozen=True)
class Span:
    """Where something is in its source file: 1-based line and column, end exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class CronField:
    """One of the five time fields, as written and as the set of values it allows."""

    kind: FieldKind
    text: str
    values: frozenset[int]
    # cron treats a day field whose text starts with '*' as unrestricted for the dom/dow rule,
    # even when it is '*/2' and so does not allow every value.
    starts_with_star: bool
    span: Span


@dataclass(frozen=True)
class Schedule:
    """When an entry fires. `fields` is None only for `@reboot`."""

    text: str
    macro: str | None
    fields: tuple[CronField, ...] | None
    # IANA name from CRON_TZ (or TZ, see README) in effect for the entry; None means the default zone.
    timezone: str | None
    span: Span

    @property
    def is_reboot(self) -> bool:
        return self.macro == "@reboot"

    def field(self, kind: FieldKind) -> CronField:
        if self.fields is None:
            raise ValueError(f"{self.text} has no time fields")
        return self.fields[FIELD_ORDER.index(kind)]


@dataclass(frozen=True)
class EnvAssignment:
    """A `NAME=value` line, value unquoted as cron reads it."""

    name: str
    value: str
    span: Span


@dataclass(frozen=True)
class Comment:
    text: str  # without the leading '#' and surrounding whitespace
    span: Span


@dataclass(frozen=True)
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
    environment: tuple[tuple[str, str], ...]
    span: Span
    # cronie's `-` prefix: do not log the job to syslog
    no_log: bool = False

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def env(self) -> dict[str, str]:
        return dict(self.environment)


@dataclass(frozen=True)
class CronTab:
    path: str
    system: bool  # True for the /etc/crontab and cron.d format (with a user column)
    dialect: Dialect
    entries: tuple[CronEntry, ...]
    environment: tuple[EnvAssignment, ...]
    comments: tuple[Comment, ...]
    blank_lines: tuple[int, ...] = field(default=())
