"""The report `migrate` prints when it is done: what was written, and everything the user must know."""

from __future__ import annotations

import os
from pathlib import Path

from migrator.codegen.environment import Secret
from migrator.codegen.migrate import MigrateResult
from migrator.codegen.writer import BLOCKED, Status

_VERB = {
    Status.CREATED: "created",
    Status.UPDATED: "updated",
    Status.UNCHANGED: "unchanged",
    Status.OVERWRITTEN: "overwritten (--force)",
    Status.EDITED: "NOT WRITTEN: edited since cron2dag wrote it",
    Status.FOREIGN: "NOT WRITTEN: not written by cron2dag",
}
_WOULD = {
    Status.CREATED: "would create",
    Status.UPDATED: "would update",
    Status.UNCHANGED: "unchanged",
    Status.OVERWRITTEN: "would overwrite (--force)",
}


def render_summary(result: MigrateResult, output: Path) -> str:
    lines: list[str] = []
    dags = [f.dag for f in result.files if f.dag is not None]
    dagster = any(plan.target == "dagster" for plan in result.plans)
    unit = "pipeline module" if dagster else "DAG"
    tasks = sum(d.task_count for d in dags)
    edges = sum(len(d.edges) for d in dags)
    links = sum(len(d.links) for d in dags)
    waits = sum(len(d.waits) for d in dags)
    counts: dict[Status, int] = {}
    for file in result.files:
        counts[file.status] = counts.get(file.status, 0) + 1
    verbs = _VERB if result.written else {**_VERB, **_WOULD}
    breakdown = ", ".join(
        f"{n} {verbs[s].split(':')[0].lower()}" for s, n in sorted(counts.items())
    )
    head = "Wrote" if result.written else "Would write"
    not_written = sum(1 for f in result.files if f.status in BLOCKED)
    written = f"{len(result.files) - not_written} of " if not_written else ""
    what = f"{len(dags)} {unit}{'s' * (len(dags) != 1)}" + (
        " and definitions.py" if dagster else ""
    )
    lines.append(
        f"{head} {written}{what} to {_display(output)} ({breakdown or 'none'}): "
        f"{_count(tasks, 'task')}, {_count(edges, 'edge')}, {_count(links, 'cross-DAG link')}, "
        f"{_count(waits, 'time wait')}"
    )
    for file in result.files:
        dag = file.dag
        if dag is None:
            lines.append(f"  {verbs[file.status]:<22} {_display(file.path)}  the code location")
            continue
        lines.append(
            f"  {verbs[file.status]:<22} {_display(file.path)}  "
            f"{dag.dag_id}: {_count(dag.task_count, 'task')}, {_count(len(dag.edges), 'edge')}, "
            f"`{dag.timetable.expression}` "
            f"{dag.timetable.timezone}"
        )
    skipped = [(plan.source, u) for plan in result.plans for u in plan.unscheduled]
    if skipped:
        lines.append(
            f"Skipped {len(skipped)} entr{'y' if len(skipped) == 1 else 'ies'} (no DAG written):"
        )
        lines.extend(f"  {source}:{u.line}: {u.reason}" for source, u in skipped)
    secrets = [(plan.source, s, ids) for plan in result.plans for s, ids in plan.secrets]
    if secrets and dagster:
        lines.append(
            "Secrets kept out of the generated files (set these environment variables where "
            "Dagster runs, e.g. in a .env file beside definitions.py):"
        )
        for source, secret, ids in secrets:
            lines.append(
                f"  {_where(source, secret)}{secret.name}: read with dg.EnvVar({secret.variable!r}) "
                f"by {', '.join(ids)}"
            )
    elif secrets:
        lines.append(
            "Secrets kept out of the DAG files (set these Airflow Variables before the DAGs run; "
            "`airflow variables set NAME VALUE`, or AIRFLOW_VAR_<NAME> in the environment):"
        )
        for source, secret, ids in secrets:
            lines.append(
                f"  {_where(source, secret)}{secret.name}: read from Variable {secret.variable!r} "
                f"by {', '.join(ids)} (airflow variables set {secret.variable} ...)"
            )
    if result.notes:
        lines.append("Notes:")
        for note in result.notes:
            where = f"{note.source}:{note.line}" if note.line else note.source
            lines.append(f"  {where}: {note.message}")
    if result.stale:
        lines.append("Generated earlier from these crontabs but no longer produced (not deleted):")
        lines.extend(f"  {_display(p)}" for p in result.stale)
    blocked = [f for f in result.files if f.status in BLOCKED]
    if blocked:
        lines.append(
            f"{_count(len(blocked), 'file')} left as {'it is' if len(blocked) == 1 else 'they are'}: "
            "see the changes with "
            "--diff, keep your edits elsewhere, then re-run with --force to replace them."
        )
    return "\n".join(lines)


def _where(source: str, secret: Secret) -> str:
    """`crontab:3,6: ` for a secret written in command lines; nothing for an environment one."""
    return f"{source}:{','.join(map(str, secret.lines))}: " if secret.lines else ""


def _display(path: Path) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return relative if not relative.startswith("..") else str(path)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"
