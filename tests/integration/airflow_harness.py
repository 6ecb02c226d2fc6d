"""Drive a real Apache Airflow installation from the tests, in its own virtual environment.

The project's venv has no Airflow, so every question is asked in a subprocess that runs this same file
with the Airflow venv's Python (`python airflow_harness.py REQUEST.json`). The file therefore imports
only the standard library at module level; the part below `# --- child side ---` runs inside Airflow.

Each subprocess gets a fresh AIRFLOW_HOME whose SQLite metadata DB is a copy of one migrated once per
session (migrating takes seconds; copying a file takes milliseconds). Several questions about one DAG
folder can share a subprocess (`inspect`, `dags_test_many`), which matters: importing Airflow alone
costs about 3 s per process.

Parent-side API (what tests use):

    env = AirflowEnv.create(venv, workdir)           # migrates the template DB
    env.import_errors(folder) -> dict[str, str]      # relative path -> traceback (parse + serialize)
    env.dag_ids(folder) -> list[str]
    env.next_fire_times(folder, dag_id, count, after) -> list[RunInfo]
    env.inspect(folder, fire_times=200, after=...) -> FolderReport   # all of the above, one process
    env.inspect_many([folder, ...], fire_times=200, after=...) -> list[FolderReport]  # one process
    env.dags_test(path, dag_id, logical_date, conf=None) -> DagTestResult
    env.dags_test_many(path, [DagTestRequest(...), ...]) -> list[DagTestResult]

Datetimes crossing the process boundary are ISO 8601 strings with an offset (always UTC).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT_S = 900.0

# The settings every Airflow subprocess gets, on top of a fresh AIRFLOW_HOME. Anything AIRFLOW__* in
# the caller's environment is dropped first, so a developer's own Airflow setup cannot leak in.
_BASE_CONFIG = {
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__DEFAULT_TIMEZONE": "utc",
    "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
    "AIRFLOW__CORE__DAGBAG_IMPORT_ERROR_TRACEBACKS": "True",
    # getfqdn() may ask a DNS server; the tests have no network.
    "AIRFLOW__CORE__HOSTNAME_CALLABLE": "socket.gethostname",
    "AIRFLOW__CORE__LAZY_LOAD_PLUGINS": "True",
    "AIRFLOW__CORE__ALLOW_TEST_CONNECTIONS": "Disabled",
    "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    "AIRFLOW__LOGGING__COLORED_CONSOLE_LOG": "False",
    "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
    "AIRFLOW__OPENLINEAGE__DISABLED": "True",
    "AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR": "False",
    "SCARF_ANALYTICS": "false",
    "DO_NOT_TRACK": "true",
    "PYTHONUNBUFFERED": "1",
}


class AirflowHarnessError(RuntimeError):
    """The Airflow subprocess failed in a way that is not an answer (crash, timeout, bad request)."""


# --------------------------------------------------------------------------------------------------
# Results (parent side)
# --------------------------------------------------------------------------------------------------


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class RunInfo:
    """One run of a DAG's timetable, as Airflow's scheduler would create it.

    `run_after` is when the run may start (the instant cron would have fired the job);
    `logical_date` is what `{{ ds }}` / `{{ logical_date }}` derive from. They are equal for
    CronTriggerTimetable without `interval`; for CronDataIntervalTimetable (Airflow 2's reading of a
    bare cron string) the logical date is the *previous* fire time, i.e. the data interval's start.
    """

    run_after: datetime
    logical_date: datetime | None
    data_interval_start: datetime | None
    data_interval_end: datetime | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunInfo:
        run_after = _dt(data["run_after"])
        assert run_after is not None
        return cls(
            run_after=run_after,
            logical_date=_dt(data["logical_date"]),
            data_interval_start=_dt(data["data_interval_start"]),
            data_interval_end=_dt(data["data_interval_end"]),
        )


@dataclass(frozen=True)
class DagInfo:
    """What the DagBag says about one DAG."""

    dag_id: str
    fileloc: str  # relative to the folder given
    timetable: str  # class path of the timetable the scheduler uses (after serialization)
    timetable_summary: str
    timezone: str
    task_ids: tuple[str, ...]
    fire_times: tuple[RunInfo, ...] = ()  # filled by `inspect(..., fire_times=N)`
    fire_times_error: str | None = None


@dataclass(frozen=True)
class FolderReport:
    """Everything one DagBag pass over a folder tells: import errors and the DAGs found."""

    import_errors: dict[str, str]
    dags: dict[str, DagInfo]
    airflow_version: str

    @property
    def dag_ids(self) -> list[str]:
        return sorted(self.dags)


@dataclass(frozen=True)
class TaskResult:
    """One task instance of a `dags test` run, read back from the metadata DB."""

    task_id: str
    state: str | None
    try_number: int
    start_date: datetime | None
    end_date: datetime | None
    operator: str | None
    rendered_fields: dict[str, Any]  # rendered_task_instance_fields, as Airflow stored them
    xcom: dict[str, Any]  # key -> deserialized value ("return_value" for returned values)
    log: str  # what the task logged during `dags test` (all attempts), cut from the process output


@dataclass(frozen=True)
class DagTestResult:
    """The outcome of `airflow dags test DAG_ID LOGICAL_DATE` and what it left in the metadata DB."""

    dag_id: str
    run_id: str | None
    state: str | None  # the DagRun's final state ("success" / "failed"); None if no run was made
    logical_date: datetime | None
    data_interval_start: datetime | None
    data_interval_end: datetime | None
    conf: dict[str, Any] | None
    tasks: dict[str, TaskResult]
    error: str | None  # an exception raised by `dags test` itself (not a task failure)
    seconds: float  # wall time of the `dags test` call inside the Airflow process
    output: str = field(repr=False, default="")  # Airflow's stdout+stderr during this `dags test`

    @property
    def states(self) -> dict[str, str | None]:
        return {task_id: task.state for task_id, task in self.tasks.items()}

    def order(self) -> list[str]:
        """Task ids of the tasks that ran (have an end date), in the order they ran.

        `dags test` runs one task at a time, so end order is run order. (Airflow 2's `dags test`
        records no start_date, which is why this does not sort by start.)
        """
        ran = [t for t in self.tasks.values() if t.end_date is not None and t.try_number > 0]
        return [t.task_id for t in sorted(ran, key=lambda t: (t.end_date, t.task_id))]

    def ran_before(self, upstream: str, downstream: str) -> bool:
        """True when `upstream` finished before `downstream` started (or, with no start date
        recorded, as on Airflow 2, finished before it)."""
        up, down = self.tasks[upstream], self.tasks[downstream]
        if up.end_date is None:
            return False
        if down.start_date is not None:
            return up.end_date <= down.start_date
        return down.end_date is not None and up.end_date < down.end_date

    def describe(self) -> str:
        """A readable summary for assertion messages."""
        lines = [
            f"dag {self.dag_id} run {self.run_id}: {self.state}"
            + (f" ({self.error})" if self.error else "")
        ]
        for task in self.tasks.values():
            lines.append(f"  {task.task_id}: {task.state} try={task.try_number} xcom={task.xcom!r}")
        return "\n".join(lines)


@dataclass(frozen=True)
class DagTestRequest:
    """One `airflow dags test` to run; see `AirflowEnv.dags_test_many`."""

    dag_id: str
    logical_date: datetime
    conf: Mapping[str, Any] | None = None


def _task_from_json(data: Mapping[str, Any], log: str) -> TaskResult:
    return TaskResult(
        task_id=data["task_id"],
        state=data["state"],
        try_number=data["try_number"],
        start_date=_dt(data["start_date"]),
        end_date=_dt(data["end_date"]),
        operator=data["operator"],
        rendered_fields=data["rendered_fields"],
        xcom=data["xcom"],
        log=log,
    )


def _dag_test_from_json(data: Mapping[str, Any], process_output: bytes) -> DagTestResult:
    start, end = data.get("output_span") or (0, len(process_output))
    output = process_output[start:end].decode("utf-8", errors="replace")
    logs = split_task_logs(output)
    return DagTestResult(
        dag_id=data["dag_id"],
        run_id=data["run_id"],
        state=data["state"],
        logical_date=_dt(data["logical_date"]),
        data_interval_start=_dt(data["data_interval_start"]),
        data_interval_end=_dt(data["data_interval_end"]),
        conf=data["conf"],
        tasks={t["task_id"]: _task_from_json(t, logs.get(t["task_id"], "")) for t in data["tasks"]},
        error=data["error"],
        seconds=data["seconds"],
        output=output,
    )


_TASK_START = re.compile(r"\[DAG TEST\] starting task_id=(?P<task>\S+) map_index=(?P<index>-?\d+)")
_TASK_END = re.compile(r"\[DAG TEST\] end task task_id=(?P<task>\S+) map_index=(?P<index>-?\d+)")


def split_task_logs(output: str) -> dict[str, str]:
    """Cut `dags test` output into what each task logged.

    Airflow 2 and 3 both run tasks one at a time in `dags test` and frame each with
    `[DAG TEST] starting task_id=X map_index=N` ... `[DAG TEST] end task task_id=X map_index=N`.
    A task that ran several times (retries, sensor reschedules, deferrals) gets all its frames.
    """
    logs: dict[str, list[str]] = {}
    current: str | None = None
    for line in output.splitlines(keepends=True):
        if match := _TASK_START.search(line):
            index = int(match["index"])
            current = match["task"] if index < 0 else f"{match['task']}[{index}]"
            logs.setdefault(current, [])
        elif _TASK_END.search(line):
            current = None
        elif current is not None:
            logs[current].append(line)
    return {task: "".join(lines) for task, lines in logs.items()}


def _folder_from_json(data: Mapping[str, Any]) -> FolderReport:
    dags = {}
    for dag in data["dags"]:
        dags[dag["dag_id"]] = DagInfo(
            dag_id=dag["dag_id"],
            fileloc=dag["fileloc"],
            timetable=dag["timetable"],
            timetable_summary=dag["timetable_summary"],
            timezone=dag["timezone"],
            task_ids=tuple(dag["task_ids"]),
            fire_times=tuple(RunInfo.from_json(r) for r in dag.get("fire_times") or ()),
            fire_times_error=dag.get("fire_times_error"),
        )
    return FolderReport(
        import_errors=dict(data["import_errors"]),
        dags=dags,
        airflow_version=data["airflow_version"],
    )


# --------------------------------------------------------------------------------------------------
# The environment (parent side)
# --------------------------------------------------------------------------------------------------


def _utc_iso(moment: datetime, what: str) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {moment.isoformat()}")
    return moment.astimezone(timezone.utc).isoformat()


@dataclass
class AirflowEnv:
    """One Airflow installation (a venv) plus a migrated template metadata DB to copy per use."""

    venv: Path
    workdir: Path  # where homes are created; kept after the session for post-mortems
    version: str
    template_home: Path
    timeout_s: float = DEFAULT_TIMEOUT_S
    calls: list[tuple[str, float]] = field(default_factory=list)  # (what, seconds) per subprocess
    extra_env: dict[str, str] = field(default_factory=dict)  # see with_environment()

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    @classmethod
    def create(cls, venv: Path, workdir: Path, timeout_s: float = DEFAULT_TIMEOUT_S) -> AirflowEnv:
        """Check the venv, then migrate a template metadata DB (once; each use copies it)."""
        venv = Path(venv).absolute()
        python = venv / "bin" / "python"
        if not python.exists():
            raise AirflowHarnessError(f"{venv} is not a virtual environment ({python} is missing)")
        workdir.mkdir(parents=True, exist_ok=True)
        template = workdir / "template-home"
        if template.exists():
            shutil.rmtree(template)
        template.mkdir()
        env = cls(
            venv=venv, workdir=workdir, version="?", template_home=template, timeout_s=timeout_s
        )
        result = env._run(
            [{"op": "migrate"}], home=template, dags_folder=template / "dags", what="migrate"
        )
        env.version = result[0]["airflow_version"]
        return env

    # -- public API -------------------------------------------------------------------------------

    def with_environment(self, **variables: str) -> AirflowEnv:
        """The same installation and template DB, with extra environment variables for Airflow.

        The caller's AIRFLOW* variables never reach Airflow; this is how a test passes some, e.g.
        `AIRFLOW_VAR_DB_PASSWORD="x"` for `{{ var.value.DB_PASSWORD }}`.
        """
        return replace(self, extra_env={**self.extra_env, **variables})

    def inspect(
        self, dag_folder: Path | str, fire_times: int = 0, after: datetime | None = None
    ) -> FolderReport:
        """Load a folder (a file works too) in a DagBag; optionally the next fire times of every DAG.

        Import errors include the serialization errors that Airflow's DAG processor would record.
        With `fire_times=N`, each DAG gets its first N runs at or after `after` (see `next_fire_times`).
        """
        return self.inspect_many([dag_folder], fire_times=fire_times, after=after)[0]

    def inspect_many(
        self,
        dag_folders: Sequence[Path | str],
        fire_times: int = 0,
        after: datetime | None = None,
    ) -> list[FolderReport]:
        """`inspect` of several folders in ONE Airflow process (saves ~2-3 s of start-up per folder).

        Each folder gets its own DagBag, so the reports are the same as one `inspect` each.
        """
        if fire_times and after is None:
            raise ValueError("inspect(fire_times=N) needs `after`")
        folders = [Path(f).absolute() for f in dag_folders]
        if not folders:
            return []
        ops: list[dict[str, Any]] = []
        for folder in folders:
            op: dict[str, Any] = {
                "op": "inspect",
                "dag_folder": str(folder),
                "fire_times": fire_times,
            }
            if fire_times and after is not None:
                op["after"] = _utc_iso(after, "after")
            ops.append(op)
        what = f"inspect {folders[0].name}" + (f" +{len(folders) - 1}" if len(folders) > 1 else "")
        results = self._run(ops, dags_folder=_folder_of(folders[0]), what=what)
        return [_folder_from_json(data) for data in results]

    def import_errors(self, dag_folder: Path | str) -> dict[str, str]:
        """Import errors of a DAG folder or file: path relative to it -> Airflow's traceback text."""
        return self.inspect(dag_folder).import_errors

    def dag_ids(self, dag_folder: Path | str) -> list[str]:
        """Sorted ids of the DAGs that load from a folder or file."""
        return self.inspect(dag_folder).dag_ids

    def next_fire_times(
        self, dag_folder: Path | str, dag_id: str, count: int, after: datetime
    ) -> list[RunInfo]:
        """The first `count` runs Airflow's scheduler would create for `dag_id` from `after` on.

        Computed by the DAG's own timetable after a serialization round trip (as the scheduler sees
        it): `timetable.next_dagrun_info_v2` (Airflow 3) / `next_dagrun_info` (Airflow 2), chained,
        with `TimeRestriction(earliest=after, latest=<DAG end_date>, catchup=True)`. So `after` acts
        as the DAG's start_date: inclusive, and it bounds the *logical date* (for trigger timetables
        that is the fire time itself; for data-interval timetables it is the interval's start, so the
        first run's `run_after` is one period later). Fewer than `count` when the DAG ends.
        """
        report = self.inspect(dag_folder, fire_times=count, after=after)
        if dag_id not in report.dags:
            raise AirflowHarnessError(
                f"no DAG {dag_id!r} in {dag_folder}; DAGs: {report.dag_ids}; "
                f"import errors: {sorted(report.import_errors)}"
            )
        info = report.dags[dag_id]
        if info.fire_times_error:
            raise AirflowHarnessError(f"{dag_id}: timetable failed:\n{info.fire_times_error}")
        return list(info.fire_times)

    def dags_test(
        self,
        dag_path: Path | str,
        dag_id: str,
        logical_date: datetime,
        conf: Mapping[str, Any] | None = None,
        timeout_s: float | None = None,
    ) -> DagTestResult:
        """Run `airflow dags test DAG_ID LOGICAL_DATE` on a DAG file or folder; read the run back.

        The command runs in-process in the Airflow venv through Airflow's own CLI parser (exactly what
        `airflow dags test` does: Airflow 3 syncs the DAG folder to the DB and calls `dag.test()`,
        which runs tasks one by one in that process and runs deferred tasks' triggers inline). The
        DAG folder (`[core] dags_folder`) is the file's directory, or the folder given.
        """
        request = DagTestRequest(dag_id, logical_date, conf)
        return self.dags_test_many(dag_path, [request], timeout_s=timeout_s)[0]

    def dags_test_many(
        self,
        dag_path: Path | str,
        requests: Sequence[DagTestRequest],
        timeout_s: float | None = None,
    ) -> list[DagTestResult]:
        """Several `dags test` runs in one Airflow process and one metadata DB, in order.

        Runs of different DAGs do not interact; repeating a DAG and logical date reruns it (Airflow
        clears the earlier task instances first), and later runs see earlier ones (depends_on_past).
        """
        path = Path(dag_path).absolute()
        ops = [
            {
                "op": "dags_test",
                "dag_path": str(path),
                "dag_id": request.dag_id,
                "logical_date": _utc_iso(request.logical_date, "logical_date"),
                "conf": dict(request.conf) if request.conf is not None else None,
            }
            for request in requests
        ]
        ids = ",".join(r.dag_id for r in requests)
        output: list[bytes] = []
        results = self._run(
            ops,
            dags_folder=_folder_of(path),
            what=f"dags test {ids}",
            output=output,
            timeout_s=timeout_s,
        )
        return [_dag_test_from_json(data, output[0]) for data in results]

    def start_dags_test(
        self, dag_path: Path | str, dag_id: str, logical_date: datetime
    ) -> RunningDagTest:
        """`dags test` in the background, for tests that act while the run is going (a sensor
        waiting for a file the test creates): watch it with `RunningDagTest.wait_for_state`."""
        path = Path(dag_path).absolute()
        home = self.new_home()
        request = home / "request.json"
        response = home / "response.json"
        op = {
            "op": "dags_test",
            "dag_path": str(path),
            "dag_id": dag_id,
            "logical_date": _utc_iso(logical_date, "logical_date"),
            "conf": None,
        }
        request.write_text(json.dumps({"ops": [op], "response": str(response)}), encoding="utf-8")
        log_path = home / "process.log"
        log = open(log_path, "wb")  # noqa: SIM115 - closed by RunningDagTest.result
        process = subprocess.Popen(
            [str(self.python), str(Path(__file__).absolute()), str(request)],
            env=self.environment(home, _folder_of(path)),
            cwd=home,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return RunningDagTest(self, dag_id, process, home, response, log_path, log, time.monotonic())

    # -- plumbing ---------------------------------------------------------------------------------

    def new_home(self) -> Path:
        """A fresh AIRFLOW_HOME holding a copy of the migrated template DB."""
        home = Path(tempfile.mkdtemp(prefix="home-", dir=self.workdir))
        for name in ("airflow.db", "airflow.cfg"):
            source = self.template_home / name
            if source.exists():
                shutil.copy2(source, home / name)
        return home

    def environment(self, home: Path, dags_folder: Path) -> dict[str, str]:
        """The environment of one Airflow subprocess."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.pop("PYTHONPATH", None)  # the project's path must not shadow Airflow's modules
        env.update(_BASE_CONFIG)
        env.update(
            {
                "AIRFLOW_HOME": str(home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
                "AIRFLOW__LOGGING__DAG_PROCESSOR_CHILD_PROCESS_LOG_DIRECTORY": str(
                    home / "logs" / "dag_processor"
                ),
                "VIRTUAL_ENV": str(self.venv),
                "PATH": f"{self.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
                "TMPDIR": str(home / "tmp"),
            }
        )
        env.update(self.extra_env)
        (home / "tmp").mkdir(exist_ok=True)
        return env

    def _run(
        self,
        ops: list[dict[str, Any]],
        *,
        dags_folder: Path,
        what: str,
        home: Path | None = None,
        output: list[bytes] | None = None,
        timeout_s: float | None = None,
    ) -> list[Any]:
        home = home or self.new_home()
        request = home / "request.json"
        response = home / "response.json"
        request.write_text(json.dumps({"ops": ops, "response": str(response)}), encoding="utf-8")
        log_path = home / "process.log"
        started = time.monotonic()
        limit = self.timeout_s if timeout_s is None else timeout_s
        try:
            returncode = _run_in_own_group(
                [str(self.python), str(Path(__file__).absolute()), str(request)],
                env=self.environment(home, dags_folder),
                cwd=home,
                log_path=log_path,
                timeout_s=limit,
            )
        except subprocess.TimeoutExpired as exc:
            raise AirflowHarnessError(
                f"Airflow {self.version}: {what} timed out after {limit:.0f} s (killed with its tasks); "
                f"output in {log_path}:\n{_tail(log_path)}"
            ) from exc
        finally:
            self.calls.append((what, time.monotonic() - started))
        if returncode != 0 or not response.exists():
            raise AirflowHarnessError(
                f"Airflow {self.version}: {what} exited with {returncode}; output in {log_path}:\n"
                f"{_tail(log_path)}"
            )
        if output is not None:
            output.append(log_path.read_bytes())
        payload = json.loads(response.read_text(encoding="utf-8"))
        if payload.get("error"):
            raise AirflowHarnessError(f"Airflow {self.version}: {what} failed:\n{payload['error']}")
        return payload["results"]


@dataclass
class RunningDagTest:
    """A `dags test` started by `AirflowEnv.start_dags_test`, still running or done."""

    env: AirflowEnv
    dag_id: str
    process: subprocess.Popen[bytes]
    home: Path
    response: Path
    log_path: Path
    log: Any
    started: float

    def task_state(self, task_id: str) -> str | None:
        """The task instance's state in the run's metadata DB (read-only; None before it exists)."""
        import sqlite3

        uri = f"file:{self.home / 'airflow.db'}?mode=ro"
        try:
            with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=30)) as db:
                row = db.execute(
                    "SELECT state FROM task_instance WHERE dag_id = ? AND task_id = ?",
                    (self.dag_id, task_id),
                ).fetchone()
        except sqlite3.OperationalError:  # the DB is being written: ask again
            return None
        return row[0] if row else None

    def wait_for_state(
        self,
        task_id: str,
        states: set[str],
        timeout_s: float | None = None,
        or_output: str | None = None,
    ) -> str:
        """Wait until the task is in one of `states`, or `dags test` has printed `or_output` (for a
        state it keeps in an open transaction); a backstop time-out, not an expectation."""
        limit = time.monotonic() + (self.env.timeout_s if timeout_s is None else timeout_s)
        while time.monotonic() < limit:
            state = self.task_state(task_id)
            if state in states:
                return state
            if or_output and or_output in self.log_path.read_text(encoding="utf-8", errors="replace"):
                return or_output
            if self.process.poll() is not None:
                raise AirflowHarnessError(
                    f"dags test ended before {task_id} reached {sorted(states)} (last: {state}):\n"
                    f"{_tail(self.log_path)}"
                )
            time.sleep(0.2)
        self.stop()
        raise AirflowHarnessError(f"{task_id} never reached {sorted(states)}:\n{_tail(self.log_path)}")

    def wait_for_output(self, text: str, timeout_s: float | None = None) -> None:
        """Wait until `dags test` has printed `text` (a backstop time-out, not an expectation)."""
        limit = time.monotonic() + (self.env.timeout_s if timeout_s is None else timeout_s)
        while time.monotonic() < limit:
            if text in self.log_path.read_text(encoding="utf-8", errors="replace"):
                return
            if self.process.poll() is not None:
                raise AirflowHarnessError(f"dags test ended before printing {text!r}:\n{_tail(self.log_path)}")
            time.sleep(0.2)
        self.stop()
        raise AirflowHarnessError(f"dags test never printed {text!r}:\n{_tail(self.log_path)}")

    def result(self, timeout_s: float | None = None) -> DagTestResult:
        """Wait for `dags test` to end and read the run back, as `AirflowEnv.dags_test` does."""
        try:
            self.process.wait(timeout=self.env.timeout_s if timeout_s is None else timeout_s)
        except subprocess.TimeoutExpired as exc:
            self.stop()
            raise AirflowHarnessError(f"dags test {self.dag_id} timed out:\n{_tail(self.log_path)}") from exc
        finally:
            self.log.close()
            self.env.calls.append((f"dags test {self.dag_id} (background)", time.monotonic() - self.started))
        if self.process.returncode != 0 or not self.response.exists():
            raise AirflowHarnessError(f"dags test exited with {self.process.returncode}:\n{_tail(self.log_path)}")
        payload = json.loads(self.response.read_text(encoding="utf-8"))
        if payload.get("error"):
            raise AirflowHarnessError(f"dags test {self.dag_id} failed:\n{payload['error']}")
        return _dag_test_from_json(payload["results"][0], self.log_path.read_bytes())

    def stop(self) -> None:
        if self.process.poll() is None:
            _kill_tree(self.process.pid)
            self.process.wait()


def _run_in_own_group(
    argv: list[str], *, env: dict[str, str], cwd: Path, log_path: Path, timeout_s: float
) -> int:
    """Run argv with output to log_path; on timeout or interrupt kill it and all its descendants."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            return process.wait(timeout=timeout_s)
        except BaseException:  # TimeoutExpired, or Ctrl-C: leave no Airflow process behind
            _kill_tree(process.pid)
            process.wait()
            raise


def _kill_tree(root: int) -> None:
    """SIGKILL a process and every descendant.

    A process group is not enough: Airflow ignores SIGTERM in `dags test`, and its BashOperator
    starts each command in a new session (`start_new_session=True`), outside our group.
    """
    doomed = [root, *_descendants(root)]
    for pid in doomed:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(root, signal.SIGKILL)


def _descendants(root: int) -> list[int]:
    """Pids below `root` in the process tree (Linux /proc; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            # The command name may contain spaces or parentheses: the fields follow the last ')'.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    pending = [root]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def _folder_of(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


REPO = Path(__file__).resolve().parents[2]
VENV_LOCATIONS = {
    3: ("CRON2DAG_AIRFLOW3_VENV", REPO / ".ci" / ".venvs" / "airflow3"),
    2: ("CRON2DAG_AIRFLOW2_VENV", REPO / ".ci" / ".venvs" / "airflow2"),
}


def find_venv(major: int) -> Path | None:
    """The Airflow `major` venv: `$CRON2DAG_AIRFLOW<major>_VENV`, else `.ci/.venvs/airflow<major>`.

    None when the chosen directory has no bin/python.
    """
    env_var, default = VENV_LOCATIONS[major]
    chosen = Path(os.environ[env_var]) if os.environ.get(env_var) else default
    return chosen if (chosen / "bin" / "python").exists() else None


def missing_venv_message(major: int) -> str:
    """What to do when an Airflow venv is missing."""
    env_var, default = VENV_LOCATIONS[major]
    return (
        f"no Airflow {major} venv: ${env_var} is unset or has no bin/python, and {default} does not "
        f"exist. Create it with `bash .ci/airflow-venvs` (what CI does), or point ${env_var} at a venv "
        f"with apache-airflow {major}.x and apache-airflow-providers-standard. These tests run only "
        f"with `-m airflow`."
    )


# --------------------------------------------------------------------------------------------------
# --- child side: runs inside the Airflow venv (python airflow_harness.py REQUEST.json) ---
# --------------------------------------------------------------------------------------------------


def _child_iso(value: Any) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # Airflow stores UTC; naive values are UTC too
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat()


def _child_jsonable(value: Any) -> Any:
    """Round-trip through JSON, turning what JSON cannot hold into its repr()."""
    return json.loads(json.dumps(value, default=_child_default))


def _child_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="backslashreplace")
    return repr(value)


def _child_airflow_major() -> int:
    import airflow

    return int(airflow.__version__.split(".")[0])


def _child_cli(argv: list[str]) -> None:
    """Run an `airflow ...` command in this process, through Airflow's own argument parser."""
    from airflow.cli import cli_parser

    args = cli_parser.get_parser().parse_args(argv)
    args.func(args)


def _child_migrate(op: Mapping[str, Any]) -> dict[str, Any]:
    import airflow

    _child_cli(["db", "migrate"])
    return {"airflow_version": airflow.__version__}


def _child_dagbag(folder: str) -> Any:
    path = Path(folder)
    if _child_airflow_major() >= 3:
        from airflow.dag_processing.dagbag import BundleDagBag

        bundle = path if path.is_dir() else path.parent
        return BundleDagBag(dag_folder=str(path), bundle_path=bundle, bundle_name="dags-folder")
    from airflow.models.dagbag import DagBag

    return DagBag(dag_folder=str(path), include_examples=False)


def _child_serialize(dag: Any) -> Any:
    """The DAG as the scheduler sees it: serialized, then deserialized."""
    if _child_airflow_major() >= 3:
        from airflow.serialization.serialized_objects import DagSerialization

        return DagSerialization.from_dict(DagSerialization.to_dict(dag))
    from airflow.serialization.serialized_objects import SerializedDAG

    return SerializedDAG.from_dict(SerializedDAG.to_dict(dag))


def _child_relpath(path: str, base: Path) -> str:
    root = base if base.is_dir() else base.parent
    try:
        return Path(path).absolute().relative_to(root.absolute()).as_posix()
    except ValueError:
        return path


def _child_fire_times(sdag: Any, count: int, after: str) -> list[dict[str, Any]]:
    import pendulum
    from airflow.timetables.base import TimeRestriction

    earliest = pendulum.parse(after)
    latest = sdag.end_date
    restriction = TimeRestriction(earliest=earliest, latest=latest, catchup=True)
    timetable = sdag.timetable
    infos: list[dict[str, Any]] = []
    info = None
    while len(infos) < count:
        if hasattr(timetable, "next_dagrun_info_v2"):
            info = timetable.next_dagrun_info_v2(last_dagrun_info=info, restriction=restriction)
        else:
            info = timetable.next_dagrun_info(
                last_automated_data_interval=info.data_interval if info else None,
                restriction=restriction,
            )
        if info is None:
            break
        interval = info.data_interval
        infos.append(
            {
                "run_after": _child_iso(info.run_after),
                "logical_date": _child_iso(info.logical_date),
                "data_interval_start": _child_iso(interval.start if interval else None),
                "data_interval_end": _child_iso(interval.end if interval else None),
            }
        )
    return infos


def _child_inspect(op: Mapping[str, Any]) -> dict[str, Any]:
    import traceback

    import airflow

    folder = Path(op["dag_folder"])
    bag = _child_dagbag(str(folder))
    errors = {_child_relpath(path, folder): text for path, text in bag.import_errors.items()}
    dags = []
    for dag_id in sorted(bag.dags):
        dag = bag.dags[dag_id]
        entry: dict[str, Any] = {
            "dag_id": dag_id,
            "fileloc": _child_relpath(dag.fileloc, folder),
            "task_ids": sorted(dag.task_ids),
        }
        try:
            sdag = _child_serialize(dag)
        except Exception:  # noqa: BLE001 - any failure here is what the test wants to see
            # Airflow's DAG processor records a DAG that does not serialize as an import error.
            errors[_child_relpath(dag.fileloc, folder)] = traceback.format_exc()
            continue
        timetable = sdag.timetable
        entry["timetable"] = f"{type(timetable).__module__}.{type(timetable).__qualname__}"
        entry["timetable_summary"] = str(getattr(timetable, "summary", ""))
        entry["timezone"] = str(getattr(sdag.timezone, "name", sdag.timezone))
        if op.get("fire_times"):
            try:
                entry["fire_times"] = _child_fire_times(sdag, int(op["fire_times"]), op["after"])
            except Exception:  # noqa: BLE001 - reported per DAG, the others still count
                entry["fire_times_error"] = traceback.format_exc()
        dags.append(entry)
    return {"import_errors": errors, "dags": dags, "airflow_version": airflow.__version__}


def _child_dags_test(op: Mapping[str, Any]) -> dict[str, Any]:
    import traceback

    import pendulum
    from airflow.models.dagrun import DagRun
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.utils.session import create_session
    from sqlalchemy import select

    major = _child_airflow_major()
    dag_id = op["dag_id"]
    logical_date = pendulum.parse(op["logical_date"])
    argv = ["dags", "test", dag_id, op["logical_date"]]
    argv += ["-f" if major >= 3 else "-S", op["dag_path"]]
    if op.get("conf") is not None:
        argv += ["-c", json.dumps(op["conf"])]
    error = None
    started = time.monotonic()
    try:
        _child_cli(argv)
    except SystemExit as exc:
        # Airflow 3 ends `dags test` of a failed run with SystemExit("DagRun failed"): not an error
        # of the harness, the run's state says it.
        if exc.code not in (None, 0, "DagRun failed"):
            error = f"SystemExit: {exc.code}"
    except Exception:  # noqa: BLE001 - a crash of `dags test` is a result, the DB is still read
        error = traceback.format_exc()
    seconds = time.monotonic() - started

    date_column = DagRun.logical_date if major >= 3 else DagRun.execution_date
    with create_session() as session:
        run = session.scalars(
            select(DagRun)
            .where(DagRun.dag_id == dag_id, date_column == logical_date)
            .order_by(DagRun.id.desc())
        ).first()
        if run is None:
            return {
                "dag_id": dag_id, "run_id": None, "state": None, "logical_date": op["logical_date"],
                "data_interval_start": None, "data_interval_end": None, "conf": op.get("conf"),
                "tasks": [], "error": error or "no DagRun was created", "seconds": seconds,
            }  # fmt: skip
        rendered = {
            (row.task_id, row.map_index): row.rendered_fields
            for row in session.scalars(
                select(RenderedTaskInstanceFields).where(
                    RenderedTaskInstanceFields.dag_id == dag_id,
                    RenderedTaskInstanceFields.run_id == run.run_id,
                )
            )
        }
        xcoms = _child_xcoms(session, dag_id, run.run_id, major)
        tasks = []
        for ti in sorted(
            run.get_task_instances(session=session), key=lambda t: (t.task_id, t.map_index)
        ):
            tasks.append(
                {
                    "task_id": ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]",
                    "state": None
                    if ti.state is None
                    else str(getattr(ti.state, "value", ti.state)),
                    "try_number": int(ti.try_number or 0),
                    "start_date": _child_iso(ti.start_date),
                    "end_date": _child_iso(ti.end_date),
                    "operator": ti.operator,
                    "rendered_fields": _child_jsonable(rendered.get((ti.task_id, ti.map_index), {})),
                    "xcom": xcoms.get((ti.task_id, ti.map_index), {}),
                }
            )
        return {
            "dag_id": dag_id,
            "run_id": run.run_id,
            "state": None if run.state is None else str(getattr(run.state, "value", run.state)),
            "logical_date": _child_iso(run.logical_date if major >= 3 else run.execution_date),
            "data_interval_start": _child_iso(run.data_interval_start),
            "data_interval_end": _child_iso(run.data_interval_end),
            "conf": _child_jsonable(run.conf),
            "tasks": tasks,
            "error": error,
            "seconds": seconds,
        }


def _child_xcoms(session: Any, dag_id: str, run_id: str, major: int) -> dict[tuple[str, int], dict[str, Any]]:
    from sqlalchemy import select

    if major >= 3:
        from airflow.models.xcom import XComModel as XCom
    else:
        from airflow.models.xcom import XCom
    found: dict[tuple[str, int], dict[str, Any]] = {}
    rows = session.scalars(select(XCom).where(XCom.dag_id == dag_id, XCom.run_id == run_id))
    for row in rows:
        # Airflow 2's XCom model deserializes `value` when the row loads; Airflow 3's stores JSON.
        value = XCom.deserialize_value(row) if major >= 3 else row.value
        found.setdefault((row.task_id, row.map_index), {})[row.key] = _child_jsonable(value)
    return found


def _child_output_offset() -> int:
    """Where this process's output file is now: lets the parent cut the output per operation."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        return os.lseek(sys.stdout.fileno(), 0, os.SEEK_CUR)
    except OSError:
        return 0


_CHILD_OPS = {"migrate": _child_migrate, "inspect": _child_inspect, "dags_test": _child_dags_test}


def _child_main(request_path: str) -> int:
    import traceback

    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    response = Path(request["response"])
    results: list[Any] = []
    payload: dict[str, Any]
    try:
        for op in request["ops"]:
            start = _child_output_offset()
            result = _CHILD_OPS[op["op"]](op)
            if isinstance(result, dict):
                result["output_span"] = [start, _child_output_offset()]
            results.append(result)
        payload = {"results": results}
    except BaseException:  # noqa: BLE001 - everything goes back to the parent as text
        payload = {"results": results, "error": traceback.format_exc()}
    response.write_text(json.dumps(payload), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1]))
