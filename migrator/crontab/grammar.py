"""The Lark parser for `crontab.lark`, built once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from lark import Lark, Token, Transformer, Tree

GRAMMAR_PATH = Path(__file__).with_name("crontab.lark")


class LineReader(Protocol):
    """Turns each line of a file into a model piece as Lark parses it (see `parser._LinesToModel`)."""

    def blank(self, children: list[Token]) -> Any: ...
    def comment(self, children: list[Token]) -> Any: ...
    def env(self, children: list[Token]) -> Any: ...
    def user_entry(self, children: list[Token]) -> Any: ...
    def system_entry(self, children: list[Token]) -> Any: ...


class LineRules(Transformer):
    """What Lark does with each line while it parses: the reader of the file being read says.

    Lark applies a transformer given to the LALR parser as it parses, so no parse tree of a whole
    file is built (less memory and time on large files). With no reader (checking one line,
    parsing a time field), lines stay trees.
    """

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self.reader: LineReader | None = None

    def blank(self, children: list[Token]) -> Any:
        return self.reader.blank(children) if self.reader else Tree("blank", children)

    def comment(self, children: list[Token]) -> Any:
        return self.reader.comment(children) if self.reader else Tree("comment", children)

    def env(self, children: list[Token]) -> Any:
        return self.reader.env(children) if self.reader else Tree("env", children)

    def user_entry(self, children: list[Token]) -> Any:
        return self.reader.user_entry(children) if self.reader else Tree("user_entry", children)

    def system_entry(self, children: list[Token]) -> Any:
        if self.reader is None:
            return Tree("system_entry", children)
        return self.reader.system_entry(children)


@lru_cache(maxsize=1)
def _built() -> tuple[Lark, LineRules]:
    rules = LineRules()
    parser = Lark(
        GRAMMAR_PATH.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        start=["user_crontab", "system_crontab", "field"],
        maybe_placeholders=False,
        transformer=rules,
    )
    return parser, rules


def crontab_parser() -> Lark:
    """LALR with the contextual lexer: linear time, and each state lexes only the tokens it can take."""
    return _built()[0]


def line_rules() -> LineRules:
    """The line callbacks of `crontab_parser()`: set `reader` while a file is parsed."""
    return _built()[1]
