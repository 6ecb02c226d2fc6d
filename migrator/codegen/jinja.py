"""Text that Airflow renders with Jinja but must come out exactly as written.

Every templated field of an operator (`bash_command`, `env`, `cwd` of BashOperator) is rendered with
Jinja before the task runs, and a value that ends in one of the operator's `template_ext` (`.sh`,
`.bash`) is first looked up as a template *file* (airflow.sdk `Templater.render_template`). So a
crontab command or environment value cannot be pasted in as is: `{{`, `{%` and `{#` open Jinja
constructs, Jinja drops one trailing newline (`keep_trailing_newline` is off) and turns `\\r` into
`\\n`, and `run.sh` fails with `TemplateNotFound`.

`literal_template(text)` returns a template that renders to exactly `text` and never ends in a
template extension. Clean text (the common case) is returned unchanged so generated DAGs stay
readable; anything else is wrapped in `{% raw %}...{% endraw %}` blocks, split so that no block
contains the word `endraw`, with carriage returns emitted as `{{ '\\r' }}` expressions.
"""

from __future__ import annotations

import re

# BashOperator.template_ext in Airflow 2 and 3; the only operator whose fields we template.
TEMPLATE_EXTENSIONS: tuple[str, ...] = (".sh", ".bash")

_JINJA_START = re.compile(r"\{[{%#]")
_RAW_OPEN = "{% raw %}"
_RAW_CLOSE = "{% endraw %}"
_CARRIAGE_RETURN = "{{ '\\r' }}"


def needs_protection(text: str, followed_by_template: bool = False) -> bool:
    """Whether `text` would not render to itself when pasted into a template."""
    if _JINJA_START.search(text) or "\r" in text:
        return True
    if followed_by_template:
        # `x{` followed by `{{ expr }}` would read as `{{{`: the brace must stay literal
        return text.endswith("{")
    return text.endswith("\n") or text.endswith(TEMPLATE_EXTENSIONS)


def literal_template(text: str, followed_by_template: bool = False) -> str:
    """A Jinja template that renders to exactly `text` (see the module docstring).

    `followed_by_template` says a Jinja expression comes right after this text in the same field.
    """
    if not needs_protection(text, followed_by_template):
        return text
    pieces: list[str] = []
    for index, chunk in enumerate(text.split("\r")):
        if index:
            pieces.append(_CARRIAGE_RETURN)
        if chunk:
            pieces.extend(_RAW_OPEN + part + _RAW_CLOSE for part in _split_endraw(chunk))
    return "".join(pieces)


def _split_endraw(text: str) -> list[str]:
    """Cut `text` inside every `endraw` so that no piece can close a raw block early."""
    parts: list[str] = []
    start = 0
    position = text.find("endraw")
    while position != -1:
        cut = position + len("end")
        parts.append(text[start:cut])
        start = cut
        position = text.find("endraw", position + 1)
    parts.append(text[start:])
    return [part for part in parts if part]


def string_literal(value: str) -> str:
    """A single-quoted Jinja string literal for `value` (Jinja decodes Python-style escapes)."""
    out = []
    for char in value:
        if char in "\\'":
            out.append("\\" + char)
        elif char.isprintable() and char.isascii():
            out.append(char)
        else:
            out.append(char.encode("unicode_escape").decode("ascii"))
    return "'" + "".join(out) + "'"


def variable_code(name: str) -> str:
    """The Jinja expression (without braces) that reads Airflow Variable `name` at run time; a
    missing Variable fails the task, it never renders as empty text."""
    if name.isidentifier():
        return "var.value." + name
    return "var.value[" + string_literal(name) + "]"
