"""How fast `cron2dag lint` is on 1,000 real-shaped DAG files, next to ruff, in one run.

Usage: python benchmarks/lint_speed.py [--files N] [--repeat R] [--keep DIR]

The files are generated in the shapes public DAG repositories have (about 150 lines and 5 KB each, as
the 1,459 real files linted for issue 11 were): Airflow 2 files with the old import paths,
`schedule_interval`, `provide_context` and `{{ execution_date }}` (so JSON and SARIF carry fix edits);
TaskFlow files; Airflow 3 files with TaskGroups; DAG factories run over a list of configurations; all
with docstrings, comments, default_args and task code of their own.

Each measurement is a fresh process, timed from start to exit (what a pre-commit hook or CI step pays),
the median of R runs, all in the same run of this script so that the ratios compare like with like:
- cold: `cron2dag lint DIR --no-cache`, in the text, JSON and SARIF formats;
- warm: `cron2dag lint DIR` with the cache filled and nothing changed;
- ruff: `ruff check --select AIR --no-cache DIR` (ruff's Airflow rules) on the same files.
Targets (issue 11): cold at most 3x ruff's time, warm at most 1x, JSON and SARIF at most 1.2x text.
On a shared machine the figures move with its load (printed): compare the ratios, and repeat when the
load is high.
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
TARGETS = {"cold": 3.0, "warm": 1.0, "json": 1.2, "sarif": 1.2}


def task_code(index: int) -> list[str]:
    """Task callables of the kind real files carry: logging, dicts, loops, a date from the context."""
    return [
        "",
        "",
        f"def extract_{index}(ds=None, **context):",
        '    """Pull one day of records from the source API."""',
        "    records = []",
        "    for page in range(3):",
        f'        log.info("page %s of %s for %s", page, "source_{index}", ds)',
        '        records.append({"page": page, "day": ds, "rows": [page * 10 + i for i in range(10)]})',
        '    context["ti"].xcom_push(key="count", value=len(records))',
        "    return records",
        "",
        "",
        f"def transform_{index}(records, threshold=5):",
        '    """Keep the rows above a threshold, keyed by page."""',
        "    kept = {}",
        "    for record in records:",
        "        rows = [row for row in record['rows'] if row > threshold]",
        "        if rows:",
        "            kept[record['page']] = sorted(rows, reverse=True)",
        "        else:",
        '            log.warning("page %s had nothing above %s", record["page"], threshold)',
        "    return kept",
        "",
        "",
        f"def notify_{index}(context):",
        '    """on_failure_callback: say which task failed."""',
        '    task = context["task_instance"].task_id',
        '    log.error("task %s failed", task)',
    ]


def module_head(docstring: str, *imports: str) -> list[str]:
    """A module's docstring, imports and logger, as every generated file starts."""
    return [f'"""{docstring}"""', "", "import logging", *imports, "", "log = logging.getLogger(__name__)"]


def airflow2_file(index: int) -> list[str]:
    return [
        *module_head(
            f"Nightly load of source {index} (an Airflow 2 DAG file, as many public repositories still have).",
            "from datetime import datetime, timedelta",
            "",
            "from airflow import DAG",
            "from airflow.operators.bash_operator import BashOperator",
            "from airflow.operators.python_operator import PythonOperator",
            "from airflow.operators.dummy_operator import DummyOperator",
        ),
        "",
        "default_args = {",
        '    "owner": "data-engineering",',
        '    "depends_on_past": False,',
        '    "email_on_failure": True,',
        '    "retries": 2,',
        '    "retry_delay": timedelta(minutes=5),',
        "}",
        *task_code(index),
        "",
        "",
        "dag = DAG(",
        f'    "nightly_load_{index}",',
        "    default_args=default_args,",
        "    start_date=datetime(2023, 1, 1),",
        '    schedule_interval="0 2 * * *",',
        "    catchup=False,",
        "    concurrency=4,",
        ")",
        "",
        'start = DummyOperator(task_id="start", dag=dag)',
        "extract = PythonOperator(",
        '    task_id="extract",',
        f"    python_callable=extract_{index},",
        "    provide_context=True,",
        "    dag=dag,",
        ")",
        "dump = BashOperator(",
        '    task_id="dump",',
        f'    bash_command="dump.sh --table source_{index} --day {{{{ execution_date }}}} > /data/{{{{ ds }}}}/{index}.csv",',
        "    dag=dag,",
        ")",
        "for table in ['orders', 'customers', 'payments', 'refunds']:",
        "    load = BashOperator(",
        "        task_id=f'load_{table}',",
        "        bash_command=f'load.sh {table} {{{{ ds }}}}',",
        f"        on_failure_callback=notify_{index},",
        "        dag=dag,",
        "    )",
        "    dump >> load",
        "start >> extract >> dump",
    ]


def taskflow_file(index: int) -> list[str]:
    return [
        *module_head(
            f"Hourly aggregation {index}, written with the TaskFlow API of Airflow 2.",
            "from datetime import timedelta",
            "",
            "import pendulum",
            "from airflow.decorators import dag, task",
        ),
        *task_code(index),
        "",
        "",
        "@dag(",
        f'    dag_id="hourly_aggregate_{index}",',
        '    schedule_interval="@hourly",',
        '    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),',
        "    catchup=False,",
        '    default_args={"owner": "analytics", "retries": 1, "retry_delay": timedelta(minutes=2)},',
        ")",
        "def hourly():",
        "    @task",
        "    def pull(ds=None):",
        f"        return extract_{index}(ds)",
        "",
        "    @task",
        "    def shape(records):",
        f"        return transform_{index}(records)",
        "",
        "    @task",
        "    def publish(kept):",
        '        log.info("publishing %d pages", len(kept))',
        "",
        "    for region in ['eu', 'us', 'apac']:",
        "        publish.override(task_id=f'publish_{region}')(shape.override(task_id=f'shape_{region}')(pull.override(task_id=f'pull_{region}')()))",
        "",
        "",
        "hourly()",
    ]


def airflow3_file(index: int) -> list[str]:
    return [
        *module_head(
            f"Daily marts {index} (Airflow 3: `airflow.sdk`, the standard provider, TaskGroups).",
            "from datetime import timedelta",
            "",
            "import pendulum",
            "from airflow.providers.standard.operators.bash import BashOperator",
            "from airflow.providers.standard.operators.python import PythonOperator",
            "from airflow.sdk import DAG, TaskGroup, chain",
        ),
        "MARTS = ['revenue', 'retention', 'funnel', 'inventory']",
        *task_code(index),
        "",
        "",
        "with DAG(",
        f'    dag_id="daily_marts_{index}",',
        '    schedule="@daily",',
        '    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),',
        "    catchup=False,",
        '    default_args={"owner": "analytics", "retries": 3, "retry_delay": timedelta(minutes=5)},',
        ') as dag:',
        f'    start = PythonOperator(task_id="start", python_callable=extract_{index})',
        "    with TaskGroup('marts') as marts:",
        "        for mart in MARTS:",
        "            build = BashOperator(task_id=f'build_{mart}', bash_command=f'dbt run -s {mart} --vars \"day: {{{{ ds }}}}\"')",
        "            test = BashOperator(task_id=f'test_{mart}', bash_command=f'dbt test -s {mart}')",
        "            build >> test",
        '    done = BashOperator(task_id="done", bash_command="echo done {{ ds }}")',
        "    chain(start, marts, done)",
    ]


def factory_file(index: int) -> list[str]:
    return [
        *module_head(
            f"DAGs {index}: one per configured source, from a factory (a common real pattern).",
            "from datetime import timedelta",
            "",
            "import pendulum",
            "from airflow.providers.standard.operators.bash import BashOperator",
            "from airflow.sdk import DAG",
        ),
        "SOURCES = [",
        f'    {{"name": "crm_{index}", "tables": ["accounts", "contacts"], "schedule": "@daily"}},',
        f'    {{"name": "erp_{index}", "tables": ["orders", "invoices", "stock"], "schedule": "@hourly"}},',
        "]",
        *task_code(index),
        "",
        "",
        "def create_dag(source):",
        '    """One DAG per source: a sync task per table, then a check."""',
        "    with DAG(",
        "        dag_id=f\"sync_{source['name']}\",",
        "        schedule=source['schedule'],",
        '        start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),',
        "        catchup=False,",
        '        default_args={"owner": "platform", "retries": 2, "retry_delay": timedelta(minutes=10)},',
        "    ) as dag:",
        "        check = BashOperator(task_id='check', bash_command='check.sh {{ ds }}')",
        "        for table in source['tables']:",
        "            BashOperator(task_id=f'sync_{table}', bash_command=f'sync.sh {table} {{{{ ds }}}}') >> check",
        "    return dag",
        "",
        "",
        "for source in SOURCES:",
        "    globals()[f\"sync_{source['name']}\"] = create_dag(source)",
    ]


SHAPES = (airflow2_file, airflow2_file, taskflow_file, airflow3_file, airflow3_file, factory_file)


def dag_file(index: int) -> str:
    return "\n".join(SHAPES[index % len(SHAPES)](index)) + "\n"


def generate(directory: Path, count: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        (directory / f"dag_{index:04}.py").write_text(dag_file(index), encoding="utf-8")


def many_fixes_file(findings: int) -> str:
    """One DAG with `findings` fixable findings (issue 16: JSON and SARIF once grew quadratically with
    them, as text did with `execution_date` templates)."""
    lines = [
        "from airflow.operators.bash import BashOperator",
        "from airflow.sdk import DAG",
        'with DAG("many", schedule_interval="@daily", concurrency=3):',
    ]
    lines += [
        f'    BashOperator(task_id="t{n}", bash_command="run.sh {{{{ execution_date }}}}", task_concurrency=1)'
        for n in range(findings)
    ]
    return "\n".join(lines) + "\n"


def worst_cases(work: Path, lint: list[str], env: dict[str, str]) -> list[tuple[str, float]]:
    """Whole-process times on one file with many fixable findings, in each format."""
    rows = []
    for findings in (150, 1500):
        path = work / f"many_{findings}.py"
        path.write_text(many_fixes_file(findings), encoding="utf-8")
        size = path.stat().st_size // 1024
        for fmt in ("text", "json", "sarif"):
            times = [timed([*lint[:-1], str(path), "--no-cache", "--format", fmt], work, env) for _ in range(3)]
            rows.append((f"{findings * 2 + 3} fixable findings, {size} KB, {fmt}", statistics.median(times)))
    return rows


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
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
    # an installed package keeps its bytecode: do not charge every run with compiling cron2dag's sources
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    lint = [sys.executable, "-m", "migrator", "lint", "dags"]
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        raise SystemExit("ruff is not installed: it is the peer this benchmark compares with (pip install ruff)")
    runs: dict[str, list[float]] = {key: [] for key in ("cold", "json", "sarif", "warm", "ruff")}
    try:
        timed(lint, work, env)  # fill the cache (and compile cron2dag's bytecode) before anything is timed
        for _ in range(args.repeat):  # interleaved, so that a change of load weighs on every figure alike
            runs["cold"].append(timed([*lint, "--no-cache"], work, env))
            runs["json"].append(timed([*lint, "--no-cache", "--format", "json"], work, env))
            runs["sarif"].append(timed([*lint, "--no-cache", "--format", "sarif"], work, env))
            runs["warm"].append(timed(lint, work, env))
            runs["ruff"].append(timed([ruff, "check", "--select", "AIR", "--no-cache", "--quiet", "dags"], work, env))
        findings = subprocess.run(
            [*lint, "--statistics"], cwd=work, env=env, capture_output=True, text=True, check=False
        ).stdout.strip()
        worst = worst_cases(work, lint, env)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    median = {key: statistics.median(values) for key, values in runs.items()}
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(f"{args.files} real-shaped files, {cores} cores, median of {args.repeat} runs (whole process)")
    print(f"  load average (1, 5, 15 min) when done: {load}")
    labels = {
        "cold": "cron2dag lint, cold (--no-cache), text",
        "json": "cron2dag lint, cold, --format json",
        "sarif": "cron2dag lint, cold, --format sarif",
        "warm": "cron2dag lint, warm (cache, no change)",
        "ruff": "ruff check --select AIR --no-cache",
    }
    for key, label in labels.items():
        print(f"  {label:<42} {median[key]:7.3f} s  {args.files / median[key]:9,.0f} files/s")
    ratios = {
        "cold": ("cold / ruff", median["cold"] / median["ruff"]),
        "warm": ("warm / ruff", median["warm"] / median["ruff"]),
        "json": ("json / text", median["json"] / median["cold"]),
        "sarif": ("sarif / text", median["sarif"] / median["cold"]),
    }
    print("ratios (target):")
    for key, (label, ratio) in ratios.items():
        verdict = "met" if ratio <= TARGETS[key] else "MISSED"
        print(f"  {label:<14} {ratio:5.2f}x  (at most {TARGETS[key]:.1f}x: {verdict})")
    print("one file with many fixable findings (median of 3; linear, not quadratic):")
    for label, seconds in worst:
        print(f"  {label:<44} {seconds:7.3f} s")
    print("findings per rule:")
    print("  " + findings.replace("\n", "\n  "))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
