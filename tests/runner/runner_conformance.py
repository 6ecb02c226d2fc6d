"""The conformance suite (fixtures/runner): run the cases in the runner or in Airflow, compare results.

A case is one or more DAG runs executed in order in one state (database) so that later runs see the
earlier ones (ExternalTaskSensor, depends_on_past). Results are normalised to plain JSON:
`{"dag_id", "state", "logical_date", "data_interval": [start, end], "tasks": {task_id: {"state",
"try_number", "xcom", "rendered"}}, "order_violations": [...]}`.

`python tests/runner/runner_conformance.py --update` re-records `fixtures/runner/expected/*.json`
from the runner (review the diff: the Airflow-marked test holds Airflow to the same files).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "runner"
EXPECTED = FIXTURES / "expected"
# recorded expectations name the fixture folder by this token, so they hold on every checkout
FIXTURES_TOKEN = "$FIXTURES"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class RunSpec:
    file: str
    dag_id: str
    logical_date: dt.datetime
    conf: dict[str, Any] | None


@dataclass(frozen=True)
class Case:
    name: str
    runs: tuple[RunSpec, ...]


def load_cases() -> list[Case]:
    data = json.loads((FIXTURES / "cases.json").read_text())
    return [
        Case(item["name"], tuple(
            RunSpec(run["file"], run["dag_id"], dt.datetime.fromisoformat(run["logical_date"]), run.get("conf"))
            for run in item["runs"]
        ))
        for item in data
    ]


def _plain(value: Any) -> Any:
    """JSON round trip: tuples become lists, keys strings; what both sides can be compared on."""
    return json.loads(json.dumps(value, default=str))


def _xcoms(values: dict[str, Any]) -> dict[str, Any]:
    """XComs to compare. Airflow lists skipped/followed tasks in set order (varies by process): sort.
    `_link_*` keys are Airflow's UI links (they hold its run ids), not task data."""
    result = {}
    for key, value in _plain(values).items():
        if key.startswith("_link_"):
            continue
        if key == "skipmixin_key" and isinstance(value, dict):
            value = {k: sorted(v) if isinstance(v, list) else v for k, v in value.items()}
        result[key] = value
    return result


def dependencies(spec: RunSpec) -> dict[str, tuple[str, list[str]]]:
    """task id -> (trigger rule, upstream task ids), from the DAG file."""
    from migrator.runner.loader import load_dag_file
    from migrator.runner.shim import airflow_shim

    with airflow_shim():
        dag = load_dag_file(FIXTURES / spec.file).select(spec.dag_id)
    return {task.task_id: (str(task.trigger_rule), sorted(task.upstream_task_ids)) for task in dag.tasks}


# Which finished upstreams let a task with a `one_*` rule start (it need not wait for the others).
_ONE_RULES = {"one_success": {"success"}, "one_failed": {"failed", "upstream_failed"}, "one_done": {"success", "failed"}}

Times = dict[str, tuple[dt.datetime | None, dt.datetime | None, int, str | None]]


def _instances(times: Times, task_id: str) -> list[str]:
    """The labels of a task's instances: `task`, or `task[0]`, `task[1]`, ... for a mapped task."""
    return [label for label in times if label == task_id or (label.startswith(task_id + "[") and label.endswith("]"))]


def order_violations(spec: RunSpec, times: Times) -> list[str]:
    """A task that ran started after its upstreams finished: all of them, or for `one_*` rules one that
    satisfies the rule; `always` waits for nothing. An instance of a mapped task waits for the same
    instance of a mapped upstream when there is one (a mapped task group), else for all of them."""
    problems = []
    none = (None, None, 0, None)
    for task_id, (rule, upstreams) in sorted(dependencies(spec).items()):
        for label in _instances(times, task_id):
            start, _, tries, _ = times.get(label, none)
            if tries == 0 or start is None or not upstreams or rule == "always":
                continue
            index = label[len(task_id):]
            relevant = [same if (same := up + index) in times and index else up_label
                        for up in upstreams for up_label in (_instances(times, up) or [up])]
            relevant = list(dict.fromkeys(relevant))
            ended_before = {up for up in relevant if times.get(up, none)[1] is not None
                            and times[up][1] <= start}  # type: ignore[operator]
            if rule in _ONE_RULES:
                if not any(times[up][3] in _ONE_RULES[rule] for up in ended_before):
                    problems.append(f"{label} ({rule}) started at {start} before any upstream could trigger it")
                continue
            for up in relevant:
                if up not in ended_before:
                    problems.append(f"{label} started at {start} before {up} ended ({times.get(up)})")
    return problems


# -- the runner -----------------------------------------------------------------------------------
def run_in_runner(case: Case, home: Path) -> list[dict[str, Any]]:
    """Run each of the case's runs with `cron2dag run` (in process) in one CRON2DAG_HOME."""
    import os

    from click.testing import CliRunner

    from migrator.cli import cli
    from migrator.runner import xcom_codec
    from migrator.runner.store import Store

    results = []
    previous = os.environ.get("CRON2DAG_HOME")
    os.environ["CRON2DAG_HOME"] = str(home)
    try:
        for spec in case.runs:
            args = ["run", str(FIXTURES / spec.file), "--dag-id", spec.dag_id, "--date", spec.logical_date.isoformat()]
            if spec.conf is not None:
                args += ["--conf", json.dumps(spec.conf)]
            outcome = CliRunner().invoke(cli, args, catch_exceptions=False)
            if outcome.exit_code not in (0, 1):
                raise AssertionError(f"cron2dag run {spec.dag_id} exited {outcome.exit_code}:\n{outcome.output}")
            store = Store(home)
            try:
                run = store.find_run(spec.dag_id, spec.logical_date.astimezone(dt.timezone.utc).isoformat())
                assert run is not None, outcome.output
                tis = store.load_tis(spec.dag_id, run.run_id)
                xcoms = store.xcoms(spec.dag_id, run.run_id)
                attempts = {(a.task_id, a.map_index): a for a in store.attempts(spec.dag_id, run.run_id)}
            finally:
                store.close()
            tasks = {}
            times = {}
            for ti_key, ti in sorted(tis.items()):
                task_id = str(ti_key)  # "task" or "task[3]", as the Airflow harness names mapped instances
                attempt = attempts.get(ti_key)
                tasks[task_id] = {
                    "state": str(ti.state) if ti.state else None,
                    "try_number": ti.try_number,
                    "xcom": _xcoms({key: xcom_codec.plain(value) for (t, index, key), value in sorted(xcoms.items())
                                    if (t, index) == ti_key}),
                    "rendered": _plain(attempt.rendered) if attempt and attempt.rendered else {},
                }
                times[task_id] = (_time(ti.start_date), _time(ti.end_date), ti.try_number,
                                  str(ti.state) if ti.state else None)
            results.append({
                "dag_id": spec.dag_id,
                "state": str(run.state),
                "logical_date": run.logical_date,
                "data_interval": [run.data_interval_start, run.data_interval_end],
                "tasks": tasks,
                "order_violations": order_violations(spec, times),
            })
    finally:
        if previous is None:
            os.environ.pop("CRON2DAG_HOME", None)
        else:
            os.environ["CRON2DAG_HOME"] = previous
    return results


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


# -- Airflow ----------------------------------------------------------------------------------------
def airflow_results(case: Case, results: list[Any]) -> list[dict[str, Any]]:
    """Normalise the harness's DagTestResults of a case (same shape as run_in_runner)."""
    normalised = []
    for spec, result in zip(case.runs, results):
        tasks = {}
        times = {}
        for task_id, task in sorted(result.tasks.items()):
            tasks[task_id] = {
                "state": task.state,
                "try_number": task.try_number,
                "xcom": _xcoms(task.xcom),
                "rendered": _plain(task.rendered_fields),
            }
            times[task_id] = (task.start_date, task.end_date, task.try_number, task.state)
        normalised.append({
            "dag_id": spec.dag_id,
            "state": result.state,
            "logical_date": result.logical_date.isoformat() if result.logical_date else None,
            "data_interval": [d.isoformat() if d else None for d in (result.data_interval_start, result.data_interval_end)],
            "tasks": tasks,
            "order_violations": order_violations(spec, times),
        })
    return normalised


# -- comparing --------------------------------------------------------------------------------------
def expected(case: Case) -> list[dict[str, Any]]:
    text = (EXPECTED / f"{case.name}.json").read_text()
    return json.loads(text.replace(FIXTURES_TOKEN, json.dumps(str(FIXTURES))[1:-1]))


def compare(want: list[dict[str, Any]], got: list[dict[str, Any]], who: str) -> list[str]:
    """Differences between expectations and results; only what the expectation records is compared.

    For each task: state and try number always; XComs and rendered fields as far as recorded.
    """
    problems: list[str] = []
    for index, (w, g) in enumerate(zip(want, got)):
        where = f"{who} run {index + 1} ({w['dag_id']})"
        for key in ("state", "logical_date", "data_interval"):
            if key in w and w[key] != g.get(key):
                problems.append(f"{where}: {key} {g.get(key)!r}, expected {w[key]!r}")
        if g.get("order_violations"):
            problems.extend(f"{where}: {text}" for text in g["order_violations"])
        for task_id, wt in w["tasks"].items():
            gt = g["tasks"].get(task_id)
            if gt is None:
                problems.append(f"{where}: task {task_id} missing")
                continue
            for key in ("state", "try_number"):
                if wt[key] != gt[key]:
                    problems.append(f"{where}: {task_id}.{key} = {gt[key]!r}, expected {wt[key]!r}")
            if "xcom" in wt and wt["xcom"] != gt["xcom"]:
                problems.append(f"{where}: {task_id} xcom = {gt['xcom']!r}, expected {wt['xcom']!r}")
            for field, value in wt.get("rendered", {}).items():
                if gt["rendered"].get(field) != value:
                    problems.append(f"{where}: {task_id} rendered {field} = {gt['rendered'].get(field)!r}, "
                                    f"expected {value!r}")
        extra = set(g["tasks"]) - set(w["tasks"])
        if extra:
            problems.append(f"{where}: unexpected tasks {sorted(extra)}")
    if len(want) != len(got):
        problems.append(f"{who}: {len(got)} runs, expected {len(want)}")
    return problems


# Rendered fields recorded in the expectations: the ones a user reads in Airflow's "Rendered" tab.
RECORDED_FIELDS = ("bash_command", "env", "cwd", "op_args", "op_kwargs", "templates_dict", "filepath", "target_time",
                   "external_dag_id", "external_task_id")


def to_expectation(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for result in results:
        tasks = {}
        for task_id, task in result["tasks"].items():
            entry = {"state": task["state"], "try_number": task["try_number"], "xcom": task["xcom"]}
            rendered = {k: v for k, v in task["rendered"].items() if k in RECORDED_FIELDS and v is not None}
            if rendered and task["try_number"] > 0:
                entry["rendered"] = rendered
            tasks[task_id] = entry
        out.append({"dag_id": result["dag_id"], "state": result["state"], "logical_date": result["logical_date"],
                    "data_interval": result["data_interval"], "tasks": tasks})
    return out


def main(argv: list[str]) -> int:
    import tempfile

    if argv != ["--update"]:
        print(__doc__)
        return 2
    EXPECTED.mkdir(exist_ok=True)
    for case in load_cases():
        with tempfile.TemporaryDirectory() as home:
            results = run_in_runner(case, Path(home))
        recorded = json.dumps(to_expectation(results), indent=2, sort_keys=True) + "\n"
        (EXPECTED / f"{case.name}.json").write_text(recorded.replace(json.dumps(str(FIXTURES))[1:-1], FIXTURES_TOKEN))
        print(f"recorded {case.name}: " + ", ".join(r["state"] for r in results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
