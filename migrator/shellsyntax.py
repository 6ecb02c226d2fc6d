"""Just enough of the POSIX shell grammar to find command substitutions and read simple commands.

This is not a shell parser. It finds `$(...)` and backquoted substitutions where the shell would
expand them (unquoted or inside double quotes, never inside single quotes or comments) and splits a
substitution body into words when it is one simple command. Whenever the text is more than that
(operators, unterminated quotes, `case` patterns), it says so and the caller leaves the text alone:
rewriting nothing is always safe, rewriting wrongly is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

_OPERATOR_CHARS = set(";&|<>()")
_WORD_BREAK = set(" \t;&|()<>")


@dataclass(frozen=True)
class Substitution:
    """A command substitution at `start:end` of the scanned text (end exclusive)."""

    start: int
    end: int
    body: str
    body_start: int  # offset of `body` in the scanned text
    backquoted: bool
    in_double_quotes: bool


@dataclass(frozen=True)
class Word:
    value: str  # after quote removal
    # True when part of the word is expanded by the shell ($, backquote, glob, tilde, braces),
    # so `value` is not what the command will see
    expands: bool


def find_substitutions(text: str) -> list[Substitution]:
    """Command substitutions the shell would expand, outermost first, in text order.

    Stops at the first construct it cannot follow (returns what it found before it).
    """
    found: list[Substitution] = []
    i, n = 0, len(text)
    in_double = False
    while i < n:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == '"':
            in_double = not in_double
            i += 1
            continue
        if not in_double:
            if char == "'":
                close = text.find("'", i + 1)
                if close == -1:
                    return found
                i = close + 1
                continue
            if text.startswith("$'", i):
                close = _ansi_c_end(text, i + 2)
                if close is None:
                    return found
                i = close + 1
                continue
            if char == "#" and (i == 0 or text[i - 1] in " \t\n;&|("):
                return found  # the rest of the line is a comment
        if text.startswith("$((", i):
            close = _matching_paren(text, i + 3, depth=2)
            if close is None:
                return found
            i = close + 1
            continue
        if text.startswith("${", i):
            close = text.find("}", i + 2)
            if close == -1:
                return found
            i = close + 1
            continue
        if text.startswith("$(", i):
            close = _matching_paren(text, i + 2)
            if close is None:
                return found
            found.append(Substitution(i, close + 1, text[i + 2 : close], i + 2, False, in_double))
            i = close + 1
            continue
        if char == "`":
            close = _backquote_end(text, i + 1)
            if close is None:
                return found
            found.append(Substitution(i, close + 1, text[i + 1 : close], i + 1, True, in_double))
            i = close + 1
            continue
        i += 1
    return found


def _ansi_c_end(text: str, i: int) -> int | None:
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "'":
            return i
        i += 1
    return None


def _backquote_end(text: str, i: int) -> int | None:
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "`":
            return i
        i += 1
    return None


def _matching_paren(text: str, i: int, depth: int = 1) -> int | None:
    """Index of the `)` that closes a `$(` (or `$((` with depth=2) whose body starts at `i`."""
    in_double = False
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == '"':
            in_double = not in_double
        elif not in_double and char == "'":
            close = text.find("'", i + 1)
            if close == -1:
                return None
            i = close
        elif char == "`":
            close = _backquote_end(text, i + 1)
            if close is None:
                return None
            i = close
        elif text.startswith("$(", i):
            close = _matching_paren(text, i + 2)
            if close is None:
                return None
            i = close
        elif not in_double and char == "(":
            depth += 1
        elif not in_double and char == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def simple_command_words(text: str) -> list[Word] | None:
    """The words of `text` if it is one simple command (no operators), else None."""
    words: list[Word] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            break
        if text[i] in _OPERATOR_CHARS or text[i] == "\n" or text[i] == "#":
            return None
        value: list[str] = []
        expands = False
        while i < n and text[i] not in _WORD_BREAK and text[i] != "\n":
            char = text[i]
            if char == "\\":
                if i + 1 >= n:
                    return None
                value.append(text[i + 1])
                i += 2
            elif char == "'":
                close = text.find("'", i + 1)
                if close == -1:
                    return None
                value.append(text[i + 1 : close])
                i = close + 1
            elif char == '"':
                close = i + 1
                while close < n and text[close] != '"':
                    if text[close] in "\\$`":
                        expands = True
                    close += 1
                if close >= n:
                    return None
                value.append(text[i + 1 : close])
                i = close + 1
            else:
                if char in "$`*?[{}~":
                    expands = True
                value.append(char)
                i += 1
        words.append(Word("".join(value), expands))
    return words


def single_quote(text: str) -> str:
    """`text` as one shell word that the shell reads back unchanged."""
    return "'" + text.replace("'", "'\\''") + "'"


# ---- simple commands with the position of every word ------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """A run of one word: what it adds to the word's value, and where that is written."""

    start: int  # inside any quotes: the characters that give `text`
    end: int
    text: str
    # `text` is exactly what is written at start:end (no quote or escape inside), so the characters
    # there can be replaced by other text that renders to `text`
    exact: bool
    expands: bool = (
        False  # a parameter or command substitution: `text` is its source, not its value
    )


@dataclass(frozen=True)
class SpannedWord:
    pieces: tuple[Piece, ...]
    start: int  # the whole word as written, quotes included
    end: int

    @cached_property  # read by every rule of the secrets detector: joined once
    def value(self) -> str:
        """The word after quote removal (expansions left as written)."""
        return "".join(p.text for p in self.pieces)

    @property
    def expands(self) -> bool:
        return any(p.expands for p in self.pieces)

    def span_of(self, offset: int, length: int) -> tuple[int, int] | None:
        """Where `value[offset:offset + length]` is written, when it is written as is.

        None when that part of the value comes from more than one piece, an escape or an expansion.
        """
        position = 0
        for piece in self.pieces:
            if position <= offset and offset + length <= position + len(piece.text):
                if not piece.exact or piece.expands:
                    return None
                start = piece.start + offset - position
                return start, start + length
            position += len(piece.text)
        return None


@dataclass(frozen=True)
class SpannedCommand:
    """One simple command: its words in order (redirection operators and targets left out)."""

    words: tuple[SpannedWord, ...]


_SEPARATORS = frozenset(";&|()\n")
_PLAIN_STOP = frozenset(" \t;&|()<>\n\\'\"$`")
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _NAME_START | frozenset("0123456789")
_SPECIAL_PARAMETERS = frozenset("0123456789@*#?$!-")


def spanned_commands(text: str, offset: int = 0) -> list[SpannedCommand]:
    """The simple commands of a command line with the position of each word's characters.

    Lists, pipelines and subshells are split into their simple commands; the bodies of `$(...)` and
    backquotes are read as commands too (after the command they are part of). A comment ends the
    scan. Text the shell would reject (an unclosed quote) is read up to the end of the line.
    """
    scanner = _Scanner(text, offset)
    scanner.run()
    return scanner.commands


class _Scanner:
    def __init__(self, text: str, offset: int) -> None:
        self.text = text
        self.offset = offset
        self.commands: list[SpannedCommand] = []
        self.nested: list[SpannedCommand] = []
        self.words: list[SpannedWord] = []
        self.pieces: list[Piece] = []
        self.word_start = 0
        self.word_end = 0
        self.redirect_target = False

    def run(self) -> None:
        text, i, n = self.text, 0, len(self.text)
        while i < n:
            char = text[i]
            if char in " \t":
                self._end_word()
                i += 1
            elif char in _SEPARATORS:
                self._end_command()
                i += 1
            elif char in "<>":
                i = self._redirection(i)
            elif char == "#" and not self.pieces:
                break
            elif char == "\\" and text.startswith("\n", i + 1):
                i += 2  # a line continuation: the shell removes it, the word goes on
                continue
            elif char == "\\":
                self._start(i)
                if i + 1 < n:
                    self._piece(i + 1, i + 2, text[i + 1], exact=False)
                i += 2
            elif char == "'":
                self._start(i)
                close = text.find("'", i + 1)
                close = n if close == -1 else close
                self._piece(i + 1, close, text[i + 1 : close], exact=True)
                i = close + 1
            elif char == '"':
                self._start(i)
                i = self._double_quoted(i + 1)
            elif char in "$`":
                self._start(i)
                i = self._expansion(i)
            else:
                self._start(i)
                j = i
                while j < n and text[j] not in _PLAIN_STOP:
                    j += 1
                self._piece(i, j, text[i:j], exact=True)
                i = j
            if self.pieces:
                self.word_end = min(i, n)
        self._end_command()
        self.commands.extend(self.nested)

    # -- words ---------------------------------------------------------------------------------

    def _start(self, i: int) -> None:
        if not self.pieces:
            self.word_start = i

    def _piece(self, start: int, end: int, text: str, exact: bool, expands: bool = False) -> None:
        base = self.offset
        self.pieces.append(Piece(base + start, base + end, text, exact, expands))

    def _end_word(self) -> None:
        if not self.pieces:
            return
        base = self.offset
        word = SpannedWord(tuple(self.pieces), base + self.word_start, base + self.word_end)
        self.pieces = []
        if self.redirect_target:
            self.redirect_target = False
        else:
            self.words.append(word)

    def _end_command(self) -> None:
        self._end_word()
        if self.words:
            self.commands.append(SpannedCommand(tuple(self.words)))
        self.words = []
        self.redirect_target = False

    def _redirection(self, i: int) -> int:
        if self.pieces and all(p.exact and p.text.isdigit() for p in self.pieces):
            self.pieces = []  # `2>`: the digits name a descriptor, they are not a word
        else:
            self._end_word()
        n = len(self.text)
        while i < n and self.text[i] in "<>&|-":
            i += 1
        self.redirect_target = True
        return i

    # -- quotes and expansions ---------------------------------------------------------------------

    def _double_quoted(self, i: int) -> int:
        text, n = self.text, len(self.text)
        run = i
        while i < n and text[i] != '"':
            char = text[i]
            if char == "\\" and text.startswith("\n", i + 1):
                self._flush(run, i)  # a line continuation, removed inside double quotes too
                i += 2
                run = i
            elif char == "\\" and i + 1 < n and text[i + 1] in '"\\$`':
                self._flush(run, i)
                self._piece(i + 1, i + 2, text[i + 1], exact=False)
                i += 2
                run = i
            elif char in "$`":
                self._flush(run, i)
                i = self._expansion(i)
                run = i
            else:
                i += 1
        self._flush(run, i, allow_empty=run == i and not self.pieces)
        return i + 1

    def _flush(self, start: int, end: int, allow_empty: bool = False) -> None:
        if end > start or allow_empty:
            self._piece(start, end, self.text[start:end], exact=True)

    def _expansion(self, i: int) -> int:
        """A `$...` or backquote at `i`: one expanding piece (a lone `$` is a literal character)."""
        text, n = self.text, len(self.text)
        if text[i] == "`":
            end = _backquote_end(text, i + 1)
            end = n if end is None else end + 1
            self._nested(text[i + 1 : end - 1], i + 1)
        elif text.startswith("$'", i):
            end = _ansi_c_end(text, i + 2)
            end = n if end is None else end + 1
            self._piece(i + 2, end - 1, text[i + 2 : end - 1], exact=False)
            return end
        elif text.startswith("$(", i):
            depth = 2 if text.startswith("$((", i) else 1
            close = _matching_paren(text, i + 1 + depth, depth=depth)
            end = n if close is None else close + 1
            if depth == 1:
                self._nested(text[i + 2 : end - 1], i + 2)
        elif text.startswith("${", i):
            close = text.find("}", i + 2)
            end = n if close == -1 else close + 1
        elif i + 1 < n and text[i + 1] in _NAME_START:
            end = i + 2
            while end < n and text[end] in _NAME_CHARS:
                end += 1
        elif i + 1 < n and text[i + 1] in _SPECIAL_PARAMETERS:
            end = i + 2
        else:
            self._piece(i, i + 1, "$", exact=True)
            return i + 1
        self._piece(i, end, text[i:end], exact=True, expands=True)
        return end

    def _nested(self, body: str, start: int) -> None:
        self.nested.extend(spanned_commands(body, self.offset + start))
