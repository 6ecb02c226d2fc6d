"""The structure of a one-line shell command: lists, and-or chains, pipelines, compound commands.

Enough of the POSIX grammar to read the idioms cron lines are made of (`[ -f X ] && cmd`,
`if ...; then ...; fi`, `while ...; do ...; done; cmd`) with the exact text span of every part, so
a caller can cut a command into pieces and hand the rest on unchanged. Words keep their raw text;
`$(...)`, backquotes, `${...}` and quotes stay inside the word they belong to.

Whenever the text is more than this reader follows (here-documents, `case`, functions, unbalanced
quotes or brackets), `parse` returns None: a caller that understands nothing changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from migrator.shellsyntax import _backquote_end, _matching_paren

_OPERATORS = ("&&", "||", ";;", "|&", ";", "&", "|", "(", ")", "\n")
_REDIRECTIONS = ("&>>", "&>", ">>", ">&", "<&", ">|", "<>", ">", "<")
_WORD_END = set(" \t\n;&|()<>")
RESERVED = frozenset(
    {
        "if",
        "then",
        "elif",
        "else",
        "fi",
        "while",
        "until",
        "do",
        "done",
        "for",
        "in",
        "case",
        "esac",
    }
    | {"{", "}", "!", "function", "select", "[[", "]]"}
)


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "op" (list and pipeline operators), "redirect"
    text: str  # raw text as written
    start: int
    end: int


@dataclass(frozen=True)
class Redirect:
    op: Token
    target: Token


@dataclass(frozen=True)
class Simple:
    """A simple command: its words (raw) and redirections."""

    words: tuple[Token, ...]
    redirects: tuple[Redirect, ...]
    start: int
    end: int

    @property
    def argv(self) -> tuple[str, ...]:
        return tuple(w.text for w in self.words)


@dataclass(frozen=True)
class Compound:
    """`if`, `while`, `until`, `for`, `{ ...; }` or `( ... )`, with the parts a caller may read.

    `if`: parts = (condition, then-body) and `has_else` when there is an `else`/`elif`;
    `while`/`until`: (condition, body); `for`: (body,) with `variable` and `items` (None: `"$@"`);
    `brace`/`subshell`: (body,).
    """

    kind: str
    parts: tuple[CommandList, ...]
    redirects: tuple[Redirect, ...]
    start: int
    end: int
    has_else: bool = False
    variable: str | None = None
    items: tuple[Token, ...] | None = None


Command = Simple | Compound


@dataclass(frozen=True)
class Pipeline:
    commands: tuple[Command, ...]
    negated: bool
    start: int
    end: int


@dataclass(frozen=True)
class AndOr:
    """Pipelines joined by `&&` / `||` (left to right, equal precedence)."""

    pipelines: tuple[Pipeline, ...]
    operators: tuple[str, ...]  # len(pipelines) - 1
    start: int
    end: int


@dataclass(frozen=True)
class CommandList:
    """And-or lists separated by `;`, `&` or newlines; `terminators[i]` ends `items[i]` ("" at the end)."""

    items: tuple[AndOr, ...]
    terminators: tuple[str, ...]
    start: int
    end: int


def walk(tree: CommandList) -> Iterator[Command]:
    """Every command of the tree, compound ones before the commands inside them."""
    for chain in tree.items:
        for pipeline in chain.pipelines:
            for command in pipeline.commands:
                yield command
                if isinstance(command, Compound):
                    for part in command.parts:
                        yield from walk(part)


def tokenize(text: str) -> list[Token] | None:
    """Words, operators and redirections with their spans; None for text this reader does not follow."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in " \t":
            i += 1
            continue
        if char == "\\" and text.startswith("\\\n", i):
            i += 2
            continue
        if char == "#":  # a comment runs to the end of the line
            end = text.find("\n", i)
            i = n if end == -1 else end
            continue
        if text.startswith("<<", i) and not text.startswith("<<<", i):
            return None  # here-documents span lines this reader does not follow
        redirect = _redirection_at(text, i, tokens)
        if redirect:
            start = tokens.pop().start if redirect[1] else i
            tokens.append(
                Token("redirect", text[start : i + len(redirect[0])], start, i + len(redirect[0]))
            )
            i += len(redirect[0])
            continue
        operator = next((op for op in _OPERATORS if text.startswith(op, i)), None)
        if operator:
            tokens.append(Token("op", operator, i, i + len(operator)))
            i += len(operator)
            continue
        end = _word_end(text, i)
        if end is None:
            return None
        tokens.append(Token("word", text[i:end], i, end))
        i = end
    return tokens


def _redirection_at(text: str, i: int, tokens: list[Token]) -> tuple[str, bool] | None:
    """(operator, whether the word just before is its descriptor `2` in `2>`)."""
    operator = next((op for op in _REDIRECTIONS if text.startswith(op, i)), None)
    if operator is None:
        if text.startswith("<<<", i):
            operator = "<<<"
        else:
            return None
    previous = tokens[-1] if tokens else None
    with_fd = (
        previous is not None
        and previous.kind == "word"
        and previous.end == i
        and previous.text.isdigit()
    )
    return operator, with_fd


def _word_end(text: str, i: int) -> int | None:
    n = len(text)
    while i < n and text[i] not in _WORD_END:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "'":
            close = text.find("'", i + 1)
            if close == -1:
                return None
            i = close + 1
            continue
        if char == '"':
            close = _double_quote_end(text, i + 1)
            if close is None:
                return None
            i = close + 1
            continue
        if char == "`":
            close = _backquote_end(text, i + 1)
            if close is None:
                return None
            i = close + 1
            continue
        if text.startswith("$((", i):
            close = _matching_paren(text, i + 3, depth=2)
            if close is None:
                return None
            i = close + 1
            continue
        if text.startswith("$(", i):
            close = _matching_paren(text, i + 2)
            if close is None:
                return None
            i = close + 1
            continue
        if text.startswith("${", i):
            close = text.find("}", i + 2)
            if close == -1:
                return None
            i = close + 1
            continue
        i += 1
    return min(i, n)


def _double_quote_end(text: str, i: int) -> int | None:
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == '"':
            return i
        if text.startswith("$(", i):
            close = _matching_paren(text, i + 2)
            if close is None:
                return None
            i = close + 1
            continue
        if char == "`":
            close = _backquote_end(text, i + 1)
            if close is None:
                return None
            i = close + 1
            continue
        i += 1
    return None


class _Unsupported(Exception):
    pass


def parse(text: str) -> CommandList | None:
    """The command's structure, or None when it uses more of the shell than this reader follows."""
    tokens = tokenize(text)
    if tokens is None:
        return None
    parser = _Parser(tokens, len(text))
    try:
        result = parser.command_list(stop=())
    except _Unsupported:
        return None
    if parser.position != len(tokens):
        return None
    return result


class _Parser:
    def __init__(self, tokens: list[Token], length: int) -> None:
        self.tokens = tokens
        self.position = 0
        self.length = length

    def peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def at_word(self, *values: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "word" and token.text in values

    def expect_word(self, value: str) -> Token:
        if not self.at_word(value):
            raise _Unsupported(value)
        return self.take()

    def skip_newlines(self) -> None:
        while (token := self.peek()) is not None and token.kind == "op" and token.text == "\n":
            self.take()

    def command_list(self, stop: tuple[str, ...]) -> CommandList:
        items: list[AndOr] = []
        terminators: list[str] = []
        self.skip_newlines()
        while True:
            token = self.peek()
            if (
                token is None
                or (token.kind == "word" and token.text in stop)
                or (token.kind == "op" and token.text == ")")
            ):
                break
            items.append(self.and_or())
            token = self.peek()
            if token is not None and token.kind == "op" and token.text in (";", "&", "\n"):
                terminators.append(self.take().text)
                self.skip_newlines()
            else:
                terminators.append("")
                break
        if not items:
            raise _Unsupported("empty list")
        return CommandList(tuple(items), tuple(terminators), items[0].start, items[-1].end)

    def and_or(self) -> AndOr:
        pipelines = [self.pipeline()]
        operators: list[str] = []
        while (
            (token := self.peek()) is not None and token.kind == "op" and token.text in ("&&", "||")
        ):
            operators.append(self.take().text)
            self.skip_newlines()
            pipelines.append(self.pipeline())
        return AndOr(tuple(pipelines), tuple(operators), pipelines[0].start, pipelines[-1].end)

    def pipeline(self) -> Pipeline:
        negated = False
        start = None
        if self.at_word("!"):
            start = self.take().start
            negated = True
        commands = [self.command()]
        while (
            (token := self.peek()) is not None and token.kind == "op" and token.text in ("|", "|&")
        ):
            self.take()
            self.skip_newlines()
            commands.append(self.command())
        return Pipeline(
            tuple(commands),
            negated,
            commands[0].start if start is None else start,
            commands[-1].end,
        )

    def command(self) -> Command:
        token = self.peek()
        if token is None:
            raise _Unsupported("missing command")
        if token.kind == "op" and token.text == "(":
            start = self.take().start
            body = self.command_list(stop=())
            close = self.peek()
            if close is None or close.text != ")":
                raise _Unsupported(")")
            end = self.take().end
            return self.with_redirects(Compound("subshell", (body,), (), start, end))
        if token.kind == "word":
            if token.text == "if":
                return self.if_clause()
            if token.text in ("while", "until"):
                start = self.take().start
                condition = self.command_list(stop=("do",))
                self.expect_word("do")
                body = self.command_list(stop=("done",))
                end = self.expect_word("done").end
                return self.with_redirects(Compound(token.text, (condition, body), (), start, end))
            if token.text == "for":
                return self.for_clause()
            if token.text == "{":
                start = self.take().start
                body = self.command_list(stop=("}",))
                end = self.expect_word("}").end
                return self.with_redirects(Compound("brace", (body,), (), start, end))
            if token.text in RESERVED - {"[["}:
                raise _Unsupported(token.text)
        return self.simple()

    def with_redirects(self, compound: Compound) -> Compound:
        redirects = self.redirects()
        if not redirects:
            return compound
        return Compound(
            compound.kind,
            compound.parts,
            tuple(redirects),
            compound.start,
            redirects[-1].target.end,
            compound.has_else,
            compound.variable,
            compound.items,
        )

    def redirects(self) -> list[Redirect]:
        found = []
        while (token := self.peek()) is not None and token.kind == "redirect":
            found.append(self.redirect())
        return found

    def redirect(self) -> Redirect:
        op = self.take()
        target = self.peek()
        if target is None or target.kind != "word":
            raise _Unsupported("redirection target")
        return Redirect(op, self.take())

    def if_clause(self) -> Compound:
        start = self.take().start
        condition = self.command_list(stop=("then",))
        self.expect_word("then")
        body = self.command_list(stop=("elif", "else", "fi"))
        has_else = False
        while self.at_word("elif", "else"):
            has_else = True
            keyword = self.take().text
            if keyword == "elif":
                self.command_list(stop=("then",))
                self.expect_word("then")
            self.command_list(stop=("elif", "else", "fi"))
        end = self.expect_word("fi").end
        return self.with_redirects(Compound("if", (condition, body), (), start, end, has_else))

    def for_clause(self) -> Compound:
        start = self.take().start
        variable = self.peek()
        if variable is None or variable.kind != "word":
            raise _Unsupported("for variable")
        self.take()
        items: list[Token] | None = None
        if self.at_word("in"):
            self.take()
            items = []
            while (token := self.peek()) is not None and token.kind == "word":
                items.append(self.take())
        token = self.peek()
        if token is not None and token.kind == "op" and token.text in (";", "\n"):
            self.take()
        self.skip_newlines()
        self.expect_word("do")
        body = self.command_list(stop=("done",))
        end = self.expect_word("done").end
        return self.with_redirects(
            Compound(
                "for",
                (body,),
                (),
                start,
                end,
                variable=variable.text,
                items=None if items is None else tuple(items),
            )
        )

    def simple(self) -> Simple:
        words: list[Token] = []
        redirects: list[Redirect] = []
        while (token := self.peek()) is not None:
            if token.kind == "redirect":
                redirects.append(self.redirect())
                continue
            if token.kind != "word":
                break
            if not words and token.text in RESERVED - {"[["}:
                break  # a reserved word only in command position: `echo done` is a plain word
            words.append(self.take())
        if not words and not redirects:
            raise _Unsupported("empty command")
        parts = [*words, *(r.target for r in redirects)]
        start = min(t.start for t in [*words, *(r.op for r in redirects)])
        return Simple(tuple(words), tuple(redirects), start, max(t.end for t in parts))
