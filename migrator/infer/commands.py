"""`cron2dag infer` and `cron2dag graph`: thin click commands over `infer_pipeline` and the renderers."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from migrator.crontab.model import DEFAULT_DIALECT, Dialect
from migrator.crontab.parser import load_crontab
from migrator.errors import UsageError
from migrator.infer.drawing import dot, from_dag_file, from_pipeline, mermaid
from migrator.infer.model import Pipeline
from migrator.infer.overrides import load_overrides
from migrator.infer.pipeline import infer_pipeline
from migrator.infer.render import render_json, render_text
from migrator.infer.scripts import ScriptReader


def _crontab_options(function):  # type: ignore[no-untyped-def]
    function = click.option(
        "--tz",
        "timezone",
        default="UTC",
        show_default=True,
        help="cron's own zone: the zone of entries without CRON_TZ.",
    )(function)
    function = click.option(
        "--dialect",
        type=click.Choice([str(d) for d in Dialect]),
        default=str(DEFAULT_DIALECT),
        show_default=True,
        help="Which cron's reading of the file to follow.",
    )(function)
    function = click.option(
        "--system/--user",
        "system",
        default=None,
        help="System crontab (a user column) or user crontab. Default: detected.",
    )(function)
    function = click.option(
        "--overrides",
        "overrides_path",
        type=click.Path(dir_okay=False),
        default=None,
        help="TOML file that pins or removes edges, renames tasks and DAGs, skips jobs.",
    )(function)
    function = scripts_root_option(function)
    return function


def scripts_root_option(function):  # type: ignore[no-untyped-def]
    return click.option(
        "--scripts-root",
        "scripts_root",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        default=None,
        metavar="DIR",
        help="A checkout of the repository that holds the scripts the jobs run: each script is "
        "found there by the longest matching end of its path, and read (never run) for what it "
        "reads and writes. Scripts present at their own path on this machine are read too.",
    )(function)


def script_reader(scripts_root: Path | None) -> ScriptReader:
    return ScriptReader(scripts_root)


def _infer(
    path: str,
    overrides_path: str | None,
    system: bool | None,
    dialect: str,
    timezone: str,
    scripts_root: Path | None,
) -> Pipeline:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"--tz: unknown time zone '{timezone}' (expected an IANA name such as Europe/Berlin)"
        )
    crontab = load_crontab(path, system=system, dialect=Dialect(dialect))
    for warning in crontab.warnings:
        click.echo(f"{warning} (warning)", err=True)
    overrides = load_overrides(overrides_path) if overrides_path else None
    return infer_pipeline(
        crontab, overrides, default_timezone=timezone, scripts=script_reader(scripts_root)
    )


@click.command("infer")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_crontab_options
def infer_command(
    path: str,
    fmt: str,
    overrides_path: str | None,
    system: bool | None,
    dialect: str,
    timezone: str,
    scripts_root: Path | None,
) -> None:
    """Infer the dependencies between the jobs of a crontab FILE, with the evidence for each."""
    pipeline = _infer(path, overrides_path, system, dialect, timezone, scripts_root)
    click.echo(render_json(pipeline) if fmt == "json" else render_text(pipeline))


@click.command("graph")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True
)
@_crontab_options
def graph_command(
    path: str,
    fmt: str,
    overrides_path: str | None,
    system: bool | None,
    dialect: str,
    timezone: str,
    scripts_root: Path | None,
) -> None:
    """Draw the pipeline inferred from a crontab FILE, or the DAGs of a DAG file (FILE.py).

    A DAG file is read statically, never imported or run.
    """
    if path.endswith(".py"):
        drawing = from_dag_file(path)
    else:
        drawing = from_pipeline(
            _infer(path, overrides_path, system, dialect, timezone, scripts_root)
        )
    click.echo(dot(drawing) if fmt == "dot" else mermaid(drawing))
