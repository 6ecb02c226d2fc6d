"""The operators of the subset: Bash, Python, branching, short-circuit, empty.

`execute` here is what runs in the task process, with Airflow's semantics (read from the standard
provider of Airflow 3). The runner also has fast paths for plain `BashOperator`/`EmptyOperator` that
do the same thing without a Python task process (see `migrator/runner/executor.py`); both share the
helpers below, so they cannot drift apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import itertools
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Collection, Container, Iterable, Mapping, Sequence
from typing import Any, ClassVar

from migrator.runner.sdk.baseoperator import BaseOperator
from migrator.runner.sdk.exceptions import (
    AirflowException,
    AirflowSkipException,
    DownstreamTasksSkipped,
)

XCOM_SKIPMIXIN_KEY = "skipmixin_key"
BASH_TEMPLATE_EXT = (".sh", ".bash")


def _identity(result: str) -> Any:
    return result


def bash_env(env: Mapping[str, str] | None, append_env: bool, context_vars: Mapping[str, str]) -> dict[str, str]:
    """BashOperator.get_env: `env` replaces the environment unless `append_env`; AIRFLOW_CTX_* added."""
    system_env = dict(os.environ)
    if env is None:
        result = system_env
    elif append_env:
        system_env.update(env)
        result = system_env
    else:
        result = dict(env)
    result.update(context_vars)
    return result


def is_inline_command(bash_command: str) -> bool:
    return not bash_command.endswith(BASH_TEMPLATE_EXT)


def skip_codes(skip_on_exit_code: Any) -> Container[int]:
    if skip_on_exit_code is None:
        return []
    if isinstance(skip_on_exit_code, Container) and not isinstance(skip_on_exit_code, (str, bytes)):
        return skip_on_exit_code
    return [skip_on_exit_code]


def bash_outcome(exit_code: int, skip_on: Container[int]) -> None:
    """Raise what BashOperator raises for an exit code (nothing for 0)."""
    if exit_code in skip_on:
        raise AirflowSkipException(f"Bash command returned exit code {exit_code}. Skipping.")
    if exit_code != 0:
        raise AirflowException(f"Bash command failed. The command returned a non-zero exit code {exit_code}.")


def check_cwd(cwd: str | None) -> None:
    if cwd is None:
        return
    if not os.path.exists(cwd):
        raise AirflowException(f"Can not find the cwd: {cwd}")
    if not os.path.isdir(cwd):
        raise AirflowException(f"The cwd {cwd} must be a directory")


class BashOperator(BaseOperator):
    template_fields: ClassVar[Sequence[str]] = ("bash_command", "env", "cwd")
    template_fields_renderers: ClassVar[dict[str, str]] = {"bash_command": "bash", "env": "json"}
    template_ext: ClassVar[Sequence[str]] = BASH_TEMPLATE_EXT
    ui_color = "#f0ede4"
    runner_kind: ClassVar[str] = "bash"

    def __init__(
        self,
        *,
        bash_command: str,
        env: dict[str, str] | None = None,
        append_env: bool = False,
        output_encoding: str = "utf-8",
        skip_exit_code: int | None = None,
        skip_on_exit_code: int | Container[int] | None = 99,
        cwd: str | None = None,
        output_processor: Callable[[str], Any] = _identity,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bash_command = bash_command
        self.env = env
        self.output_encoding = output_encoding
        if skip_exit_code is not None:  # Airflow 2 spelling
            skip_on_exit_code = skip_exit_code
        self.skip_on_exit_code = skip_codes(skip_on_exit_code)
        self.cwd = cwd
        self.append_env = append_env
        self.output_processor = output_processor
        self._sub_process: subprocess.Popen[bytes] | None = None

    def get_env(self, context: Mapping[str, Any]) -> dict[str, str]:
        from migrator.runner.context import context_to_airflow_vars

        return bash_env(self.env, self.append_env, context_to_airflow_vars(context))

    def execute(self, context: Mapping[str, Any]) -> Any:
        import sys

        bash_path = shutil.which("bash") or "bash"
        check_cwd(self.cwd)
        env = self.get_env(context)
        command = str(self.bash_command)
        with tempfile.TemporaryDirectory(prefix="airflowtmp") if self.cwd is None else _nullcontext(self.cwd) as cwd:
            if is_inline_command(command):
                argv = [bash_path, "-c", command]
                exit_code, last_line = self._run(argv, env, cwd, sys.stdout)
            else:
                with tempfile.NamedTemporaryFile(mode="w", dir=cwd, suffix=".sh") as script:
                    script.write(command)
                    script.flush()
                    exit_code, last_line = self._run([bash_path, os.path.basename(script.name)], env, cwd, sys.stdout)
        print(f"Command exited with return code {exit_code}", file=sys.stderr, flush=True)
        bash_outcome(exit_code, self.skip_on_exit_code)
        return self.output_processor(last_line)

    def _run(self, argv: list[str], env: dict[str, str], cwd: str, out: Any) -> tuple[int, str]:
        # In the task process the command stays in the task's process group, so terminating the
        # task (execution_timeout, Ctrl-C) terminates the command too.
        self._sub_process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd, env=env)
        last = ""
        assert self._sub_process.stdout is not None
        for raw in iter(self._sub_process.stdout.readline, b""):
            last = raw.decode(self.output_encoding, errors="backslashreplace").rstrip()
            out.write(raw.decode(self.output_encoding, errors="backslashreplace"))
            out.flush()
        self._sub_process.wait()
        return self._sub_process.returncode, last

    def on_kill(self) -> None:
        if self._sub_process is not None and self._sub_process.poll() is None:
            self._sub_process.send_signal(signal.SIGTERM)


class _nullcontext:
    def __init__(self, value: str) -> None:
        self.value = value

    def __enter__(self) -> str:
        return self.value

    def __exit__(self, *exc: object) -> None:
        return None


class EmptyOperator(BaseOperator):
    ui_color = "#e8f7e4"
    runner_kind: ClassVar[str] = "empty"

    def execute(self, context: Mapping[str, Any]) -> None:
        return None


DummyOperator = EmptyOperator


def determine_kwargs(func: Callable[..., Any], args: Collection[Any], kwargs: Mapping[str, Any]) -> Mapping[str, Any]:
    """Only the context keys the callable asks for, unless it takes `**kwargs` (Airflow's rule)."""
    signature = inspect.signature(func)
    has_wildcard = any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values())
    for name, param in itertools.islice(signature.parameters.items(), len(args)):
        if param.kind in (param.KEYWORD_ONLY, param.VAR_KEYWORD):
            continue
        if name in kwargs:
            raise ValueError(f"The key {name!r} in args is a part of kwargs and therefore reserved.")
    if has_wildcard:
        return kwargs
    return {key: kwargs[key] for key in signature.parameters if key in kwargs}


class PythonOperator(BaseOperator):
    template_fields: ClassVar[Sequence[str]] = ("templates_dict", "op_args", "op_kwargs")
    template_fields_renderers: ClassVar[dict[str, str]] = {"templates_dict": "json", "op_args": "py", "op_kwargs": "py"}
    ui_color = "#ffefeb"
    shallow_copy_attrs: ClassVar[Sequence[str]] = ("python_callable", "op_kwargs")

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        op_args: Collection[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        templates_dict: dict[str, Any] | None = None,
        templates_exts: Sequence[str] | None = None,
        show_return_value_in_logs: bool = True,
        provide_context: bool | None = None,  # Airflow 1/2 leftover, ignored as in Airflow 2
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(python_callable):
            raise AirflowException("`python_callable` param must be callable")
        self.python_callable = python_callable
        self.op_args = op_args or ()
        self.op_kwargs = op_kwargs or {}
        self.templates_dict = templates_dict
        if templates_exts:
            self.template_ext = templates_exts  # type: ignore[misc]
        self.show_return_value_in_logs = show_return_value_in_logs

    def execute(self, context: dict[str, Any]) -> Any:
        context.update(self.op_kwargs, templates_dict=self.templates_dict)
        self.op_kwargs = self.determine_kwargs(context)
        self._outlet_events = context.get("outlet_events")
        return_value = self.execute_callable()
        if self.show_return_value_in_logs:
            self.log.info("Done. Returned value was: %s", return_value)
        else:
            self.log.info("Done. Returned value not shown")
        return return_value

    def determine_kwargs(self, context: Mapping[str, Any]) -> Mapping[str, Any]:
        return determine_kwargs(self.python_callable, self.op_args, context)

    def execute_callable(self) -> Any:
        if is_async_callable(self.python_callable):
            # Airflow 3.2+ runs an `async def` callable in an event loop on the worker (BaseAsyncOperator).
            return asyncio.run(self.python_callable(*self.op_args, **self.op_kwargs))
        if not inspect.isgeneratorfunction(self.python_callable):
            return self.python_callable(*self.op_args, **self.op_kwargs)
        return run_generator(self.python_callable(*self.op_args, **self.op_kwargs),
                             getattr(self, "_outlet_events", None), self.log)


def is_async_callable(function: Any) -> bool:
    """Airflow's test: an `async def` function (possibly wrapped), or an object with an async __call__."""
    while isinstance(function, functools.partial):
        function = function.func
    function = inspect.unwrap(function) if callable(function) else function
    if not callable(function):
        return False
    if inspect.iscoroutinefunction(function):
        return True
    if not inspect.isfunction(function):
        call = type(function).__call__
        with contextlib.suppress(Exception):
            call = inspect.unwrap(call)
        return inspect.iscoroutinefunction(call)
    return False


def run_generator(generator: Any, outlet_events: Any, log: Any) -> Any:
    """A generator task: each yielded Metadata sets an outlet event's extra; the return value is the
    generator's own (Airflow's ExecutionCallableRunner)."""
    from migrator.runner.sdk.asset_events import Metadata

    while True:
        try:
            item = next(generator)
        except StopIteration as stop:
            return stop.value
        if isinstance(item, Metadata) and outlet_events is not None:
            outlet_events.apply(item)
        else:
            log.warning("Ignoring unknown data of %r received from task", type(item))


class SkipMixin:
    """Skipping downstream tasks: raises `DownstreamTasksSkipped`, which the runner applies."""

    def skip(self, ti: Any, tasks: Iterable[Any]) -> None:
        from migrator.runner.sdk.mapped import MappedOperator

        task_ids = [t.task_id for t in tasks if isinstance(t, (BaseOperator, MappedOperator))]
        if not task_ids:
            return
        if getattr(self, "task_id", None) is not None:
            ti.xcom_push(key=XCOM_SKIPMIXIN_KEY, value={"skipped": task_ids})
        raise DownstreamTasksSkipped(tasks=task_ids)

    def skip_all_except(self, ti: Any, branch_task_ids: None | str | Iterable[str]) -> None:
        if isinstance(branch_task_ids, str):
            followed = {branch_task_ids}
        elif isinstance(branch_task_ids, Iterable):
            followed = set(branch_task_ids)
            invalid = {(b, type(b).__name__) for b in followed if not isinstance(b, str)}
            if invalid:
                raise AirflowException(
                    "Unable to branch to the specified tasks. The branching function returned invalid "
                    f"'branch_task_ids': {invalid}. Please check that your function returns an Iterable of "
                    "valid task IDs that exist in your DAG."
                )
        elif branch_task_ids is None:
            followed = set()
        else:
            raise AirflowException(
                "'branch_task_ids' must be either None, a task ID, or an Iterable of IDs, "
                f"but got {type(branch_task_ids).__name__!r}."
            )
        task = ti.task
        dag = task.dag
        invalid_ids = followed - set(dag.task_ids)
        if invalid_ids:
            raise AirflowException(f"'branch_task_ids' must contain only valid task_ids. Invalid tasks found: {invalid_ids}.")
        downstream = task.downstream_list
        if not downstream:
            return
        # A followed branch that is itself upstream of another direct downstream keeps that one too.
        for branch_id in list(followed):
            followed.update(dag.get_task(branch_id).get_flat_relative_ids(upstream=False))
        to_skip = [t.task_id for t in downstream if t.task_id not in followed]
        follow = [t.task_id for t in downstream if t.task_id in followed]
        ti.xcom_push(key=XCOM_SKIPMIXIN_KEY, value={"followed": follow})
        if to_skip:
            raise DownstreamTasksSkipped(tasks=to_skip)


class BranchMixIn(SkipMixin):
    def do_branch(self, context: Mapping[str, Any], branches_to_execute: Any) -> Any:
        self.log.info("Branch into %s", branches_to_execute)  # type: ignore[attr-defined]
        if branches_to_execute is None:
            self.skip_all_except(context["ti"], None)
        else:
            self.skip_all_except(context["ti"], list(self._expand_task_group_roots(context["ti"], branches_to_execute)))
        return branches_to_execute

    def _expand_task_group_roots(self, ti: Any, branches: Any) -> Iterable[str]:
        dag = ti.task.dag
        if isinstance(branches, str) or not isinstance(branches, Iterable):
            branches = [branches]
        for branch in branches:
            if branch in dag.task_group_dict:
                yield from (root.task_id for root in dag.task_group_dict[branch].roots)
            else:
                yield branch


class BaseBranchOperator(BaseOperator, BranchMixIn):
    inherits_from_skipmixin = True

    def choose_branch(self, context: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    def execute(self, context: dict[str, Any]) -> Any:
        return self.do_branch(context, self.choose_branch(context))


class BranchPythonOperator(BaseBranchOperator, PythonOperator):
    def choose_branch(self, context: dict[str, Any]) -> Any:
        return PythonOperator.execute(self, context)


class ShortCircuitOperator(PythonOperator, SkipMixin):
    inherits_from_skipmixin = True

    def __init__(self, *, ignore_downstream_trigger_rules: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ignore_downstream_trigger_rules = ignore_downstream_trigger_rules

    def execute(self, context: dict[str, Any]) -> Any:
        condition = super().execute(context)
        self.log.info("Condition result is %s", condition)
        if condition:
            self.log.info("Proceeding with downstream tasks...")
            return condition
        if not self.downstream_task_ids:
            self.log.info("No downstream tasks; nothing to do.")
            return condition
        task = context["task"]
        if self.ignore_downstream_trigger_rules:
            to_skip = task.get_flat_relatives(upstream=False)
        else:
            to_skip = task.get_direct_relatives(upstream=False)
        self.log.info("Skipping downstream tasks")
        self.skip(ti=context["ti"], tasks=[t for t in to_skip if not t.is_teardown])
        return condition
