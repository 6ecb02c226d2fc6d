"""`cron2dag migrate`: crontabs in, one DAG module per inferred DAG out.

Reading and inference happen first for every file (so a bad crontab stops the run before anything
is written), then each module is rendered and compared with what is on disk, then written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from migrator.codegen.emit import render_dag
from migrator.codegen.plan import CodegenOptions, DagPlan, Note, PipelinePlan, plan_pipeline
from migrator.codegen.targets import TARGETS
from migrator.codegen.writer import (
    BLOCKED,
    Status,
    WriteFailed,
    classify,
    read_existing,
    recorded_hash,
    unified_diff,
    with_header,
    write_all,
)
from migrator.errors import InputError
from migrator.infer.model import Pipeline
from migrator.infer.pipeline import crontab_stem


@dataclass(frozen=True)
class GeneratedFile:
    path: Path
    dag: DagPlan | None  # None: a file of the whole output (Dagster's definitions.py)
    text: str
    status: Status
    diff: str


@dataclass(frozen=True)
class MigrateResult:
    plans: tuple[PipelinePlan, ...]
    files: tuple[GeneratedFile, ...]
    written: bool  # False for --dry-run and --diff
    stale: tuple[Path, ...] = field(
        default=()
    )  # generated earlier from these sources, not any more

    @property
    def blocked(self) -> tuple[GeneratedFile, ...]:
        return tuple(f for f in self.files if f.status in BLOCKED)

    @property
    def changed(self) -> tuple[GeneratedFile, ...]:
        return tuple(f for f in self.files if f.status is not Status.UNCHANGED)

    @property
    def notes(self) -> tuple[Note, ...]:
        return tuple(n for p in self.plans for n in p.notes)


def migrate(
    pipelines: Sequence[Pipeline],
    output: Path,
    options: CodegenOptions,
    *,
    force: bool = False,
    write: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> MigrateResult:
    """Render every DAG of `pipelines` into `output`; write unless `write` is False.

    Files that were edited since cron2dag wrote them (or that cron2dag did not write) are left
    alone unless `force`; the others are written all or nothing (`writer.write_all`): when one
    cannot be written, none is, as when a crontab does not parse.
    """
    pipelines, renamed = _distinct_dag_ids(pipelines)
    plans = tuple(_with_notes(plan_pipeline(p, options), renamed) for p in pipelines)
    # progress counts two steps per file, rendering (the slow part) and comparing/writing
    extra_files = 1 if options.target == "dagster" else 0  # definitions.py
    total = 2 * (sum(len(plan.dags) for plan in plans) + extra_files)
    rendered: list[tuple[Path, DagPlan | None, str]] = []
    if options.target == "dagster":
        from migrator.codegen.dagster.location import render_location

        rendered = render_location(
            plans, pipelines, options, output, progress and (lambda done: progress(done, total))
        )
    else:
        target = TARGETS[options.airflow]
        for plan in plans:
            for dag in plan.dags:
                body = render_dag(dag, target)
                text = with_header(plan.source, dag.lines, options.airflow, body)
                rendered.append((output / module_name(dag.dag_id), dag, text))
                if progress:
                    progress(len(rendered), total)
    created: list[Path] = []  # the directories this run makes, deepest first
    if write:
        created = [d for d in (output, *output.parents) if not d.exists()]
        try:
            output.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _io_error(output, "create the output directory", error) from None
    try:
        files = _compare(rendered, force, progress, total)
        if write:
            try:
                write_all([(f.path, f.text) for f in files if f.status in _WRITTEN])
            except WriteFailed as failed:
                raise _io_error(failed.path, "write the DAG file", failed.error) from None
    except BaseException:
        _remove_if_empty(created)
        raise
    return MigrateResult(plans, tuple(files), write, _stale(output, plans, {f.path for f in files}))


_WRITTEN = frozenset({Status.CREATED, Status.UPDATED, Status.OVERWRITTEN})


def _compare(
    rendered: Sequence[tuple[Path, DagPlan | None, str]],
    force: bool,
    progress: Callable[[int, int], None] | None,
    total: int,
) -> list[GeneratedFile]:
    """What writing each module would do to the file on disk (reads only)."""
    files: list[GeneratedFile] = []
    for path, dag, text in rendered:
        try:
            existing = read_existing(path)
        except OSError as error:
            raise _io_error(path, "read", error) from None
        status = classify(existing, text)
        if force and status in BLOCKED:
            status = Status.OVERWRITTEN
        diff = "" if status is Status.UNCHANGED else unified_diff(str(path), existing, text)
        files.append(GeneratedFile(path, dag, text, status, diff))
        if progress:
            progress(len(rendered) + len(files), total)
    return files


def _remove_if_empty(directories: Sequence[Path]) -> None:
    """Take back the output directories this run created, when nothing was written into them."""
    for directory in directories:
        try:
            directory.rmdir()
        except OSError:
            return  # not empty (someone else wrote there meanwhile): leave it


def _io_error(path: Path, action: str, error: OSError) -> InputError:
    # an output directory that cannot be written (or a path in it that is not a file) is bad
    # input like an unreadable crontab: one line naming the path, exit 2, no traceback
    reason = error.strerror or str(error)
    return InputError.at(str(path), f"cannot {action}: {reason}")


def module_name(dag_id: str) -> str:
    return f"{dag_id}.py"


def _distinct_dag_ids(
    pipelines: Sequence[Pipeline],
) -> tuple[list[Pipeline], dict[str, list[Note]]]:
    """Crontabs migrated together whose DAG ids collide (two `cleanup` jobs, two `etl` files):
    each colliding DAG takes its crontab's name as a prefix, and a note says so. Nothing stops.
    """
    sources: dict[str, list[str]] = {}
    for pipeline in pipelines:
        for dag in pipeline.dags:
            sources.setdefault(dag.dag_id, []).append(pipeline.source)
    taken = {dag_id for dag_id, where in sources.items() if len(where) == 1}
    out: list[Pipeline] = []
    notes: dict[str, list[Note]] = {}
    for pipeline in pipelines:
        renames: dict[str, str] = {}
        for dag in pipeline.dags:
            where = sources[dag.dag_id]
            if len(where) == 1:
                continue
            wanted = f"{crontab_stem(pipeline.source)}_{dag.dag_id}"
            new, number = wanted, 2
            while new in taken or new in sources:
                new, number = f"{wanted}_{number}", number + 1
            taken.add(new)
            renames[dag.dag_id] = new
            others = sorted({s for s in where if s != pipeline.source}) or [pipeline.source]
            notes.setdefault(pipeline.source, []).append(
                Note(
                    pipeline.source,
                    dag.tasks[0].entry.line,
                    f"DAG id {dag.dag_id!r} is also generated from {', '.join(others)}: written "
                    f"as {new!r} (choose another with [dags.{dag.dag_id}] dag_id = ... in an "
                    "overrides file)",
                )
            )
        out.append(pipeline.with_dag_ids(renames))
    return out, notes


def _with_notes(plan: PipelinePlan, renamed: dict[str, list[Note]]) -> PipelinePlan:
    extra = renamed.get(plan.source)
    return replace(plan, notes=(*extra, *plan.notes)) if extra else plan


def _stale(output: Path, plans: Sequence[PipelinePlan], current: set[Path]) -> tuple[Path, ...]:
    """Modules in `output` that cron2dag generated from these sources earlier but would not now."""
    if not output.is_dir():
        return ()
    sources = {p.source for p in plans}
    stale = []
    for path in sorted(output.glob("*.py")):
        if path in current or not path.is_file():
            continue
        try:
            text = read_existing(path)
        except OSError:
            continue  # unreadable: not something cron2dag can have written
        if text is None or recorded_hash(text) is None:
            continue
        first_line = text.split("\n", 1)[0]
        if any(
            first_line.startswith(f"# Generated by cron2dag from {source} (") for source in sources
        ):
            stale.append(path)
    return tuple(stale)
