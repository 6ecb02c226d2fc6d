"""Secrets written in the strings of a DAG file, as the linter reports them (`OPS004`).

A string is read the way `migrate` reads a crontab command (`migrator.secrets.find_command_secrets`,
shell-aware: `mysql -pS3cret` is a password, `mkdir -p` and `psql -p 5432` are not), and searched
whole for the providers' token formats (`migrator.secrets.TOKEN_FORMATS`: a private key block spans
several words). So the linter flags in hand-written DAGs the secrets `migrate` moves out of crontabs.

What the linter adds is for code, not crontabs: a value an Airflow template or Python fills in is not
written in the file (`{{ conn.db.password }}`, `{password}`, `%(password)s`, `${VAR}`), nor is an
environment variable's name, nor a value everyone knows (`pass`, `changeme`, `guest`: examples and
local defaults, as in `sqs://user:pass@localhost`), nor one shorter than four characters. `migrate`
moves those too: moving a value costs nothing, a false finding in someone's CI does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from migrator.secrets import (
    could_hold_secret,
    find_command_secrets,
    find_tokens,
    hint_offsets,
    is_placeholder,
)
from migrator.secrets.formats import HINTS as TOKEN_HINTS

__all__ = ["Secret", "find_secrets", "hint_offsets", "is_secret_value"]


@dataclass(frozen=True)
class Secret:
    what: str  # "AWS access key id", "password of mysqldump (-p)", ...
    written_as: str  # "token", "url" or "command" (see `CommandSecret.written_as`)
    start: int  # offsets in the text of the secret itself
    end: int


# values everyone knows, as in `sqs://user:pass@localhost`: examples and local defaults, not secrets
WELL_KNOWN = frozenset(
    {
        "pass",
        "password",
        "passwd",
        "secret",
        "changeme",
        "change_me",
        "example",
        "dummy",
        "placeholder",
        "test",
        "testing",
        "true",
        "false",
        "none",
        "null",
        "yes",
        "no",
        "admin",
        "guest",
        "user",
        "xxxx",
    }
)
_REFERENCE = re.compile(r"\$\w+|\$\{[^{}]*\}")  # filled in by the shell or envsubst
ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
# a slot Python fills in, anywhere in a value: `{password}`, `{0}`, `{cfg[pw]!s}`, `%(password)s`, `%s`
_FORMAT_SLOT = re.compile(r"\{[\w.\[\]]*(?:![rsa])?(?::[^{}]*)?\}|%(?:\([^()]*\))?[sdr]")
# where Jinja expressions, statements and comments start and end
_TEMPLATE_DELIMITER = re.compile(r"\{\{|\{%|\{#|\}\}|%\}|#\}")


def is_secret_value(value: str) -> bool:
    """A literal that could be a secret: not a placeholder, a template, a reference, a variable's
    name, a value everyone knows, nor shorter than four characters."""
    return (
        len(value) >= 4
        and not is_placeholder(value)
        and not _REFERENCE.fullmatch(value)
        and not _FORMAT_SLOT.search(value)
        and not ENV_NAME.fullmatch(value)
        and value.lower() not in WELL_KNOWN
    )


def find_secrets(text: str) -> list[Secret]:
    """Every secret written in `text` (a string of a DAG file), in order; where a token's format and
    a command's rule find the same characters, the token is named."""
    if not could_hold_secret(text):
        return []
    found: dict[tuple[int, int], Secret] = {}
    if any(hint in text for hint in TOKEN_HINTS):
        for token in find_tokens(text):
            found[(token.start, token.end)] = Secret(
                token.format.what, "token", token.start, token.end
            )
    templates = _template_spans(text) if "{" in text or "}" in text else []
    for secret in find_command_secrets(text):
        if not is_secret_value(secret.value) or any(
            start < secret.end and secret.start < end for start, end in templates
        ):
            continue
        found.setdefault(
            (secret.start, secret.end),
            Secret(secret.what, secret.written_as, secret.start, secret.end),
        )
    return sorted(found.values(), key=lambda secret: (secret.start, secret.written_as != "token"))


def _template_spans(text: str) -> list[tuple[int, int]]:
    """The spans Airflow fills in when it renders `text` as a template. A string may be a piece of a
    template cut in several (`"{{ ti.xcom_pull(key='" + name + "') }}"`): an expression opened and
    not closed runs to the end, one closed and not opened runs from the start."""
    spans: list[tuple[int, int]] = []
    opened: int | None = None
    for match in _TEMPLATE_DELIMITER.finditer(text):
        if match.group().startswith("{"):
            if opened is None:
                opened = match.start()
        else:
            spans.append((0 if opened is None else opened, match.end()))
            opened = None
    if opened is not None:
        spans.append((opened, len(text)))
    return spans
