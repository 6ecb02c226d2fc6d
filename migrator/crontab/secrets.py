"""Secrets in crontabs: environment variables that hold them, and passwords, keys and tokens written in
command lines.

Their values must never reach generated code as text, nor any identifier or file name (inference
derives task and DAG ids from commands). Code generators read them at run time instead: Airflow from
a Variable (`{{ var.value.NAME }}`), Dagster from an environment variable (`dg.EnvVar`).

The detector itself (`find_command_secrets`, shared with the linter) is in `migrator.secrets`; this
module is what the crontab side adds: which environment variables to keep out of generated code, the
command as inference may read it, and names for the variables secrets move to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from migrator.secrets import CommandSecret, find_command_secrets, is_secret_name

__all__ = [
    "CommandSecret",
    "SecretNames",
    "find_command_secrets",
    "find_comment_secrets",
    "is_secret_name",
    "mask_secrets",
    "masked_command",
    "without_command_secrets",
    "without_secrets",
]


def without_secrets(env: Mapping[str, str]) -> dict[str, str]:
    """`env` minus the variables whose names look like secrets."""
    return {name: value for name, value in env.items() if not is_secret_name(name)}


# ---- secrets in command lines ---------------------------------------------------------------------


_FIELD = re.compile(r"^[\d*][\d*/,-]*$")  # a schedule's first field: a commented-out job


def find_comment_secrets(comment: str) -> tuple[CommandSecret, ...]:
    """The secrets in a comment line (without its `#`): read as a command, and as a commented-out
    job, whose command starts after its schedule (and user) -- `0 1 * * * root mysql -pS3cret`.
    Comments above a job reach generated code (its doc_md) and inference's evidence text."""
    words = comment.split()
    starts = [0]
    if words and words[0].startswith("@"):
        starts += [1, 2]  # `@daily cmd`, `@daily root cmd`
    elif words and _FIELD.match(words[0]):
        starts += [5, 6]
    found: dict[tuple[str, str], CommandSecret] = {}
    for start in starts:
        for secret in find_command_secrets(" ".join(words[start:])):
            found.setdefault((secret.what, secret.value), secret)
    return tuple(found.values())


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
    return _replace_command_secrets(command, whole_word="''", part="")


def masked_command(command: str, mask: str = "***") -> str:
    """`command` with each secret replaced by `mask`: what a report may show of a job (inference's
    text and JSON), which must not print a password the crontab wrote in clear."""
    return _replace_command_secrets(command, whole_word=mask, part=mask)


def _replace_command_secrets(command: str, *, whole_word: str, part: str) -> str:
    out, position = [], 0
    for secret in find_command_secrets(command):
        if secret.start < position:
            continue  # inside a word already replaced
        out.append(command[position : secret.start])
        out.append(whole_word if secret.whole_word else part)
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
