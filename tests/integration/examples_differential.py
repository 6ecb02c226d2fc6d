"""Differential check of the local runner against real Airflow on Airflow's own bundled example DAGs.

Each example DAG is run twice for the same logical date: with `airflow dags test` (the reference) and
with `cron2dag run`. They agree when the run ends in the same state and every task instance (each
mapped instance on its own) has the same state and try number.

Running Airflow costs 10-30 s per example, too much for every CI run, so its results are kept in
`airflow3_examples.json`, keyed by the Airflow version and the SHA-256 of every example file. The
test (`test_integration_examples_differential.py`) fails when that cache is stale (another Airflow version, an
example added, removed or changed) and re-runs real Airflow on a rotating sample of examples each
time, failing if Airflow no longer gives the cached answer. One command re-checks all of it:

    python tests/integration/examples_differential.py --verify    # Airflow again on every example; diff
    python tests/integration/examples_differential.py --refresh   # rewrite the cache from Airflow
    python tests/integration/examples_differential.py --compare   # the runner against the cache, a table

(each takes example file names, e.g. airflow/example_dags/example_xcom.py, to do only those).

(the Airflow 3 venv comes from $CRON2DAG_AIRFLOW3_VENV or .ci/.venvs/airflow3, as for the other tests).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from airflow_harness import AirflowEnv, DagTestRequest, find_venv

CACHE = Path(__file__).with_name("airflow3_examples.json")
REPO = Path(__file__).resolve().parents[2]
LOGICAL_DATE = dt.datetime(2026, 3, 4, tzinfo=dt.timezone.utc)
REFRESH_COMMAND = "python tests/integration/examples_differential.py --refresh"

# Examples that cannot be compared here, and why (they need something outside both engines).
OUTSIDE_SERVICES = {
    "airflow/example_dags/example_dag_decorator.py": "calls an HTTP API on the internet (httpbin.org)",
    "airflow/example_dags/tutorial_objectstorage.py": "reads an HTTP API and writes to S3 object storage",
    "airflow/example_dags/example_kubernetes_executor.py": "needs a Kubernetes cluster and its Python client",
    "airflow/example_dags/example_local_kubernetes_executor.py": "needs a Kubernetes cluster and its Python client",
    "airflow/providers/common/sql/example_dags/example_analytics.py": "queries object storage with DataFusion",
    "airflow/providers/standard/example_dags/example_hitl_operator.py": "waits for a human to answer in the UI",
    "airflow/example_dags/example_retry_policy.py": "calls an HTTP API on the internet (api.example.com)",
}
# Examples whose `airflow dags test` never ends: not run in Airflow (the refresh would hang), not compared.
AIRFLOW_NEVER_FINISHES = {
    "airflow/providers/standard/example_dags/example_external_task_parent_deferrable.py":
        "its TriggerDagRunOperator waits for the triggered run, which nothing in `dags test` executes "
        "(the runner runs it and succeeds)",
}
# Examples that take minutes in both engines: cached and compared by `--compare --all`, not in CI.
SLOW = {
    "airflow/providers/standard/example_dags/example_sensors.py":
        "a deferred TimeSensor one hour ahead has no timeout: an hour in Airflow and here",
    "airflow/providers/standard/example_dags/example_external_task_marker_dag.py":
        "its reschedule-mode ExternalTaskSensor waits 600 s for a run that never comes, in Airflow and here",
}
# Examples whose outcome depends on the wall clock (weekday, time of day), not on the logical date: a
# cached answer holds only for the day it was made, so CI runs them live in both engines instead.
CLOCK_DEPENDENT = {
    "airflow/providers/standard/example_dags/example_branch_day_of_week_operator.py": "branches on today's weekday",
    "airflow/providers/standard/example_dags/example_branch_datetime_operator.py": "branches on the time of day",
}
# Examples that branch on random.choice: which task runs differs from run to run in either engine, so
# they are compared on the run state and the multiset of (state, try number) of their tasks (one branch
# followed and the others skipped, whichever it is).
RANDOM_BRANCH = {
    "airflow/providers/standard/example_dags/example_branch_operator.py": "random.choice of the branch",
    "airflow/providers/standard/example_dags/example_branch_operator_decorator.py": "random.choice of the branch",
}
AIRFLOW_TIMEOUT_S = 2 * 3600.0  # enough for the hour-long example


# -- the examples ---------------------------------------------------------------------------------------
def site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python3*/site-packages"))
    if not found:
        raise FileNotFoundError(f"no site-packages in {venv}")
    return found[0]


def discover(packages: Path) -> list[str]:
    """Example DAG files bundled with Airflow and its providers, relative to site-packages."""
    folders = [packages / "airflow" / "example_dags", *sorted((packages / "airflow" / "providers").glob("**/example_dags"))]
    files = []
    for folder in folders:
        for path in sorted(folder.glob("*.py")):
            if path.name != "__init__.py":
                files.append(path.relative_to(packages).as_posix())
    return sorted(set(files))


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def airflow_version(venv: Path) -> str:
    code = "import importlib.metadata as m; print(m.version('apache-airflow'))"
    return subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip()


# -- one side of the comparison: what a run came to -----------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """A DAG run reduced to what is compared: run state, and (state, try number) per task instance."""

    state: str | None
    tasks: dict[str, tuple[str | None, int]]

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "tasks": {k: list(v) for k, v in sorted(self.tasks.items())}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        return cls(data["state"], {k: (v[0], int(v[1])) for k, v in data["tasks"].items()})


def random_branch_differences(expected: Outcome, actual: Outcome) -> list[str]:
    """For a random branch: the same run state, task count and multiset of (state, try number)."""
    found = [] if expected.state == actual.state else [f"run: {expected.state} in Airflow, {actual.state} here"]
    if sorted(expected.tasks) != sorted(actual.tasks):
        found.append(f"tasks: {sorted(expected.tasks)} in Airflow, {sorted(actual.tasks)} here")
    want, got = sorted(expected.tasks.values()), sorted(actual.tasks.values())
    if want != got:
        found.append(f"(state, try) of the tasks: {want} in Airflow, {got} here")
    return found


def differences(expected: Outcome, actual: Outcome) -> list[str]:
    found = []
    if expected.state != actual.state:
        found.append(f"run: {expected.state} in Airflow, {actual.state} here")
    for label in sorted(set(expected.tasks) | set(actual.tasks)):
        want, got = expected.tasks.get(label), actual.tasks.get(label)
        if want != got:
            show = (lambda v: "absent" if v is None else f"{v[0]} try {v[1]}")
            found.append(f"{label}: {show(want)} in Airflow, {show(got)} here")
    return found


# -- Airflow's side ----------------------------------------------------------------------------------------
def _alone(packages: Path, name: str, work: Path) -> Path:
    """A copy of the example in a folder of its own: `dags test` parses the whole DAG folder, and one
    example that does not load would fail every other one of its folder."""
    folder = work / hashlib.sha256(name.encode()).hexdigest()[:12]
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / Path(name).name
    copy.write_bytes((packages / name).read_bytes())
    # Template files in sibling folders (sql/*.sql), found through the DAG folder as in a deployment.
    for sibling in (packages / name).parent.iterdir():
        if sibling.is_dir() and any(f.is_file() and f.suffix not in (".py", ".pyc") for f in sibling.rglob("*")):
            shutil.copytree(sibling, folder / sibling.name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def airflow_side(env: AirflowEnv, packages: Path, files: Sequence[str], work: Path, workers: int = 2) -> dict[str, Any]:
    """Load every file in Airflow (DagBag), then `dags test` each of its DAGs, in the order of their
    ids, in one process and metadata DB per file (later DAGs see what earlier ones did)."""
    copies = {name: _alone(packages, name, work) for name in files}
    reports = env.inspect_many([copies[name] for name in files])
    results: dict[str, Any] = {}
    jobs = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        for name, report in zip(files, reports):
            entry: dict[str, Any] = {"sha256": file_hash(packages / name), "import_error": None, "dags": {}}
            results[name] = entry
            if report.import_errors:
                entry["import_error"] = next(iter(report.import_errors.values())).strip().splitlines()[-1]
            if name in OUTSIDE_SERVICES or name in AIRFLOW_NEVER_FINISHES or not report.dag_ids:
                continue
            requests = [DagTestRequest(dag_id, LOGICAL_DATE) for dag_id in report.dag_ids]
            jobs[pool.submit(env.dags_test_many, copies[name], requests, timeout_s=AIRFLOW_TIMEOUT_S)] = (
                name, report.dag_ids)
        for future in concurrent.futures.as_completed(jobs):
            name, dag_ids = jobs[future]
            try:
                tested = future.result()
            except Exception as error:  # noqa: BLE001 - a harness failure is recorded, not fatal
                for dag_id in dag_ids:
                    results[name]["dags"][dag_id] = {"state": None, "tasks": {}, "error": str(error)[-500:]}
                continue
            for result in tested:
                outcome = Outcome(result.state, {label: (task.state, task.try_number)
                                                 for label, task in result.tasks.items()})
                results[name]["dags"][result.dag_id] = {**outcome.to_json(),
                                                        "error": (result.error or "").strip()[-500:] or None}
    return results


def build_cache(venv: Path, workers: int = 2, names: Sequence[str] | None = None) -> dict[str, Any]:
    """Airflow's results on every example (or on the named ones only)."""
    packages = site_packages(venv)
    with tempfile.TemporaryDirectory(prefix="examples-") as work:
        env = AirflowEnv.create(venv, Path(work))
        files = discover(packages) if names is None else list(names)
        return {
            "airflow_version": env.version,
            "logical_date": LOGICAL_DATE.isoformat(),
            "refresh_with": REFRESH_COMMAND,
            "files": airflow_side(env, packages, files, Path(work) / "alone", workers),
        }


def stale_reasons(cache: dict[str, Any], venv: Path) -> list[str]:
    """Why the cached Airflow results no longer describe the installed Airflow (empty: they do)."""
    reasons = []
    version = airflow_version(venv)
    if cache.get("airflow_version") != version:
        reasons.append(f"cached for Airflow {cache.get('airflow_version')}, installed is {version}")
    if cache.get("logical_date") != LOGICAL_DATE.isoformat():
        reasons.append(f"cached for logical date {cache.get('logical_date')}, the test uses {LOGICAL_DATE.isoformat()}")
    packages = site_packages(venv)
    installed = discover(packages)
    cached = cache.get("files", {})
    for name in sorted(set(installed) - set(cached)):
        reasons.append(f"new example {name}")
    for name in sorted(set(cached) - set(installed)):
        reasons.append(f"example {name} is gone")
    for name in sorted(set(installed) & set(cached)):
        if file_hash(packages / name) != cached[name]["sha256"]:
            reasons.append(f"example {name} changed")
    return reasons


# -- the runner's side ---------------------------------------------------------------------------------------
def runner_side(path: Path, dag_id: str, home: Path) -> tuple[Outcome | None, str]:
    """`cron2dag run` of one DAG in a state home; the outcome (None if it did not load) and output."""
    env = {**os.environ, "CRON2DAG_HOME": str(home), "COLUMNS": "200"}
    env.pop("AIRFLOW_HOME", None)
    command = [sys.executable, "-m", "migrator", "run", str(path), "--dag-id", dag_id,
               "--date", LOGICAL_DATE.isoformat()]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=home, timeout=900, check=False)
    output = done.stdout + done.stderr
    if done.returncode == 2 and output.startswith(f"DAG {dag_id}: "):
        return Outcome(None, {}), output  # the run was refused before it started (params), as Airflow refuses it
    if done.returncode not in (0, 1):
        return None, output
    listed = subprocess.run([sys.executable, "-m", "migrator", "runs", "--format", "json", "--dag-id", dag_id],
                            capture_output=True, text=True, env=env, cwd=home, check=False)
    try:
        runs = json.loads(listed.stdout)
    except ValueError:
        return None, output + listed.stdout + listed.stderr
    if not runs:
        return None, output
    run = runs[0]
    tasks = {(t["task_id"] if t["map_index"] < 0 else f"{t['task_id']}[{t['map_index']}]"): (t["state"], t["try_number"])
             for t in run["tasks"]}
    return Outcome(run["state"], tasks), output


@dataclass(frozen=True)
class Verdict:
    file: str
    dag_id: str
    status: str  # "agree", "differ", "not loaded", "excluded"
    detail: str = ""


def compare(cache: dict[str, Any], packages: Path, names: Iterable[str] | None = None, workers: int = 2,
            slow: bool = False, live: bool = False) -> list[Verdict]:
    """Run every cached, comparable example DAG in the runner and judge it against Airflow's result
    (the SLOW ones too when asked; the CLOCK_DEPENDENT ones when the answers are fresh, `live`)."""
    wanted = set(names) if names is not None else None
    jobs: list[tuple[str, str, dict[str, Any]]] = []
    verdicts: list[Verdict] = []
    for name, entry in sorted(cache["files"].items()):
        if wanted is not None and name not in wanted:
            continue
        reason = (OUTSIDE_SERVICES.get(name) or AIRFLOW_NEVER_FINISHES.get(name)
                  or (SLOW.get(name) if not slow else None) or (CLOCK_DEPENDENT.get(name) if not live else None))
        if reason:
            verdicts.append(Verdict(name, "*", "excluded", reason))
            continue
        if entry["import_error"] and not entry["dags"]:
            verdicts.append(Verdict(name, "*", "excluded", f"does not load in Airflow either: {entry['import_error']}"))
            continue
        jobs.extend((name, dag_id, result) for dag_id, result in sorted(entry["dags"].items()))

    def judge_file(name: str) -> list[Verdict]:
        # As on Airflow's side: the file's DAGs in the order of their ids, in one state home.
        found_verdicts = []
        with tempfile.TemporaryDirectory(prefix="runner-") as home:
            for file, dag_id, result in jobs:
                if file != name:
                    continue
                actual, output = runner_side(packages / name, dag_id, Path(home))
                if actual is None:
                    last = output.strip().splitlines()[-1] if output.strip() else ""
                    found_verdicts.append(Verdict(name, dag_id, "not loaded", last))
                    continue
                judge = random_branch_differences if name in RANDOM_BRANCH else differences
                found = judge(Outcome.from_json(result), actual)
                found_verdicts.append(Verdict(name, dag_id, "differ" if found else "agree", "; ".join(found)))
        return found_verdicts

    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        for batch in pool.map(judge_file, sorted({file for file, _, _ in jobs})):
            verdicts.extend(batch)
    return sorted(verdicts, key=lambda v: (v.file, v.dag_id))


def summary(verdicts: Sequence[Verdict]) -> str:
    compared = [v for v in verdicts if v.status != "excluded"]
    agree = sum(1 for v in compared if v.status == "agree")
    loaded = sum(1 for v in compared if v.status != "not loaded")
    lines = [(f"{len(compared)} example DAGs compared: {loaded} loaded, {agree} agree "
              f"({100 * agree / max(1, len(compared)):.0f}%); {len(verdicts) - len(compared)} files excluded")]
    for verdict in verdicts:
        if verdict.status != "agree":
            lines.append(f"  {verdict.status:10} {verdict.file} {verdict.dag_id}: {verdict.detail}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--refresh", action="store_true", help="run Airflow on every example and rewrite the cache")
    action.add_argument("--verify", action="store_true", help="run Airflow on every example and diff with the cache")
    action.add_argument("--compare", action="store_true", help="run the runner on every example against the cache")
    parser.add_argument("--all", action="store_true", help="with --compare: the slow examples too")
    parser.add_argument("files", nargs="*", help="only these examples (paths relative to site-packages, as cached)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    venv = find_venv(3)
    if venv is None:
        print("no Airflow 3 venv: set CRON2DAG_AIRFLOW3_VENV or run `bash .ci/airflow-venvs`", file=sys.stderr)
        return 2
    names = args.files or None
    if args.refresh:
        fresh = build_cache(venv, args.workers, names)
        if names is not None:  # only these entries change
            cache = json.loads(CACHE.read_text(encoding="utf-8"))
            if cache["airflow_version"] != fresh["airflow_version"]:
                print("the cache is for another Airflow version: refresh all of it", file=sys.stderr)
                return 2
            fresh = {**cache, "files": {**cache["files"], **fresh["files"]}}
        CACHE.write_text(json.dumps(fresh, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {CACHE}")
        return 0
    cache = json.loads(CACHE.read_text(encoding="utf-8"))
    if args.verify:
        fresh = build_cache(venv, args.workers, names)
        problems = stale_reasons(cache, venv) + cache_mismatches(cache, fresh)
        print("\n".join(problems) if problems else "the cache matches what Airflow does now")
        return 1 if problems else 0
    verdicts = compare(cache, site_packages(venv), names, workers=args.workers, slow=args.all, live=args.all)
    print(summary(verdicts))
    return 0


def cache_mismatches(cache: dict[str, Any], fresh: dict[str, Any], names: Iterable[str] | None = None) -> list[str]:
    """Where Airflow's fresh results differ from the cached ones (run state, task states, try numbers)."""
    problems = []
    for name in sorted(names if names is not None else fresh["files"]):
        old, new = cache["files"].get(name), fresh["files"].get(name)
        if old is None or new is None:
            problems.append(f"{name}: in only one of the cache and Airflow's fresh results")
            continue
        for dag_id in sorted(set(old["dags"]) | set(new["dags"])):
            if dag_id not in old["dags"] or dag_id not in new["dags"]:
                problems.append(f"{name} {dag_id}: in only one of the cache and Airflow's fresh results")
                continue
            judge = random_branch_differences if name in RANDOM_BRANCH else differences
            for problem in judge(Outcome.from_json(old["dags"][dag_id]), Outcome.from_json(new["dags"][dag_id])):
                problems.append(f"{name} {dag_id}: " + problem.replace("in Airflow", "cached").replace("here", "now"))
    return problems


if __name__ == "__main__":
    sys.exit(main())
