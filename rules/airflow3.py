"""Airflow 3: arguments, imports and context keys that Airflow 3 removed or moved.

What Airflow 3 does with each import (AF302) is data read from Airflow itself: `airflow3_imports.json`,
written by `rules/airflow3_scan.py` from real Airflow 2 and 3 installations and checked against them
by the `airflow` test group. The removed arguments and context keys were checked the same way (each
is passed to Airflow 3.3 in `tests/lint/test_lint_airflow3_table.py`).
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from migrator.analysis.jinja import Reference, context_references, has_template
from migrator.analysis.model import FileModel, is_placeholder
from migrator.lint.finding import CstChange, Edit, Fix, FixAvailability, Severity, Violation
from migrator.lint.rule import Rule
from migrator.positions import Span

AIRFLOW3 = frozenset({3})
_STANDARD = "airflow.providers.standard"

# What to use instead of a removed name, where Airflow's own data has no replacement to offer (the
# table of AF302 comes from Airflow itself: `rules/airflow3_scan.py`). Keys are modules, or
# `module.name`; a module key also covers its submodules.
REMOVED_HINTS: dict[str, str] = {
    "airflow.utils.dates.days_ago": "a fixed `pendulum.datetime(...)` start date",
    "airflow.utils.dates": "`pendulum`",
    "airflow.operators.dummy": f"`{_STANDARD}.operators.empty.EmptyOperator`",
    "airflow.operators.dummy_operator": f"`{_STANDARD}.operators.empty.EmptyOperator`",
    "airflow.operators.subdag": "TaskGroups (`airflow.sdk.TaskGroup`)",
    "airflow.operators.subdag_operator": "TaskGroups (`airflow.sdk.TaskGroup`)",
    "airflow.datasets.Dataset": "`airflow.sdk.Asset`",
    "airflow.datasets.DatasetAlias": "`airflow.sdk.AssetAlias`",
    "airflow.datasets": "`airflow.sdk` assets",
    "airflow.models.dataset": "`airflow.sdk` assets",
    "airflow.utils.decorators.apply_defaults": "nothing: operators apply defaults themselves",
    "airflow.contrib": "the provider packages (`airflow.providers.*`)",
    "airflow.kubernetes": "the cncf-kubernetes provider (`airflow.providers.cncf.kubernetes`)",
    "airflow.models.taskinstance.Context": "`airflow.sdk.Context`",
    "airflow.utils.context.Context": "`airflow.sdk.Context`",
    "airflow.models.SlaMiss": "deadline alerts (SLAs were removed)",
    "airflow.models.slamiss": "deadline alerts (SLAs were removed)",
    "airflow.utils.log.secrets_masker.mask_secret": "`airflow.sdk.log.mask_secret`",
}


@dataclass(frozen=True)
class ImportTable:
    moved: dict[str, dict[str, str]]  # module -> name -> new path (or Airflow's advice, when not a path)
    removed: dict[str, dict[str, str | None] | None]  # module -> None (all of it) or name -> replacement
    replacements: dict[str, dict[str, str]]  # a removed module's names -> where Airflow 2 redirected them
    namespaces: dict[str, frozenset[str]]  # every name these packages provide in Airflow 3
    modules: frozenset[str]  # every module of Airflow 3 (providers aside)
    shims: frozenset[str]  # modules that still import but whose every name moved or was removed


@lru_cache(maxsize=1)
def import_table() -> ImportTable:
    """`airflow3_imports.json`, written by `rules/airflow3_scan.py` from real Airflow 2 and 3."""
    import json

    with open(os.path.join(os.path.dirname(__file__), "airflow3_imports.json"), encoding="utf-8") as handle:
        data = json.load(handle)
    return ImportTable(
        data["moved"], data["removed"], data["replacements"],
        {module: frozenset(names) for module, names in data["namespaces"].items()},
        frozenset(data["modules"]),
        frozenset(data["shims"]),
    )


_PATH = re.compile(r"airflow(?:\.\w+)+")
MOVED_KIND, REMOVED_KIND = "moved", "removed"


def import_verdict(module: str, name: str | None) -> tuple[str, str | None] | None:
    """What Airflow 3 does with `from module import name` (name None: `import module`):
    ("moved", new path or Airflow's advice), ("removed", what to use instead or None), or None (fine)."""
    table = import_table()
    if name is not None:
        target = table.moved.get(module, {}).get(name)
        if target is not None:
            return MOVED_KIND, target
    elif module in table.shims:
        return MOVED_KIND, None
    removed = table.removed.get(module, table)
    if removed is None or module == "airflow.contrib" or module.startswith("airflow.contrib."):
        return REMOVED_KIND, _import_replacement(module, name)
    if isinstance(removed, dict) and name is not None and name in removed:
        return REMOVED_KIND, _import_replacement(module, name)
    if name is not None and module in table.namespaces and name not in table.namespaces[module]:
        return REMOVED_KIND, _import_replacement(module, name)  # `from airflow.operators import PluginOperator`
    if module != "airflow" and module not in table.modules and not module.startswith("airflow.providers."):
        return REMOVED_KIND, _import_replacement(module, name)  # an Airflow 1, 2 or plugin module
    return None


def _import_replacement(module: str, name: str | None) -> str | None:
    """What to use instead: a hint written for that very name, else where Airflow 2 redirected it
    (followed to where it is in Airflow 3), else a hint for its module."""
    table = import_table()
    if name is not None and f"{module}.{name}" in REMOVED_HINTS:
        return REMOVED_HINTS[f"{module}.{name}"]
    target = (table.replacements.get(module) or {}).get(name) if name is not None else None
    if target is None and name is not None:
        entry = table.removed.get(module)
        target = entry.get(name) if isinstance(entry, dict) else None
    found = _followed(module, target) if target else None
    if found is not None:
        return found
    prefix = module
    while prefix:
        if prefix in REMOVED_HINTS:
            return REMOVED_HINTS[prefix]
        prefix = prefix.rpartition(".")[0]
    return None


def _followed(module: str, target: str) -> str | None:
    if target.startswith("airflow.providers."):
        return f"`{target}`"  # where Airflow 2 redirected it: the provider's module
    # Airflow 2 redirected it to a core path: where that path is in Airflow 3
    target_module, _, target_name = target.rpartition(".")
    verdict = import_verdict(target_module, target_name) if target_module != module else (REMOVED_KIND, None)
    if verdict is None:
        return f"`{target}`"
    if verdict[0] == MOVED_KIND and verdict[1] and _PATH.fullmatch(verdict[1]):
        return f"`{verdict[1]}`"
    return None


# context keys Airflow 3 no longer provides, and their replacement when there is an exact one
REMOVED_CONTEXT_KEYS: dict[str, str | None] = {
    "execution_date": "logical_date",
    "next_ds": None,
    "next_ds_nodash": None,
    "next_execution_date": None,
    "prev_ds": None,
    "prev_ds_nodash": None,
    "prev_execution_date": None,
    "prev_execution_date_success": None,
    "tomorrow_ds": None,
    "tomorrow_ds_nodash": None,
    "yesterday_ds": None,
    "yesterday_ds_nodash": None,
}
CONTEXT_HINTS = {
    "next_ds": "`{{ data_interval_end | ds }}`",
    "next_ds_nodash": "`{{ data_interval_end | ds_nodash }}`",
    "next_execution_date": "`data_interval_end`",
    "prev_ds": "`{{ prev_data_interval_start_success | ds }}` or `macros.ds_add(ds, -1)`",
    "prev_ds_nodash": "`prev_data_interval_start_success`",
    "prev_execution_date": "`prev_data_interval_start_success`",
    "prev_execution_date_success": "`prev_data_interval_start_success`",
    "tomorrow_ds": "`{{ macros.ds_add(ds, 1) }}`",
    "tomorrow_ds_nodash": "`{{ macros.ds_add(ds, 1) | replace('-', '') }}`",
    "yesterday_ds": "`{{ macros.ds_add(ds, -1) }}`",
    "yesterday_ds_nodash": "`{{ macros.ds_add(ds, -1) | replace('-', '') }}`",
}
_ANY_REMOVED_KEY = re.compile(r"\b(?:" + "|".join(REMOVED_CONTEXT_KEYS) + r")\b")
CONTEXT_NAMES = frozenset({"context", "ctx", "kwargs", "kw", "context_dict", "template_context"})


def _dag_keywords(model: FileModel) -> Iterator[tuple[Any, ast.keyword]]:
    for dag in model.dags:
        if dag.call is not None:
            for keyword in dag.call.keywords:
                if keyword.arg:
                    yield dag, keyword


class ScheduleIntervalArgument(Rule):
    """## What it does
    Flags `schedule_interval=` and `timetable=` on a DAG (`DAG(...)` or `@dag(...)`).

    ## Why is this bad?
    Airflow 3 removed both arguments: the DAG fails to import with a `TypeError`. `schedule` takes a
    cron expression, a preset, a timedelta, a timetable or assets.

    ## Example
    ```python
    with DAG("etl", schedule_interval="@daily"):
        ...
    ```

    Use instead:
    ```python
    with DAG("etl", schedule="@daily"):
        ...
    ```

    ## Fix safety
    The fix renames the argument and is safe; it is not offered when `schedule` is also given.
    """

    code = "AF301"
    name = "schedule-interval-argument"
    family = "airflow3"
    severity = Severity.ERROR
    fix_availability = FixAvailability.SOMETIMES
    airflow_versions = AIRFLOW3

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for dag, keyword in _dag_keywords(model):
            if keyword.arg not in ("schedule_interval", "timetable"):
                continue
            span = model.span(keyword)
            fix = None
            if "schedule" not in dag.arguments:
                fix = Fix(f"Rename `{keyword.arg}` to `schedule`", changes=(CstChange("rename-keyword", span, "schedule"),))
            yield self.violation(span, f"`{keyword.arg}` was removed in Airflow 3; use `schedule`", fix)


class RemovedAirflowImport(Rule):
    """## What it does
    Flags imports that Airflow 3 refuses or only still accepts with a deprecation warning: the
    Airflow 1 module names (`airflow.operators.docker_operator`, `airflow.hooks.base_hook`,
    `airflow.contrib`), Airflow 2 modules and names that are gone (`airflow.models.SlaMiss`,
    `airflow.utils.dates.days_ago`, `airflow.datasets`, `airflow.operators.sql`), plugin-style
    imports (`from airflow.operators import MyOperator`), and names that moved (core operators to
    `airflow.providers.standard`, decorators and `chain` to `airflow.sdk`). What Airflow 3 does with
    each import is data read from Airflow itself (`rules/airflow3_imports.json`).

    ## Why is this bad?
    Removed names make the file fail to import. Moved names still import through a compatibility shim
    that warns on every parse and will go away in a later release.

    ## Example
    ```python
    from airflow.operators.bash import BashOperator
    from airflow.decorators import dag, task
    from airflow.hooks.base_hook import BaseHook
    ```

    Use instead:
    ```python
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import BaseHook, dag, task
    ```

    ## Fix safety
    The fix rewrites the module of a `from ... import` when every imported name has the same name in
    one new module: where it moved (the old path was an alias of it), or, for a removed Airflow 1
    path, the provider module Airflow 2 redirected it to. It is safe: the new path holds the same
    class. Renamed names, and removed names with no replacement, have no automatic fix.
    """

    code = "AF302"
    name = "removed-airflow-import"
    family = "airflow3"
    fix_availability = FixAvailability.SOMETIMES
    airflow_versions = AIRFLOW3

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        if "airflow" not in model.source:
            return
        for node in model.index.imports():  # type: ignore[union-attr]
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                if node.module == "airflow" or node.module.startswith("airflow."):
                    yield from self._import_from(node, model)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("airflow.") and import_verdict(alias.name, None) is not None:
                        yield self.violation(model.span(node), f"Module `{alias.name}` was moved or removed in Airflow 3")

    def _import_from(self, node: ast.ImportFrom, model: FileModel) -> Iterator[Violation]:
        module = node.module or ""
        targets: list[str | None] = []
        problems: list[str] = []
        for alias in node.names:
            verdict = import_verdict(module, alias.name) if alias.name != "*" else None
            if verdict is None:
                targets.append("")  # not affected
            elif verdict[0] == MOVED_KIND and verdict[1] and _PATH.fullmatch(verdict[1]):
                targets.append(verdict[1])
                problems.append(f"`{module}.{alias.name}` moved to `{verdict[1]}`")
            elif verdict[0] == MOVED_KIND:
                targets.append(None)
                problems.append(f"`{module}.{alias.name}` is deprecated" + (f"; use {verdict[1]}" if verdict[1] else ""))
            else:
                replacement = verdict[1]
                path = replacement.strip("`") if replacement else ""
                targets.append(path if _PATH.fullmatch(path) else None)
                problems.append(f"`{module}.{alias.name}` was removed" + (f"; use {replacement}" if replacement else ""))
        if not problems:
            return
        fix = None
        new_modules = {t.rsplit(".", 1)[0] for t in targets if t}
        if all(t for t in targets) and len(new_modules) == 1 and all(
            t.rsplit(".", 1)[1] == alias.name for t, alias in zip(targets, node.names) if t
        ):
            (new_module,) = new_modules
            fix = Fix(f"Import from `{new_module}`", changes=(CstChange("replace-module", model.span(node), new_module),))
        yield self.violation(model.span(node), "; ".join(problems) + " in Airflow 3", fix)


_PLAIN_STRING = re.compile(r"[rRbBuU]{0,2}['\"]")


def _literal_text(model: FileModel, node: ast.Constant) -> tuple[int, str] | None:
    """Where a string constant's source starts, and that source, when it is a literal (or an implicit
    concatenation of literals); None for an f-string part or anything else."""
    start, end = model.line_table.node_offsets(node)
    text = model.source[start:end]
    return (start, text) if _PLAIN_STRING.match(text) else None


def _lookup_fix(model: FileModel, node: ast.Constant) -> Fix | None:
    """`context["execution_date"]` -> `context["logical_date"]`, the quotes kept."""
    found = _literal_text(model, node)
    if found is None or REMOVED_CONTEXT_KEYS.get(node.value) is None:
        return None
    start, text = found
    new = text.replace(node.value, REMOVED_CONTEXT_KEYS[node.value])  # type: ignore[arg-type]
    if _evaluates_to(new, REMOVED_CONTEXT_KEYS[node.value]) is not True:
        return None
    return Fix("Use `logical_date`", edits=(_edit(model, start, start + len(text), new),))


def _template_fix(model: FileModel, node: ast.Constant, references: list[Reference]) -> Fix | None:
    """Each context reference renamed where Jinja resolves it, and nowhere else: a fix only when every
    reference has an exact replacement and the edited source still evaluates to the edited value."""
    if any(REMOVED_CONTEXT_KEYS[r.name] is None for r in references):
        return None
    found = _literal_text(model, node)
    if found is None:
        return None
    start, text = found
    in_source = context_references(text, REMOVED_CONTEXT_KEYS.keys())
    if [(r.name, r.owner) for r in in_source] != [(r.name, r.owner) for r in references]:
        return None  # escapes or quotes make the source read differently from the value: no guess
    if _evaluates_to(_renamed(text, in_source), _renamed(node.value, references)) is not True:
        return None
    edits = tuple(_edit(model, start + r.start, start + r.end, _replacement(r)) for r in in_source)
    return Fix("Use `logical_date`", edits=edits)


def _replacement(reference: Reference) -> str:
    new = REMOVED_CONTEXT_KEYS[reference.name]
    return f"dag_run.{new}" if reference.owner == "dag_run" else str(new)


def _renamed(text: str, references: list[Reference]) -> str:
    for reference in reversed(references):
        text = text[: reference.start] + _replacement(reference) + text[reference.end :]
    return text


def _evaluates_to(source: str, value: str) -> bool | None:
    try:
        return ast.literal_eval("(" + source + "\n)") == value
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def _edit(model: FileModel, start: int, end: int, content: str) -> Edit:
    table = model.line_table
    return Edit(Span(*table.position(start), *table.position(end)), content)


class RemovedContextKey(Rule):
    """## What it does
    Flags task context keys that Airflow 3 removed, wherever they are read: in templates
    (`{{ execution_date }}`, `{{ dag_run.execution_date }}`, `{{ yesterday_ds }}`), as
    `context["prev_ds"]` or `kwargs.get("next_execution_date")`, and as parameters of a task function
    (`def load(execution_date=None)`), which Airflow fills from the context by name.

    ## Why is this bad?
    In Airflow 3 these keys do not exist: templates render them empty or fail, lookups raise
    `KeyError`, and parameters silently keep their default (usually `None`).

    ## Example
    ```python
    BashOperator(task_id="export", bash_command="export.sh {{ execution_date }}")
    ```

    Use instead:
    ```python
    BashOperator(task_id="export", bash_command="export.sh {{ logical_date }}")
    ```

    ## Fix safety
    Only `execution_date` has an exact replacement (`logical_date`); the fix renames it inside string
    literals and context lookups and is safe. Other keys are reported with the expression to use.
    """

    code = "AF303"
    name = "removed-context-key"
    family = "airflow3"
    severity = Severity.ERROR
    fix_availability = FixAvailability.SOMETIMES
    airflow_versions = AIRFLOW3

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        source = model.source
        # each key contains `_ds` or `execution`: two scans rule out most files before seven
        if ("_ds" not in source and "execution" not in source) or not any(
            key in source for key in ("execution_date", "next_ds", "prev_ds", "tomorrow_ds", "yesterday_ds", "next_execution", "prev_execution")
        ):
            return
        lines = model.index.lines_matching(_ANY_REMOVED_KEY)  # type: ignore[union-attr]
        nodes = [node for node, _, _ in model.index.nodes_on_lines(lines)]  # type: ignore[union-attr]
        lookups: set[int] = set()
        for node in nodes:
            key_node = self._context_lookup(node)
            if key_node is not None:
                lookups.add(id(key_node))
                yield self._report(model, key_node, [key_node.value], "context lookup", _lookup_fix(model, key_node))
        for node in nodes:
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in lookups and has_template(node.value):
                references = context_references(node.value, REMOVED_CONTEXT_KEYS.keys())
                if references:
                    fix = _template_fix(model, node, references)
                    yield self._report(model, node, [r.name for r in references], "template", fix)
        for task in model.all_tasks:
            function = task.function
            if function is None or isinstance(function, ast.Lambda):
                continue
            for arg in [*function.args.args, *function.args.kwonlyargs]:
                if arg.arg in REMOVED_CONTEXT_KEYS:
                    replacement = REMOVED_CONTEXT_KEYS[arg.arg] or CONTEXT_HINTS.get(arg.arg, "")
                    yield self.violation(
                        model.span(arg),
                        f"Parameter `{arg.arg}` of task `{task.task_id}` is never filled in Airflow 3 (the context "
                        f"key was removed); use {replacement if replacement.startswith('`') else f'`{replacement}`'}",
                    )

    def _context_lookup(self, node: ast.AST) -> ast.Constant | None:
        key: ast.AST | None = None
        owner: ast.AST | None = None
        if isinstance(node, ast.Subscript):
            owner, key = node.value, node.slice
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
            owner, key = node.func.value, node.args[0]
        if (
            isinstance(owner, ast.Name)
            and owner.id in CONTEXT_NAMES
            and isinstance(key, ast.Constant)
            and isinstance(key.value, str)
            and key.value in REMOVED_CONTEXT_KEYS
        ):
            return key
        return None

    def _report(self, model: FileModel, node: ast.Constant, keys: list[str], where: str, fix: Fix | None) -> Violation:
        unique = list(dict.fromkeys(keys))
        hints = []
        for key in unique:
            replacement = REMOVED_CONTEXT_KEYS[key]
            hints.append(f"`{key}` (use `{replacement}`)" if replacement else f"`{key}` (use {CONTEXT_HINTS[key]})")
        noun = "key" if len(unique) == 1 else "keys"
        return self.violation(model.span(node), f"Removed Airflow 3 context {noun} in {where}: " + ", ".join(hints), fix)


# Airflow 3 accepts these and does nothing with them: SLAs were removed
IGNORED_ARGUMENTS = frozenset({"sla", "sla_miss_callback"})
# REMOVE: refused by Airflow 3, and safe to delete: `provide_context` has done nothing since Airflow
# 2.0 (the context is always passed), the others only set how the old UI drew the DAG or were internal
REMOVE = ""
REMOVAL_REASONS = {
    "provide_context": "it has done nothing since Airflow 2.0: the context is always passed",
    "default_view": "it only chose the old UI's view",
    "orientation": "it only chose the old UI's graph layout",
    "full_filepath": "Airflow sets the file path itself",
}
REMOVED_DAG_ARGUMENTS: dict[str, str | None] = {
    "concurrency": "max_active_tasks",
    "fail_stop": "fail_fast",
    "full_filepath": REMOVE,
    "sla_miss_callback": None,
    "default_view": REMOVE,
    "orientation": REMOVE,
}
REMOVED_TASK_ARGUMENTS: dict[str, str | None] = {
    "task_concurrency": "max_active_tis_per_dag",
    "sla": None,
    "provide_context": REMOVE,
}
# every removed argument contains one of these (`task_concurrency` has `concurrency`, `sla_miss_callback`
# has `sla`): the same pre-check in fewer scans
_REMOVED_ARGUMENT_CORES = ("concurrency", "sla", "fail_stop", "full_filepath", "default_view", "orientation", "provide_context")
_REMOVED_ARGUMENT_TEXT = re.compile(r"\b(?:" + "|".join([*REMOVED_DAG_ARGUMENTS, *REMOVED_TASK_ARGUMENTS]) + r")\b")
_REMOVED_KEY_STRING = re.compile(r"[\"'](?:task_concurrency|sla)[\"']")  # in default_args


class RemovedArgument(Rule):
    """## What it does
    Flags DAG and task arguments that Airflow 3 removed: `concurrency` (now `max_active_tasks`),
    `fail_stop` (now `fail_fast`), `full_filepath`, `sla_miss_callback`, `default_view` and
    `orientation` on DAGs; `task_concurrency` (now `max_active_tis_per_dag`), `provide_context` and
    `sla` on tasks, and `task_concurrency` and `sla` in `default_args`.

    ## Why is this bad?
    Unknown DAG arguments make the file fail to import with a `TypeError`; `task_concurrency` and
    `provide_context` are refused as invalid arguments, and SLAs are no longer evaluated at all, so the
    alert they stood for never fires.

    ## Example
    ```python
    with DAG("etl", schedule="@daily", concurrency=4):
        PythonOperator(task_id="load", python_callable=load, provide_context=True)
    ```

    Use instead:
    ```python
    with DAG("etl", schedule="@daily", max_active_tasks=4):
        PythonOperator(task_id="load", python_callable=load)
    ```

    ## Fix safety
    Renamed arguments are fixed by renaming them, which is safe; when the new name is also given, the
    old argument is reported without a fix (renaming it would repeat a keyword, and which value to keep
    is the author's call). `provide_context` is removed, which is safe: since Airflow 2.0 the context
    is passed to every callable that accepts it; so are `default_view` and `orientation` (they only
    set how the old UI showed the DAG) and `full_filepath` (Airflow sets it). SLAs have no fix: their
    intent needs another mechanism.
    """

    code = "AF304"
    name = "removed-airflow-argument"
    family = "airflow3"
    severity = Severity.ERROR
    fix_availability = FixAvailability.SOMETIMES
    airflow_versions = AIRFLOW3

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        source = model.source
        if not any(name in source for name in _REMOVED_ARGUMENT_CORES):
            return
        for dag, keyword in _dag_keywords(model):
            if keyword.arg in REMOVED_DAG_ARGUMENTS:
                yield self._keyword(model, dag.call, keyword, REMOVED_DAG_ARGUMENTS[keyword.arg], f"DAG `{dag.dag_id}`")
        seen: set[int] = set()
        for task in model.all_tasks:
            if task.call is None or id(task.call) in seen:
                continue
            seen.add(id(task.call))
            for keyword in task.call.keywords:
                if keyword.arg in REMOVED_TASK_ARGUMENTS:
                    yield self._keyword(model, task.call, keyword, REMOVED_TASK_ARGUMENTS[keyword.arg], f"task `{task.task_id}`")
        lines = model.index.lines_matching(_REMOVED_KEY_STRING) if ("sla" in model.source or "task_concurrency" in model.source) else set()  # type: ignore[union-attr]
        for node, _, _ in model.index.nodes_on_lines(lines):  # type: ignore[union-attr]
            if isinstance(node, ast.Dict):
                for key in node.keys:
                    if isinstance(key, ast.Constant) and key.value in REMOVED_TASK_ARGUMENTS and self._is_default_args(node, model):
                        new = REMOVED_TASK_ARGUMENTS[key.value]
                        taken = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                        fix = None
                        if new and new not in taken:
                            new_key = _literal_text(model, key)
                            if new_key is not None:
                                start, text = new_key
                                fix = Fix(f"Rename `{key.value}` to `{new}`", edits=(_edit(model, start, start + len(text), text.replace(key.value, new)),))
                        also = f"; `{new}` is also set: remove this one" if new and new in taken else f"; use `{new}`" if new else ""
                        yield self.violation(model.span(key), f"`{key.value}` in default_args was removed in Airflow 3{also}", fix)

    @staticmethod
    def _is_default_args(node: ast.Dict, model: FileModel) -> bool:
        for dag in model.dags:
            expr = dag.arguments.get("default_args")
            if expr is node or (isinstance(expr, ast.Name) and model.assignments.get(expr.id) is node):
                return True
        return any(model.assignments.get(name) is node for name in ("default_args", "DEFAULT_ARGS"))

    def _keyword(self, model: FileModel, call: ast.Call, keyword: ast.keyword, new: str | None, owner: str) -> Violation:
        span = model.span(keyword)
        if new == REMOVE:
            fix = Fix(f"Remove `{keyword.arg}`", edits=(_removal(model, call, keyword),))
            return self.violation(span, f"`{keyword.arg}` of {owner} is refused by Airflow 3 ({REMOVAL_REASONS[keyword.arg]})", fix)
        if new and any(k.arg == new for k in call.keywords):
            # renaming would repeat a keyword: a file Python refuses
            return self.violation(span, f"`{keyword.arg}` of {owner} was removed in Airflow 3, and `{new}` is also given: remove `{keyword.arg}`")
        if new:
            fix = Fix(f"Rename `{keyword.arg}` to `{new}`", changes=(CstChange("rename-keyword", span, new),))
            return self.violation(span, f"`{keyword.arg}` of {owner} was removed in Airflow 3; use `{new}`", fix)
        if keyword.arg in IGNORED_ARGUMENTS:
            return self.violation(span, f"`{keyword.arg}` of {owner} is ignored by Airflow 3: SLAs were removed, so it never alerts")
        return self.violation(span, f"`{keyword.arg}` of {owner} was removed in Airflow 3")


def _removal(model: FileModel, call: ast.Call, keyword: ast.keyword) -> Edit:
    """The edit that deletes one argument of a call with its comma: up to the next argument, else from
    the end of the previous one, else (the only argument) up to the closing parenthesis."""
    table = model.line_table
    arguments = sorted([*call.args, *call.keywords], key=lambda node: (node.lineno, node.col_offset))
    index = next(i for i, node in enumerate(arguments) if node is keyword)
    start, end = table.node_offsets(keyword)
    if index + 1 < len(arguments):
        end = table.node_offsets(arguments[index + 1])[0]
    elif index > 0:
        start = table.node_offsets(arguments[index - 1])[1]
    else:
        end = table.node_offsets(call)[1] - 1
    return _edit(model, start, end, "")


class DagWithoutSchedule(Rule):
    """## What it does
    Flags a DAG written for Airflow 2 (its `DAG` or `@dag` imported from anywhere but `airflow.sdk`)
    that gives no `schedule`.

    ## Why is this bad?
    The default changed: Airflow 2 runs a DAG without a schedule once a day, Airflow 3 never
    schedules it (`schedule=None`). After the upgrade the DAG imports and looks healthy, and simply
    stops running.

    ## Example
    ```python
    from airflow import DAG

    with DAG("nightly_export", start_date=datetime(2024, 1, 1)):
        ...
    ```

    Use instead:
    ```python
    from airflow.sdk import DAG

    with DAG("nightly_export", start_date=datetime(2024, 1, 1), schedule=timedelta(days=1)):
        ...
    ```
    (or `schedule=None`, if it was only ever triggered by hand or by another DAG).
    """

    code = "AF305"
    name = "dag-without-schedule"
    family = "airflow3"
    airflow_versions = AIRFLOW3

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        from rules.operations import _is_test_file

        if _is_test_file(model.path):
            return  # a DAG built in a test is never scheduled
        for dag in model.dags:
            if dag.has_star_kwargs or any(k in dag.arguments for k in ("schedule", "schedule_interval", "timetable")):
                continue
            if _is_subdag(dag) or (is_placeholder(dag.dag_id) and ("parent_dag" in model.source or "SubDag" in model.source)):
                continue  # a SubDAG runs inside its parent, never on a schedule of its own
            callee = _dag_callee(model, dag)
            if callee is None or callee.startswith("airflow.sdk"):
                continue  # written for Airflow 3 (no schedule means none), or not known to be a DAG class
            yield self.violation(
                dag.span,
                f"DAG `{dag.dag_id}` has no `schedule`: Airflow 2 ran it daily, Airflow 3 never schedules it; "
                "give `schedule=timedelta(days=1)` to keep it daily, or `schedule=None` to say it runs only when triggered",
            )


def _is_subdag(dag: Any) -> bool:
    """Airflow 2's SubDAG convention: `parent.child` ids, built by a function given its parent's name."""
    if "." in dag.dag_id.strip("<>") and not dag.dag_id.startswith("<"):
        return True
    return dag.dag_id.startswith("<") and any(word in dag.dag_id.lower() for word in ("parent", "subdag", "child"))


def _dag_callee(model: FileModel, dag: Any) -> str | None:
    """Where the DAG's class or decorator was imported from."""
    from migrator.analysis import semantics

    if dag.call is not None:
        return semantics.qualified_name(dag.call.func, model.imports)
    if dag.function is not None:
        for decorator in dag.function.decorator_list:
            name = semantics.qualified_name(decorator, model.imports)
            if semantics.is_dag_decorator(name):
                return name
    return None
