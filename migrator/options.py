"""Options that several commands share, defined once so that each has one name and one meaning.

`tests/test_cli_vocabulary.py` walks every command's `--help` and holds the commands to this vocabulary:
cron's time zone is `--tz`, the Airflow major version is `--airflow`, a crontab is read with `--dialect`
and `--system/--user`. A name an option had before it joined the vocabulary keeps working as a hidden
alias (`migrate --timezone`, `lint --airflow-version`), as click has no hidden alias of its own.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from migrator.crontab.dialects import DEFAULT_DIALECT, Dialect

F = TypeVar("F", bound=Callable[..., Any])

FORMAT_HELP = "Output format."
TZ_HELP = "cron's own time zone, for entries without CRON_TZ (cron uses its host's zone: say which)."
AIRFLOW_HELP = "Airflow major version the DAG code is for."
DIALECT_HELP = "Which cron's reading of the file to follow (see docs/crontabs.md, 'Dialects')."
OVERRIDES_HELP = "TOML file that corrects the inference: pins or removes edges, renames tasks and DAGs, skips jobs."
SCRIPTS_ROOT_HELP = ("A checkout of the repository that holds the scripts the jobs run: each script is found "
                     "there by the longest matching end of its path, and read (never run) for what it reads "
                     "and writes. Scripts present at their own path on this machine are read too.")
SYSTEM_HELP = ("System crontab (/etc/crontab, cron.d: a user column) or user crontab. "
               "Default: detected from the path and content.")


class AliasedOption(click.Option):
    """An option whose `hidden_aliases` (former names) still work but are not shown in `--help` or in
    error messages."""

    def __init__(self, *args: Any, hidden_aliases: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hidden_aliases = frozenset(hidden_aliases)
        unknown = self.hidden_aliases - set(self.opts)
        if unknown:
            raise TypeError(f"hidden aliases {sorted(unknown)} are not names of {self.opts}")

    def visible_opts(self) -> list[str]:
        return [name for name in self.opts if name not in self.hidden_aliases]

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        everything = self.opts
        self.opts = self.visible_opts()
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = everything

    def get_error_hint(self, ctx: click.Context) -> str:
        return " / ".join(f"'{name}'" for name in self.visible_opts())


_DURATION = re.compile(r"^([0-9]+)\s*(s|sec|secs|m|min|mins|h|hour|hours)?$")
_UNITS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "h": 3600,
    "hour": 3600,
    "hours": 3600,
}
# seconds; a longer retry delay is a typo, and dates computed from it would leave the calendar
MAX_DURATION = 365 * 86400


class Duration(click.ParamType):
    """`300`, `90s`, `5m`, `1h`, at most a year (`migrate --retry-delay`, `run --retry-delay`)."""

    name = "duration"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.timedelta:
        from migrator.crontab.fields import read_number, shorten  # lark only when a duration is read

        if isinstance(value, dt.timedelta):
            return value
        text = str(value).strip()
        match = _DURATION.match(text)
        if not match:
            self.fail(f"{shorten(text)!r} is not a duration like 300, 90s, 5m or 1h", param, ctx)
        unit = _UNITS[match.group(2) or "s"]
        amount = read_number(match.group(1), MAX_DURATION // unit)
        if amount is None:
            self.fail(f"{shorten(text)!r} is longer than {MAX_DURATION // 86400} days", param, ctx)
        return dt.timedelta(seconds=amount * unit)


class TimeZoneName(click.ParamType):
    """An IANA time zone name (`UTC`, `Europe/Paris`)."""

    name = "zone"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from migrator.crontab.zones import is_zone_name, zone_problem  # zoneinfo: only for commands given a zone

        name = str(value)
        if not is_zone_name(name):  # any text: a 300-character name, a directory, a path
            self.fail(zone_problem(name), param, ctx)
        return name


def format_option(*choices: str) -> Callable[[F], F]:
    """`--format` with `choices`, the first the default."""
    return click.option("--format", "fmt", type=click.Choice(choices), default=choices[0], show_default=True,
                        help=FORMAT_HELP)


def tz_option(*hidden_aliases: str) -> Callable[[F], F]:
    """`--tz ZONE` (default UTC): cron's own time zone."""
    return click.option("--tz", *hidden_aliases, "tz", cls=AliasedOption, hidden_aliases=hidden_aliases,
                        type=TimeZoneName(), default="UTC", show_default=True, help=TZ_HELP)


def airflow_option(*hidden_aliases: str, default: str | None, extra_help: str = "") -> Callable[[F], F]:
    """`--airflow 3|2`: the Airflow major version of the DAG code written or read."""
    return click.option("--airflow", *hidden_aliases, "airflow", cls=AliasedOption, hidden_aliases=hidden_aliases,
                        type=click.Choice(["3", "2"]), default=default, show_default=default is not None,
                        help=f"{AIRFLOW_HELP}{' ' + extra_help if extra_help else ''}")


def dialect_option(function: F) -> F:
    return click.option("--dialect", type=click.Choice([str(d) for d in Dialect]), default=str(DEFAULT_DIALECT),
                        show_default=True, help=DIALECT_HELP)(function)


def system_option(function: F) -> F:
    return click.option("--system/--user", "system", default=None, help=SYSTEM_HELP)(function)


def overrides_option(function: F) -> F:
    return click.option("--overrides", "overrides", type=click.Path(dir_okay=False), metavar="FILE",
                        help=OVERRIDES_HELP)(function)


def scripts_root_option(function: F) -> F:
    """`--scripts-root DIR`: where the scripts the crontab's jobs run can be read."""
    from pathlib import Path  # (with urllib and ipaddress: 6 ms that `lint` need not pay)

    return click.option("--scripts-root", "scripts_root", metavar="DIR", default=None,
                        type=click.Path(exists=True, file_okay=False, path_type=Path),
                        help=SCRIPTS_ROOT_HELP)(function)
