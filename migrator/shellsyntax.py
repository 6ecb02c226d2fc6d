"""Just enough of the POSIX shell grammar to find command substitutions and read simple commands.

This is not a shell parser. It finds `$(...)` and backquoted substitutions where the shell would
expand them (unquoted or inside double quotes, never inside single quotes or comments) and splits a
substitution body into words when it is one simple command. Whenever the text is more than that
(operators, unterminated quotes, `case` patterns), it says so and the caller leaves the text alone:
rewriting nothing is always safe, rewriting wrongly is not.
"""

from __future__ import annotations

from dataclasses import dataclass

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
