"""Python callables run in another interpreter: PythonVirtualenvOperator and ExternalPythonOperator.

As in Airflow's standard provider: the function's source is written to a script, its arguments pickled
(or `dill`/`cloudpickle` if asked and installed), the script run by the other interpreter, and the
pickled return value read back. Only the context keys that interpreter can use are passed. A
PythonVirtualenvOperator's environment is real and cached: under `venv_cache_path` if given, else under
`$CRON2DAG_HOME/venvs/`, one per set of requirements, pip options, index URLs, Python version and
site-packages flag, created once (under a file lock) and reused by every later task that asks for the
same set.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import types
from collections.abc import Callable, Collection, Container, Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from migrator.runner.sdk.exceptions import AirflowException, AirflowSkipException
from migrator.runner.sdk.operators import BaseBranchOperator, PythonOperator

# Which context keys reach the other interpreter (Airflow's BASE/PENDULUM/AIRFLOW_SERIALIZABLE_CONTEXT_KEYS).
PLAIN_CONTEXT_KEYS = frozenset({
    "ds", "ds_nodash", "expanded_ti_count", "inlets", "outlets", "run_id", "task_instance_key_str", "test_mode",
    "ts", "ts_nodash", "ts_nodash_with_tz", "next_ds", "next_ds_nodash", "prev_ds", "prev_ds_nodash", "tomorrow_ds",
    "tomorrow_ds_nodash", "yesterday_ds", "yesterday_ds_nodash", "task_reschedule_count", "partition_key",
})
PENDULUM_CONTEXT_KEYS = frozenset({
    "data_interval_end", "data_interval_start", "logical_date", "prev_data_interval_end_success",
    "prev_data_interval_start_success", "prev_start_date_success", "prev_end_date_success", "partition_date",
})
AIRFLOW_CONTEXT_KEYS = frozenset({"macros", "conf", "dag", "dag_run", "task", "params", "triggering_asset_events"})
SERIALIZERS = ("pickle", "dill", "cloudpickle")


def _function_source(function: Callable[..., Any]) -> str:
    """The function's own source, without its decorators (a @task.virtualenv function has some)."""
    source = textwrap.dedent(inspect.getsource(function))
    tree = ast.parse(source)
    node = next(n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
    lines = source.splitlines(keepends=True)
    return "".join(lines[node.lineno - 1:node.end_lineno])


def _script(function_name: str, source: str, serializer: str, has_arguments: bool) -> str:
    """The program the other interpreter runs: argv = input, output, string args, error file."""
    load = (f"with open(sys.argv[1], 'rb') as _handle:\n    _arguments = {serializer}.load(_handle)\n"
            if has_arguments else "_arguments = {'args': [], 'kwargs': {}}\n")
    return (
        f"import {serializer}\nimport sys\n\n{source}\n\n{load}"
        "with open(sys.argv[3]) as _handle:\n    virtualenv_string_args = [line.strip() for line in _handle]\n"
        "try:\n"
        f"    _result = {function_name}(*_arguments['args'], **_arguments['kwargs'])\n"
        "except Exception as _error:\n"
        "    with open(sys.argv[4], 'w') as _handle:\n        _handle.write(str(_error))\n"
        "    raise\n"
        "with open(sys.argv[2], 'wb') as _handle:\n"
        f"    if _result is not None:\n        {serializer}.dump(_result, _handle)\n"
    )


def _serializer_module(name: str, log: Any = None) -> types.ModuleType:
    """The serializer on this side. Without dill/cloudpickle here, plain pickle: both read it, and what
    they write for plain data (no functions, no lambdas) pickle reads back."""
    import importlib
    import pickle

    try:
        return importlib.import_module(name)
    except ImportError:
        if log is not None:
            log.warning("%s is not installed for the runner: arguments and result go through pickle on its side",
                        name)
        return pickle


def _python_has(python: str, module: str) -> bool:
    done = subprocess.run([python, "-c", f"import {module}"], capture_output=True, check=False)
    return done.returncode == 0


class _OtherInterpreterOperator(PythonOperator):
    """What both share: checks, context reduction, the script and its outcome."""

    def __init__(self, *, python_callable: Callable[..., Any], serializer: str | None = None,
                 op_args: Collection[Any] | None = None, op_kwargs: Mapping[str, Any] | None = None,
                 string_args: Iterable[str] | None = None, templates_dict: dict | None = None,
                 templates_exts: list[str] | None = None, expect_airflow: bool = True,
                 skip_on_exit_code: int | Container[int] | None = None, env_vars: dict[str, str] | None = None,
                 inherit_env: bool = True, use_dill: bool = False, **kwargs: Any) -> None:
        if not isinstance(python_callable, types.FunctionType) or python_callable.__name__ == "<lambda>":
            raise ValueError(f"{type(self).__name__} only supports functions for python_callable arg")
        if inspect.isgeneratorfunction(python_callable):
            raise ValueError(f"{type(self).__name__} does not support using 'yield' in python_callable")
        super().__init__(python_callable=python_callable, op_args=op_args, op_kwargs=op_kwargs,
                         templates_dict=templates_dict, templates_exts=templates_exts, **kwargs)
        serializer = serializer or ("dill" if use_dill else "pickle")
        if serializer not in SERIALIZERS:
            raise AirflowException(f"Unsupported serializer {serializer!r}. Expected one of "
                                   f"{', '.join(map(repr, SERIALIZERS))}")
        self.serializer = serializer
        self.string_args = list(string_args or [])
        self.expect_airflow = expect_airflow
        if skip_on_exit_code is None:
            self.skip_on_exit_code: Container[int] = []
        elif isinstance(skip_on_exit_code, Container):
            self.skip_on_exit_code = skip_on_exit_code
        else:
            self.skip_on_exit_code = [skip_on_exit_code]
        self.env_vars = env_vars
        self.inherit_env = inherit_env

    def context_keys(self) -> frozenset[str]:
        raise NotImplementedError

    def python_path(self) -> str:
        raise NotImplementedError

    def get_python_source(self) -> str:
        return _function_source(self.python_callable)

    def execute(self, context: dict[str, Any]) -> Any:
        keys = self.context_keys()
        return super().execute({k: v for k, v in context.items() if k in keys})

    def execute_callable(self) -> Any:
        return self.run_in(self.python_path())

    def run_in(self, python: str) -> Any:
        library = _serializer_module(self.serializer, self.log)
        op_kwargs = dict(self.op_kwargs)
        if self.templates_dict:
            op_kwargs["templates_dict"] = self.templates_dict
        has_arguments = bool(self.op_args or op_kwargs)
        with tempfile.TemporaryDirectory(prefix="venv-call") as folder:
            work = Path(folder)
            inputs, output, strings, errors = (work / "script.in", work / "script.out", work / "string_args.txt",
                                               work / "termination.log")
            if has_arguments:
                inputs.write_bytes(library.dumps({"args": list(self.op_args), "kwargs": op_kwargs}))
            strings.write_text("\n".join(map(str, self.string_args)))
            script = work / "script.py"
            script.write_text(_script(self.python_callable.__name__, self.get_python_source(), self.serializer,
                                      has_arguments))
            env = dict(os.environ) if self.inherit_env else {}
            env.update(self.env_vars or {})
            command = [python, str(script), str(inputs), str(output), str(strings), str(errors)]
            self.log.info("Executing cmd: %s", " ".join(command))
            code = _stream(command, env)
            if code != 0:
                if code in self.skip_on_exit_code:
                    raise AirflowSkipException(f"Process exited with code {code}. Skipping.")
                message = errors.read_text() if errors.exists() else ""
                raise AirflowException(f"Process returned non-zero exit status {code}.\n{message}".rstrip())
            if 0 in self.skip_on_exit_code:
                raise AirflowSkipException("Process exited with code 0. Skipping.")
            if not output.exists() or output.stat().st_size == 0:
                return None
            try:
                return library.loads(output.read_bytes())
            except Exception as error:
                raise AirflowException(f"the result cannot be read back with {library.__name__} ({error}); "
                                       f"install {self.serializer} for the runner") from error

    def determine_kwargs(self, context: Mapping[str, Any]) -> Mapping[str, Any]:
        from migrator.runner.sdk.operators import determine_kwargs

        return determine_kwargs(self.python_callable, self.op_args, context)


def _stream(command: list[str], env: dict[str, str]) -> int:
    """Run and copy the output into the task's log as it comes."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    assert process.stdout is not None
    for raw in iter(process.stdout.readline, b""):
        sys.stdout.write(raw.decode("utf-8", errors="backslashreplace"))
        sys.stdout.flush()
    return process.wait()


class PythonVirtualenvOperator(_OtherInterpreterOperator):
    template_fields: ClassVar[tuple[str, ...]] = ("templates_dict", "op_args", "op_kwargs", "requirements")

    def __init__(self, *, python_callable: Callable[..., Any], requirements: None | Iterable[str] | str = None,
                 python_version: str | None = None, system_site_packages: bool = True,
                 pip_install_options: list[str] | None = None, index_urls: None | Collection[str] | str = None,
                 index_urls_from_connection_ids: Any = None, venv_cache_path: os.PathLike[str] | str | None = None,
                 **kwargs: Any) -> None:
        if python_version is not None and not isinstance(python_version, str):
            raise AirflowException("Passing non-string types (e.g. int or float) as python_version not supported")
        if (python_version and python_version[0] != str(sys.version_info.major)
                and (kwargs.get("op_args") or kwargs.get("op_kwargs"))):
            raise AirflowException("Passing op_args or op_kwargs is not supported across different Python major "
                                   "versions for PythonVirtualenvOperator. Please use string_args.")
        if index_urls_from_connection_ids:
            from migrator.runner.sdk.exceptions import NotSupportedByRunner

            raise NotSupportedByRunner("index_urls_from_connection_ids (package index connections) is not supported "
                                       "by the local runner: pass index_urls")
        self.requirements = [requirements] if isinstance(requirements, str) else list(requirements or [])
        self.python_version = python_version
        self.system_site_packages = system_site_packages
        self.pip_install_options = pip_install_options
        self.index_urls = [index_urls] if isinstance(index_urls, str) else (list(index_urls) if index_urls else None)
        self.venv_cache_path = venv_cache_path
        super().__init__(python_callable=python_callable, **kwargs)

    def requirements_list(self) -> list[str]:
        wanted = sorted(str(item) for item in self.requirements)
        if not self.system_site_packages and self.serializer in ("dill", "cloudpickle") and self.serializer not in wanted:
            wanted = sorted([*wanted, self.serializer])
        return wanted

    def context_keys(self) -> frozenset[str]:
        names = {line.split("#")[0].strip().split("=")[0].split("<")[0].split(">")[0].split("[")[0].strip().lower()
                 for item in self.requirements for line in str(item).splitlines()}
        if self.system_site_packages or "apache-airflow" in names:
            return PLAIN_CONTEXT_KEYS | PENDULUM_CONTEXT_KEYS | AIRFLOW_CONTEXT_KEYS
        if "pendulum" in names:
            return PLAIN_CONTEXT_KEYS | PENDULUM_CONTEXT_KEYS
        return PLAIN_CONTEXT_KEYS

    def cache_key(self) -> tuple[str, str]:
        described = json.dumps({"requirements_list": self.requirements_list(),
                                "pip_install_options": self.pip_install_options, "index_urls": self.index_urls,
                                "python_version": self.python_version,
                                "system_site_packages": self.system_site_packages}, sort_keys=True)
        return hashlib.sha256(described.encode()).hexdigest()[:12], described

    def python_path(self) -> str:
        if self.venv_cache_path:
            root = Path(self.venv_cache_path)
        else:
            from migrator.runner.store import default_home

            root = default_home().resolve() / "venvs"
        return str(ensure_venv(self, root) / "bin" / "python")


def ensure_venv(task: PythonVirtualenvOperator, root: Path) -> Path:
    """The task's virtual environment under `root`, created (once, under a lock) if it is not there."""
    import fcntl

    key, described = task.cache_key()
    venv = root / f"venv-{key}"
    marker = venv / "install_complete_marker.json"
    root.mkdir(parents=True, exist_ok=True)
    with open(f"{venv}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and marker.read_text(encoding="utf-8") == described:
            task.log.info("Reusing cached Python virtual environment in %s", venv)
            return venv
        if venv.exists():
            task.log.warning("Found a partly created virtual environment in %s: creating it again", venv)
            shutil.rmtree(venv)
        try:
            _create_venv(task, venv)
        except Exception as error:
            shutil.rmtree(venv, ignore_errors=True)
            raise AirflowException(f"Unable to create new virtual environment in {venv}: {error}") from error
        marker.write_text(described, encoding="utf-8")
        task.log.info("New Python virtual environment created in %s", venv)
        return venv


def _create_venv(task: PythonVirtualenvOperator, venv: Path) -> None:
    python = shutil.which(f"python{task.python_version}") if task.python_version else sys.executable
    if python is None:
        raise AirflowException(f"no python{task.python_version} on PATH for the virtual environment")
    requirements = task.requirements_list()
    command = [python, "-m", "venv", str(venv)] + (["--system-site-packages"] if task.system_site_packages else [])
    if not requirements:
        command.append("--without-pip")  # nothing to install: no need to wait for pip to be set up
    _run_or_raise(command)
    if not requirements:
        return
    listing = venv / "requirements.txt"
    listing.write_text("\n".join(requirements) + "\n", encoding="utf-8")
    install = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
    if task.index_urls:
        install += ["--index-url", task.index_urls[0]]
        for url in task.index_urls[1:]:
            install += ["--extra-index-url", url]
    install += list(task.pip_install_options or []) + ["-r", str(listing)]
    _run_or_raise(install)


def _run_or_raise(command: list[str]) -> None:
    code = _stream(command, dict(os.environ))
    if code != 0:
        raise AirflowException(f"{' '.join(command[:4])} ... exited with {code}")


class ExternalPythonOperator(_OtherInterpreterOperator):
    template_fields: ClassVar[tuple[str, ...]] = ("templates_dict", "op_args", "op_kwargs", "python")

    def __init__(self, *, python: str, python_callable: Callable[..., Any], **kwargs: Any) -> None:
        if not python:
            raise ValueError("Python Path must be defined in ExternalPythonOperator")
        self.python = python
        super().__init__(python_callable=python_callable, **kwargs)

    def python_path(self) -> str:
        if not os.path.exists(self.python):
            raise ValueError(f"Python Path '{self.python}' must exists")
        if not os.path.isfile(self.python):
            raise ValueError(f"Python Path '{self.python}' must be a file")
        if not os.access(self.python, os.X_OK):
            raise ValueError(f"Python Path '{self.python}' must be an executable")
        return self.python

    def context_keys(self) -> frozenset[str]:
        if not os.path.isfile(self.python):
            return PLAIN_CONTEXT_KEYS
        if _python_has(self.python, "pendulum"):
            return PLAIN_CONTEXT_KEYS | PENDULUM_CONTEXT_KEYS
        return PLAIN_CONTEXT_KEYS


class BranchPythonVirtualenvOperator(BaseBranchOperator, PythonVirtualenvOperator):
    def choose_branch(self, context: dict[str, Any]) -> Any:
        return PythonVirtualenvOperator.execute(self, context)


class BranchExternalPythonOperator(BaseBranchOperator, ExternalPythonOperator):
    def choose_branch(self, context: dict[str, Any]) -> Any:
        return ExternalPythonOperator.execute(self, context)
