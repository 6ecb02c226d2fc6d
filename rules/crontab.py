"""Crontab: jobs that cron runs differently from what their author (or Airflow) expects.

These rules run on crontab files (`crontab`, `*.crontab`, `*.cron`, `cron.d/*`) and receive the
parsed `CronTab` model of `migrator.crontab`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from migrator.crontab.model import CronEntry, CronTab, FieldKind, Span
from migrator.lint.finding import Applicability, Edit, Fix, FixAvailability, Violation
from migrator.lint.rule import Rule, Setting, Target

_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")


def command_start(entry: CronEntry) -> int | None:
    """1-based column where the raw command starts, when the entry is on one line."""
    span = entry.span
    if span.line != span.end_line:
        return None
    start = span.end_column - len(entry.raw_command)
    return start if start >= 1 else None


class UnescapedPercentInCommand(Rule):
    """## What it does
    Flags an unescaped `%` in a crontab command.

    ## Why is this bad?
    cron ends the command at the first unescaped `%` and sends the rest to the command's standard
    input, with further `%`s turned into newlines. `date +%Y-%m-%d > /tmp/day` runs `date +` and the
    redirection is lost; the job "works" and produces nothing useful.

    ## Example
    ```
    0 2 * * * tar czf /backup/home-$(date +%F).tgz /home
    ```

    Use instead:
    ```
    0 2 * * * tar czf /backup/home-$(date +\\%F).tgz /home
    ```

    ## Fix safety
    The fix escapes every unescaped `%`. It is unsafe: a job that really feeds standard input through
    `%` (as in `mail -s hi root%body`) changes meaning.
    """

    code = "CRON001"
    name = "unescaped-percent-in-command"
    family = "crontab"
    target = Target.CRONTAB
    fix_availability = FixAvailability.ALWAYS

    def check(self, model: CronTab, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for entry in model.entries:
            positions = [m.start() for m in _UNESCAPED_PERCENT.finditer(entry.raw_command)]
            if not positions:
                continue
            start = command_start(entry)
            fix = None
            if start is not None:
                line = entry.span.line
                edits = tuple(Edit(Span(line, start + p, line, start + p + 1), "\\%") for p in positions)
                fix = Fix("Escape `%` as `\\%`", Applicability.UNSAFE, edits=edits)
                span = Span(line, start + positions[0], line, start + positions[0] + 1)
            else:
                span = entry.span
            shown = entry.command.strip() or entry.raw_command.strip()
            yield self.violation(
                span,
                f"Unescaped `%` in a cron command: cron runs only `{shown}` and sends the rest to standard input",
                fix,
            )


# a redirection or a pipe (`||` is a logical or, not a pipe)
_REDIRECTED = re.compile(r">|(?<!\|)\|(?!\|)|\blogger\b|\bsystemd-cat\b")


class UnmonitoredJobOutput(Rule):
    """## What it does
    Flags crontab jobs whose output is neither redirected (`>`, `>>`, `2>&1`, a pipe to `logger`) nor
    mailed: no `MAILTO` is set, or `MAILTO=""` discards it.

    ## Why is this bad?
    When a job fails, its error message is its only trace. With no redirection and no `MAILTO`, cron
    mails it to the local account of the crontab's owner, which nobody reads (or drops it when
    `MAILTO` is empty): the job fails silently, night after night.

    ## Example
    ```
    0 1 * * * /opt/etl/ingest.sh
    ```

    Use instead:
    ```
    MAILTO=data-oncall@example.com
    0 1 * * * /opt/etl/ingest.sh >> /var/log/etl/ingest.log 2>&1
    ```
    """

    code = "CRON002"
    name = "unmonitored-job-output"
    family = "crontab"
    target = Target.CRONTAB

    def check(self, model: CronTab, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for entry in model.entries:
            env = entry.env
            mailto = env.get("MAILTO")
            if mailto:
                continue
            if _REDIRECTED.search(entry.command):
                continue
            reason = "`MAILTO` is empty, so cron discards it" if mailto == "" else "no `MAILTO` is set"
            yield self.violation(entry.span, f"Job output is not redirected and {reason}: failures go unnoticed")


_LOCK = re.compile(r"\b(?:flock|lockf|lockrun|run-one|run-with-lockfile|setlock|solo|chpst\s+-L|pgrep|pidof|lckdo|with-lock-ex|lockfile)\b|--lock\b|\.lock\b|\bschedule:run\b")


def smallest_gap_minutes(entry: CronEntry) -> int | None:
    """The shortest time between two fires of a job within a day (wrapping to the next day)."""
    schedule = entry.schedule
    if schedule.fields is None:
        return None
    minutes = sorted(schedule.field(FieldKind.MINUTE).values)
    hours = sorted(schedule.field(FieldKind.HOUR).values)
    fires = sorted(h * 60 + m for h in hours for m in minutes)
    if len(fires) < 2:
        return None
    gaps = [b - a for a, b in zip(fires, fires[1:])]
    gaps.append(24 * 60 - fires[-1] + fires[0])
    return min(gaps)


class OverlappingJobWithoutLock(Rule):
    """## What it does
    Flags jobs that fire more often than every `min-interval-minutes` (60 by default) and take no
    lock (`flock`, `lockf`, `run-one`, `setlock`, a `pgrep` guard, ...).

    ## Why is this bad?
    cron starts the next run on time whether or not the previous one finished. A sync that takes
    twelve minutes on a slow day, scheduled every ten, runs twice at once: both write the same files,
    the load on the source doubles, and the runs pile up.

    ## Example
    ```
    */10 * * * * /opt/etl/sync.sh
    ```

    Use instead:
    ```
    */10 * * * * flock -n /var/lock/sync.lock /opt/etl/sync.sh
    ```
    (Airflow's `max_active_runs=1` does the same for a migrated DAG.)
    """

    code = "CRON003"
    name = "overlapping-job-without-lock"
    family = "crontab"
    target = Target.CRONTAB
    settings = (Setting("min-interval-minutes", int, 60, "jobs that fire more often than this need a lock"),)

    def check(self, model: CronTab, settings: Mapping[str, Any]) -> Iterator[Violation]:
        limit = settings["min-interval-minutes"]
        for entry in model.entries:
            gap = smallest_gap_minutes(entry)
            if gap is None or gap >= limit or _LOCK.search(entry.command):
                continue
            yield self.violation(
                entry.schedule.span,
                f"Job runs every {gap} minutes with no lock: a run that takes longer overlaps the next one",
            )


class CronAirflowScheduleMismatch(Rule):
    """## What it does
    Flags schedules that cron and Airflow (which computes fire times with croniter) read differently:
    a day-of-month and day-of-week pair where one starts with `*` (cron then ANDs them, croniter ORs
    them), expressions that never fire, and `@reboot`.

    ## Why is this bad?
    Copying the expression into `schedule=` silently changes when the job runs: `0 0 */2 * 1` runs on
    odd days that are Mondays under cron, and on every odd day plus every Monday under Airflow.

    ## Example
    ```
    0 0 */2 * 1 /opt/etl/report.sh
    ```

    Use instead:
    an expression both read the same way, or a custom timetable in Airflow; `cron2dag migrate` and
    `cron2dag explain` show the fire times.
    """

    code = "CRON004"
    name = "cron-airflow-schedule-mismatch"
    family = "crontab"
    target = Target.CRONTAB

    def check(self, model: CronTab, settings: Mapping[str, Any]) -> Iterator[Violation]:
        from migrator.crontab.schedule import croniter_disagreement

        for entry in model.entries:
            problem = croniter_disagreement(entry.schedule)
            if problem:
                yield self.violation(entry.schedule.span, problem[:1].upper() + problem[1:])
