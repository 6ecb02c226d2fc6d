"""`cron2dag infer` and `cron2dag graph`: thin click commands over `infer_pipeline` and the renderers."""

from __future__ import annotations

from pathlib import Path

import click

from migrator.crontab.model import Dialect
from migrator.crontab.parser import load_crontab
from migrator.infer.drawing import dot, from_dag_file, from_pipeline, mermaid
from migrator.infer.model import Pipeline
from migrator.infer.overrides import load_overrides
from migrator.infer.pipeline import infer_pipeline
from migrator.infer.render import render_json, render_text
from migrator.infer.scripts import ScriptReader
from migrator.options import (
    dialect_option,
    format_option,
    overrides_option,
    scripts_root_option,
    system_option,
    tz_option,
)


def _crontab_options(function):  # type: ignore[no-untyped-def]
    function = tz_option()(function)
    function = dialect_option(function)
    function = system_option(function)
    function = scripts_root_option(function)
    return overrides_option(function)


def script_reader(scripts_root: Path | None) -> ScriptReader:
    """Reads the jobs' scripts under `scripts_root`, and at their own path on this machine."""
    return ScriptReader(scripts_root)


def _infer(
    path: str,
    overrides: str | None,
    system: bool | None,
    dialect: str,
    timezone: str,
    scripts_root: Path | None,
) -> Pipeline:
    crontab = load_crontab(path, system=system, dialect=Dialect(dialect))
    for warning in crontab.warnings:
        click.echo(f"{warning} (warning)", err=True)
    loaded = load_overrides(overrides) if overrides else None
    return infer_pipeline(
        crontab, loaded, default_timezone=timezone, scripts=script_reader(scripts_root)
    )


@click.command("infer")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@format_option("text", "json")
@_crontab_options
def infer_command(
    path: str,
    fmt: str,
    overrides: str | None,
    system: bool | None,
    dialect: str,
    tz: str,
    scripts_root: Path | None,
) -> None:
    """Infer the dependencies between the jobs of a crontab FILE, with the evidence for each."""
    pipeline = _infer(path, overrides, system, dialect, tz, scripts_root)
    click.echo(render_json(pipeline) if fmt == "json" else render_text(pipeline))


@click.command("graph")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@format_option("mermaid", "dot")
@_crontab_options
def graph_command(
    path: str,
    fmt: str,
    overrides: str | None,
    system: bool | None,
    dialect: str,
    tz: str,
    scripts_root: Path | None,
) -> None:
    """Draw the pipeline inferred from a crontab FILE, or the DAGs of a DAG file (FILE.py).

    A DAG file is read statically, never imported or run.
    """
    if path.endswith(".py"):
        drawing = from_dag_file(path)
    else:
        drawing = from_pipeline(_infer(path, overrides, system, dialect, tz, scripts_root))
    click.echo(dot(drawing) if fmt == "dot" else mermaid(drawing))
