"""Runs inside an Airflow venv (`python lint_airflow3_probe.py < request.json`): tries what the
linter's Airflow 3 rules claim and prints what Airflow really does, as JSON. Standard library and
Airflow only; never imported by the project."""

from __future__ import annotations

import contextlib
import datetime
import importlib
import io
import json
import sys
import warnings

FRESH = False  # re-import submodules imported earlier (to see their deprecation warning again)


def _import(module: str, name: str | None) -> str:
    """'ok', 'warns' or 'fails' for `from module import name` (`import module` when name is None),
    each in the state a DAG file's first import sees."""
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("always")
        try:
            if name is None:
                importlib.import_module(module)
            else:
                namespace: dict = {}
                loaded = sys.modules.get(module)
                lazy = vars(loaded).get("__lazy_imports") if loaded is not None else None
                if isinstance(lazy, dict) and name in lazy:
                    vars(loaded).pop(name, None)  # cached by an earlier lookup
                if FRESH and f"{module}.{name}" in sys.modules and loaded is not None:
                    # a submodule imported earlier warns no more: import it afresh
                    del sys.modules[f"{module}.{name}"]
                    vars(loaded).pop(name, None)
                exec(f"from {module} import {name}", namespace)  # noqa: S102  the probe's whole point
        except BaseException:  # noqa: BLE001
            return "fails"
    deprecations = [w for w in caught if issubclass(w.category, (DeprecationWarning, FutureWarning, PendingDeprecationWarning))
                    or "deprecat" in str(w.message).lower()]
    return "warns" if deprecations else "ok"


def _dag_argument(name: str, value: object) -> str:
    from airflow.sdk import DAG

    try:
        with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            DAG(f"probe_{name}", start_date=datetime.datetime(2024, 1, 1), **{name: value})
    except TypeError:
        return "refused"
    return "accepted"


def _task_argument(name: str, value: object) -> str:
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG

    try:
        with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with DAG(f"probe_task_{name}", start_date=datetime.datetime(2024, 1, 1), schedule=None):
                EmptyOperator(task_id="t", **{name: value})
    except (TypeError, Exception) as error:  # noqa: BLE001  Airflow raises TypeError (3) or AirflowException (2)
        return "refused" if "Invalid arguments" in str(error) or isinstance(error, TypeError) else f"error: {error}"
    return "accepted"


def _default_timetable() -> str:
    """What a DAG without a `schedule` gets (AF305)."""
    try:
        from airflow.sdk import DAG
    except ImportError:
        from airflow import DAG
    with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return type(DAG("probe_default", start_date=datetime.datetime(2024, 1, 1)).timetable).__name__


def _context_keys() -> list[str]:
    from airflow.sdk import Context

    keys: set[str] = set()
    for klass in Context.__mro__:
        keys.update(getattr(klass, "__annotations__", {}))
    return sorted(keys)


def main() -> None:
    import airflow  # first: its import routes warnings to logging, which the probes then override

    global FRESH
    request = json.load(sys.stdin)
    FRESH = bool(request.get("fresh"))
    result: dict = {"version": airflow.__version__}
    result["imports"] = [[m, n, _import(m, n)] for m, n in request.get("imports", [])]
    result["default_timetable"] = _default_timetable()
    if int(airflow.__version__.split(".")[0]) >= 3:
        result["dag_arguments"] = {name: _dag_argument(name, value) for name, value in request.get("dag_arguments", [])}
        result["task_arguments"] = {name: _task_argument(name, value) for name, value in request.get("task_arguments", [])}
        result["context_keys"] = _context_keys()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
