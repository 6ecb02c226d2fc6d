"""How fast `cron2dag lint` is on 1,000 generated 100-line DAG files, cold and warm, next to ruff.

Usage: python benchmarks/lint_speed.py [--files N] [--repeat R] [--keep DIR]

Each measurement is a fresh process, timed from start to exit (what a pre-commit hook or CI step
pays), and reported as the median of R runs:
- cold: `cron2dag lint DIR --no-cache` (every file parsed, extracted and checked);
- warm: `cron2dag lint DIR` with the cache filled and nothing changed;
- ruff: `ruff check --select AIR --no-cache DIR` on the same files (ruff's Airflow rules).
The generated files mix the shapes real DAG folders have: `with DAG`, `@dag`/`@task`, TaskGroups,
loops over lists, `chain`, default_args, and a few hazards so that rules have findings to report.
The machine's load average is printed with the figures: on a shared machine, repeat when it is high.
With PYTHONDONTWRITEBYTECODE set, every run also compiles the Python sources it imports (about
0.06 s of cron2dag's start-up, which an installed package with cached bytecode does not pay).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINES = 100


def dag_file(index: int) -> str:
    """One 100-line DAG module; the style rotates with the index."""
    style = index % 4
    head = [
        f'"""Generated DAG {index} for the lint benchmark."""',
        "",
        "from datetime import datetime, timedelta",
        "",
        "import pendulum",
        "from airflow.providers.standard.operators.bash import BashOperator",
        "from airflow.providers.standard.operators.python import PythonOperator",
        "from airflow.sdk import DAG, TaskGroup, chain, dag, task",
        "",
        'DEFAULT_ARGS = {"owner": "data", "retries": 2, "retry_delay": timedelta(minutes=5)}',
        f'TABLES = ["orders_{index}", "customers_{index}", "payments_{index}"]',
        "",
        "",
        "def transform(table, ds=None):",
        '    """Task code."""',
        '    print("transforming", table, ds)',
        "    return table",
        "",
    ]
    body: list[str] = []
    if style == 3:
        body += [
            f'@dag(dag_id="flow_{index}", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),',
            "     catchup=False, default_args=DEFAULT_ARGS)",
            "def flow():",
            "    @task",
            "    def extract(ds=None):",
            '        return f"s3://raw/{ds}.json"',
            "",
            "    @task",
            "    def load(path):",
            "        print(path)",
            "",
        ]
        n = 0
        while len(head) + len(body) < LINES - 2:
            body.append(f"    load.override(task_id=\"load_{n}\")(extract.override(task_id=\"extract_{n}\")())")
            n += 1
        body += ["", "flow()"]
    else:
        body += [
            "with DAG(",
            f'    dag_id="etl_{index}",',
            '    schedule="@daily",',
            '    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),',
            "    catchup=False,",
            "    default_args=DEFAULT_ARGS,",
            ") as dag:",
            '    start = BashOperator(task_id="start", bash_command="echo start {{ ds }}")',
            '    end = BashOperator(task_id="end", bash_command="echo end")',
            "    with TaskGroup(\"load\") as load_group:",
            "        for table in TABLES:",
            "            BashOperator(task_id=f\"load_{table}\", bash_command=f\"load.sh {table} {{{{ ds }}}}\")",
        ]
        if style == 1:
            body.append('    stamp = BashOperator(task_id="stamp", bash_command="date > /data/stamp.txt")')
        n = 0
        previous = "start"
        while len(head) + len(body) < LINES - 3:
            if n % 3 == 2:
                body.append(
                    f'    t{n} = PythonOperator(task_id="t{n}", python_callable=transform, op_args=["t{n}"])'
                )
            else:
                body.append(f'    t{n} = BashOperator(task_id="t{n}", bash_command="run.sh {n} {{{{ ds }}}}")')
            body.append(f"    {previous} >> t{n}")
            previous = f"t{n}"
            n += 1
        body += [f"    chain({previous}, load_group, end)", ""]
    lines = head + body
    lines += [""] * (LINES - len(lines))
    return "\n".join(lines[:LINES]) + "\n"


def generate(directory: Path, count: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        (directory / f"dag_{index:04}.py").write_text(dag_file(index), encoding="utf-8")


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="generate the files here and keep them")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="cron2dag-lint-bench-"))
    dags = work / "dags"
    if dags.exists():
        shutil.rmtree(dags)
    generate(dags, args.files)
    (work / "pyproject.toml").write_text("[tool.cron2dag.lint]\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    lint = [sys.executable, "-m", "migrator", "lint", "dags"]
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    try:
        cold = [timed([*lint, "--no-cache"], work, env) for _ in range(args.repeat)]
        shutil.rmtree(work / ".cron2dag_cache", ignore_errors=True)
        timed(lint, work, env)  # fill the cache
        warm = [timed(lint, work, env) for _ in range(args.repeat)]
        ruff_times = (
            [timed([ruff, "check", "--select", "AIR", "--no-cache", "--quiet", "dags"], work, env) for _ in range(args.repeat)]
            if Path(ruff).exists()
            else []
        )
        findings = subprocess.run(
            [*lint, "--statistics"], cwd=work, env=env, capture_output=True, text=True
        ).stdout.strip()
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(f"{args.files} files of {LINES} lines, {cores} cores, median of {args.repeat} runs (whole process)")
    print(f"  load average (1, 5, 15 min) when done: {load}")
    rows = [("cron2dag lint, cold (--no-cache)", cold), ("cron2dag lint, warm (cache, no change)", warm)]
    if ruff_times:
        rows.append(("ruff check --select AIR", ruff_times))
    for label, times in rows:
        median = statistics.median(times)
        print(f"  {label:<40} {median:7.3f} s  {args.files / median:9,.0f} files/s")
    if ruff_times:
        ratio = statistics.median(cold) / statistics.median(ruff_times)
        print(f"  cold cron2dag / ruff: {ratio:.1f}x the time")
    print("findings per rule:")
    print("  " + findings.replace("\n", "\n  "))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
