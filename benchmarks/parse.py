"""Parse a generated 10,000-line crontab and print the median time (target: under 1 s on one core).

The file mixes what real crontabs hold: comment blocks, environment lines, blank lines, and jobs with
varied schedules (steps, ranges, lists, names, macros) and long commands. Run from the repository root:

    python benchmarks/parse.py [--lines N] [--repeat R]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from migrator.crontab.parser import parse_crontab

_DOW = ["*", "1-5", "mon-fri", "0", "sun", "6,0", "1,3,5", "sat"]
_DOM = ["*", "1", "15", "1,15", "*/2", "1-7", "28-31"]
_MONTH = ["*", "*", "*", "1", "jan-mar", "*/3", "6-8"]


def generate(lines: int, seed: int = 2026) -> str:
    rng = random.Random(seed)
    out: list[str] = [
        "SHELL=/bin/bash",
        "PATH=/usr/local/bin:/usr/bin:/bin",
        "MAILTO=data-team@example.com",
    ]
    while len(out) < lines:
        roll = rng.random()
        job = f"job_{len(out):05d}"
        if roll < 0.12:
            out.append(f"# {job}: refresh the {rng.choice(['sales', 'users', 'events'])} tables")
        elif roll < 0.17:
            out.append("")
        elif roll < 0.19:
            out.append(f'ETL_ENV_{len(out)} = "value {rng.randint(0, 99)}"')
        elif roll < 0.22:
            out.append(
                f"{rng.choice(['@daily', '@hourly', '@weekly', '@reboot'])} /opt/etl/{job}.sh"
            )
        else:
            minute = rng.choice(
                [str(rng.randint(0, 59)), f"*/{rng.choice([5, 10, 15, 30])}", "0", "0,30"]
            )
            hour = rng.choice(
                [str(rng.randint(0, 23)), "*", "9-17", f"*/{rng.choice([2, 3, 6])}", "1-5/2"]
            )
            fields = f"{minute} {hour} {rng.choice(_DOM)} {rng.choice(_MONTH)} {rng.choice(_DOW)}"
            command = (
                f"cd /opt/etl && /usr/bin/python3 -m pipelines.{job} --date $(date +\\%F) "
                f">> /var/log/etl/{job}.log 2>&1"
            )
            out.append(f"{fields} {command}")
    return "\n".join(out[:lines]) + "\n"


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--lines", type=int, default=10_000)
    options.add_argument("--repeat", type=int, default=7)
    args = options.parse_args()
    text = generate(args.lines)
    parse_crontab(text, "bench.crontab")  # build the parser once, as any process does on first use
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        crontab = parse_crontab(text, "bench.crontab")
        times.append(time.perf_counter() - start)
    print(
        f"parse_crontab: {args.lines} lines, {len(crontab.entries)} entries: "
        f"median {statistics.median(times):.3f} s (min {min(times):.3f} s, {args.repeat} runs)"
    )


if __name__ == "__main__":
    main()
