"""`cron2dag infer` and `cron2dag graph`: thin click commands over `infer_pipeline` and the renderers."""

from __future__ import annotations

import click

from migrator.crontab.model import DEFAULT_DIALECT, Dialect
from migrator.crontab.parser import load_crontab
from migrator.crontab.zones import is_zone_name, zone_problem
from migrator.errors import UsageError
from migrator.infer.drawing import dot, from_dag_file, from_pipeline, mermaid
from migrator.infer.model import Pipeline
from migrator.infer.overrides import load_overrides
from migrator.infer.pipeline import infer_pipeline
from migrator.infer.render import render_json, render_text


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
    return function


def _infer(
    path: str, overrides_path: str | None, system: bool | None, dialect: str, timezone: str
) -> Pipeline:
    if not is_zone_name(timezone):
        raise UsageError(f"--tz: {zone_problem(timezone)}")
    crontab = load_crontab(path, system=system, dialect=Dialect(dialect))
    for warning in crontab.warnings:
        click.echo(f"{warning} (warning)", err=True)
    overrides = load_overrides(overrides_path) if overrides_path else None
    return infer_pipeline(crontab, overrides, default_timezone=timezone)


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
) -> None:
    """Infer the dependencies between the jobs of a crontab FILE, with the evidence for each."""
    pipeline = _infer(path, overrides_path, system, dialect, timezone)
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
) -> None:
    """Draw the pipeline inferred from a crontab FILE, or the DAGs of a DAG file (FILE.py).

    A DAG file is read statically, never imported or run.
    """
    if path.endswith(".py"):
        drawing = from_dag_file(path)
    else:
        drawing = from_pipeline(_infer(path, overrides_path, system, dialect, timezone))
    click.echo(dot(drawing) if fmt == "dot" else mermaid(drawing))
