"""Secrets in crontabs: environment variables that hold them, and passwords, keys and tokens written in
command lines.

Their values must never reach generated code as text, nor any identifier or file name (inference
derives task and DAG ids from commands). Code generators read them at run time instead: Airflow from
a Variable (`{{ var.value.NAME }}`), Dagster from an environment variable (`dg.EnvVar`).

`find_command_secrets(command)` is pure: it reads the command as the shell splits it and knows where
each program takes a secret, so `mysql -pS3cret` is a password and `mkdir -p`, `ssh -p 22` or
`psql -p 5432` are not. Precision comes first: a value that is only a reference (`$DB_PASSWORD`, a
`$(...)` substitution) or a file (`--password-file=...`) is not a secret in the command.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from migrator.crontab.secret_rules import CommandSecret, is_secret_name, secrets_in
from migrator.shellsyntax import spanned_commands

__all__ = [
    "CommandSecret",
    "SecretNames",
    "find_command_secrets",
    "is_secret_name",
    "mask_secrets",
    "without_command_secrets",
    "without_secrets",
]


def without_secrets(env: Mapping[str, str]) -> dict[str, str]:
    """`env` minus the variables whose names look like secrets."""
    return {name: value for name, value in env.items() if not is_secret_name(name)}


# ---- secrets in command lines ---------------------------------------------------------------------


@lru_cache(maxsize=4096)
def find_command_secrets(command: str) -> tuple[CommandSecret, ...]:
    """The secrets written in `command` (a crontab entry's command), in the order they appear."""
    found: dict[tuple[int, int], CommandSecret] = {}
    for simple in spanned_commands(command):
        for secret in secrets_in(command, list(simple.words)):
            found.setdefault((secret.start, secret.end), secret)
    return tuple(sorted(found.values(), key=lambda s: s.start))


def mask_secrets(text: str, secrets: Iterable[CommandSecret | str], mask: str = "***") -> str:
    """`text` with every occurrence of each secret's value replaced by `mask` (for comments and
    messages; crontab text may write a value with `\\%` where the command has `%`)."""
    values = sorted(
        {s.value if isinstance(s, CommandSecret) else s for s in secrets}, key=len, reverse=True
    )
    for value in values:
        if not value:
            continue
        text = text.replace(value, mask)
        if "%" in value:
            text = text.replace(value.replace("%", "\\%"), mask)
    return text


def without_command_secrets(command: str) -> str:
    """`command` with each secret's characters taken out (a secret that is a whole word becomes the
    empty word `''`, so the words after it keep their places): what inference may read to name jobs
    and to find the data they share."""
    out, position = [], 0
    for secret in find_command_secrets(command):
        if secret.start < position:
            continue  # inside a word already replaced
        out.append(command[position : secret.start])
        out.append("''" if secret.whole_word else "")
        position = secret.end
    out.append(command[position:])
    return "".join(out)


# ---- variable names ---------------------------------------------------------------------------------


@dataclass
class SecretNames:
    """Names for the variables secrets move to: one per secret (the same value wanted under the
    same name, as `mysqldump -pX` and `mysql -pX` for one account), unique without regard to case
    (Airflow's environment backend reads `AIRFLOW_VAR_` + the upper-cased name), stable for the same
    crontab."""

    given: dict[tuple[str, str], str] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)

    def name(self, value: str, wanted: str) -> str:
        existing = self.given.get((value, wanted))
        if existing is not None:
            return existing
        candidate, number = wanted, 2
        while candidate.upper() in self.taken:
            candidate, number = f"{wanted}_{number}", number + 1
        self.taken.add(candidate.upper())
        self.given[(value, wanted)] = candidate
        return candidate
