"""How long `cron2dag migrate` takes for many cross-DAG links (issue 16: ~0.25 s a link before).

Usage: python benchmarks/migrate_links.py [--readers N] [--repeat R]

The crontab: one daily job writes a file that N weekly jobs (different weekdays and times, one in
another time zone every seventh) read, so `infer` links each reader to it and `migrate` computes, for
every link, which daily run each weekly run waits for. Each run is the whole command a user types,
in a fresh process; prints the median wall time and the time per link.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def generate(readers: int) -> str:
    lines = ["0 1 * * * /opt/etl/load_orders.py --out /data/orders.csv"]
    for index in range(readers):
        if index % 7 == 6:
            lines.append("CRON_TZ=Europe/Paris")
        minute, hour, weekday = index % 60, 3 + index % 5, index % 7
        lines.append(
            f"{minute} {hour} * * {weekday} /opt/reports/report_{index:03d}.py "
            f"--in /data/orders.csv --out /data/report_{index:03d}.csv"
        )
        if index % 7 == 6:
            lines.append("CRON_TZ=")
    return "\n".join(lines) + "\n"


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--readers", type=int, default=103)
    options.add_argument("--repeat", type=int, default=5)
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        crontab = Path(scratch) / "links.crontab"
        crontab.write_text(generate(args.readers))
        times = []
        for run in range(args.repeat):
            out = Path(scratch) / f"dags{run}"
            command = [sys.executable, "-m", "migrator", "migrate", str(crontab), "-o", str(out)]
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
            times.append(time.perf_counter() - start)
            if done.returncode != 0:
                sys.exit(done.stderr)
        summary = done.stdout.splitlines()[0]
    median = statistics.median(times)
    print(summary)
    print(
        f"cron2dag migrate, {args.readers} cross-DAG links: median {median:.2f} s "
        f"({median / args.readers * 1000:.1f} ms a link; min {min(times):.2f} s, {args.repeat} runs)"
    )


if __name__ == "__main__":
    main()
