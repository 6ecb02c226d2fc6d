"""One time field: from its text to the set of values cron allows, as cronie, Debian's cron and Vixie cron do.

The syntax is the `field` rule of `crontab.lark`; this module gives it meaning (bounds, names, steps, the
dialect rules) and reports every problem with its offset in the field. Results are memoised: a crontab
repeats the same few field texts, and parsing each once is what keeps a 10,000-line file fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from migrator.crontab.grammar import crontab_parser
from migrator.crontab.model import FIELD_BOUNDS, Dialect, FieldKind

FIELD_LABELS: dict[FieldKind, str] = {
    FieldKind.MINUTE: "minute",
    FieldKind.HOUR: "hour",
    FieldKind.DAY_OF_MONTH: "day-of-month",
    FieldKind.MONTH: "month",
    FieldKind.DAY_OF_WEEK: "day-of-week",
}

MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

# What cron's neighbours accept and cron does not: named so the error can say where the text came from.
_FOREIGN_SYNTAX = {
    "?": "'?' is Quartz/croniter syntax for 'any', not cron's; write '*'",
    "L": "'L' (last) is Quartz/croniter syntax, not cron's",
    "W": "'W' (nearest weekday) is Quartz syntax, not cron's",
    "#": "'#' (nth weekday) is Quartz/croniter syntax, not cron's",
}

_TERMINAL_WORDS = {
    "NUMBER": "a number",
    "NAME": "a name",
    "STAR": "'*'",
    "DASH": "'-'",
    "SLASH": "'/'",
    "TILDE": "'~'",
    "COMMA": "','",
    "$END": "the end of the field",
}


@dataclass(frozen=True)
class FieldProblem:
    offset: int  # 0-based, in the field text
    message: str


@dataclass(frozen=True)
class FieldMeaning:
    """What a field text means before cronie's random picks are made."""

    values: frozenset[int]
    random_ranges: tuple[tuple[int, int], ...]
    errors: tuple[FieldProblem, ...]
    warnings: tuple[FieldProblem, ...]


def read_number(digits: str, limit: int) -> int | None:
    """The value of the ASCII decimal text `digits`, or None when it is not one or exceeds `limit`.

    Text from a file is never handed to `int()` whole: Python refuses to convert more than 4,300
    digits (ValueError), and a huge number is out of every range cron knows anyway.
    """
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    significant = digits.lstrip("0") or "0"
    if len(significant) > len(str(limit)):
        return None
    value = int(significant)
    return value if value <= limit else None


def shorten(text: str, width: int = 40) -> str:
    """`text` cut to `width` characters for a message (a field can be thousands of characters long)."""
    return text if len(text) <= width else text[: width - 3] + "..."


def pick_random(low: int, high: int, seed: int) -> int:
    """The value cron2dag uses for cronie's `low~high`: stable for the same line, spread like cronie's."""
    return low + seed % (high - low + 1)


@lru_cache(maxsize=4096)
def evaluate_field(kind: FieldKind, text: str, dialect: Dialect) -> FieldMeaning:
    label = FIELD_LABELS[kind]
    try:
        tree = crontab_parser().parse(text, start="field")
    except UnexpectedInput as error:
        return FieldMeaning(frozenset(), (), (_syntax_problem(label, text, error),), ())
    return _Evaluator(kind, text, dialect).run(tree)


def _syntax_problem(label: str, text: str, error: UnexpectedInput) -> FieldProblem:
    shown = shorten(text)
    if isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    ):
        expected = _expected_words(error)
        return FieldProblem(
            len(text), f"bad {label} '{shown}': it ends too early; expected {expected}"
        )
    offset = max(0, (error.column or 1) - 1)
    char = text[offset] if offset < len(text) else ""
    if isinstance(error, UnexpectedToken):
        found = f"'{shorten(str(error.token.value))}'"
    else:
        found = f"'{char}'"
    hint = _FOREIGN_SYNTAX.get(char.upper() if char.isalpha() else char)
    if hint is None and isinstance(error, UnexpectedToken) and error.token.type == "NAME":
        hint = _FOREIGN_SYNTAX.get(str(error.token.value)[:1].upper())
    message = f"bad {label} '{shown}': unexpected {found}"
    if isinstance(error, (UnexpectedToken, UnexpectedCharacters)):
        message += f"; expected {_expected_words(error)}"
    if hint:
        message += f" ({hint})"
    return FieldProblem(offset, message)


def _expected_words(error: UnexpectedInput) -> str:
    names: set[str] = set()
    if isinstance(error, UnexpectedToken):
        names = set(error.expected)
    elif isinstance(error, UnexpectedCharacters):
        names = set(error.allowed or ())
    elif isinstance(error, UnexpectedEOF):
        names = set(error.expected)
    words = sorted({_TERMINAL_WORDS.get(n, n.lower()) for n in names})
    if not words:
        return "a number, a range or '*'"
    return ", ".join(words[:-1]) + (" or " if len(words) > 1 else "") + words[-1]


# a step larger than every field's range still matches the range's first value (with a warning)
_LARGEST_STEP = 10**6


class _Evaluator:
    def __init__(self, kind: FieldKind, text: str, dialect: Dialect) -> None:
        self.kind = kind
        self.text = shorten(text)
        self.dialect = dialect
        self.label = FIELD_LABELS[kind]
        self.low, self.high = FIELD_BOUNDS[kind]
        self.names = (
            MONTH_NAMES
            if kind is FieldKind.MONTH
            else DOW_NAMES
            if kind is FieldKind.DAY_OF_WEEK
            else ()
        )
        self.errors: list[FieldProblem] = []
        self.warnings: list[FieldProblem] = []

    def run(self, tree: Tree) -> FieldMeaning:
        values: set[int] = set()
        randoms: list[tuple[int, int]] = []
        for item in tree.children:
            if isinstance(item, Tree):
                handler = getattr(self, f"_{item.data}")
                handler(item.children, values, randoms)
        if self.kind is FieldKind.DAY_OF_WEEK and 7 in values:
            values.discard(7)
            values.add(0)
        return FieldMeaning(
            frozenset(values), tuple(randoms), tuple(self.errors), tuple(self.warnings)
        )

    # -- items --------------------------------------------------------------------------------------

    def _star(self, children: list, values: set[int], randoms: list) -> None:
        star = children[0]
        step = self._step(children[1], self.high - self.low) if len(children) > 1 else 1
        if step:
            values.update(range(self.low, self.high + 1, step))
        del star, randoms

    def _single(self, children: list, values: set[int], randoms: list) -> None:
        token = children[0]
        value = self._value(token)
        if len(children) > 1:
            step_token = children[1].children[1]
            self._error(
                token,
                f"bad {self.label} '{self.text}': a step needs a range, '{token}/{step_token}' has none; "
                f"write '{token}-{self.high}/{step_token}' (croniter and Airflow read it that way, "
                "cron rejects the line)",
            )
            return
        if value is not None:
            values.add(value)
        del randoms

    def _range(self, children: list, values: set[int], randoms: list) -> None:
        first, _dash, second = children[0], children[1], children[2]
        low = self._value(first)
        high = self._value(second)
        step = 1
        if len(children) > 3:
            if low is not None and high is not None:
                step = self._step(children[3], abs(high - low)) or 0
            else:
                step = self._step(children[3], self.high - self.low) or 0
        if low is None or high is None or not step:
            return
        if low > high:
            if self.kind is FieldKind.DAY_OF_WEEK and high == 0 and self.dialect is Dialect.CRONIE:
                # cronie reads `5-0` in day-of-week as 5-7 (Friday to Sunday); Debian reads an empty range.
                high = 7
            else:
                self._error(first, self._reversed_message(first, second, low, high))
                return
        values.update(range(low, high + 1, step))
        del randoms

    def _random(self, children: list, values: set[int], randoms: list) -> None:
        tokens = [c for c in children if isinstance(c, Token)]
        tilde_index = next(i for i, t in enumerate(tokens) if t.type == "TILDE")
        tilde = tokens[tilde_index]
        if self.dialect is not Dialect.CRONIE:
            self._error(
                tokens[0],
                f"bad {self.label} '{self.text}': '~' (a random value) is cronie syntax; "
                f"{self.dialect} cron rejects it (use --dialect cronie)",
            )
            return
        before = tokens[:tilde_index]
        after = tokens[tilde_index + 1 :]
        low = self._value(before[0]) if before else self.low
        high = self._value(after[0]) if after else self.high
        if low is None or high is None:
            return
        if self.kind is FieldKind.DAY_OF_WEEK:
            low, high = min(low, 7), min(high, 7)
        if low > high:
            self._error(
                tilde, f"bad {self.label} '{self.text}': random range {low}~{high} is reversed"
            )
            return
        randoms.append((low, high))
        del values

    # -- pieces -------------------------------------------------------------------------------------

    def _value(self, token: Token) -> int | None:
        if token.type == "NUMBER":
            number = read_number(str(token), self.high)
            if number is None or number < self.low:
                self._error(
                    token,
                    f"bad {self.label} '{self.text}': {shorten(str(token))} is out of range "
                    f"{self.low}-{self.high}"
                    + (" (0 or 7 is Sunday)" if self.kind is FieldKind.DAY_OF_WEEK else ""),
                )
                return None
            return number
        name = str(token).lower()
        hint = _FOREIGN_SYNTAX.get(str(token).upper()[:1]) if len(token) <= 2 else None
        hint = f" ({hint})" if hint and str(token).upper() in ("L", "W", "LW") else ""
        if not self.names:
            self._error(
                token,
                f"bad {self.label} '{self.text}': names are allowed only in the month and "
                f"day-of-week fields, not '{token}'{hint}",
            )
            return None
        if name not in self.names:
            choices = ", ".join(n.capitalize() for n in self.names)
            self._error(
                token,
                f"bad {self.label} '{self.text}': unknown name '{token}'; expected one of {choices} "
                f"(three letters, any case){hint}",
            )
            return None
        index = self.names.index(name)
        return index + 1 if self.kind is FieldKind.MONTH else index

    def _step(self, step: Tree, span_width: int) -> int | None:
        token = step.children[1]
        if token.type != "NUMBER":
            self._error(
                token, f"bad {self.label} '{self.text}': a step must be a number, not '{token}'"
            )
            return None
        number = read_number(str(token), _LARGEST_STEP)
        if number is None:
            self._error(
                token,
                f"bad {self.label} '{self.text}': step {shorten(str(token))} is larger than any "
                "range",
            )
            return None
        if number == 0:
            self._error(token, f"bad {self.label} '{self.text}': a step of 0 is not allowed")
            return None
        if number > span_width > 0:
            self.warnings.append(
                FieldProblem(
                    token.start_pos or 0,
                    f"{self.label} '{self.text}': step {number} is larger than the range, "
                    "so only its first value matches",
                )
            )
        return number

    def _reversed_message(self, first: Token, second: Token, low: int, high: int) -> str:
        text = f"{first}-{second}"
        message = f"bad {self.label} '{self.text}': range {text} is reversed ({low} > {high})"
        if high == 0 and self.kind is FieldKind.DAY_OF_WEEK:
            message += (
                f"; {self.dialect} cron reads it as no days at all, cronie as {low}-7; "
                f"write {low}-7 or use --dialect cronie"
            )
        elif high == 0:
            message += f"; cronie would read it as {low}-7, Debian's cron as empty"
        else:
            message += "; cron reads it as empty (or rejects it), croniter as a wrap-around range"
        return message

    def _error(self, token: Token, message: str) -> None:
        self.errors.append(FieldProblem(token.start_pos or 0, message))
