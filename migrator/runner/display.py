"""What the runner shows while it works: live progress (rich) and the summary tables.

On a terminal a live view redraws at most ten times a second from the scheduler's events (no thread:
the runner forks task processes, and a refresh thread would be copied into them). Elsewhere (CI logs,
pipes) each finished task is printed as one line instead.
"""

from __future__ import annotations

import datetime
import time
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from migrator.runner.states import FINISHED, TaskInstanceState
from migrator.runner.store import TIKey, TIRow

if TYPE_CHECKING:
    from migrator.runner.scheduler import RunProgress

STYLES = {
    "success": "green", "failed": "red", "upstream_failed": "dark_orange", "skipped": "magenta",
    "up_for_retry": "yellow", "up_for_reschedule": "turquoise2", "running": "bright_green", "queued": "grey62",
    "deferred": "medium_purple", "scheduled": "tan", "removed": "grey50", "none": "grey50",
}
SUMMARY_ROWS = 200


def styled(state: Any) -> Text:
    name = str(state) if state is not None else "none"
    return Text(name, style=STYLES.get(name, ""))


def _clock(seconds: float) -> str:
    """A wait as h:mm:ss (as the elapsed-time column shows it)."""
    whole = max(0, int(seconds + 0.999))
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def next_try(ti: TIRow, now: float | None = None) -> str:
    """When a waiting task starts again: 'next try at 14:05:31Z (in 0:04:53)'."""
    if ti.next_try_at is None:
        return ""
    at = time.strftime("%H:%M:%SZ", time.gmtime(ti.next_try_at))
    what = "next poke" if ti.state == TaskInstanceState.UP_FOR_RESCHEDULE else f"try {ti.try_number + 1}"
    return f"{what} at {at} (in {_clock(ti.next_try_at - (now if now is not None else time.time()))})"


def _seconds(start: str | None, end: str | None) -> str:
    if not start:
        return ""
    begin = datetime.datetime.fromisoformat(start)
    finish = datetime.datetime.fromisoformat(end) if end else datetime.datetime.now(datetime.timezone.utc)
    return f"{(finish - begin).total_seconds():.2f}s"


class RunDisplay:
    """Observer for `cron2dag run` and `backfill`."""

    def __init__(self, console: Console, *, total_runs: int = 1, backfill: bool = False) -> None:
        self.console = console
        self.live_mode = console.is_terminal
        self.backfill = backfill
        self.runs: dict[tuple[str, str], RunProgress] = {}
        self.finished_runs: list[RunProgress] = []
        self.progress: Any = None
        if self.live_mode:  # rich's live machinery only when it is drawn
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), console=console, auto_refresh=False)
            self.bar = self.progress.add_task("runs" if backfill else "tasks", total=total_runs if backfill else None)
        self.live: Any = None
        self._last_draw = 0.0
        self._finished: dict[tuple[str, str], set[TIKey]] = {}

    def __enter__(self) -> RunDisplay:
        if self.live_mode:
            from rich.live import Live

            self.live = Live(self._render(), console=self.console, auto_refresh=False, transient=True)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(None, None, None)
            self.live = None

    # -- observer ------------------------------------------------------------------------------------
    def run_started(self, run: RunProgress) -> None:
        self.runs[run.key] = run
        self._finished[run.key] = {key for key, ti in run.tis.items() if ti.state in FINISHED}
        if self.progress is not None and not self.backfill:
            self.progress.update(self.bar, total=len(run.tis), completed=len(self._finished[run.key]))
        if not self.live_mode:
            self.console.print(f"run {run.row.run_id} of {run.row.dag_id} (logical date {run.row.logical_date}): "
                               f"{len(run.tis)} tasks")
        self._draw()

    def task_changed(self, run: RunProgress, key: TIKey, ti: TIRow) -> None:
        finished = self._finished.setdefault(run.key, set())
        if ti.state in FINISHED:
            finished.add(key)
        else:
            finished.discard(key)
        if self.progress is not None and not self.backfill:
            self.progress.update(self.bar, total=len(run.tis), completed=len(finished & run.tis.keys()))
        if not self.live_mode and (ti.state in FINISHED or ti.state == TaskInstanceState.UP_FOR_RETRY):
            # Plain writes: a line per task must stay cheap when a DAG has thousands of tasks.
            where = f"{run.row.logical_date[:19] if run.row.logical_date else run.row.run_id} " if self.backfill else ""
            detail = f" (try {ti.try_number}, {_seconds(ti.start_date, ti.end_date)})" if ti.try_number else ""
            waiting = f"; {next_try(ti)}" if ti.state == TaskInstanceState.UP_FOR_RETRY else ""
            self.console.file.write(f"  {where}{key} {ti.state}{detail}{waiting}\n")
        self._draw()

    def tick(self) -> None:
        """Called by the scheduler at least once a second, events or not: the clock and the waits
        keep moving while every task is waiting (a retry delay), and no change stays undrawn."""
        self._draw()

    def run_finished(self, run: RunProgress) -> None:
        self.runs.pop(run.key, None)
        self.finished_runs.append(run)
        if self.backfill:
            if self.progress is not None:
                self.progress.update(self.bar, advance=1)
            if not self.live_mode:
                state = run.final_state or f"not finished ({run.outcome_note})"
                line = Text(f"run {run.row.logical_date} ")
                line.append_text(styled(state) if run.final_state else Text(str(state), style="yellow"))
                self.console.print(line)
        self._draw(force=True)

    # -- drawing ---------------------------------------------------------------------------------------
    def _draw(self, force: bool = False) -> None:
        if self.live is None:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        self.live.update(self._render(), refresh=True)

    def _render(self) -> Any:
        parts: list[Any] = [self.progress]
        for run in list(self.runs.values())[:4]:
            counts = Counter(str(ti.state) if ti.state else "none" for ti in run.tis.values())
            header = Text(f"{run.row.dag_id} {run.row.run_id}  ")
            for state, count in sorted(counts.items()):
                header.append(f"{state}={count} ", style=STYLES.get(state, ""))
            parts.append(header)
            active = [(task_id, ti) for task_id, ti in run.tis.items()
                      if ti.state in (TaskInstanceState.RUNNING, TaskInstanceState.UP_FOR_RETRY,
                                      TaskInstanceState.DEFERRED, TaskInstanceState.UP_FOR_RESCHEDULE,
                                      TaskInstanceState.QUEUED)]
            now = time.time()
            for task_id, ti in active[:8]:
                line = Text(f"  {task_id} ")
                line.append_text(styled(ti.state))
                if ti.state in (TaskInstanceState.UP_FOR_RETRY, TaskInstanceState.UP_FOR_RESCHEDULE):
                    line.append(f" after try {ti.try_number}; {next_try(ti, now)}")
                elif ti.state == TaskInstanceState.RUNNING:
                    line.append(f" try {ti.try_number} {_seconds(ti.start_date, None)}")
                else:
                    line.append(f" try {ti.try_number}")
                parts.append(line)
            if len(active) > 8:
                parts.append(Text(f"  ... and {len(active) - 8} more"))
        return Group(*parts)


def task_table(run_row: Any, tis: dict[TIKey, TIRow], order: Iterable[TIKey]) -> Table:
    """A run's task instances; fits 80 columns: long task ids and notes wrap, nothing is cut."""
    table = Table(title=f"{run_row.dag_id}  {run_row.run_id}", title_justify="left")
    table.add_column("task", overflow="fold")
    table.add_column("state", overflow="fold")
    table.add_column("try", justify="right")
    table.add_column("duration", justify="right")
    table.add_column("note", overflow="fold")
    ids = list(order)
    shown = ids if len(ids) <= SUMMARY_ROWS else [t for t in ids if tis[t].state != TaskInstanceState.SUCCESS][:SUMMARY_ROWS]
    for key in shown:
        ti = tis[key]
        table.add_row(str(key), styled(ti.state), str(ti.try_number), _seconds(ti.start_date, ti.end_date),
                      (ti.note or "")[:200])
    if len(shown) < len(ids):
        counts = Counter(str(tis[t].state) for t in ids)
        table.caption = f"{len(ids)} tasks: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    return table


def short_date(value: str | None) -> str:
    """A UTC logical date for a narrow column: `2024-01-31`, or `2024-01-31 06:30` when not midnight."""
    if not value:
        return ""
    moment = datetime.datetime.fromisoformat(value).astimezone(datetime.timezone.utc)
    if moment.time() == datetime.time(0):
        return moment.date().isoformat()
    return moment.strftime("%Y-%m-%d %H:%M" if moment.second == 0 and not moment.microsecond else "%Y-%m-%d %H:%M:%S")


def runs_table(runs: list[Any], title: str = "runs") -> Table:
    """Runs, one a row; fits 80 columns with whole run ids (the column other ones wrap around)."""
    table = Table(title=title, title_justify="left")
    widest = max((len(run.run_id) for run in runs), default=6)
    table.add_column("run id", no_wrap=True, min_width=widest)
    table.add_column("logical date (UTC)", overflow="fold")
    table.add_column("state", overflow="fold")
    table.add_column("duration", justify="right")
    table.add_column("note", overflow="fold")
    for run in runs:
        table.add_row(run.run_id, short_date(run.logical_date), styled(run.state),
                      _seconds(run.start_date, run.end_date), run.note or "")
    return table
