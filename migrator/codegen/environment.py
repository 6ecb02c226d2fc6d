"""A cron entry's environment, split into what the task gets and what cron itself consumed.

cron hands every `NAME=value` line in effect to the job. A few names are instructions to cron
(MAILTO, CRON_TZ, ...): they become DAG settings instead. Values of names that look like secrets
are not written into the DAG source: the task reads them from an Airflow Variable of the same name
at run time (`{{ var.value.NAME }}`; Airflow masks such values in logs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from migrator.codegen.jinja import literal_template, variable_code
from migrator.crontab.secrets import SecretNames, is_secret_name

# read by cron, not by the job (cronie and Debian cron); SHELL and HOME are both: the job sees them
CRON_CONTROL = frozenset(
    {"MAILTO", "MAILFROM", "CRON_TZ", "RANDOM_DELAY", "CONTENT_TYPE", "CONTENT_TRANSFER_ENCODING"}
)
_MAIL_SPLIT = re.compile(r"[,\s]+")


@dataclass(frozen=True)
class Secret:
    # the environment variable, or what the secret is in a command line ("password of mysqldump (-p)")
    name: str
    variable: str  # the Airflow Variable it is read from
    lines: tuple[int, ...] = ()  # the crontab lines that write it in a command


@dataclass(frozen=True)
class TaskEnvironment:
    # (name, template) pairs for BashOperator(env=...), in crontab order
    env: tuple[tuple[str, str], ...]
    secrets: tuple[Secret, ...]
    shell: str | None
    mailto: tuple[str, ...] | None  # None: MAILTO not set; (): set to "" (mail disabled)
    home: str | None
    tz: str | None  # TZ as the job sees it (what `date` uses)
    # MAILTO names that are local mailboxes on the cron host (`root`), not e-mail addresses
    mail_users: tuple[str, ...] = ()
    # (name, value as cron passes it) in crontab order; None for a secret, read at run time
    values: tuple[tuple[str, str | None], ...] = ()


def variable_reference(name: str) -> str:
    """The template that reads Airflow Variable `name`; fails the task when it is not set."""
    return "{{ " + variable_code(name) + " }}"


def split_environment(
    environment: tuple[tuple[str, str], ...], names: SecretNames | None = None
) -> TaskEnvironment:
    """`names` gives each distinct secret value its own Variable (a second value of DB_PASSWORD
    further down the crontab is DB_PASSWORD_2); without it a secret's Variable is its name."""
    values = dict(environment)  # later assignments win, as in cron
    env: list[tuple[str, str]] = []
    raw: list[tuple[str, str | None]] = []
    secrets: list[Secret] = []
    for name in dict.fromkeys(name for name, _ in environment):
        if name in CRON_CONTROL:
            continue
        if is_secret_name(name):
            variable = names.name(values[name], name) if names is not None else name
            secrets.append(Secret(name, variable))
            env.append((name, variable_reference(variable)))
            raw.append((name, None))
        else:
            env.append((name, literal_template(values[name])))
            raw.append((name, values[name]))
    mailto = values.get("MAILTO")
    names = tuple(a for a in _MAIL_SPLIT.split(mailto) if a) if mailto is not None else ()
    return TaskEnvironment(
        env=tuple(env),
        secrets=tuple(secrets),
        shell=values.get("SHELL"),
        mailto=None if mailto is None else tuple(a for a in names if "@" in a),
        home=values.get("HOME"),
        tz=values.get("TZ"),
        mail_users=tuple(a for a in names if "@" not in a),
        values=tuple(raw),
    )
