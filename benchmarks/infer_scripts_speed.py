"""How long reading the scripts of a crontab takes: 1,000 scripts (the bar: under 3 seconds).

Usage: python benchmarks/infer_scripts_speed.py [--scripts N] [--repeat R]

Writes N scripts into a temporary checkout -- Python (pandas, open, os.path.join through
helper functions), shell (variables, a sourced settings file, calls of a step script) and SQL
files, 40-90 lines each, shaped like real ETL scripts -- and a crontab whose jobs run them by
their server paths (`/srv/etl/...`), so that every script is found through --scripts-root.
Prints the median of R fresh readers for the reading alone and for the whole `infer`, wall
clock and CPU time (the machine may be shared; CPU time says what the code costs).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from migrator.crontab.parser import parse_crontab
from migrator.infer.facts import command_facts
from migrator.infer.pipeline import infer_pipeline
from migrator.infer.scripts import ScriptReader

_TOPICS = ["orders", "customers", "invoices", "events", "stock", "prices", "leads", "tickets"]


def _python(k: int, rng: random.Random) -> str:
    topic = rng.choice(_TOPICS)
    lines = [
        "import csv, glob, json, os, shutil, subprocess",
        "import pandas as pd",
        'BASE = os.environ.get("DATA_DIR", "/srv/data")',
        f'RAW = os.path.join(BASE, "raw", "{topic}")',
        f'OUT = os.path.join(BASE, "clean", "{topic}_{k}")',
        "",
        "def read_day(path):",
        "    frame = pd.read_csv(path)",
        "    return frame.dropna()",
        "",
        "def write(frame, target):",
        "    frame.to_parquet(target)",
        "",
    ]
    for n in range(rng.randint(3, 8)):
        lines += [
            f"def step_{n}(day):",
            f'    frame = read_day(f"{{RAW}}/{{day}}_{n}.csv")',
            f'    write(frame, os.path.join(OUT, f"part_{n}_{{day}}.parquet"))',
            f'    with open(f"/var/log/etl/{topic}.log", "a") as log:',
            f'        log.write("step {n} done\\n")',
            "",
        ]
    lines += [
        'if __name__ == "__main__":',
        "    for day in ['2024-01-01', '2024-01-02']:",
        *[f"        step_{n}(day)" for n in range(3)],
        f'    shutil.copy(os.path.join(OUT, "part_0.parquet"), "/srv/share/{topic}_{k}.parquet")',
        '    subprocess.run(["/srv/etl/bin/notify.sh", "done"])',
    ]
    return "\n".join(lines) + "\n"


def _shell(k: int, rng: random.Random) -> str:
    topic = rng.choice(_TOPICS)
    lines = ["#!/bin/bash", "set -euo pipefail", ". /srv/etl/settings.sh", f"TOPIC={topic}"]
    for n in range(rng.randint(8, 20)):
        lines += [
            f"# step {n}",
            f'curl -s "https://api.example.com/$TOPIC?page={n}" -o "$DATA_DIR/raw/$TOPIC/page_{n}_{k}.json"',
            f'jq -c ".items[]" "$DATA_DIR/raw/$TOPIC/page_{n}_{k}.json" >> "$DATA_DIR/raw/$TOPIC/all_{k}.jsonl"',
        ]
    lines += [f'/srv/etl/bin/step.sh "$DATA_DIR/raw/$TOPIC/all_{k}.jsonl"']
    return "\n".join(lines) + "\n"


def _sql(k: int, rng: random.Random) -> str:
    topic = rng.choice(_TOPICS)
    lines = [f"-- {topic} marts, file {k}", "BEGIN;"]
    for n in range(rng.randint(4, 10)):
        lines += [
            f"CREATE TEMP TABLE t_{n} AS",
            f"SELECT id, day, amount FROM core.{topic} WHERE day = current_date - {n};",
            f"INSERT INTO mart.{topic}_{k}_{n}",
            f"SELECT day, sum(amount) FROM t_{n} JOIN dim.calendar c USING (day) GROUP BY day;",
        ]
    lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


def build(root: Path, count: int, seed: int = 11) -> str:
    rng = random.Random(seed)
    (root / "etl" / "bin").mkdir(parents=True)
    (root / "etl" / "settings.sh").write_text("DATA_DIR=/srv/data\nexport LOG_DIR=/var/log/etl\n")
    (root / "etl" / "bin" / "step.sh").write_text('#!/bin/sh\nsort -o "$1.sorted" "$1"\n')
    (root / "etl" / "bin" / "notify.sh").write_text("#!/bin/sh\necho done\n")
    lines = ["DATA_DIR=/srv/data", "PGDATABASE=dw"]
    for k in range(count):
        minute, hour = rng.randrange(60), rng.randrange(24)
        kind = k % 5
        if kind in (0, 1):
            path = root / "etl" / "jobs" / f"job_{k}.py"
            text, command = _python(k, rng), f"python3 /srv/etl/jobs/job_{k}.py"
        elif kind in (2, 3):
            path = root / "etl" / "jobs" / f"job_{k}.sh"
            text, command = _shell(k, rng), f"/srv/etl/jobs/job_{k}.sh"
        else:
            path = root / "etl" / "sql" / f"mart_{k}.sql"
            text, command = _sql(k, rng), f"psql -f /srv/etl/sql/mart_{k}.sql"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        lines.append(f"{minute} {hour} * * * {command}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    count = int(argv[argv.index("--scripts") + 1]) if "--scripts" in argv else 1000
    repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 5
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        text = build(root, count)
        crontab = parse_crontab(text, "scripts.crontab")
        calls = [(command_facts(e.command, e.env).calls, e.env) for e in crontab.entries]
        read_wall, read_cpu, infer_wall, infer_cpu = [], [], [], []
        found = 0
        for _ in range(repeat):
            reader = ScriptReader(root, use_machine=False)
            wall, cpu = time.perf_counter(), time.process_time()
            found = sum(len(reader.artifacts(c, dict(env), "~")) for c, env in calls)
            read_wall.append(time.perf_counter() - wall)
            read_cpu.append(time.process_time() - cpu)
            wall, cpu = time.perf_counter(), time.process_time()
            pipeline = infer_pipeline(crontab, scripts=ScriptReader(root, use_machine=False))
            infer_wall.append(time.perf_counter() - wall)
            infer_cpu.append(time.process_time() - cpu)
        print(f"{count} scripts ({reader.read_count} files read, {found} artifacts)")
        print(
            f"reading median: {statistics.median(read_wall):.3f} s wall, "
            f"{statistics.median(read_cpu):.3f} s CPU  (target < 3 s)"
        )
        edges = sum(len(d.edges) for d in pipeline.dags)
        print(
            f"infer with scripts median: {statistics.median(infer_wall):.3f} s wall, "
            f"{statistics.median(infer_cpu):.3f} s CPU  ({edges} edges)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
