"""Which crontab environment variables hold secrets.

Their values must never reach generated code: not as an `env=` value (codegen reads them from an
Airflow Variable instead) and not through names that inference derives from expanded commands.
"""

from __future__ import annotations

from collections.abc import Mapping

_SECRET_WORDS = ("PASSWORD", "PASSWD", "TOKEN", "SECRET", "KEY", "CREDENTIAL")
_SECRET_PARTS = frozenset({"PASS", "PWD", "PW", "AUTH"})


def is_secret_name(name: str) -> bool:
    upper = name.upper()
    if name == "PWD":  # the shell's working directory, not a password
        return False
    return any(word in upper for word in _SECRET_WORDS) or any(
        part in _SECRET_PARTS for part in upper.split("_")
    )


def without_secrets(env: Mapping[str, str]) -> dict[str, str]:
    """`env` minus the variables whose names look like secrets."""
    return {name: value for name, value in env.items() if not is_secret_name(name)}
