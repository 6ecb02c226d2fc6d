"""`cron2dag parse` and `cron2dag explain`: thin click commands over the parser and schedule modules."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import click

from migrator.crontab.explain import explain_entries, explain_schedule
from migrator.crontab.fields import shorten
from migrator.crontab.model import CronTab, Dialect
from migrator.crontab.parser import load_crontab, parse_expression
from migrator.errors import Diagnostic, InputError
from migrator.options import dialect_option, format_option, system_option, tz_option


def _print_warnings(warnings: tuple[Diagnostic, ...]) -> None:
    for warning in warnings:
        click.echo(f"{warning} (warning)", err=True)


# ---- parse ---------------------------------------------------------------------------------------------


@click.command("parse")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=True))
@format_option("text", "json")
@system_option
@dialect_option
def parse_command(path: str, fmt: str, system: bool | None, dialect: str) -> None:
    """Parse a crontab FILE and print its entries, environment and comments."""
    crontab = load_crontab(path, system=system, dialect=Dialect(dialect))
    _print_warnings(crontab.warnings)
    if fmt == "json":
        _echo_pieces(crontab.json_text())
    else:
        click.echo(render_crontab(crontab))


def _echo_pieces(pieces: Iterable[str], batch: int = 1 << 20) -> None:
    """Print text made in pieces, a megabyte at a time (the JSON of a large file is tens of them)."""
    buffered: list[str] = []
    size = 0
    for piece in pieces:
        buffered.append(piece)
        size += len(piece)
        if size >= batch:
            click.echo("".join(buffered), nl=False)
            buffered, size = [], 0
    click.echo("".join(buffered), nl=False)


def render_crontab(crontab: CronTab) -> str:
    kind = "system crontab" if crontab.system else "user crontab"
    entries = len(crontab.entries)
    lines = [
        (
            f"{crontab.path}: {kind}, {crontab.dialect} dialect, "
            f"{entries} {'entry' if entries == 1 else 'entries'}, "
            f"{len(crontab.environment)} environment assignment(s)"
        )
    ]
    for assignment in crontab.environment:
        lines.append(f"  line {assignment.span.line}: {assignment.name}={assignment.value!r}")
    for entry in crontab.entries:
        lines.append("")
        for comment in entry.comments:
            lines.append(f"  # {comment}")
        user = f"  user {entry.user}" if entry.user else ""
        zone = f"  CRON_TZ={entry.schedule.timezone}" if entry.schedule.timezone else ""
        lines.append(f"  line {entry.line}: {entry.schedule.text}{user}{zone}")
        lines.append(f"    command: {entry.command}")
        if entry.stdin is not None:
            lines.append(f"    stdin:   {entry.stdin!r}")
        flags = [
            name for name, on in (("no-log", entry.no_log), ("-n", entry.mail_only_on_error)) if on
        ]
        if flags:
            lines.append(f"    cronie options: {', '.join(flags)}")
    return "\n".join(lines)


# ---- explain -------------------------------------------------------------------------------------------


@click.command("explain")
@click.argument("target", metavar="EXPR|FILE")
@click.option("--next", "count", type=click.IntRange(0, 10_000), default=5, show_default=True)
@tz_option()
@click.option(
    "--from", "start", metavar="ISO-DATETIME", help="Start after this time (default: now)."
)
@format_option("text", "json")
@system_option
@dialect_option
def explain_command(
    target: str,
    count: int,
    tz: str,
    start: str | None,
    fmt: str,
    system: bool | None,
    dialect: str,
) -> None:
    """Explain a cron expression or every entry of a crontab FILE: meaning and next fire times."""
    zone = ZoneInfo(tz)
    begin = _start(start, zone)
    is_file = os.path.exists(target)
    if not is_file and not _looks_like_expression(target):
        raise InputError.at(
            target,
            "no such file (to explain an expression, quote its five time fields or give an @macro, "
            'e.g. "0 1 * * *")',
        )
    if is_file:
        crontab = load_crontab(target, system=system, dialect=Dialect(dialect))
        _print_warnings(crontab.warnings)
        records = explain_entries(crontab.entries, start=begin, count=count, default_tz=tz)
        if fmt == "json":
            click.echo(json.dumps(records, indent=2))
        else:
            click.echo("\n\n".join(render_explanation(r) for r in records) or "(no entries)")
        return
    try:
        schedule = parse_expression(target, dialect=Dialect(dialect))
    except InputError as error:
        if _FIELD_WORD.fullmatch(target) is None:
            raise
        # One word such as `5/15` or `*/5`: say it is read as an expression because no such file exists.
        raise InputError(
            Diagnostic(
                d.path, f"{d.message} (and there is no file named '{target}')", d.line, d.column
            )
            for d in error.diagnostics
        ) from None
    record = explain_schedule(schedule, start=begin, count=count, default_tz=tz)
    click.echo(json.dumps(record, indent=2) if fmt == "json" else render_explanation(record))


# Characters of time fields (and of the Quartz syntax the field errors explain): a word made only of them
# is an expression, not a file name.
_FIELD_WORD = re.compile(r"[0-9*,/~?#-]+")


def _looks_like_expression(target: str) -> bool:
    """How `explain` reads an argument that is not an existing file: as an expression or as a file name."""
    return (
        target.startswith("@")
        or any(c.isspace() for c in target)
        or _FIELD_WORD.fullmatch(target) is not None
    )


def _start(text: str | None, zone: ZoneInfo) -> datetime:
    if text is None:
        return datetime.now(zone).replace(second=0, microsecond=0)
    # Python 3.10's fromisoformat rejects the "Z" suffix that 3.11 and most tools write for UTC
    iso = text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text
    try:
        value = datetime.fromisoformat(iso)
    except ValueError:
        raise InputError.at(
            "--from", f"'{shorten(text)}' is not an ISO 8601 date-time (e.g. 2026-01-31T09:00)"
        ) from None
    where = ""
    if value.tzinfo is None:
        value, where = value.replace(tzinfo=zone), f" in {zone.key}"
    try:
        value.astimezone(timezone.utc)
    except OverflowError:
        raise InputError.at(
            "--from",
            f"'{shorten(text)}'{where} lies outside the years 1 to 9999 in UTC, the calendar "
            "fire times are computed on",
        ) from None
    return value


def render_explanation(record: dict[str, Any]) -> str:
    where = f"line {record['line']}: " if "line" in record else ""
    lines = [
        f"{where}{record['expression']}",
        f"  {record['description']}",
        f"  canonical: {record['canonical']}",
        f"  time zone: {record['timezone']}",
    ]
    for index, fire in enumerate(record["next"]):
        lines.append(f"  {'next:' if index == 0 else '     '} {fire}")
    for warning in record["warnings"]:
        lines.append(f"  warning: {warning}")
    return "\n".join(lines)
