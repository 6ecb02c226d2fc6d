"""What counts as a secret, whoever reads it: the names that hold one and the values that only stand
for one.

`is_secret_name` judges an environment variable's name (a crontab's `DB_PASSWORD=...`, a command's
`PGPASSWORD=... psql`, an operator's `env={"API_KEY": ...}`). `is_placeholder` judges a value written
where a secret goes: `***`, `xxxx`, `<password>`, `[TOKEN]`, `{password}`, `%(password)s`, an example
cut short (`pkz_...`) or a template stand for a secret and are not one. (Whether `$VAR` is a
reference depends on the quotes around it: the shell-aware reader decides that, not this.)
"""

from __future__ import annotations

import re

_SECRET_WORDS = ("PASSWORD", "PASSWD", "TOKEN", "SECRET", "CREDENTIAL", "APIKEY", "PASSPHRASE")
_SECRET_PARTS = frozenset({"PASS", "PWD", "PW", "AUTH", "KEY", "SSHPASS"})


def is_secret_name(name: str) -> bool:
    """Whether an environment variable's name says it holds a secret (`DB_PASSWORD`, `API_KEY`).

    `KEY` counts as a whole word only (`AWS_SECRET_ACCESS_KEY`, not `KEYBOARD` or `MONKEY`); `PWD` is
    the shell's working directory.
    """
    upper = name.upper()
    if upper == "PWD":
        return False
    parts = re.split(r"[^A-Z0-9]+", upper)
    return any(word in upper for word in _SECRET_WORDS) or any(p in _SECRET_PARTS for p in parts)


_STAND_IN = re.compile(
    r"""
      [\s*xX.\-_]*            # nothing, ***, xxxx, ..., ---
    | <[^<>]*>                # <password>
    | \[[^\[\]]*\]            # [TOKEN], [REDACTED]
    | .*(?:\.\.\.|…)          # pkz_..., sk-…: an example cut short
    | \{[^{}]*\}              # {password}, {0}: filled in by str.format
    | %(?:\([^()]*\))?[sdr]   # %s, %(password)s: filled in by %
    """,
    re.VERBOSE,
)


# a Jinja expression: Airflow renders it, and a templated crontab (Ansible, Salt) is filled in on deploy
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
# what may surround templates in a value that is still only a stand-in (`{{ user }}:{{ password }}`)
_TEMPLATE_GLUE = re.compile(r"[\s:@/._-]*")


def is_placeholder(value: str) -> bool:
    """Whether a value stands for a secret rather than being one: empty, masked (`***`, `xxxx`), a
    slot some program fills in (`<password>`, `[TOKEN]`, `{password}`, `%(password)s`), an example
    cut short (`pkz_...`) or a template (`{{ conn.db.password }}`).

    A value that only contains a template among other characters (`S w@$x!q{{ y }}`) is taken as
    written: a password may hold braces, and a template filled into a literal is not a slot."""
    if _STAND_IN.fullmatch(value) is not None:
        return True
    if not _TEMPLATE.search(value):
        return False
    return _TEMPLATE_GLUE.fullmatch(_TEMPLATE.sub("", value)) is not None
