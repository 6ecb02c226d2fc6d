"""Load a DAG file: execute it with the runner's Airflow API and collect its DAGs.

Errors are reported before any task runs, at the file and line they come from:
- a name outside the supported subset: `dag.py:3:1: airflow.sdk.RetryPolicy is not supported ...`;
- a file that fails to import: like Airflow's import errors (`Broken DAG: [path]` and the end of the
  traceback, `dagbag_import_error_traceback_depth = 2`), positioned at the failing line;
- a DAG with a dependency cycle, as Airflow's DagBag does.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrator.errors import Diagnostic, InputError, UsageError
from migrator.runner import config
from migrator.runner.sdk.context import DagContext
from migrator.runner.sdk.dag import DAG
from migrator.runner.sdk.exceptions import NotSupportedByRunner
from migrator.runner.shim import airflow_shim

IMPORT_TIMEOUT_SECONDS = config.dagbag_import_timeout()  # Airflow's [core] dagbag_import_timeout (30 s)
TRACEBACK_DEPTH = 2  # Airflow's [core] dagbag_import_error_traceback_depth
_OWN_CODE = str(Path(__file__).resolve().parent.parent)


@dataclass(frozen=True)
class LoadedFile:
    path: str
    dags: dict[str, DAG] = field(default_factory=dict)

    def select(self, dag_id: str | None) -> DAG:
        if dag_id is not None:
            if dag_id not in self.dags:
                known = ", ".join(sorted(self.dags)) or "none"
                raise UsageError(f"{self.path}: no DAG with id {dag_id!r} (DAGs in this file: {known})")
            return self.dags[dag_id]
        if len(self.dags) == 1:
            return next(iter(self.dags.values()))
        if not self.dags:
            raise InputError.at(self.path, "no DAG found in this file")
        raise UsageError(f"{self.path} defines several DAGs ({', '.join(sorted(self.dags))}): choose one with --dag-id")


class _ImportTimeout(Exception):
    pass


def _is_user_frame(filename: str) -> bool:
    return not filename.startswith(_OWN_CODE) and not filename.startswith("<frozen") and "importlib" not in filename


def _user_frames(error: BaseException) -> list[traceback.FrameSummary]:
    return [frame for frame in traceback.extract_tb(error.__traceback__) if _is_user_frame(frame.filename)]


def _position(path: str, error: BaseException) -> tuple[int | None, int | None]:
    frames = _user_frames(error)
    in_file = [f for f in frames if os.path.abspath(f.filename) == os.path.abspath(path)]
    frame = (in_file or frames or [None])[-1]
    if frame is None:
        return None, None
    column = (frame.colno + 1) if getattr(frame, "colno", None) is not None else 1
    return frame.lineno, column


def _broken_dag(path: str, error: BaseException) -> InputError:
    line, column = _position(path, error)
    frames = _user_frames(error)[-TRACEBACK_DEPTH:]
    lines = [f"Broken DAG: [{path}]", "Traceback (most recent call last):"]
    lines.extend(item.rstrip("\n") for item in traceback.format_list(frames))
    lines.extend(item.rstrip("\n") for item in traceback.format_exception_only(type(error), error))
    return InputError([Diagnostic(path, "\n".join(lines), line, column)])


def load_dag_file(path: str | os.PathLike[str]) -> LoadedFile:
    """Execute a DAG file (inside the Airflow shim) and return its DAGs by id."""
    path = os.path.abspath(os.fspath(path))
    shown = os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path
    if not os.path.isfile(path):
        raise InputError.at(shown, "no such DAG file")
    try:
        source = Path(path).read_bytes()
    except OSError as error:
        raise InputError.at(shown, f"cannot read DAG file: {error.strerror}") from None
    try:
        code = compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as error:
        message = f"Broken DAG: [{shown}] SyntaxError: {error.msg}"
        raise InputError([Diagnostic(shown, message, error.lineno, error.offset)]) from None
    module_name = "unusual_prefix_" + hashlib.sha1(path.encode()).hexdigest() + "_" + Path(path).stem
    module = types.ModuleType(module_name)
    module.__file__ = path
    DagContext.reset()
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # Airflow puts the DAGs folder on sys.path
    with airflow_shim():
        sys.modules[module_name] = module
        previous = _arm_timeout(shown)
        try:
            exec(code, module.__dict__)  # noqa: S102 - loading a DAG file is running it, as Airflow does
        except NotSupportedByRunner as error:
            line, column = _position(path, error)
            raise InputError([Diagnostic(shown, str(error), line, column)]) from None
        except _ImportTimeout:
            raise InputError.at(shown, f"Broken DAG: DagBag import timeout for {shown} after {IMPORT_TIMEOUT_SECONDS}s") from None
        except Exception as error:  # any failure of user code is an import error of the file
            raise _broken_dag(shown, error) from None
        except SystemExit as error:
            raise InputError.at(shown, f"Broken DAG: [{shown}] the file called sys.exit({error.code!r})") from None
        finally:
            _disarm_timeout(previous)
    dags = _collect(shown, module)
    for dag in dags.values():
        _check_cycles(shown, dag)
    return LoadedFile(shown, dags)


def _arm_timeout(shown: str) -> Any:
    if not hasattr(signal, "SIGALRM") or signal.getsignal(signal.SIGALRM) is None:
        return None
    try:
        def on_alarm(signum: int, frame: Any) -> None:
            raise _ImportTimeout()

        previous = signal.signal(signal.SIGALRM, on_alarm)
    except ValueError:  # not in the main thread: no timeout
        return None
    signal.setitimer(signal.ITIMER_REAL, IMPORT_TIMEOUT_SECONDS)
    return previous


def _disarm_timeout(previous: Any) -> None:
    if previous is None:
        return
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


_LOADED: dict[str, DAG] = {}  # every DAG loaded in this process, by id (the last load of an id wins)


def loaded_dag(dag_id: str) -> DAG | None:
    """A DAG this process has loaded (for tasks that refer to another DAG: triggers, external sensors)."""
    return _LOADED.get(dag_id)


def loaded_dags() -> list[DAG]:
    return list(_LOADED.values())


def _collect(shown: str, module: types.ModuleType) -> dict[str, DAG]:
    found: dict[str, DAG] = {}
    candidates = [value for value in module.__dict__.values() if isinstance(value, DAG)]
    candidates += DagContext.autoregistered
    for dag in candidates:
        other = found.get(dag.dag_id)
        if other is not None and other is not dag:
            raise InputError.at(shown, f"Broken DAG: Ignoring DAG {dag.dag_id} from {shown} - also found in {shown}")
        found[dag.dag_id] = dag
    DagContext.reset()
    _LOADED.update(found)
    return found


def _check_cycles(shown: str, dag: DAG) -> None:
    """Depth-first search for a back edge (networkx would cost more to import than the check)."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = dict.fromkeys(dag.task_dict, WHITE)
    for root in sorted(dag.task_dict):
        if color[root] != WHITE:
            continue
        stack: list[tuple[str, list[str]]] = [(root, sorted(dag.task_dict[root].downstream_task_ids))]
        color[root] = GREY
        while stack:
            node, children = stack[-1]
            if not children:
                color[node] = BLACK
                stack.pop()
                continue
            child = children.pop()
            if color[child] == GREY:
                names = [item for item, _ in stack]
                cycle = names[names.index(child):] + [child]
                raise InputError.at(shown, f"Broken DAG: Cycle detected in DAG: {dag.dag_id}: {' -> '.join(cycle)}")
            if color[child] == WHITE:
                color[child] = GREY
                stack.append((child, sorted(dag.task_dict[child].downstream_task_ids)))
