"""Time `cron2dag parse` on generated crontabs as users run it: whole commands, both formats.

Targets (issues 10 and 16): a 10,000-line crontab in under 1 s either way, `--format json` within
1.5x of text, and a 100,000-line crontab in at most 10x the 10,000-line time (linear) and bounded
memory. The file mixes what real crontabs hold: comment blocks, environment lines, blank lines, and
jobs with varied schedules (steps, ranges, lists, names, macros) and long commands. Each run is a
fresh process; CPU time (user + system of the process) is quoted next to wall time, which a busy
machine stretches. Run from the repository root:

    python benchmarks/parse.py [--lines N] [--large M] [--repeat R] [--in-process]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
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


def time_command(arguments: list[str], repeat: int) -> tuple[float, float, float]:
    """Median wall and CPU seconds of `cron2dag ARGUMENTS` run `repeat` times, and peak memory (MiB)."""
    command = [sys.executable, "-m", "migrator", *arguments]
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True)  # warm the file cache
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return statistics.median(walls), statistics.median(cpus), peak_mib


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--lines", type=int, default=10_000)
    options.add_argument("--large", type=int, default=100_000, help="0 to skip the large file")
    options.add_argument("--repeat", type=int, default=5)
    options.add_argument(
        "--in-process", action="store_true", help="also time parse_crontab alone in this process"
    )
    args = options.parse_args()
    rows: dict[tuple[int, str], tuple[float, float, float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for lines in [args.lines] + ([args.large] if args.large else []):
            path = Path(scratch) / f"bench_{lines}.crontab"
            path.write_text(generate(lines))
            for fmt in ("text", "json"):
                repeat = args.repeat if lines == args.lines else max(1, args.repeat // 2)
                rows[lines, fmt] = time_command(["parse", "--format", fmt, str(path)], repeat)
                wall, cpu, peak = rows[lines, fmt]
                print(
                    f"cron2dag parse --format {fmt:<4} {lines:>7,} lines: median {wall:.2f} s wall, "
                    f"{cpu:.2f} s CPU (peak memory of the runs so far {peak:.0f} MiB)"
                )
            if args.in_process:
                text = path.read_text()
                parse_crontab(text, "bench.crontab")  # build the parser once, as any process does
                times = []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    parse_crontab(text, "bench.crontab")
                    times.append(time.perf_counter() - start)
                print(
                    f"parse_crontab alone, {lines:,} lines: median {statistics.median(times):.3f} s"
                )
    small_text, small_json = rows[args.lines, "text"], rows[args.lines, "json"]
    print(f"json / text at {args.lines:,} lines: {small_json[1] / small_text[1]:.2f}x CPU")
    if args.large:
        large = rows[args.large, "text"]
        print(
            f"{args.large:,} / {args.lines:,} lines (text): {large[1] / small_text[1]:.1f}x CPU "
            f"for {args.large / args.lines:.0f}x the lines"
        )


if __name__ == "__main__":
    main()
