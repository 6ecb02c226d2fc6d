"""The data of AF302 (`rules/airflow3_imports.json`), read from Airflow itself.

Run with the project's Python; it drives two real installations, each in its own process (this file
runs there too, on the standard library only):

    python -m rules.airflow3_scan --airflow2 .ci/.venvs/airflow2/bin/python \\
        --airflow3 .ci/.venvs/airflow3/bin/python -o rules/airflow3_imports.json

1. In Airflow 2 (the last 2.x release): every module of the `airflow` package is imported and its public
   names listed (`__all__`, lazily imported names, classes and functions of Airflow, upper-case
   constants), together with the deprecated module names that 2.x still redirected (the Airflow 1 paths
   in `airflow.operators`, `airflow.hooks`, `airflow.sensors` and `airflow.contrib`, with their targets).
2. In Airflow 3: each of those (module, name) pairs is imported. It is `ok`, `moved` (it imports with a
   deprecation warning that names where it went) or `removed` (the import fails).
3. What 3.x refuses or moved is written out: `moved[module][name]` is the new path; `removed[module]` is
   either `null` (the whole module is gone) or `{name: replacement or null}`, the replacement being the
   target Airflow 2 redirected that name to, when there was one.

`tests/lint/test_lint_airflow3_table.py` (the `airflow` group) re-runs the scan and checks the committed
data against it, and imports every name of the table in both installations.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import warnings

SKIP = ("airflow.providers.", "airflow.migrations", "airflow._vendor", "airflow.www", "airflow.api_fastapi",
        "airflow.ui", "airflow.example_dags")
DEFAULT_OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "airflow3_imports.json")


# -- inside Airflow 2 ------------------------------------------------------------------------------


def _quiet_import(name: str):  # noqa: ANN202  (runs on the Airflow venv's Python, stdlib only)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        return importlib.import_module(name)


def _public_names(module) -> list[str]:  # noqa: ANN001
    names = set(getattr(module, "__all__", ()) or ())
    for attribute in ("__lazy_imports", "_lazy_imports"):
        lazy = vars(module).get(attribute)
        if isinstance(lazy, dict):
            names.update(lazy)
    for name, value in vars(module).items():
        if name.startswith("_") or name == "annotations":
            continue
        if isinstance(value, type(sys)) and not value.__name__.startswith("airflow."):
            continue  # `import os` in an Airflow module: nobody imports os from there
        names.add(name)
    return sorted(n for n in names if isinstance(n, str) and not n.startswith("_"))


def scan_airflow2() -> dict:
    import pkgutil

    airflow = _quiet_import("airflow")
    modules: dict[str, list[str]] = {}
    redirects: dict[str, dict[str, str]] = {}
    for info in pkgutil.walk_packages(airflow.__path__, "airflow.", onerror=lambda name: None):
        name = info.name
        if name.startswith(SKIP) or ".tests" in name:
            continue
        try:
            module = _quiet_import(name)
        except BaseException:  # noqa: BLE001  a module Airflow 2 itself cannot import here: not public
            continue
        modules[name] = _public_names(module)
        deprecated = vars(module).get("__deprecated_classes")
        if isinstance(deprecated, dict):
            for submodule, targets in deprecated.items():
                redirects[f"{name}.{submodule}"] = dict(targets)
    modules["airflow"] = _public_names(airflow)
    return {"version": airflow.__version__, "modules": modules, "redirects": redirects}


# -- inside Airflow 3 ------------------------------------------------------------------------------


def _status(module_name: str, name: str | None) -> str:
    """'ok', 'moved:<target>' or 'removed'. Airflow must be imported already: its import routes
    warnings to logging, which would bypass the recording below."""
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("always")
        try:
            module = importlib.import_module(module_name)
            lazy = vars(module).get("__lazy_imports")
            if name is not None and isinstance(lazy, dict) and name in lazy:
                # an earlier lookup cached it: look it up afresh, as a DAG file's first import does
                vars(module).pop(name, None)
            if name is not None and not hasattr(module, name):
                # `from package import submodule` imports the submodule when it is not an attribute yet
                importlib.import_module(f"{module_name}.{name}")
        except BaseException:  # noqa: BLE001  ImportError, AttributeError, or an import-time failure
            return "removed"
    for warning in caught:
        text = str(warning.message)
        if "deprecated" in text.lower() or "moved" in text.lower():
            target = _target(text, module_name, name)
            if _verified(target):
                return "moved:" + target
            return "moved:" + " ".join(text.split())  # no path that imports: Airflow's own words
    return "ok"


def _verified(path: str) -> bool:
    """A dotted path that imports without a warning here; a provider's path is taken at its word
    (the provider may not be installed)."""
    if not _DOTTED.fullmatch(path):
        return False
    if path.startswith("airflow.providers.") and not path.startswith("airflow.providers.standard."):
        return True
    module, _, name = path.rpartition(".")
    return _status(module, name) == "ok" or _status(path, None) == "ok"


_ADVICE = re.compile(r"(?:Please\s+)?(?:use|import\s+from)\s+(?P<advice>.+?)(?:\s+instead)?\s*\.?\s*$", re.IGNORECASE | re.DOTALL)
_IMPORT_FROM = re.compile(r"(?:Please\s+)?import\s+from\s+[`'\"]?(?P<module>airflow(?:\.\w+)*)", re.IGNORECASE)
_FROM_IMPORT = re.compile(r"from\s+(?P<module>airflow[\w.]*)\s+import\s+(?P<name>\w+)")
_DOTTED = re.compile(r"\b(?P<path>airflow(?:\.\w+)+)")


def _target(message: str, module: str, name: str | None) -> str:
    """Where a deprecation warning says `module.name` went (`airflow.sdk.chain`), else its advice as
    written. A path naming the deprecated thing itself is not where it went."""
    own = f"{module}.{name}" if name else module
    found = _IMPORT_FROM.search(message)
    if found and name:  # "Please import from 'airflow.sdk.execution_time.xcom' instead"
        return f"{found.group('module')}.{name}"
    advice = _ADVICE.search(message)
    text = advice.group("advice") if advice else message
    found = _FROM_IMPORT.search(text)
    if found:
        return f"{found.group('module')}.{found.group('name')}"
    for found in _DOTTED.finditer(text):
        if found.group("path") not in (own, module):
            return found.group("path")
    return text.strip(" `'\"")


# Packages that Airflow 1 plugins and shims filled with names (`from airflow.operators import
# MyOperator`): every name one of them provides in Airflow 3 is listed, so any other is known to fail.
# (Not `airflow.macros`: Airflow 3 redirects any name there to `airflow.sdk.execution_time.macros`.)
NAMESPACES = ("airflow", "airflow.operators", "airflow.sensors", "airflow.hooks", "airflow.executors",
              "airflow.models", "airflow.utils")


def exports(module_name: str) -> list[str]:
    """Every name `from <module> import <name>` resolves in this installation: attributes, lazily
    imported and deprecated names, and submodules."""
    import pkgutil

    module = _quiet_import(module_name)
    names = {name for name in vars(module) if not name.startswith("__")}
    names.update(getattr(module, "__all__", ()) or ())
    for attribute in ("__lazy_imports", "_lazy_imports", "__deprecated_classes"):
        value = vars(module).get(attribute)
        if isinstance(value, dict):
            names.update(value)
    if hasattr(module, "__path__"):
        names.update(info.name for info in pkgutil.iter_modules(module.__path__))
    # virtual modules that `add_deprecated_classes` registered under this package
    prefix = module_name + "."
    names.update(name[len(prefix) :].split(".")[0] for name in list(sys.modules) if name.startswith(prefix))
    return sorted(n for n in names if isinstance(n, str))


def modules() -> list[str]:
    """Every module of the `airflow` package in this installation, virtual ones included."""
    import pkgutil

    airflow = _quiet_import("airflow")
    found = {info.name for info in pkgutil.walk_packages(airflow.__path__, "airflow.", onerror=lambda name: None)}
    found.update(name for name in sys.modules if name.startswith("airflow."))
    return sorted(name for name in found if not name.startswith("airflow.providers."))


def check_airflow3(pairs: list[list]) -> dict:
    airflow = _quiet_import("airflow")
    status = [[m, n, _public(_status(m, n))] for m, n in pairs]
    return {"version": airflow.__version__, "status": status, "namespaces": {m: exports(m) for m in NAMESPACES},
            "modules": modules()}


def _public(status: str) -> str:
    """A target that `airflow.sdk` exports (the same object) as its `airflow.sdk` name: the public
    path, not the module that happens to define it (`airflow.sdk.bases.operator.BaseOperator`)."""
    if not status.startswith("moved:airflow.sdk."):
        return status
    path = status[len("moved:") :]
    module_name, _, name = path.rpartition(".")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sdk = _quiet_import("airflow.sdk")
            if hasattr(sdk, name) and getattr(sdk, name) is getattr(_quiet_import(module_name), name) \
                    and _status("airflow.sdk", name) == "ok":
                return f"moved:airflow.sdk.{name}"
    except BaseException:  # noqa: BLE001  the target is not importable by that path: keep it as said
        pass
    return status


# -- the driver (project venv) ---------------------------------------------------------------------


def _run(python: str, role: str, payload: object | None = None) -> dict:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "AIRFLOW_HOME": home, "PYTHONWARNINGS": "ignore"}
        completed = subprocess.run(
            [os.path.abspath(python), os.path.abspath(__file__), role], input=json.dumps(payload), capture_output=True, text=True,
            env=env, check=False, cwd=home,
        )
    if completed.returncode != 0:
        raise SystemExit(f"{python} {role} failed:\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout)


def build(airflow2_python: str, airflow3_python: str) -> dict:
    """The table, from the two installations."""
    found = _run(airflow2_python, "scan-airflow2")
    pairs: list[list] = []
    for module, names in sorted(found["modules"].items()):
        pairs.append([module, None])
        pairs.extend([module, name] for name in names)
    for module, targets in sorted(found["redirects"].items()):
        pairs.append([module, None])
        pairs.extend([module, name] for name in sorted(targets))
    checked = _run(airflow3_python, "check-airflow3", pairs)
    status = {(m, n): s for m, n, s in checked["status"]}
    redirects = found["redirects"]
    moved: dict[str, dict[str, str]] = {}
    removed: dict[str, dict[str, str | None] | None] = {}
    for (module, name), state in sorted(status.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        if name is None:
            if state == "removed":
                removed[module] = None
            continue
        if status.get((module, None)) == "removed":
            continue  # the whole module is gone: one entry says it
        if state == "removed":
            removed.setdefault(module, {})[name] = redirects.get(module, {}).get(name)  # type: ignore[index]
        elif state.startswith("moved:"):
            moved.setdefault(module, {})[name] = state[len("moved:") :]
    # a removed module's names keep their Airflow 2 redirect targets: they are the replacement to suggest
    replacements = {module: dict(redirects[module]) for module in removed if removed[module] is None and module in redirects}
    _siblings(airflow3_python, moved, removed, replacements)
    # modules that still import but hold nothing of their own: every name moved or was removed
    fine = {module for (module, name), state in status.items() if name is not None and state == "ok"}
    shims = sorted(module for module in moved if module not in fine)
    return {
        "airflow2": found["version"],
        "airflow3": checked["version"],
        "moved": moved,
        "removed": removed,
        "replacements": replacements,
        "namespaces": checked["namespaces"],
        "modules": checked["modules"],
        "shims": shims,
        # modules Airflow 2 only redirected (to a provider, mostly): importable there only with it
        "redirected": sorted(redirects),
    }


def _siblings(airflow3_python: str, moved: dict, removed: dict, replacements: dict) -> None:
    """A removed name whose siblings all moved to one module, where Airflow 3 has that name too
    (`airflow.operators.trigger_dagrun.TriggerDagRunLink`, moved with `TriggerDagRunOperator` to the
    standard provider without a redirect of its own), gets that module's name as its replacement."""
    def home(module: str) -> str | None:
        targets = {path.rpartition(".")[0] for path in moved.get(module, {}).values() if path.startswith("airflow.")}
        return targets.pop() if len(targets) == 1 else None

    candidates: dict[tuple[str, str], str] = {}
    for module, names in removed.items():
        if isinstance(names, dict):
            target = home(module)
            for name, replacement in names.items():
                if replacement is None and target:
                    candidates[(module, name)] = f"{target}.{name}"
    for module, names in replacements.items():
        for name, redirect in names.items():
            core, _, core_name = redirect.rpartition(".")
            if redirect.startswith("airflow.providers.") or core_name in moved.get(core, {}):
                continue  # a provider's path, or one AF302 follows to where it moved
            target = home(core)
            if target:
                candidates[(module, name)] = f"{target}.{name}"
    if not candidates:
        return
    pairs = sorted({tuple(path.rsplit(".", 1)) for path in candidates.values()})
    found = {f"{m}.{n}" for m, n, state in _run(airflow3_python, "check-airflow3", [list(p) for p in pairs])["status"] if state == "ok"}
    for (module, name), path in candidates.items():
        if path not in found:
            continue
        if isinstance(removed.get(module), dict):
            removed[module][name] = path
        else:
            replacements[module][name] = path


def main(argv: list[str] | None = None) -> None:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["scan-airflow2"]:
        json.dump(scan_airflow2(), sys.stdout)
        return
    if argv[:1] == ["check-airflow3"]:
        json.dump(check_airflow3(json.load(sys.stdin)), sys.stdout)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--airflow2", required=True, help="Python of an Airflow 2 installation")
    parser.add_argument("--airflow3", required=True, help="Python of an Airflow 3 installation")
    parser.add_argument("-o", "--output", default=DEFAULT_OUTPUT)
    options = parser.parse_args(argv)
    table = build(options.airflow2, options.airflow3)
    with open(options.output, "w", encoding="utf-8") as handle:
        json.dump(table, handle, indent=1, sort_keys=True)
        handle.write("\n")


if __name__ == "__main__":
    main()
