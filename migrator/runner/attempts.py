"""One attempt of one task: how it runs and what it came to (an `Outcome`).

Kinds, picked per task (`kind_of`):
- `empty`: EmptyOperator without callbacks or assets is marked successful without running, as Airflow's
  scheduler does;
- `bash`: a plain BashOperator: the runner renders its fields and spawns `bash` itself (no Python
  process per task: this is what makes the runner fast);
- `sensor`: a built-in sensor, poked by the runner (no process while it waits);
- `fork`: everything else: a child process runs Airflow's task-runner sequence (render templates,
  pre-execute hooks, `execute`, XCom push, callbacks, execution timeout inside the task).
All kinds end in the same `Outcome`, which the scheduler records.
"""

from __future__ import annotations

import copy
import datetime
import logging
import os
import shutil
import signal
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from migrator.runner import xcom_codec
from migrator.runner.context import (
    MISSING,
    RuntimeTaskInstance,
    StateReader,
    XComStore,
    context_to_airflow_vars,
)
from migrator.runner.mapping import mapping_push_error
from migrator.runner.sdk.asset_events import emitted_events
from migrator.runner.sdk.context import set_current_context
from migrator.runner.sdk.exceptions import (
    AirflowException,
    AirflowFailException,
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTimeout,
    DownstreamTasksSkipped,
)
from migrator.runner.sdk.mapped import mapping_sources
from migrator.runner.sdk.operators import (
    BashOperator,
    EmptyOperator,
    bash_env,
    bash_outcome,
    check_cwd,
    is_inline_command,
)
from migrator.runner.sdk.retry_policy import RetryAction, RetryDecision, decide
from migrator.runner.sdk.sensors import BaseSensorOperator, PokeReturnValue
from migrator.runner.sdk.xcom_arg import XCOM_RETURN_KEY
from migrator.runner.templating import render_template_fields, rendered_fields, rendered_for_record

if TYPE_CHECKING:
    from migrator.runner.sdk.baseoperator import BaseOperator
    from migrator.runner.store import Store

BASH = shutil.which("bash") or "bash"


@dataclass
class Outcome:
    """What an attempt came to. `state`: success, skipped, failed, reschedule."""

    state: str
    retryable: bool = True
    error: str | None = None
    xcoms: list[tuple[str, str]] = field(default_factory=list)
    skip: list[str] = field(default_factory=list)
    rendered: dict[str, Any] | None = None
    reschedule_at: float | None = None
    assets: list[dict[str, Any]] | None = None  # the asset events of a success (None: from the outlets alone)
    # seconds to wait before the retry, when the task's retry policy chose them
    retry_delay: float | None = None
    # the failure, when it happened in the runner's own process (the scheduler asks the task's
    # retry policy about it); never sent across processes
    exception: BaseException | None = field(default=None, repr=False)


def _has_callbacks(task: BaseOperator) -> bool:
    return bool(task.on_execute_callback or task.on_success_callback or task.on_failure_callback
                or task.on_retry_callback or task.on_skipped_callback or task._pre_execute_hook
                or task._post_execute_hook)


def kind_of(task: BaseOperator) -> str:
    """How the runner executes this task (see the module docstring)."""
    from migrator.runner.sdk.baseoperator import BaseOperator
    from migrator.runner.sdk.operators import _identity

    cls = type(task)
    declaring = next(base for base in cls.__mro__ if "runner_kind" in base.__dict__)
    unchanged = (cls.execute is declaring.execute
                 and cls.pre_execute is BaseOperator.pre_execute and cls.post_execute is BaseOperator.post_execute
                 and not _has_callbacks(task))
    if task.runner_kind == "trigger" and cls.execute is declaring.execute:
        return "trigger"  # callbacks of such tasks run in the runner, as for the other kinds it carries out
    if not unchanged:
        return "fork"
    if task.runner_kind == "empty" and not task.outlets and not task.inlets:
        return "empty"
    if task.runner_kind == "bash" and getattr(task, "output_processor", None) is _identity:
        return "bash"
    if task.runner_kind == "sensor" and cls.poke is declaring.poke:  # type: ignore[attr-defined]
        return "sensor"
    return "fork"


# -- XComs -------------------------------------------------------------------------------------------
class StoreXComs(XComStore):
    """XCom reads straight from the state database (in the runner process)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, dag_id: str, run_id: str, task_id: str, key: str, map_index: int | None = -1) -> Any:
        text = read_xcom(self.store, dag_id, run_id, task_id, key, map_index)
        return MISSING if text is None else xcom_codec.decode(text)

    def get_all(self, dag_id: str, run_id: str, task_id: str, key: str) -> list[Any]:
        return [xcom_codec.decode(text) for _, text in self.store.get_xcoms(dag_id, run_id, task_id, key)]

    def set(self, dag_id: str, run_id: str, task_id: str, key: str, value: Any, map_index: int = -1) -> None:
        self.store.set_xcom(dag_id, run_id, task_id, key, xcom_codec.encode(value), map_index)


def read_xcom(store: Store, dag_id: str, run_id: str, task_id: str, key: str, map_index: int | None) -> str | None:
    """One XCom's stored text; map_index None: the lowest instance that has one (Airflow's get_one)."""
    if map_index is not None:
        return store.get_xcom(dag_id, run_id, task_id, key, map_index)
    found = store.get_xcoms(dag_id, run_id, task_id, key)
    return found[0][1] if found else None


class BufferedXComs(XComStore):
    """In a task process: pushes are buffered (and sent back with the result), reads see them first,
    then ask the runner (the task process never opens the database itself)."""

    def __init__(self) -> None:
        self.pushed: dict[tuple[str, str, str, int, str], str] = {}
        self._channel: Any = None

    def _call(self, op: str, **arguments: Any) -> Any:
        if self._channel is None:
            from migrator.runner.executor import TaskChannel

            self._channel = TaskChannel()
        return self._channel.call(op, **arguments)

    def get(self, dag_id: str, run_id: str, task_id: str, key: str, map_index: int | None = -1) -> Any:
        text = self.pushed.get((dag_id, run_id, task_id, map_index, key)) if map_index is not None else None
        if text is None:
            text = self._call("xcom_get", dag_id=dag_id, run_id=run_id, task_id=task_id, key=key, map_index=map_index)
        return MISSING if text is None else xcom_codec.decode(text)

    def get_all(self, dag_id: str, run_id: str, task_id: str, key: str) -> list[Any]:
        stored = dict(self._call("xcom_get_all", dag_id=dag_id, run_id=run_id, task_id=task_id, key=key))
        for (d, r, t, index, k), text in self.pushed.items():
            if (d, r, t, k) == (dag_id, run_id, task_id, key):
                stored[index] = text
        return [xcom_codec.decode(stored[index]) for index in sorted(stored)]

    def set(self, dag_id: str, run_id: str, task_id: str, key: str, value: Any, map_index: int = -1) -> None:
        self.pushed[(dag_id, run_id, task_id, map_index, key)] = xcom_codec.encode(value)


class ChannelStateReader(StateReader):
    """ExternalTaskSensor subclasses running in a task process ask the runner."""

    def __init__(self) -> None:
        from migrator.runner.executor import TaskChannel

        self.channel = TaskChannel()

    @staticmethod
    def _dates(values: list[Any]) -> list[str]:
        from migrator.runner.timezone import convert_to_utc

        return [convert_to_utc(v).isoformat() for v in values]  # type: ignore[union-attr]

    def count_task_instances(self, dag_id: str, task_ids: list[str], logical_dates: list[Any], states: list[str]) -> int:
        return self.channel.call("count_task_instances", dag_id=dag_id, task_ids=task_ids,
                                 logical_dates=self._dates(logical_dates), states=states)

    def count_group(self, dag_id: str, group_id: str, logical_dates: list[Any], states: list[str]) -> int:
        return self.channel.call("count_group", dag_id=dag_id, group_id=group_id,
                                 logical_dates=self._dates(logical_dates), states=states)

    def count_dag_runs(self, dag_id: str, logical_dates: list[Any], states: list[str]) -> int:
        return self.channel.call("count_dag_runs", dag_id=dag_id, logical_dates=self._dates(logical_dates),
                                 states=states)

    def group_known(self, dag_id: str, group_id: str) -> bool | None:
        return self.channel.call("group_known", dag_id=dag_id, group_id=group_id)

    def dag_run_state(self, dag_id: str, run_id: str) -> str | None:
        return self.channel.call("dag_run_state", dag_id=dag_id, run_id=run_id)

    def asset_events(self, kind: str, name: str | None, uri: str | None) -> list[dict[str, Any]]:
        return self.channel.call("asset_events", kind=kind, name=name, uri=uri)

    def state_store(self, request: dict[str, Any]) -> Any:
        return self.channel.call("state_store", request=request)


def state_store_operation(store: Store, request: dict[str, Any]) -> Any:
    """A state store get/set/delete/clear (sdk/state_store.py), done at once as Airflow's API server does:
    what a failing try wrote is there for the next one."""
    if request["store"] == "task":
        dag_id, run_id, task_id, map_index = request["scope"]
        return store.task_state(request["op"], (dag_id, run_id, task_id, int(map_index)), request.get("key"),
                                request.get("value"), request.get("expires_at"))
    name, uri = request["asset"]
    writer = request.get("writer")
    return store.asset_state(request["op"], (name, uri), request.get("key"), request.get("value"),
                             tuple(writer) if writer else None)


def answer_task_request(store: Store, request: dict[str, Any]) -> Any:
    """The runner's side of TaskChannel: questions about the state database, and state store writes."""
    op = request.get("op")
    if op == "state_store":
        return state_store_operation(store, request["request"])
    if op == "xcom_get":
        return read_xcom(store, request["dag_id"], request["run_id"], request["task_id"], request["key"],
                         request.get("map_index", -1))
    if op == "xcom_get_all":
        return store.get_xcoms(request["dag_id"], request["run_id"], request["task_id"], request["key"])
    if op == "count_task_instances":
        return store.count_task_instances(request["dag_id"], request["task_ids"], request["logical_dates"],
                                          request["states"])
    if op == "count_group":
        by_run: dict[str, list[str | None]] = {}
        for run_id, state in store.group_task_states(request["dag_id"], request["group_id"], request["logical_dates"]):
            by_run.setdefault(run_id, []).append(state)
        return sum(1 for found in by_run.values() if found and all(s in request["states"] for s in found))
    if op == "count_dag_runs":
        return store.count_dag_runs(request["dag_id"], request["logical_dates"], request["states"])
    if op == "group_known":
        return store.group_known(request["dag_id"], request["group_id"])
    if op == "dag_run_state":
        run = store.get_run(request["dag_id"], request["run_id"])
        return str(run.state) if run is not None else None
    if op == "asset_events":
        return store.asset_events_for(request["kind"], request["name"], request["uri"])
    raise ValueError(f"unknown request {op!r}")


class StoreStateReader(StateReader):
    def __init__(self, store: Store) -> None:
        self.store = store

    @staticmethod
    def _dates(values: list[Any]) -> list[str]:
        from migrator.runner.timezone import convert_to_utc

        return [convert_to_utc(v).isoformat() for v in values]  # type: ignore[union-attr]

    def count_task_instances(self, dag_id: str, task_ids: list[str], logical_dates: list[Any], states: list[str]) -> int:
        return self.store.count_task_instances(dag_id, task_ids, self._dates(logical_dates), states)

    def count_group(self, dag_id: str, group_id: str, logical_dates: list[Any], states: list[str]) -> int:
        # Airflow counts runs where every task of the group is in one of the states.
        by_run: dict[str, list[str | None]] = {}
        for run_id, state in self.store.group_task_states(dag_id, group_id, self._dates(logical_dates)):
            by_run.setdefault(run_id, []).append(state)
        return sum(1 for found in by_run.values() if found and all(s in states for s in found))

    def count_dag_runs(self, dag_id: str, logical_dates: list[Any], states: list[str]) -> int:
        return self.store.count_dag_runs(dag_id, self._dates(logical_dates), states)

    def group_known(self, dag_id: str, group_id: str) -> bool | None:
        return self.store.group_known(dag_id, group_id)

    def dag_run_state(self, dag_id: str, run_id: str) -> str | None:
        run = self.store.get_run(dag_id, run_id)
        return str(run.state) if run is not None else None

    def asset_events(self, kind: str, name: str | None, uri: str | None) -> list[dict[str, Any]]:
        return self.store.asset_events_for(kind, name, uri)

    def state_store(self, request: dict[str, Any]) -> Any:
        return state_store_operation(self.store, request)


class MappingPushError(AirflowException):
    """The return value a mapped task downstream expands over is missing or not a list/dict."""


def encode_result_xcoms(task: BaseOperator, result: Any, map_index: int = -1) -> list[tuple[str, str]]:
    """The XComs a task's return value becomes (return_value, plus one per key for multiple_outputs)."""
    value = result if task.do_xcom_push else None
    if map_index < 0 and task.has_dag() and task.task_id in mapping_sources(task.dag):
        problem = mapping_push_error(value)
        if problem is not None:
            raise MappingPushError(problem)
    if value is None:
        return []
    pushed: list[tuple[str, str]] = []
    if task.multiple_outputs:
        if not isinstance(result, Mapping):
            raise TypeError(f"Returned output was type {type(result)} expected dictionary for multiple_outputs")
        for key in result:
            if not isinstance(key, str):
                raise TypeError("Returned dictionary keys must be strings when using "
                                f"multiple_outputs, found {key} ({type(key)}) instead")
        pushed.extend((key, xcom_codec.encode(value)) for key, value in result.items())
    pushed.append((XCOM_RETURN_KEY, xcom_codec.encode(result)))
    return pushed


# -- bash fast path ----------------------------------------------------------------------------------
@dataclass
class BashLaunch:
    argv: list[str]
    env: dict[str, str]
    cwd: str
    rendered: dict[str, Any]
    cleanup: Callable[[], None]


def prepare_bash(task: BashOperator, context: dict[str, Any]) -> BashLaunch:
    """What BashOperator.execute would run, decided in the runner (raises like execute would)."""
    values = rendered_fields(task, context)
    command = values["bash_command"]
    if not isinstance(command, str):
        command = str(command)
    check_cwd(values["cwd"])
    env = bash_env(values["env"], task.append_env, context_to_airflow_vars(context))
    made: list[str] = []
    cwd = values["cwd"]
    if cwd is None:
        cwd = tempfile.mkdtemp(prefix="airflowtmp")
        made.append(cwd)
    script: str | None = None
    if is_inline_command(command):
        argv = [BASH, "-c", command]
    else:
        handle = tempfile.NamedTemporaryFile(mode="w", dir=cwd, suffix=".sh", delete=False)
        with handle:
            handle.write(command)
        script = handle.name
        argv = [BASH, os.path.basename(script)]

    def cleanup() -> None:
        if script is not None:
            try:
                os.unlink(script)
            except OSError:
                pass
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)

    values["bash_command"] = command
    return BashLaunch(argv, env, cwd, rendered_for_record(values), cleanup)


def bash_result(task: BashOperator, exit_code: int, last_line: bytes, rendered: dict[str, Any],
                map_index: int = -1) -> Outcome:
    try:
        bash_outcome(exit_code, task.skip_on_exit_code)
    except AirflowSkipException as error:
        return Outcome("skipped", error=str(error), rendered=rendered)
    except AirflowException as error:
        return Outcome("failed", error=str(error), rendered=rendered, exception=error)
    output = last_line.decode(task.output_encoding, errors="backslashreplace").rstrip()
    try:
        return Outcome("success", xcoms=encode_result_xcoms(task, output, map_index), rendered=rendered)
    except (TypeError, AirflowException) as error:
        return Outcome("failed", error=str(error), rendered=rendered)


# -- fork path: the task process -----------------------------------------------------------------------
class _TaskTerminated(BaseException):
    """SIGTERM reached the task process (Ctrl-C of the runner, fail_fast, DAG run timeout)."""


def _configure_child_logging() -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("{%(filename)s:%(lineno)d} %(levelname)s - %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _call_callbacks(callbacks: list[Callable[..., Any]], context: dict[str, Any], log: logging.Logger, name: str) -> None:
    for callback in callbacks:
        try:
            callback(context)
        except Exception:
            log.exception("Error when executing %s callback", name)


def run_in_task_process(task: BaseOperator, context: dict[str, Any], *, try_number: int, max_tries: int) -> dict[str, Any]:
    """The body of a forked task process; returns the Outcome as a JSON-ready dict."""
    _configure_child_logging()
    log = logging.getLogger("airflow.task")
    ti: RuntimeTaskInstance = context["ti"]
    xcoms: BufferedXComs = ti.xcoms  # type: ignore[assignment]

    def on_term(signum: int, frame: Any) -> None:
        raise _TaskTerminated()

    signal.signal(signal.SIGTERM, on_term)
    os.environ.update(context_to_airflow_vars(context))
    outcome = Outcome("failed")
    rendered: dict[str, Any] | None = None
    with set_current_context(context):
        try:
            render_template_fields(task, context)
            rendered = rendered_for_record({name: getattr(task, name) for name in task.template_fields})
            if task._pre_execute_hook is not None:
                task._pre_execute_hook(context)
            task.pre_execute(context)
            _call_callbacks(task.on_execute_callback, context, log, "on_execute")
            result = _execute_with_timeout(task, context)
            if getattr(task, "overwrite_rtif_after_execution", False):
                rendered = rendered_for_record({name: getattr(task, name) for name in task.template_fields})
            if task._post_execute_hook is not None:
                task._post_execute_hook(context, result)
            task.post_execute(context, result)
            outcome = Outcome("success", xcoms=encode_result_xcoms(task, result, ti.map_index),
                              assets=emitted_events(task.outlets, context.get("outlet_events")))
            _call_callbacks(task.on_success_callback, context, log, "on_success")
        except DownstreamTasksSkipped as skip:
            log.info("Skipping downstream tasks.")
            tasks = skip.tasks if isinstance(skip.tasks, list) else [skip.tasks]
            outcome = Outcome("success", skip=[t if isinstance(t, str) else t[0] for t in tasks])
            _call_callbacks(task.on_success_callback, context, log, "on_success")
        except AirflowSkipException as error:
            if error.args:
                log.info("Skipping task. reason=%s", error.args[0])
            outcome = Outcome("skipped", error=str(error) or None)
            _call_callbacks(task.on_skipped_callback, context, log, "on_skipped")
        except AirflowRescheduleException as error:
            when = error.reschedule_date
            outcome = Outcome("reschedule", reschedule_at=when.timestamp() if when else time.time())
        except (AirflowFailException, AirflowSensorTimeout) as error:
            log.exception("Task failed with exception")
            outcome = Outcome("failed", retryable=False, error=f"{type(error).__name__}: {error}")
            context["exception"] = error
            _call_callbacks(task.on_failure_callback, context, log, "on_failure")
        except _TaskTerminated as error:
            log.error("Received SIGTERM. Terminating subprocesses.")
            task.on_kill()
            outcome = Outcome("failed", error="Task received SIGTERM signal")
            context["exception"] = error
        except BaseException as error:
            if isinstance(error, AirflowTaskTimeout):
                task.on_kill()
            log.exception("Task failed with exception")
            outcome = Outcome("failed", error=f"{type(error).__name__}: {error}")
            context["exception"] = error
            _apply_retry_policy(outcome, decide(task, error, try_number, max_tries, context), log)
            will_retry = try_number <= max_tries and outcome.retryable
            _call_callbacks(task.on_retry_callback if will_retry else task.on_failure_callback, context, log,
                            "on_retry" if will_retry else "on_failure")
    outcome.rendered = rendered
    outcome.exception = None
    own = [(key, value) for (_, _, task_id, index, key), value in xcoms.pushed.items()
           if task_id == task.task_id and index == ti.map_index]
    keys = {key for key, _ in outcome.xcoms}
    outcome.xcoms = [item for item in own if item[0] not in keys] + outcome.xcoms
    return outcome.__dict__


def _execute_with_timeout(task: BaseOperator, context: dict[str, Any]) -> Any:
    """`execution_timeout` inside the task process, as Airflow does (SIGALRM raises AirflowTaskTimeout)."""
    if task.execution_timeout is None:
        return task.execute(context)
    seconds = task.execution_timeout.total_seconds()
    if seconds <= 0:
        raise AirflowTaskTimeout()

    def on_alarm(signum: int, frame: Any) -> None:
        raise AirflowTaskTimeout(f"Timeout, PID: {os.getpid()}")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return task.execute(context)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def outcome_from_process(message: dict[str, Any] | None, exit_status: int | None) -> Outcome:
    if message is None:
        if exit_status is not None and exit_status < 0:
            why = f"killed by signal {signal.Signals(-exit_status).name}" if -exit_status in signal.valid_signals() else f"killed by signal {-exit_status}"
        else:
            why = f"exited with code {exit_status}"
        return Outcome("failed", error=f"task process {why} before reporting a result")
    outcome = Outcome(message.get("state", "failed"))
    outcome.retryable = bool(message.get("retryable", True))
    outcome.error = message.get("error")
    outcome.xcoms = [tuple(item) for item in message.get("xcoms", [])]  # type: ignore[misc]
    outcome.skip = list(message.get("skip", []))
    outcome.rendered = message.get("rendered")
    outcome.reschedule_at = message.get("reschedule_at")
    outcome.assets = message.get("assets")
    outcome.retry_delay = message.get("retry_delay")
    return outcome


def _apply_retry_policy(outcome: Outcome, decision: RetryDecision | None, log: Any) -> None:
    """What a retry policy's decision does to a failed attempt (see `sdk.retry_policy`)."""
    if decision is None or decision.action is RetryAction.DEFAULT:
        return
    if decision.reason:
        log.info(f"Retry policy decision: {decision.action.value} ({decision.reason})")
    if decision.action is RetryAction.FAIL:
        outcome.retryable = False
    elif decision.retry_delay is not None:
        outcome.retry_delay = decision.retry_delay.total_seconds()


def apply_retry_policy(task: BaseOperator, outcome: Outcome, try_number: int, max_tries: int,
                       context: Any, log: Any) -> None:
    """Ask the task's retry policy about a failure that happened in the runner's process."""
    if outcome.state == "failed" and outcome.retryable and outcome.exception is not None:
        _apply_retry_policy(outcome, decide(task, outcome.exception, try_number, max_tries, context), log)


# -- sensors poked by the runner -------------------------------------------------------------------
@dataclass
class SensorWait:
    sensor: BaseSensorOperator
    context: dict[str, Any]
    mode: str  # "poke", "reschedule" or "deferred"
    started_wall: float
    started_mono: float
    next_poke_at: float
    poke_count: int = 1
    rendered: dict[str, Any] | None = None


def start_sensor(task: BaseSensorOperator, context: dict[str, Any]) -> tuple[SensorWait | None, Outcome | None]:
    """Render the sensor and decide its first step: an immediate Outcome, or a wait."""
    values = rendered_fields(task, context)
    sensor = copy.copy(task)
    for name, value in values.items():
        setattr(sensor, name, value)
    rendered = rendered_for_record(values)
    deferrable = bool(getattr(sensor, "deferrable", False))
    mode = "deferred" if deferrable else ("reschedule" if sensor.reschedule else "poke")
    now = time.time()
    first = getattr(context["ti"], "first_reschedule_date", None)  # a reschedule-mode wait a runner resumes
    started_wall = first.timestamp() if first is not None and mode != "poke" else now
    wait = SensorWait(sensor, context, mode, started_wall, time.monotonic(), now, rendered=rendered)
    if deferrable:
        try:
            done, value = sensor.deferred_result(context)
        except Exception as error:
            return None, failure_outcome(sensor, error, rendered)
        if done:
            return None, Outcome("success", xcoms=encode_result_xcoms(sensor, value, context["ti"].map_index),
                                 rendered=rendered)
        wait.next_poke_at = _deferred_wake(sensor, context, now)
    return wait, None


def _deferred_wake(sensor: BaseSensorOperator, context: dict[str, Any], now: float) -> float:
    target = getattr(sensor, "target", None)
    if callable(target):  # a time trigger fires at its moment, it does not poll
        return max(now, target(context).timestamp() + 0.001)
    return now + sensor.poke_interval


def poke_sensor(wait: SensorWait) -> Outcome | None:
    """One poke; an Outcome when the sensor is done (met, skipped, failed, timed out), else None."""
    sensor = wait.sensor
    try:
        result = sensor.poke_once(wait.context)
        if result:
            value = result.xcom_value if isinstance(result, PokeReturnValue) else None
            if wait.mode == "deferred":
                value = None  # execute_complete returns None
            return Outcome("success", xcoms=encode_result_xcoms(sensor, value, wait.context["ti"].map_index),
                           rendered=wait.rendered)
        duration = time.time() - wait.started_wall if wait.mode != "poke" else time.monotonic() - wait.started_mono
        if wait.mode != "deferred" or sensor.deferral_timeout:
            sensor.timed_out(duration)
    except Exception as error:
        return failure_outcome(sensor, error, wait.rendered)
    now = time.time()
    if wait.mode == "deferred":
        wait.next_poke_at = _deferred_wake(sensor, wait.context, now)
    else:
        wait.next_poke_at = now + sensor.next_poke_interval(wait.started_mono, time.monotonic() - wait.started_mono,
                                                          wait.poke_count)
    wait.poke_count += 1
    return None


def failure_outcome(task: BaseOperator, error: BaseException, rendered: dict[str, Any] | None) -> Outcome:
    if isinstance(error, AirflowSkipException):
        return Outcome("skipped", error=str(error) or None, rendered=rendered)
    retryable = not isinstance(error, (AirflowFailException, AirflowSensorTimeout))
    text = "".join(traceback.format_exception_only(type(error), error)).strip()
    return Outcome("failed", retryable=retryable, error=text, rendered=rendered, exception=error)


def format_error(error: BaseException) -> str:
    return "".join(traceback.format_exception(type(error), error, error.__traceback__)).rstrip()


def seconds(delta: datetime.timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds()


__all__ = ["EmptyOperator", "StateReader"]
