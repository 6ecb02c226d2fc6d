"""The Lark parser for `crontab.lark`, built once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lark import Lark

GRAMMAR_PATH = Path(__file__).with_name("crontab.lark")


@lru_cache(maxsize=1)
def crontab_parser() -> Lark:
    """LALR with the contextual lexer: linear time, and each state lexes only the tokens it can take."""
    return Lark(
        GRAMMAR_PATH.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        start=["user_crontab", "system_crontab", "field"],
        maybe_placeholders=False,
    )
