"""The value of one shell word as a sensor would need it: literal text and logical-date expressions.

`[ -f "/data/in/$(date +%F)/_SUCCESS" ]` tests the path the shell builds from that word. A sensor can
wait for the same path only when every part of the word is known before the job runs: literal text,
variables the crontab sets, `~` when the crontab sets HOME, and `date` substitutions (which become
templates of the run's logical date, see `migrator.codegen.dates`). Anything else (a variable set by
the job's own shell, another command substitution, arithmetic, brace expansion) is refused with the
reason, and the caller leaves the command alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from migrator.codegen.dates import Expression, Literal, Segment, rewrite_dates
from migrator.shellsyntax import _backquote_end, _matching_paren

_GLOB = frozenset("*?[")
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _NAME_START | frozenset("0123456789")


@dataclass(frozen=True)
class WordValue:
    segments: tuple[Segment, ...]
    # an unquoted `*`, `?` or `[`: the shell would match the word against files
    glob: bool = False

    @property
    def literal(self) -> str | None:
        """The value when it holds no date expression."""
        if any(isinstance(s, Expression) for s in self.segments):
            return None
        return "".join(s.text for s in self.segments if isinstance(s, Literal))

    @property
    def literal_prefix(self) -> str:
        """The literal text before the first date expression."""
        out = []
        for segment in self.segments:
            if isinstance(segment, Expression):
                break
            out.append(segment.text)
        return "".join(out)

    @property
    def literal_text(self) -> str:
        """Every literal part (to look for characters that mean something to a matcher)."""
        return "".join(s.text for s in self.segments if isinstance(s, Literal))

    def display(self) -> str:
        """The value with each date expression shown as the shell text it replaces."""
        return "".join(s.text if isinstance(s, Literal) else s.original for s in self.segments)

    def with_prefix(self, prefix: str) -> WordValue:
        return WordValue(merge((Literal(prefix), *self.segments)), self.glob)

    def without_prefix(self, count: int) -> WordValue:
        """The value less its first `count` literal characters (they must be literal)."""
        first = self.segments[0]
        assert isinstance(first, Literal) and len(first.text) >= count
        rest = (Literal(first.text[count:]), *self.segments[1:])
        return WordValue(merge(rest), self.glob)


@dataclass(frozen=True)
class Refusal:
    reason: str


def merge(segments: tuple[Segment, ...] | list[Segment]) -> tuple[Segment, ...]:
    out: list[Segment] = []
    for segment in segments:
        if isinstance(segment, Literal):
            if not segment.text:
                continue
            if out and isinstance(out[-1], Literal):
                out[-1] = Literal(out[-1].text + segment.text)
                continue
        out.append(segment)
    return tuple(out)


def evaluate_word(
    raw: str, env: Mapping[str, str], timezone: str, offset: timedelta = timedelta(0)
) -> WordValue | Refusal:
    """What the shell makes of the word `raw` (as written) when the job starts, or why that is unknown."""
    segments: list[Segment] = []
    buffer: list[str] = []
    glob = False
    quote: str | None = None
    i, n = 0, len(raw)

    def flush() -> None:
        if buffer:
            segments.append(Literal("".join(buffer)))
            buffer.clear()

    if raw.startswith("~"):
        end = raw.find("/")
        user = raw[1:] if end == -1 else raw[1:end]
        if user:
            return Refusal(f"`~{user}` is another account's home directory")
        home = env.get("HOME")
        if not home:
            return Refusal("`~` is the job owner's home directory, which the crontab does not set")
        buffer.append(home)
        i = 1
    while i < n:
        char = raw[i]
        if quote == "'":
            if char == "'":
                quote = None
            else:
                buffer.append(char)
            i += 1
            continue
        if char == "\\":
            if i + 1 >= n:
                return Refusal("the word ends in a backslash")
            following = raw[i + 1]
            if quote == '"' and following not in '$`"\\\n':
                buffer.append("\\")
            if following != "\n":
                buffer.append(following)
            i += 2
            continue
        if char == "'" and quote is None:
            quote = "'"
            i += 1
            continue
        if char == '"':
            quote = None if quote == '"' else '"'
            i += 1
            continue
        if char == "`" or raw.startswith("$(", i):
            if raw.startswith("$((", i):
                return Refusal("it computes part of the path with shell arithmetic")
            end = _backquote_end(raw, i + 1) if char == "`" else _matching_paren(raw, i + 2)
            if end is None:
                return Refusal("an unterminated command substitution")
            expression = _date_expression(raw[i : end + 1], quote == '"', timezone, offset)
            if isinstance(expression, Refusal):
                return expression
            flush()
            segments.append(expression)
            i = end + 1
            continue
        if char == "$":
            value = _variable(raw, i, env)
            if isinstance(value, Refusal):
                return value
            text, i = value
            buffer.append(text)
            continue
        if quote is None and char in _GLOB:
            glob = True
        if quote is None and char == "{" and ("," in raw[i:] or ".." in raw[i:]):
            return Refusal("it uses brace expansion")
        buffer.append(char)
        i += 1
    if quote is not None:
        return Refusal("an unterminated quote")
    flush()
    return WordValue(merge(segments), glob)


def _date_expression(
    text: str, double_quoted: bool, timezone: str, offset: timedelta
) -> Expression | Refusal:
    quoted = f'"{text}"' if double_quoted else text
    rewritten = rewrite_dates(quoted, timezone, offset)
    expressions = [s for s in rewritten.segments if isinstance(s, Expression)]
    others = [s for s in rewritten.segments if isinstance(s, Literal) and s.text not in ('"', '""')]
    if len(expressions) == 1 and not others:
        return expressions[0]
    reason = rewritten.kept[0].reason if rewritten.kept else "it is not a `date` call"
    return Refusal(f"`{text}` is computed by the job's shell ({reason})")


def _variable(raw: str, i: int, env: Mapping[str, str]) -> tuple[str, int] | Refusal:
    """The value of `$NAME` or `${NAME}` at `raw[i]` and where it ends, from the crontab's variables."""
    if raw.startswith("${", i):
        end = raw.find("}", i + 2)
        name = raw[i + 2 : end] if end != -1 else ""
        if not name or not all(c in _NAME_CHARS for c in name) or name[0] not in _NAME_START:
            return Refusal(f"`{raw[i : end + 1]}` is expanded by the job's shell")
        after = end + 1
    else:
        j = i + 1
        while j < len(raw) and raw[j] in _NAME_CHARS:
            j += 1
        name = raw[i + 1 : j]
        if not name or name[0] not in _NAME_START:
            if not name and (i + 1 >= len(raw) or raw[i + 1] in "\"' /"):
                return ("$", i + 1)  # a lone `$` is literal
            return Refusal(f"`${raw[i + 1 : i + 2]}` is set by the job's shell")
        after = j
    if name not in env:
        return Refusal(f"${name} is not set in the crontab")
    return (env[name], after)
