"""Questions about generated Dagster code locations, answered by real Dagster in its own venv.

Run as `python dagster_probe.py REQUEST.json ANSWER.json` with the Dagster venv's Python; the
project's venv has no Dagster. One process answers every question of a request (importing Dagster
costs seconds), loading each code location's `definitions.py` the way `dagster dev -f` does (its
directory on `sys.path`). Only the standard library and Dagster are imported here.

Request: {"locations": [{"folder": str, "fire_times": {"starts": [iso, ...], "count": int},
           "runs": [{"job": str, "partition_key": str | None, "tick": iso | None}]}],
          "env": {name: value}}
Answer:  [{"folder": str, "schedules": {name: {start: [iso, ...]}}, "runs": [{"job", "success",
           "error"}], "jobs": [name, ...]}]
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import sys
import traceback
import warnings
from pathlib import Path

TICK_TAG = "cron2dag/scheduled_time"
# a tick the schedule skipped only because an upstream pipeline has not run: still a calendar tick
UPSTREAM_SKIP = "has not succeeded for this time yet"


def load(folder: Path):
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None) or ""
        ours = name == "definitions" or path.startswith(str(folder.parent))
        if ours and "site-packages" not in path:
            del sys.modules[name]
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module("definitions").defs
    finally:
        sys.path.remove(str(folder))


def fire_times(dg, defs, instance, starts: list[str], count: int) -> dict[str, dict[str, list]]:
    from dagster._utils.schedules import schedule_execution_time_iterator  # what the daemon uses

    repository = defs.get_repository_def()
    out: dict[str, dict[str, list]] = {}
    for schedule in repository.schedule_defs:
        per_start = {}
        for start in starts:
            start_time = dt.datetime.fromisoformat(start)
            ticks = schedule_execution_time_iterator(
                start_time.timestamp(),
                schedule.cron_schedule,
                schedule.execution_timezone,
            )
            fired: list[str] = []
            for _ in range(count * 40):
                tick = next(ticks)
                if tick.timestamp() <= start_time.timestamp():
                    continue  # the iterator starts at `start` inclusive; cron's times are after it
                result = evaluate(dg, schedule, repository, tick, None)
                if result is None:  # it asks the instance (upstream runs): slower, only then
                    result = evaluate(dg, schedule, repository, tick, instance)
                if result.run_requests or UPSTREAM_SKIP in (result.skip_message or ""):
                    fired.append(tick.astimezone(dt.timezone.utc).isoformat())
                    if len(fired) == count:
                        break
            per_start[start] = fired
        out[schedule.name] = per_start
    return out


def evaluate(dg, schedule, repository, tick, instance):
    from dagster._core.errors import DagsterInvariantViolationError

    context = dg.build_schedule_context(
        instance=instance, scheduled_execution_time=tick, repository_def=repository
    )
    if instance is not None:
        # the context would open a new instance from its ref on first use (0.2 s, thousands of
        # ticks here); hand it the open one, the same instance the ref points to
        context._instance = instance
    try:
        return schedule.evaluate_tick(context)
    except DagsterInvariantViolationError:
        if instance is None:
            return None
        raise


def execute(dg, defs, instance, runs: list[dict]) -> list[dict]:
    out = []
    for run in runs:
        job = defs.resolve_job_def(run["job"])
        tags = {TICK_TAG: run["tick"]} if run.get("tick") else {}
        try:
            result = job.execute_in_process(
                instance=instance,
                partition_key=run.get("partition_key"),
                tags=tags,
                resources={"pipes": dg.PipesSubprocessClient()},
                raise_on_error=False,
            )
            error = None
            if not result.success:
                failures = [e for e in result.all_events if e.is_failure]
                error = "; ".join(
                    str(e.event_specific_data.error.message)
                    for e in failures
                    if e.event_specific_data and getattr(e.event_specific_data, "error", None)
                )
            out.append({"job": run["job"], "success": result.success, "error": error})
        except Exception:  # noqa: BLE001 (reported per run, so the failing job is named)
            out.append({"job": run["job"], "success": False, "error": traceback.format_exc()})
    return out


def main() -> None:
    request = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    os.environ.update(request.get("env", {}))
    warnings.simplefilter("ignore")  # beta/preview warnings are Dagster's, not answers
    import dagster as dg

    instance = dg.DagsterInstance.get()  # DAGSTER_HOME: a fresh directory per probe
    answers = []
    for location in request["locations"]:
        folder = Path(location["folder"])
        defs = load(folder)
        answer: dict = {"folder": str(folder)}
        repository = defs.get_repository_def()
        answer["jobs"] = sorted(
            j.name for j in repository.get_all_jobs() if not j.name.startswith("__")
        )
        if "fire_times" in location:
            spec = location["fire_times"]
            answer["schedules"] = fire_times(dg, defs, instance, spec["starts"], spec["count"])
        if "runs" in location:
            previous = Path.cwd()
            os.chdir(location.get("cwd", folder))
            try:
                answer["runs"] = execute(dg, defs, instance, location["runs"])
            finally:
                os.chdir(previous)
        answers.append(answer)
    Path(sys.argv[2]).write_text(json.dumps(answers), encoding="utf-8")


if __name__ == "__main__":
    main()
