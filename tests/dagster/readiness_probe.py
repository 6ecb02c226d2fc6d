"""Evaluate a generated readiness sensor at chosen times, with real Dagster (its venv's Python).

Run as `python readiness_probe.py FOLDER MODULE REQUEST.json ANSWER.json`. The request is a list of
steps: {"now": iso, "touch": [path, ...]} evaluates the module's `*_when_ready` sensor as if the
clock read `now` (the module's `datetime` is swapped for one whose `now()` returns it) after
creating the files; {"run": index} executes the job with the run request of that index, as the
daemon would launch it. The cursor passes from one evaluation to the next, as the daemon keeps it.
Answer: one entry per step.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import sys
import types
import warnings
from pathlib import Path


def clock(now: dt.datetime) -> types.SimpleNamespace:
    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            return now.astimezone(tz)

    return types.SimpleNamespace(datetime=Frozen, timedelta=dt.timedelta, timezone=dt.timezone)


def main() -> None:
    folder, name = Path(sys.argv[1]), sys.argv[2]
    steps = json.loads(Path(sys.argv[3]).read_text(encoding="utf-8"))
    warnings.simplefilter("ignore")
    import dagster as dg

    sys.path.insert(0, str(folder))
    module = importlib.import_module(name)
    location = importlib.import_module("definitions").defs
    sensor = getattr(module, f"{name}_when_ready")
    job = getattr(module, f"{name}_job")
    instance = dg.DagsterInstance.get()
    cursor, requests, answers = None, [], []
    for step in steps:
        if "run" in step:
            request = requests[step["run"]]
            result = job.execute_in_process(
                instance=instance,
                tags=request.tags,
                partition_key=request.partition_key,
                resources={"pipes": dg.PipesSubprocessClient()},
                raise_on_error=False,
            )
            failures = [
                str(e.event_specific_data.error.message)
                for e in result.all_events
                if e.is_failure and getattr(e.event_specific_data, "error", None)
            ]
            answers.append({"success": result.success, "errors": failures})
            continue
        for path in step.get("touch", []):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text("", encoding="utf-8")
        module.dt = clock(dt.datetime.fromisoformat(step["now"]))
        context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=location)
        evaluation = sensor.evaluate_tick(context)
        module.dt = dt
        cursor = evaluation.cursor
        requests = list(evaluation.run_requests or [])
        answers.append(
            {
                "cursor": cursor,
                "skip": evaluation.skip_message,
                "requests": [
                    {"run_key": r.run_key, "tags": dict(r.tags), "partition": r.partition_key}
                    for r in requests
                ],
            }
        )
    Path(sys.argv[4]).write_text(json.dumps(answers), encoding="utf-8")


if __name__ == "__main__":
    main()
