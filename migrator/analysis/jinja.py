"""Which context variables a Jinja template reads, and where: only what Jinja itself would resolve.

`DELETE FROM t WHERE execution_date = '{{ ds }}'` names `execution_date` as SQL text, not as a
template variable; `{{ params.execution_date }}` reads a key of `params`; `{% raw %}` text and
`{# comments #}` are not rendered; `{{ "execution_date" }}` is a string. A template that binds the
name itself (`{% set %}`, `{% for %}`, a macro parameter) reads its own variable. This is a scanner of
Jinja's default syntax, small enough to keep those cases apart, not a Jinja parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# owners through which Airflow 2 templates read a run's dates (`{{ dag_run.execution_date }}`)
CONTEXT_OWNERS = frozenset({"dag_run", "ti", "task_instance"})

_OPEN = re.compile(r"\{\{|\{%|\{#")
_TOKEN = re.compile(
    r"""(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
    r"|(?P<close>-?\}\}|-?%\})"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)",
    re.DOTALL,
)
_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}")
_END_RAW = re.compile(r"\{%-?\s*endraw\s*-?%\}")
_BINDING_STATEMENTS = frozenset({"set", "for", "macro", "with", "call", "import", "from"})


@dataclass(frozen=True)
class Reference:
    """`name` read from the template context at text[start:end] (the owner prefix included, as in
    `dag_run.execution_date`)."""

    name: str
    start: int
    end: int
    owner: str | None = None


def has_template(text: str) -> bool:
    return "{{" in text or "{%" in text


def context_references(text: str, names: frozenset[str] | set[str]) -> list[Reference]:
    """Where the template `text` reads one of `names` from the context. Empty when the template binds
    one of them itself."""
    found: list[Reference] = []
    position = 0
    while True:
        opened = _OPEN.search(text, position)
        if opened is None:
            break
        kind = opened.group()
        if kind == "{#":
            end = text.find("#}", opened.end())
            if end < 0:
                break
            position = end + 2
            continue
        if kind == "{%" and _RAW.match(text, opened.start()):
            closing = _END_RAW.search(text, opened.end())
            if closing is None:
                break
            position = closing.end()
            continue
        tokens, position = _block(text, opened.end())
        if kind == "{%":
            words = [value for token, value, _ in tokens if token == "name"]
            if words and words[0] in _BINDING_STATEMENTS and any(word in names for word in words):
                return []  # the template binds the name itself
        found.extend(_references(tokens, names))
    return found


def _block(text: str, start: int) -> tuple[list[tuple[str, str, int]], int]:
    """The tokens of a block up to its closing `}}`/`%}` (strings may hold either), and where it ends."""
    tokens: list[tuple[str, str, int]] = []
    position = start
    while position < len(text):
        match = _TOKEN.match(text, position)
        assert match is not None  # `other` matches any character
        position = match.end()
        token = match.lastgroup or "other"
        if token == "close":
            return tokens, position
        if token != "space":
            tokens.append((token, match.group(), match.start()))
    return tokens, position


def _references(tokens: list[tuple[str, str, int]], names: frozenset[str] | set[str]) -> list[Reference]:
    found: list[Reference] = []
    for index, (token, value, start) in enumerate(tokens):
        if token != "name" or value not in names:
            continue
        before = tokens[index - 1][1] if index else ""
        after = tokens[index + 1][1] if index + 1 < len(tokens) else ""
        if after == "=" and (index + 2 >= len(tokens) or tokens[index + 2][1] != "="):
            continue  # a keyword argument's name: `macros.f(execution_date=...)`
        if before == "|" or (before == "is" and index > 1):
            continue  # a filter or a test of that name
        if before == ".":
            owner = tokens[index - 2] if index > 1 else None
            if owner is None or owner[0] != "name" or owner[1] not in CONTEXT_OWNERS:
                continue  # `params.execution_date`: a key of something else
            if index > 2 and tokens[index - 3][1] == ".":
                continue  # `x.dag_run.execution_date`
            found.append(Reference(value, owner[2], start + len(value), owner[1]))
            continue
        found.append(Reference(value, start, start + len(value)))
    return found
