"""A cron entry's environment, split into what the task gets and what cron itself consumed.

cron hands every `NAME=value` line in effect to the job. A few names are instructions to cron
(MAILTO, CRON_TZ, ...): they become DAG settings instead. Values of names that look like secrets
are not written into the DAG source: the task reads them from an Airflow Variable of the same name
at run time (`{{ var.value.NAME }}`; Airflow masks such values in logs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from migrator.codegen.jinja import literal_template, string_literal
from migrator.crontab.secrets import is_secret_name

# read by cron, not by the job (cronie and Debian cron); SHELL and HOME are both: the job sees them
CRON_CONTROL = frozenset(
    {"MAILTO", "MAILFROM", "CRON_TZ", "RANDOM_DELAY", "CONTENT_TYPE", "CONTENT_TRANSFER_ENCODING"}
)
_MAIL_SPLIT = re.compile(r"[,\s]+")


@dataclass(frozen=True)
class Secret:
    name: str  # the environment variable
    variable: str  # the Airflow Variable it is read from


@dataclass(frozen=True)
class TaskEnvironment:
    # (name, template) pairs for BashOperator(env=...), in crontab order
    env: tuple[tuple[str, str], ...]
    secrets: tuple[Secret, ...]
    shell: str | None
    mailto: tuple[str, ...] | None  # None: MAILTO not set; (): set to "" (mail disabled)
    home: str | None
    tz: str | None  # TZ as the job sees it (what `date` uses)
    # (name, value as cron passes it) in crontab order; None for a secret, read at run time
    values: tuple[tuple[str, str | None], ...] = ()


def variable_reference(name: str) -> str:
    """The template that reads Airflow Variable `name`; fails the task when it is not set."""
    if name.isidentifier():
        return "{{ var.value." + name + " }}"
    return "{{ var.value[" + string_literal(name) + "] }}"


def split_environment(environment: tuple[tuple[str, str], ...]) -> TaskEnvironment:
    values = dict(environment)  # later assignments win, as in cron
    env: list[tuple[str, str]] = []
    raw: list[tuple[str, str | None]] = []
    secrets: list[Secret] = []
    for name in dict.fromkeys(name for name, _ in environment):
        if name in CRON_CONTROL:
            continue
        if is_secret_name(name):
            secrets.append(Secret(name, name))
            env.append((name, variable_reference(name)))
            raw.append((name, None))
        else:
            env.append((name, literal_template(values[name])))
            raw.append((name, values[name]))
    mailto = values.get("MAILTO")
    return TaskEnvironment(
        env=tuple(env),
        secrets=tuple(secrets),
        shell=values.get("SHELL"),
        mailto=None if mailto is None else tuple(a for a in _MAIL_SPLIT.split(mailto) if a),
        home=values.get("HOME"),
        tz=values.get("TZ"),
        values=tuple(raw),
    )
