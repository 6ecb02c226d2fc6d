"""`cron2dag lint`, `cron2dag rule CODE`, `cron2dag rules`: thin click commands over `migrator.lint.api`."""

from __future__ import annotations

import os
from collections.abc import Iterable

import click

from migrator.errors import InputError
from migrator.options import airflow_option, format_option


def _selectors(values: Iterable[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _check_selectors(option: str, values: list[str]) -> None:
    from migrator.lint.registry import UnknownSelector, default_registry

    registry = default_registry()
    for value in values:
        try:
            registry.validate(value)
        except UnknownSelector:
            raise click.BadParameter(f"unknown rule or prefix `{value}` (see `cron2dag rules`)", param_hint=option) from None


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path())
@format_option("text", "json", "sarif", "github")
@click.option("--select", multiple=True, metavar="CODES", help="Rules to enable (codes, prefixes or names; comma-separated). Replaces the configured selection.")
@click.option("--extend-select", multiple=True, metavar="CODES", help="Rules to enable on top of the selection.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Rules to disable.")
@click.option("--fix", is_flag=True, help="Apply safe fixes to the files.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply (or offer) fixes that may change behaviour.")
@click.option("--diff", is_flag=True, help="Print the fixes as a diff instead of writing them; exit 1 if there is any.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print how many findings each rule has, instead of the findings.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="pyproject.toml to read (default: the nearest one with [tool.cron2dag]).")
@airflow_option("--airflow-version", default=None, extra_help="Default: `airflow-version` of the configuration, else 3.")
@click.option("--no-cache", is_flag=True, help="Lint every file, without reading or writing the cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Cache directory (default: .cron2dag_cache next to the config).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes (default: one per core, used for large runs).")
@click.option("--no-show-source", is_flag=True, help="Text format: no code snippet under each finding.")
@click.option("--force-exclude", is_flag=True,
              help="Apply the configured `exclude` to paths named on the command line too (as pre-commit names every file).")
def lint_command(
    paths: tuple[str, ...],
    fmt: str,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
    exit_zero: bool,
    statistics: bool,
    config_path: str | None,
    airflow: str | None,
    no_cache: bool,
    cache_dir: str | None,
    jobs: int | None,
    no_show_source: bool,
    force_exclude: bool,
) -> None:
    """Lint Airflow DAG files and crontabs (directories are searched for *.py and crontab files).

    Exit status: 0 no findings, 1 findings (or, with --diff, fixes to apply), 2 bad usage or input.
    """
    from migrator.lint import formats
    from migrator.lint.api import SourceReader, lint_paths
    from migrator.lint.config import load_config
    from migrator.lint.registry import default_registry

    selected = _selectors(select) if select else None
    extended = _selectors(extend_select)
    ignored = _selectors(ignore)
    for option, values in (("--select", selected or []), ("--extend-select", extended), ("--ignore", ignored)):
        _check_selectors(option, values)
    registry = default_registry()
    config = load_config(config_path, registry, os.getcwd()).with_overrides(
        select=selected, extend_select=extended, ignore=ignored,
        airflow_version=int(airflow) if airflow else None,
    )
    reader = SourceReader()
    outcome = lint_paths(
        list(paths) or ["."], config, registry=registry, fix=fix, unsafe_fixes=unsafe_fixes, diff=diff,
        use_cache=not no_cache, cache_dir=cache_dir, jobs=jobs, reader=reader,
        force_exclude=force_exclude,
    )
    for warning in outcome.warnings:
        click.echo(f"cron2dag: warning: {warning}", err=True)
    findings = outcome.findings
    if diff:
        click.echo("".join(outcome.diffs), nl=False)
        count = len(outcome.diffs)
        click.echo(f"Would fix {outcome.fixed} problem{'s' if outcome.fixed != 1 else ''} in {count} file{'s' if count != 1 else ''}." if count else "No fixes available.", err=True)
    elif statistics:
        click.echo(formats.render_statistics(findings, as_json=fmt == "json"), nl=False)
    elif fmt in ("json", "sarif"):
        from migrator.lint.fixes import (
            with_edits,  # difflib and the fix machinery: not for text output
        )

        if fmt == "json":
            click.echo(formats.render_json(with_edits(findings, reader)), nl=False)
        else:
            click.echo(formats.render_sarif(with_edits(findings, reader), outcome.rules, config.root), nl=False)
    elif fmt == "github":
        click.echo(formats.render_github(findings), nl=False)
    else:
        click.echo(formats.render_text(findings, reader, show_source=not no_show_source, unsafe=unsafe_fixes), nl=False)
        click.echo(formats.render_summary(findings, outcome.fixed, unsafe_fixes, len(outcome.errors)), nl=False)
    if outcome.errors:
        raise InputError(outcome.errors)
    if exit_zero:
        code = 0
    elif diff:
        code = 1 if outcome.diffs else 0
    else:
        code = 1 if findings else 0
    from migrator.cli import end_process

    end_process(code)  # (returns under click's test runner)
    if code:
        click.get_current_context().exit(code)


@click.command("rule")
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="Print the documentation of every rule.")
def rule_command(code: str | None, show_all: bool) -> None:
    """Explain one rule (by code, name or alias): what it flags, why, an example and the fix."""
    from migrator.lint.registry import default_registry

    registry = default_registry()
    if show_all:
        click.echo("\n".join(rule.documentation() for rule in registry.rules), nl=False)
        return
    if not code:
        raise click.UsageError("give a rule code or name (see `cron2dag rules`), or --all")
    rule = registry.get(code)
    if rule is None:
        raise click.BadParameter(f"unknown rule `{code}` (see `cron2dag rules`)", param_hint="CODE")
    click.echo(rule.documentation(), nl=False)


@click.command("rules")
@format_option("text", "json")
def rules_command(fmt: str) -> None:
    """List every rule: code, name, family, fix availability and what it flags."""
    from migrator.lint.registry import default_registry

    registry = default_registry()
    if fmt == "json":
        import json

        click.echo(json.dumps([
            {"code": r.code, "name": r.name, "family": r.family, "severity": str(r.severity),
             "fix": str(r.fix_availability), "target": str(r.target), "summary": r.summary(),
             "airflow_versions": sorted(r.airflow_versions), "aliases": list(r.aliases)}
            for r in registry.rules
        ], indent=2))
        return
    name_width = max(len(r.name) for r in registry.rules)
    family = None
    for rule in registry.rules:
        if rule.family != family:
            family = rule.family
            click.echo(f"{'' if rule is registry.rules[0] else chr(10)}{family}")
        marker = {"none": " ", "sometimes": "~", "always": "*"}[str(rule.fix_availability)]
        click.echo(f"  {rule.code:<7} [{marker}] {rule.name:<{name_width}}  {rule.summary()}")
    click.echo("\n[*] fix always available, [~] sometimes. `cron2dag rule CODE` explains a rule.")
