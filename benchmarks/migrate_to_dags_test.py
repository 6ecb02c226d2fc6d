"""Time from `migrate` to a passing `airflow dags test` of the seed pipeline, in real Airflow.

    python benchmarks/migrate_to_dags_test.py [--runs 3] [--airflow 3|2]

Each run: generate the DAG files (in-process), then one Airflow process that runs `airflow dags test`
for the daily DAG and the weekly DAG that waits for it (fresh AIRFLOW_HOME with a copied, already
migrated metadata DB; creating that template once is not timed). Prints the median of each phase.
Needs the venvs of `bash .ci/airflow-venvs` (or $CRON2DAG_AIRFLOW3_VENV / $CRON2DAG_AIRFLOW2_VENV).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "integration"), str(ROOT / "tests" / "codegen")]

from airflow_harness import AirflowEnv, DagTestRequest, find_venv
from codegen_support import echo_seed_pipeline

from migrator.codegen.migrate import migrate
from migrator.codegen.plan import CodegenOptions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--airflow", type=int, choices=(3, 2), default=3)
    args = parser.parse_args()
    venv = find_venv(args.airflow)
    if venv is None:
        print(f"no Airflow {args.airflow} venv: run `bash .ci/airflow-venvs`", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="cron2dag-bench-") as work:
        env = AirflowEnv.create(venv, Path(work) / "airflow")
        env.environment = _with_variable(env.environment)  # type: ignore[method-assign]
        generate, test, total = [], [], []
        sunday = dt.datetime(2025, 1, 5, tzinfo=dt.timezone.utc)
        for run in range(args.runs):
            folder = Path(work) / f"run{run}"
            os.environ["CRON2DAG_SEED_OUT"] = str(folder / "ran.txt")
            started = time.perf_counter()
            # no Deadline Alert: Airflow 3.3.2's `dags test` fails a successful run of a DAG with one
            options = CodegenOptions(airflow=args.airflow, deadlines=False)
            migrate([echo_seed_pipeline()], folder / "dags", options)
            generated = time.perf_counter()
            results = env.dags_test_many(
                folder / "dags",
                [
                    DagTestRequest("seed_pipeline", sunday),
                    DagTestRequest("weekly_report", sunday + dt.timedelta(hours=6)),
                ],
            )
            finished = time.perf_counter()
            if any(r.state != "success" for r in results):
                print("\n".join(r.describe() for r in results), file=sys.stderr)
                return 1
            generate.append(generated - started)
            test.append(finished - generated)
            total.append(finished - started)
    print(f"Airflow {env.version}, {args.runs} runs, seed pipeline (7 tasks + 2 sensors, 2 DAGs):")
    print(
        f"  migrate (generate 2 DAG files)     median {statistics.median(generate) * 1000:8.1f} ms"
    )
    print(f"  airflow dags test (both DAGs)      median {statistics.median(test):8.2f} s")
    print(f"  migrate -> passing dags test       median {statistics.median(total):8.2f} s")
    return 0


def _with_variable(environment):
    def wrapped(home: Path, dags_folder: Path) -> dict[str, str]:
        return {**environment(home, dags_folder), "AIRFLOW_VAR_DB_PASSWORD": "benchmark"}

    return wrapped


if __name__ == "__main__":
    sys.exit(main())
