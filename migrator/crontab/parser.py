"""Crontab text -> `CronTab` model, reading the file exactly as cron does.

One LALR pass over the whole file (`crontab.lark`) gives the lines; a Transformer turns each into model
pieces; the assembly below adds what depends on the lines above an entry (its environment, its comment
block, CRON_TZ). Only when the fast pass meets a line that does not parse does a per-line pass run, so that
every error of the file is reported, each as `path:line:col: message`, in one `InputError`.
"""

from __future__ import annotations

import re
import threading
import zlib
from dataclasses import dataclass
from itertools import pairwise
from os import PathLike
from pathlib import Path

from lark import Token
from lark.exceptions import UnexpectedInput

from migrator.collector import collector_paused
from migrator.crontab.fields import FIELD_LABELS, evaluate_field, pick_random, read_number, shorten
from migrator.crontab.format import Verdict, impossible_account
from migrator.crontab.format import detect as detect_format
from migrator.crontab.grammar import crontab_parser, line_rules
from migrator.crontab.model import (
    DEFAULT_DIALECT,
    FIELD_ORDER,
    Comment,
    CronEntry,
    CronField,
    CronTab,
    Dialect,
    EnvAssignment,
    Environment,
    FieldKind,
    Schedule,
    Span,
)
from migrator.crontab.zones import is_zone_name, zone_problem
from migrator.errors import Diagnostic, InputError

__all__ = [
    "DEFAULT_DIALECT",
    "MACROS",
    "detect_system",
    "load_crontab",
    "parse_crontab",
    "parse_expression",
    "split_command",
]

# What each macro means, as cron's entry.c sets the bits (and so the '*' flags) for it.
MACROS: dict[str, str | None] = {
    "@reboot": None,
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

_WORD = re.compile(r"[^ \t]+")
_BLANKS = " \t\r\v\f"


def parse_crontab(
    text: str,
    path: str = "<string>",
    *,
    system: bool | None = None,
    dialect: Dialect = DEFAULT_DIALECT,
) -> CronTab:
    """Parse crontab text. `system=None` detects the format with `detect_system` (see its rule).

    Raises `InputError` carrying every error of the file.
    """
    dialect = Dialect(dialect)
    if "\x00" in text:
        raise _binary_file(path, text)
    warnings: list[Diagnostic] = []
    if "\r\n" in text:
        line = text[: text.index("\r\n")].count("\n") + 1
        warnings.append(
            Diagnostic(
                path,
                "Windows (CRLF) line endings: cron passes the CR to the shell as the last character of "
                "each command; cron2dag dropped them",
                line,
                1,
            )
        )
        text = text.replace("\r\n", "\n")
    if text and not text.endswith("\n"):
        last = text.count("\n") + 1
        warnings.append(
            Diagnostic(
                path,
                "no newline at the end of the file: cron ignores this last line and `crontab` refuses "
                "to install the file; cron2dag read it",
                last,
                len(text) - text.rfind("\n"),
            )
        )
        text += "\n"
    if system is None:
        by_path = _system_by_path(path)
        if by_path is not None:
            system = by_path
        else:
            # Read it as a user crontab; the content rule of `detect_system` may then ask for a re-read.
            try:
                crontab = _Reader(text, path, False, dialect, list(warnings)).read()
            except InputError:
                verdict = _content_verdict(_user_view(text, path, dialect))
                if verdict.system:
                    _say_why(verdict, path, warnings)
                    return _Reader(text, path, True, dialect, warnings).read()
                raise
            verdict = _content_verdict(crontab)
            if not verdict.system:
                return crontab
            _say_why(verdict, path, warnings)
            system = True
    return _Reader(text, path, system, dialect, warnings).read()


def load_crontab(
    path: str | PathLike[str],
    *,
    system: bool | None = None,
    dialect: Dialect = DEFAULT_DIALECT,
) -> CronTab:
    """Read and parse a crontab file; an unreadable, binary or non-UTF-8 file is an `InputError`."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise InputError.at(name, "is a directory, not a crontab file") from None
    except OSError as error:
        raise InputError.at(name, f"cannot read the file: {error.strerror or error}") from None
    if b"\x00" in data:
        raise _binary_file(name, data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise InputError.at(name, "the file is not valid UTF-8 text", line, column) from None
    text = text.removeprefix("\ufeff")
    return parse_crontab(text, name, system=system, dialect=dialect)


def _binary_file(path: str, data: str | bytes) -> InputError:
    """The error for a file with NUL bytes, at the first one (cron stops reading a line there)."""
    nul, newline = ("\x00", "\n") if isinstance(data, str) else (b"\x00", b"\n")
    index = data.index(nul)  # type: ignore[arg-type]
    line = data.count(newline, 0, index) + 1  # type: ignore[arg-type]
    column = index - data.rfind(newline, 0, index)  # type: ignore[arg-type]
    return InputError.at(
        path, "this is a binary file, not a crontab (it contains NUL bytes)", line, column
    )


def parse_expression(
    expr: str, *, dialect: Dialect = DEFAULT_DIALECT, timezone: str | None = None
) -> Schedule:
    """Parse one schedule (five fields or an @macro), e.g. for `cron2dag explain EXPR`."""
    dialect = Dialect(dialect)
    path = "<expression>"
    if timezone is not None:
        _check_zone(timezone, path, None, None)
    words = [(m.group(), m.start()) for m in _WORD.finditer(expr.replace("\n", " "))]
    if not words:
        raise InputError.at(path, "empty expression: expected five time fields or an @macro", 1, 1)
    first, start = words[0]
    if first.startswith("@"):
        if len(words) > 1:
            raise InputError.at(
                path, f"expected only the macro {first}, found more after it", 1, words[1][1] + 1
            )
        schedule, problems = _macro_schedule(first, 1, start + 1, timezone, path)
    else:
        if len(words) != 5:
            raise InputError.at(
                path,
                f"expected 5 time fields (minute hour day-of-month month day-of-week), "
                f"found {len(words)}",
                1,
                words[min(len(words), 5) - 1][1] + 1 if len(words) > 5 else len(expr) + 1,
            )
        schedule, problems, _ = _field_schedule(words, 1, timezone, path, dialect, expr)
    if problems:
        raise InputError(problems)
    return schedule


def detect_system(text: str, path: str, dialect: Dialect = DEFAULT_DIALECT) -> bool:
    """Whether a file is in the system format (a user column). The rule, in order:

    1. by path: a file named `crontab` in a directory named `etc`, or any file in a `cron.d` directory, is a
       system crontab; a file under a `spool/cron` directory is a user crontab;
    2. by content: read as a user crontab, it is a system crontab when every job's command starts with
       a word that can be a user name and is no program, then a command (see `migrator.crontab.format`).
    Anything else is a user crontab. `--system` / `--user` override the rule.
    """
    by_path = _system_by_path(path)
    if by_path is not None:
        return by_path
    return _looks_like_system(_user_view(text, path, dialect))


def _system_by_path(path: str) -> bool | None:
    parts = Path(path).parts
    if "cron.d" in parts[:-1] or (
        Path(path).name == "crontab" and len(parts) > 1 and parts[-2] == "etc"
    ):
        return True
    if any(pair == ("spool", "cron") for pair in pairwise(parts)):
        return False
    return None


def _user_view(text: str, path: str, dialect: Dialect) -> list[str]:
    """The raw commands of the job lines that read as a user crontab (errors ignored)."""
    if not text.endswith("\n"):
        text += "\n"
    reader = _Reader(text, path, False, dialect, [])
    try:
        return [entry.raw_command for entry in reader.read().entries]
    except InputError:
        return [entry.raw_command for entry in reader.partial_entries]


def _looks_like_system(crontab: CronTab | list[str]) -> bool:
    return _content_verdict(crontab).system


def _content_verdict(crontab: CronTab | list[str]) -> Verdict:
    commands = crontab if isinstance(crontab, list) else [e.raw_command for e in crontab.entries]
    return detect_format(commands)


def _say_why(verdict: Verdict, path: str, warnings: list[Diagnostic]) -> None:
    if verdict.warning:
        warnings.append(Diagnostic(path, verdict.warning, None, None))


_COMMAND_ESCAPE = re.compile(r"\\(.)|%", re.DOTALL)
_STDIN_ESCAPE = re.compile(r"(\\+)(.?)|%", re.DOTALL)


def split_command(raw: str) -> tuple[str, str | None]:
    """cron's `%` rule: the command ends at the first unescaped `%`; `\\%` is a literal `%` in it.

    The rest is the job's standard input: each further unescaped `%` becomes a newline, `\\%` a `%`, and
    cron ends the input with a newline when it does not already end with one. None when there is no `%`.
    (Read from cronie's and Debian's do_command.c: a backslash pairs with the next character in the
    command, while in the input a run of backslashes escapes only the character after the run.)
    """
    if "%" not in raw:
        return raw, None
    cut = None
    for match in _COMMAND_ESCAPE.finditer(raw):
        if match.group(0) == "%":
            cut = match.start()
            break
    if cut is None:
        return _COMMAND_ESCAPE.sub(_unescape_percent, raw), None
    return _COMMAND_ESCAPE.sub(_unescape_percent, raw[:cut]), _stdin(raw[cut + 1 :])


def _unescape_percent(match: re.Match[str]) -> str:
    return "%" if match.group(1) == "%" else match.group(0)


def _stdin(data: str) -> str:
    if "\\" not in data:
        data = data.replace("%", "\n")
    else:
        data = _STDIN_ESCAPE.sub(_translate_input, data)
    return data if data == "" or data.endswith("\n") else data + "\n"


def _translate_input(match: re.Match[str]) -> str:
    if match.group(0) == "%":
        return "\n"
    backslashes, char = match.group(1), match.group(2)
    if char == "%":
        return backslashes[:-1] + "%"
    if char == "":
        return backslashes[:-1]
    return backslashes + char


# ---- the per-line pieces ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Blank:
    line: int


@dataclass(frozen=True)
class _Env:
    assignment: EnvAssignment | None  # None when the line is an error


@dataclass(frozen=True)
class _Job:
    entry: CronEntry | None  # environment, comments and zone are filled in by the assembly


def _span(token: Token, text: str | None = None) -> Span:
    length = len(text if text is not None else token)
    return Span(token.line, token.column, token.line, token.column + length)


class _LinesToModel:
    """Turns each line of the file into a model piece, collecting the problems it finds.

    Lark calls it while it parses (through `grammar.LineRules`), with the line's tokens.
    """

    def __init__(self, path: str, dialect: Dialect, system: bool) -> None:
        self.path = path
        self.dialect = dialect
        self.system = system
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []

    def _error(self, message: str, line: int, column: int) -> None:
        self.errors.append(Diagnostic(self.path, message, line, column))

    def _warn(self, message: str, line: int, column: int) -> None:
        self.warnings.append(Diagnostic(self.path, message, line, column))

    def blank(self, children: list[Token]) -> _Blank:
        return _Blank(children[-1].line)

    def comment(self, children: list[Token]) -> Comment:
        token = children[0]
        stripped = token.lstrip(" \t")
        column = token.column + len(token) - len(stripped)
        return Comment(
            stripped[1:].strip(), Span(token.line, column, token.line, token.column + len(token))
        )

    def env(self, children: list[Token]) -> _Env:
        token = children[0]
        name, value, quoted_value, column = _split_env(str(token))
        column += token.column
        span = Span(token.line, column, token.line, token.column + len(token.rstrip(_BLANKS)))
        if not name:
            self._error("environment line without a name before '='", token.line, column)
            return _Env(None)
        if self.dialect is not Dialect.CRONIE and value == "" and not quoted_value:
            self._error(
                f"{name}= with nothing after '=' is not an assignment for {self.dialect} cron "
                f'(it reads the line as a bad job line); write {name}=""',
                token.line,
                column,
            )
            return _Env(None)
        # Debian's cron strips one more pair of matching quotes from a value.
        quotes = len(value) >= 2 and value[0] in "'\"" and value[-1] == value[0]
        if self.dialect is Dialect.DEBIAN and quotes:
            value = value[1:-1]
        return _Env(EnvAssignment(name, value, span))

    def user_entry(self, children: list[Token]) -> _Job:
        schedule_token, command_token = children[-3], children[-2]
        return _Job(self._entry(schedule_token, None, command_token))

    def system_entry(self, children: list[Token]) -> _Job:
        schedule_token, user_token, command_token = children[-4], children[-3], children[-2]
        return _Job(self._entry(schedule_token, user_token, command_token))

    def _entry(
        self, schedule_token: Token, user_token: Token | None, command_token: Token
    ) -> CronEntry | None:
        line = schedule_token.line
        text = str(schedule_token).rstrip(" \t")
        column = schedule_token.column
        no_log = False
        ok = True
        if text.startswith("-"):
            no_log = True
            if self.dialect is not Dialect.CRONIE:
                self._error(
                    f"the '-' prefix (do not log this job) is cronie syntax; {self.dialect} cron rejects "
                    "the line (use --dialect cronie)",
                    line,
                    column,
                )
                ok = False
            text = text[1:]
            column += 1
        if text.startswith("@"):
            schedule, problems = _macro_schedule(text, line, column, None, self.path)
        else:
            words = [(m.group(), m.start()) for m in _WORD.finditer(text)]
            schedule, problems, field_warnings = _field_schedule(
                words, line, None, self.path, self.dialect, f"{text} {command_token}", column - 1
            )
            self.warnings.extend(field_warnings)
        if problems:
            self.errors.extend(problems)
            ok = False
        user = None
        if user_token is not None:
            user = str(user_token).rstrip(" \t")
            if user.startswith("*"):
                self._error(
                    f"user name '{user}' starts with '*': this looks like a sixth time field "
                    "(cron rejects the line)",
                    user_token.line,
                    user_token.column,
                )
                ok = False
            elif (why := impossible_account(user)) is not None:
                # cron looks the user up when it loads the file and skips the line
                self._warn(
                    f"cron skips this line: no account can be called '{user}' ({why})",
                    user_token.line,
                    user_token.column,
                )
                return None
        raw = str(command_token)
        if raw.startswith("*") and user_token is None:
            self._error(
                "the command starts with '*': this looks like a sixth time field (cron rejects the line); "
                "a system crontab needs a user name here (--system)",
                command_token.line,
                command_token.column,
            )
            ok = False
        mail_only_on_error = False
        body = raw
        if raw.startswith("-") and self.dialect is Dialect.CRONIE:
            # cronie reads a leading '-' of the command as an option; only `-n` exists.
            option = re.match(r"-n[ \t]+(?=[^ \t])", raw)
            if option is None:
                self._error(
                    f"cronie reads '{raw.split()[0]}' at the start of the command as an option and knows "
                    "only '-n ' (mail only on failure); it rejects the line",
                    command_token.line,
                    command_token.column,
                )
                ok = False
            else:
                mail_only_on_error = True
                body = raw[option.end() :]
        if not ok or schedule is None:
            return None
        command, stdin = split_command(body)
        end = command_token.column + len(raw)
        return CronEntry(
            schedule=schedule,
            user=user,
            raw_command=raw,
            command=command,
            stdin=stdin,
            comments=(),
            environment=(),
            span=Span(line, schedule_token.column, line, end),
            no_log=no_log,
            mail_only_on_error=mail_only_on_error,
        )


def _split_env(line: str) -> tuple[str, str, bool, int]:
    """Name, value, whether the value was quoted, and the 0-based column of the name, per cron's load_env()."""
    stripped = line.lstrip(" \t")
    column = len(line) - len(stripped)
    if stripped[:1] in ("'", '"'):
        close = stripped.index(stripped[0], 1)
        name, rest = stripped[1:close], stripped[close + 1 :]
    else:
        match = re.match(r"[^ \t\r\v\f=]*", stripped)
        assert match is not None
        name, rest = match.group(), stripped[match.end() :]
    rest = rest.lstrip(_BLANKS)[1:].lstrip(_BLANKS)  # blanks, '=', blanks
    if rest[:1] in ("'", '"'):
        return name, rest[1 : rest.index(rest[0], 1)], True, column
    return name, rest.rstrip(_BLANKS), False, column


def _macro_schedule(
    text: str, line: int, column: int, timezone: str | None, path: str
) -> tuple[Schedule | None, list[Diagnostic]]:
    span = Span(line, column, line, column + len(text))
    if text not in MACROS:
        known = " ".join(MACROS)
        hint = " (macros are lower case)" if text.lower() in MACROS else ""
        return None, [
            Diagnostic(path, f"unknown macro '{text}'{hint}; expected one of {known}", line, column)
        ]
    equivalent = MACROS[text]
    if equivalent is None:
        return Schedule(text, text, None, timezone, span), []
    fields = []
    for kind, word in zip(FIELD_ORDER, equivalent.split()):
        meaning = evaluate_field(kind, word, Dialect.VIXIE)
        fields.append(CronField(kind, word, meaning.values, word.startswith("*"), span))
    return Schedule(text, text, tuple(fields), timezone, span), []


def _field_schedule(
    words: list[tuple[str, int]],
    line: int,
    timezone: str | None,
    path: str,
    dialect: Dialect,
    seed_text: str,
    offset: int = 0,
) -> tuple[Schedule | None, list[Diagnostic], list[Diagnostic]]:
    problems: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    fields: list[CronField] = []
    for index, (kind, (word, start)) in enumerate(zip(FIELD_ORDER, words)):
        meaning = evaluate_field(kind, word, dialect)
        column = offset + start + 1
        for problem in meaning.errors:
            problems.append(Diagnostic(path, problem.message, line, column + problem.offset))
        for problem in meaning.warnings:
            warnings.append(Diagnostic(path, problem.message, line, column + problem.offset))
        values = meaning.values
        if meaning.random_ranges:
            picks = set(values)
            for number, (low, high) in enumerate(meaning.random_ranges):
                picked = pick_random(
                    low, high, zlib.crc32(f"{seed_text}:{index}:{number}".encode())
                )
                picks.add(0 if kind is FieldKind.DAY_OF_WEEK and picked == 7 else picked)
            values = frozenset(picks)
        span = Span(line, column, line, column + len(word))
        fields.append(CronField(kind, word, values, word[0] == "*", span, meaning.random_ranges))
    if problems:
        return None, problems, warnings
    first, last = words[0], words[-1]
    text = " ".join(word for word, _ in words)
    span = Span(line, offset + first[1] + 1, line, offset + last[1] + len(last[0]) + 1)
    return Schedule(text, None, tuple(fields), timezone, span), problems, warnings


def _check_zone(name: str, path: str, line: int | None, column: int | None) -> Diagnostic | None:
    if is_zone_name(name):
        return None
    if line is None:  # the --tz of `explain EXPR`
        raise InputError([Diagnostic(path, zone_problem(name))])
    message = f"CRON_TZ={zone_problem(name)}; cronie would silently use UTC"
    return Diagnostic(path, message, line, column)


# ---- the whole file --------------------------------------------------------------------------------


# the line callbacks keep one file's reading while Lark parses it: one file at a time
_PARSE_LOCK = threading.Lock()


class _Reader:
    def __init__(
        self, text: str, path: str, system: bool, dialect: Dialect, warnings: list[Diagnostic]
    ) -> None:
        self.text = text
        self.path = path
        self.system = system
        self.dialect = dialect
        self.warnings = list(warnings)
        self.start = "system_crontab" if system else "user_crontab"
        self.partial_entries: tuple[CronEntry, ...] = ()

    def read(self) -> CronTab:
        with collector_paused():
            return self._read()

    def _read(self) -> CronTab:
        errors: list[Diagnostic] = []
        with _PARSE_LOCK:
            try:
                lines, pieces = self._parse(self.text)
            except UnexpectedInput:
                errors, good_text = self._line_by_line()
                lines, pieces = self._parse(good_text)
        errors.extend(lines.errors)
        self.warnings.extend(lines.warnings)
        crontab = self._assemble(pieces, errors)
        self.partial_entries = crontab.entries
        if errors:
            errors.sort(key=lambda d: (d.line or 0, d.column or 0))
            raise InputError(errors)
        return crontab

    def _parse(self, text: str) -> tuple[_LinesToModel, list]:
        """The pieces of each line of `text`, made as Lark parses it (no tree of the whole file)."""
        lines = _LinesToModel(self.path, self.dialect, self.system)
        rules = line_rules()
        rules.reader = lines
        try:
            return lines, crontab_parser().parse(text, start=self.start).children
        finally:
            rules.reader = None

    def _line_by_line(self) -> tuple[list[Diagnostic], str]:
        """Find every line that does not parse; return their errors and the text with them blanked."""
        parser = crontab_parser()
        errors: list[Diagnostic] = []
        lines = self.text.split("\n")[:-1]
        for number, line in enumerate(lines, start=1):
            try:
                parser.parse(line + "\n", start=self.start)
            except UnexpectedInput as error:
                column, message = _explain_bad_line(line, self.system, error)
                errors.append(Diagnostic(self.path, message, number, column))
                lines[number - 1] = ""
        return errors, "\n".join(lines) + "\n"

    def _assemble(self, pieces: list, errors: list[Diagnostic]) -> CronTab:
        entries: list[CronEntry] = []
        environment: list[EnvAssignment] = []
        comments: list[Comment] = []
        blank_lines: list[int] = []
        block: list[Comment] = []
        timezone: str | None = None
        random_delay: str | None = None
        pairs: list[tuple[str, str]] = []  # every assignment so far, shared by the entries
        in_effect = Environment()
        for piece in pieces:
            if isinstance(piece, _Blank):
                blank_lines.append(piece.line)
                block = []
            elif isinstance(piece, Comment):
                comments.append(piece)
                block.append(piece)
            elif isinstance(piece, _Env):
                block = []
                assignment = piece.assignment
                if assignment is None:
                    continue
                environment.append(assignment)
                pairs.append((assignment.name, assignment.value))
                in_effect = Environment(pairs, len(pairs))
                timezone = self._zone_from(assignment, timezone, errors)
                if assignment.name == "RANDOM_DELAY":
                    random_delay = self._check_random_delay(assignment)
            elif isinstance(piece, _Job):
                entry = piece.entry
                comment_texts = tuple(c.text for c in block)
                block = []
                if entry is None:
                    continue
                schedule = entry.schedule
                if timezone is not None:
                    schedule = Schedule(
                        schedule.text, schedule.macro, schedule.fields, timezone, schedule.span
                    )
                entries.append(
                    CronEntry(
                        schedule=schedule,
                        user=entry.user,
                        raw_command=entry.raw_command,
                        command=entry.command,
                        stdin=entry.stdin,
                        comments=comment_texts,
                        environment=in_effect,
                        span=entry.span,
                        no_log=entry.no_log,
                        mail_only_on_error=entry.mail_only_on_error,
                    )
                )
        del random_delay
        return CronTab(
            path=self.path,
            system=self.system,
            dialect=self.dialect,
            entries=tuple(entries),
            environment=tuple(environment),
            comments=tuple(comments),
            blank_lines=tuple(blank_lines),
            warnings=tuple(sorted(self.warnings, key=lambda d: (d.line or 0, d.column or 0))),
        )

    def _zone_from(
        self, assignment: EnvAssignment, current: str | None, errors: list[Diagnostic]
    ) -> str | None:
        line, column = assignment.span.line, assignment.span.column
        if assignment.name == "TZ":
            self.warnings.append(
                Diagnostic(
                    self.path,
                    "TZ changes only the environment of the commands below; cron still schedules them "
                    "in its own time zone"
                    + (" (cronie: use CRON_TZ)" if self.dialect is Dialect.CRONIE else ""),
                    line,
                    column,
                )
            )
            return current
        if assignment.name != "CRON_TZ":
            return current
        if self.dialect is not Dialect.CRONIE:
            self.warnings.append(
                Diagnostic(
                    self.path,
                    f"{self.dialect} cron ignores CRON_TZ: the jobs below run in cron's own time zone "
                    "(cronie honours it: --dialect cronie)",
                    line,
                    column,
                )
            )
            return current
        if assignment.value == "":
            return None
        problem = _check_zone(assignment.value, self.path, line, column)
        if problem is not None:
            errors.append(problem)
            return current
        return assignment.value

    def _check_random_delay(self, assignment: EnvAssignment) -> str | None:
        line, column = assignment.span.line, assignment.span.column
        if self.dialect is not Dialect.CRONIE:
            self.warnings.append(
                Diagnostic(self.path, f"{self.dialect} cron ignores RANDOM_DELAY", line, column)
            )
            return None
        if read_number(assignment.value, 24 * 60) is None:
            self.warnings.append(
                Diagnostic(
                    self.path,
                    f"cronie ignores RANDOM_DELAY={shorten(assignment.value)}: it must be a whole number of "
                    "minutes from 0 to 1440",
                    line,
                    column,
                )
            )
            return None
        return assignment.value


def _explain_bad_line(line: str, system: bool, error: UnexpectedInput) -> tuple[int, str]:
    """A message for a line the grammar rejects, saying what cron expected there."""
    stripped = line.lstrip(" \t")
    indent = len(line) - len(stripped)
    end = len(line) + 1
    words = [(m.group(), m.start() + 1) for m in _WORD.finditer(line)]
    first = stripped.split(None, 1)[0] if stripped.split() else ""
    if "=" in first or (words and len(words) > 1 and words[1][0].startswith("=")):
        return indent + 1, (
            "not a valid environment assignment (a quote is not closed, or text follows the closing "
            "quote) and not a job line"
        )
    body = stripped.removeprefix("-")
    after = "after the user name" if system else "after the schedule"
    if body.startswith("@"):
        count = len(words)
        if system and count < 2:
            return end, f"expected a user name and a command after {words[0][0].lstrip('-')}"
        return end, f"expected a command {after if system else 'after ' + words[0][0].lstrip('-')}"
    count = len(words)
    if count < 5:
        found = "only 1 field" if count == 1 else f"only {count} fields"
        return end, (
            f"expected 5 time fields (minute hour day-of-month month day-of-week) and a command, "
            f"found {found}"
        )
    if count == 5:
        return end, "expected a user name and a command after the 5 time fields" if system else (
            "expected a command after the 5 time fields"
        )
    if system and count == 6:
        return end, "expected a command after the user name"
    column = getattr(error, "column", None) or indent + 1
    return (
        column,
        f"cannot read this line as a job, an assignment or a comment ({FIELD_LABELS[FieldKind.MINUTE]} expected)",
    )
