"""Secrets written in text, found one way for every command that looks for them.

`migrate` moves the secrets of crontab commands into Airflow Variables (or Dagster `EnvVar`s); the
linter (`OPS004`) flags the same secrets in hand-written DAG files. Both read commands with
`find_command_secrets` and recognise providers' token formats from one table (`TOKEN_FORMATS`).
"""

from migrator.secrets.commands import (
    CommandSecret,
    could_hold_secret,
    find_command_secrets,
    hint_offsets,
)
from migrator.secrets.formats import TOKEN_FORMATS, find_tokens
from migrator.secrets.values import is_placeholder, is_secret_name

__all__ = [
    "TOKEN_FORMATS",
    "CommandSecret",
    "could_hold_secret",
    "find_command_secrets",
    "find_tokens",
    "hint_offsets",
    "is_placeholder",
    "is_secret_name",
]
