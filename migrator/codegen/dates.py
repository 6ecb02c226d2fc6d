"""Rewrite wall-clock `date` substitutions into templates of the DAG run's logical date.

`$(date +%F)` in a cron job means "the day this run is for", but it reads the clock: rerun the job
on another day, or backfill it, and it sees the wrong day. In the generated DAG the same text becomes
`{{ logical_date.in_timezone('UTC').strftime('%F') }}`, so a backfill of 2025-01-05 sees
2025-01-05. The logical date of a run is the instant cron would have started the DAG's first job
(see `migrator.codegen.schedule`); a task that cron started `offset` later renders
`logical_date.add(...)` so that it sees the instant cron would have started *it*.

Recognised, anywhere the shell expands a substitution (`$(...)` or backquotes, at any depth):
`date [-u|--utc] [-d|--date STR] +FORMAT`, `date -I`, with an optional `TZ=zone` prefix, where STR is
`now`, `today`, `yesterday`, `tomorrow`, `N day(s)|week(s)|hour(s)|minute(s)|second(s) [ago]` or
`-N days` and FORMAT uses only conversions that Python's `strftime` (glibc) computes like GNU date.
Relative days and weeks are calendar days in the zone, as GNU date and pendulum both count them.
Anything else that calls `date` is kept unchanged and reported, so the linter can flag it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from migrator.codegen.jinja import string_literal
from migrator.crontab.fields import shorten
from migrator.crontab.zones import is_zone_name
from migrator.shellsyntax import Substitution, Word, find_substitutions, simple_command_words

_DATE_COMMANDS = frozenset({"date", "/bin/date", "/usr/bin/date"})
# strftime conversions that glibc's strftime and GNU date compute the same way (C locale).
# Not here: %N %q %:z (GNU date only), %s (Python's applies the local zone), %n %t (whitespace).
_SAFE_CONVERSIONS = frozenset("aAbBcCdDeFgGhHIjklmMpPrRSTuUVwWxXyYzZ%")
# conversions whose output can contain a space (padding or separators)
_SPACE_CONVERSIONS = frozenset("ceklr")
_CONVERSION = re.compile(r"%([-0^#_]?)([A-Za-z%])")
# literal characters a format may contain: pasting them into the command cannot change its parse
_SAFE_LITERAL = re.compile(r"[A-Za-z0-9 ./:,+=@_-]*")
_RELATIVE = re.compile(
    r"^([+-]?\d+)\s*(day|days|week|weeks|hour|hours|minute|minutes|min|mins|second|seconds|sec|secs)"
    r"(\s+ago)?$"
)
_UNIT = {
    "day": "days",
    "week": "weeks",
    "hour": "hours",
    "minute": "minutes",
    "min": "minutes",
    "second": "seconds",
    "sec": "seconds",
}
_LOOKS_LIKE_DATE = re.compile(r"(?:^|[\s;&|(`])(?:/usr/bin/|/bin/)?date(?:\s|$|[;&|)`])")


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class DateCall:
    """What one `date` call prints, as a function of the instant cron started the DAG's first job.

    The instant moves by `offset` (absolute: when cron started this job), is seen in `zone`, moves
    by `shift` (`days`/`weeks`: calendar units in the zone, as GNU date counts them; `hours`,
    `minutes`, `seconds`: absolute) and is formatted with `fmt`. Each target renders this its own
    way: a Jinja expression of `logical_date` for Airflow, Python for Dagster.
    """

    zone: str
    fmt: str
    offset: timedelta = timedelta(0)
    shift: tuple[str, int] = ("days", 0)

    def jinja(self) -> str:
        code = "logical_date"
        if self.offset:
            code += f".add({_offset_kwargs(self.offset)})"
        code += f".in_timezone({string_literal(self.zone)})"
        unit, amount = self.shift
        if amount:
            method = "add" if amount > 0 else "subtract"
            code += f".{method}({unit}={abs(amount)})"
        return code + f".strftime({string_literal(self.fmt)})"


@dataclass(frozen=True)
class Expression:
    """A Jinja expression (without the braces) and the shell text it replaces."""

    code: str
    original: str
    # the end of the rendered text that is known in advance (what follows the last conversion)
    suffix: str = ""
    # the call it stands for (None for expressions that are not a `date` call)
    call: DateCall | None = None
    # a secret read from an Airflow Variable: its value may contain any character (a date never
    # renders a quote)
    secret: bool = False


Segment = Literal | Expression


@dataclass(frozen=True)
class KeptDate:
    """A wall-clock `date` call left as it was, and why."""

    text: str
    reason: str


@dataclass(frozen=True)
class Rewritten:
    segments: tuple[Segment, ...]
    kept: tuple[KeptDate, ...]

    @property
    def rewrote(self) -> bool:
        return any(isinstance(s, Expression) for s in self.segments)


def rewrite_dates(command: str, timezone: str, offset: timedelta = timedelta(0)) -> Rewritten:
    """Split `command` into literal text and logical-date expressions.

    `timezone` is the zone `date` would have used; `offset` is how long after the DAG run's logical
    date cron started this job.
    """
    replacements: list[tuple[int, int, Expression]] = []
    kept: list[KeptDate] = []
    _collect(command, 0, timezone, offset, replacements, kept)
    replacements.sort(key=lambda r: r[0])
    segments: list[Segment] = []
    position = 0
    for start, end, expression in replacements:
        if start > position:
            segments.append(Literal(command[position:start]))
        segments.append(expression)
        position = end
    if position < len(command) or not segments:
        segments.append(Literal(command[position:]))
    return Rewritten(tuple(segments), tuple(kept))


def _collect(
    text: str,
    base: int,
    timezone: str,
    offset: timedelta,
    replacements: list[tuple[int, int, Expression]],
    kept: list[KeptDate],
) -> None:
    for sub in find_substitutions(text):
        original = text[sub.start : sub.end]
        words = None if sub.backquoted and "\\" in sub.body else simple_command_words(sub.body)
        if words is None or not _is_date_call(words):
            if _LOOKS_LIKE_DATE.search(sub.body):
                if sub.backquoted:
                    kept.append(KeptDate(original, "not a single plain `date` command"))
                else:
                    before = len(replacements)
                    _collect(sub.body, base + sub.body_start, timezone, offset, replacements, kept)
                    if len(replacements) == before:
                        kept.append(KeptDate(original, "not a single plain `date` command"))
            elif not sub.backquoted:
                _collect(sub.body, base + sub.body_start, timezone, offset, replacements, kept)
            continue
        result = _translate(words, sub, timezone, offset)
        if isinstance(result, _Unsupported):
            kept.append(KeptDate(original, result.reason))
        else:
            replacements.append((base + sub.start, base + sub.end, result))


def _is_date_call(words: list[Word]) -> bool:
    for word in words:
        if not word.expands and _is_assignment(word.value):
            continue
        return not word.expands and word.value in _DATE_COMMANDS
    return False


def _is_assignment(value: str) -> bool:
    name, sep, _ = value.partition("=")
    return bool(sep) and name.isidentifier()


@dataclass(frozen=True)
class _Unsupported:
    reason: str


def _translate(
    words: list[Word], sub: Substitution, timezone: str, offset: timedelta
) -> Expression | _Unsupported:
    """The Jinja expression for a `date` call, or why it stays as it is."""
    zone = timezone
    index = 0
    while _is_assignment(words[index].value):
        name, _, value = words[index].value.partition("=")
        if name != "TZ":
            return _keep(f"sets {name} for `date`")
        zone = value.lstrip(":")
        index += 1
    if not _valid_zone(zone):  # from the command's `TZ=` prefix or the crontab's TZ= line
        return _keep(f"TZ={shorten(zone)} is not a time zone name")
    index += 1  # the `date` word
    relative = ""
    fmt: str | None = None
    args = words[index:]
    position = 0
    while position < len(args):
        word = args[position]
        if word.expands:
            return _keep("its arguments are expanded by the shell")
        value = word.value
        if value in ("-u", "--utc", "--universal"):
            zone = "UTC"
        elif value in ("-d", "--date"):
            if position + 1 >= len(args) or args[position + 1].expands:
                return _keep("`-d` without a fixed argument")
            relative = args[position + 1].value
            position += 1
        elif value.startswith("--date="):
            relative = value[len("--date=") :]
        elif value.startswith("-d") and not value.startswith("--"):
            relative = value[2:]
        elif value in ("-I", "--iso-8601", "-Idate", "--iso-8601=date"):
            fmt = "%Y-%m-%d"
        elif value.startswith("+") and fmt is None:
            fmt = value[1:]
        else:
            return _keep(f"option {value!r} is not supported")
        position += 1
    if fmt is None:
        return _keep("no +FORMAT (the default format depends on the locale)")
    problem = _format_problem(fmt, sub.in_double_quotes)
    if problem:
        return _keep(problem)
    shift = _relative_shift(relative)
    if shift is None:
        return _keep(f"-d {relative!r} is not a relative day, week, hour, minute or second")
    call = DateCall(zone, fmt, offset, shift)
    return Expression(call.jinja(), text_of(sub), _CONVERSION.split(fmt)[-1], call)


def text_of(sub: Substitution) -> str:
    return ("`%s`" if sub.backquoted else "$(%s)") % sub.body


def _keep(reason: str) -> _Unsupported:
    return _Unsupported(reason)


def _valid_zone(name: str) -> bool:
    return is_zone_name(name)


def _format_problem(fmt: str, in_double_quotes: bool) -> str | None:
    literal_parts = _CONVERSION.split(fmt)
    # split() yields literal, flag, letter, literal, flag, letter, ...
    literals = literal_parts[0::3]
    flags = literal_parts[1::3]
    letters = literal_parts[2::3]
    for letter in letters:
        if letter not in _SAFE_CONVERSIONS:
            return f"%{letter} is not computed the same way by Python's strftime"
    for literal in literals:
        if "%" in literal:
            return "the format has a `%` that is not a conversion"
        if not _SAFE_LITERAL.fullmatch(literal):
            return "the format has characters the shell would read differently once pasted in"
    makes_space = any(" " in lit for lit in literals) or any(
        letter in _SPACE_CONVERSIONS or flag == "_" for flag, letter in zip(flags, letters)
    )
    if makes_space and not in_double_quotes:
        return "its output can contain spaces and the substitution is not double-quoted"
    return None


def _relative_shift(text: str) -> tuple[str, int] | None:
    """(pendulum unit, signed amount) for a `date -d` argument; None when not supported."""
    text = " ".join(text.lower().split())
    if text in ("", "now", "today"):
        return ("days", 0)
    if text == "yesterday":
        return ("days", -1)
    if text == "tomorrow":
        return ("days", 1)
    match = _RELATIVE.match(text)
    if not match:
        return None
    amount = int(match.group(1))
    if match.group(3):
        amount = -amount
    return (_UNIT.get(match.group(2).rstrip("s"), match.group(2)), amount)


def _offset_kwargs(offset: timedelta) -> str:
    # absolute hours/minutes/seconds: pendulum's days= would be calendar days
    seconds = int(offset.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    units = (("hours", hours), ("minutes", minutes), ("seconds", secs))
    return ", ".join(f"{name}={value}" for name, value in units if value)
