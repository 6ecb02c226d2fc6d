"""How long `infer_pipeline` takes on a generated 5,000-job crontab (the bar: under 2 seconds).

Usage: python benchmarks/infer_speed.py [--jobs N] [--repeat R] [--scaling]

The crontab is deterministic and shaped like a large real one: many small pipelines (daily, hourly,
weekday, monthly; some crossing midnight, some under CRON_TZ) whose steps hand files, tables and
locks to each other, comments that name earlier steps, shared words in script names, environment
variables, and housekeeping in between. Prints the median of R runs for parsing and for inference,
wall clock and CPU time (on a shared machine the CPU time says what the code costs).

--scaling times inference (one fresh process each) on 10,000 and 100,000 jobs and prints the
ratio, which should stay near 10 (linear), with the peak memory of each process.
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from migrator.crontab.parser import parse_crontab
from migrator.infer.pipeline import infer_pipeline

_TOPICS = [
    "orders",
    "customers",
    "invoices",
    "payments",
    "refunds",
    "shipments",
    "inventory",
    "products",
    "prices",
    "events",
    "sessions",
    "clicks",
    "leads",
    "accounts",
    "contracts",
    "tickets",
    "reviews",
    "stock",
    "suppliers",
    "campaigns",
]
_STEPS = ["extract", "clean", "enrich", "aggregate", "load", "publish", "notify"]
_ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo"]
_HOUSEKEEPING = [
    "find /var/tmp/{t} -type f -mtime +7 -delete",
    "/usr/sbin/logrotate /etc/logrotate.d/{t}",
    "pg_dump {t} | gzip > /backup/{t}.sql.gz",
    "curl -fsS https://hc-ping.com/{t}-check > /dev/null",
]


def generate(jobs: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    lines = ["SHELL=/bin/bash", "MAILTO=ops@example.com", "DATA=/srv/data", "BIN=/opt/etl/bin", ""]
    count = 0
    pipeline = 0
    while count < jobs:
        pipeline += 1
        topic = f"{rng.choice(_TOPICS)}{pipeline}"
        kind = rng.random()
        length = rng.randint(3, 7)
        if kind < 0.1:
            lines.append(f"CRON_TZ={rng.choice(_ZONES)}")
        elif kind < 0.2:
            lines.append("CRON_TZ=UTC")
        start = rng.randint(0, 23 * 60)
        lock = f"/var/lock/{topic}.lock" if rng.random() < 0.2 else None
        previous_out: str | None = None
        for step_number in range(length):
            if count >= jobs:
                break
            minute_of_day = (start + step_number * rng.choice([10, 20, 30, 60])) % 1440
            hour, minute = divmod(minute_of_day, 60)
            if kind < 0.6:
                when = f"{minute} {hour} * * *"
            elif kind < 0.75:
                when = f"{minute_of_day % 60} * * * *"
            elif kind < 0.9:
                when = f"{minute} {hour} * * 1-5"
            else:
                when = f"{minute} {hour} 1 * *"
            step = _STEPS[step_number % len(_STEPS)]
            out = f"$DATA/{topic}/{step}_$(date +\\%F).parquet"
            parts = [f"$BIN/{step}_{topic}.py"]
            if previous_out and rng.random() < 0.7:
                parts.append(f"--in {previous_out}")
            parts.append(f"--out {out}")
            command = " ".join(parts) + f" >> /var/log/etl/{topic}.log 2>&1"
            if lock:
                command = f"flock -w 600 {lock} {command}"
            if rng.random() < 0.3:
                lines.append(f"# {step} {topic} (after the {_STEPS[max(0, step_number - 1)]} step)")
            lines.append(f"{when} {command}")
            previous_out = out
            count += 1
        if count < jobs and rng.random() < 0.15:
            lines.append(
                f"{rng.randint(0, 59)} {rng.randint(0, 23)} * * * "
                + rng.choice(_HOUSEKEEPING).format(t=topic)
            )
            count += 1
        lines.append("")
    return "\n".join(lines) + "\n"


def measure_once(jobs: int) -> tuple[float, float, float, float, str]:
    """(parse seconds, infer seconds, infer CPU seconds, peak MB, summary) for one run here."""
    text = generate(jobs)
    started = time.perf_counter()
    crontab = parse_crontab(text, "generated.crontab")
    parsed = time.perf_counter()
    cpu = time.process_time()
    pipeline = infer_pipeline(crontab)
    done = time.perf_counter()
    cpu = time.process_time() - cpu
    edges = sum(len(d.edges) for d in pipeline.dags)
    summary = (
        f"{len(crontab.entries)} jobs -> {len(pipeline.dags)} DAGs, {edges} edges, "
        f"{len(pipeline.cross_dag_edges)} cross-DAG links"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return parsed - started, done - parsed, cpu, peak, summary


def _fresh(jobs: int) -> tuple[float, float, float, float, str]:
    done = subprocess.run(
        [sys.executable, __file__, "--once", "--jobs", str(jobs)],
        capture_output=True,
        text=True,
        check=True,
    )
    return tuple(json.loads(done.stdout))  # type: ignore[return-value]


def scaling() -> None:
    rows = {jobs: _fresh(jobs) for jobs in (10_000, 100_000)}
    for _, wall, cpu, peak, summary in rows.values():
        print(f"{summary}: infer {wall:.2f} s wall, {cpu:.2f} s CPU, peak {peak:.0f} MB")
    ratio = rows[100_000][2] / rows[10_000][2]
    print(f"100,000 / 10,000 jobs: {ratio:.1f}x the CPU time (target <= 10x: linear)")


def main(argv: list[str]) -> int:
    jobs = int(argv[argv.index("--jobs") + 1]) if "--jobs" in argv else 5000
    repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 5
    if "--once" in argv:
        print(json.dumps(measure_once(jobs)))
        return 0
    if "--scaling" in argv:
        scaling()
        return 0
    # each run in a fresh process: no cache of an earlier run makes a later one look faster
    parse_times, infer_times, cpu_times = [], [], []
    summary = ""
    for _ in range(repeat):
        parse_time, infer_time, cpu_time, _, summary = _fresh(jobs)
        parse_times.append(parse_time)
        infer_times.append(infer_time)
        cpu_times.append(cpu_time)
    print(summary)
    print(f"parse median:  {statistics.median(parse_times):.3f} s  (crontab parser, for reference)")
    print(
        f"infer median:  {statistics.median(infer_times):.3f} s wall, "
        f"{statistics.median(cpu_times):.3f} s CPU  (target < 2 s; {repeat} fresh processes)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
