"""Jinja templating of templated fields, as Airflow 3 renders them.

Same environment (sandboxed, `StrictUndefined` unless the DAG says otherwise, the `do` extension,
the DAG folder and `template_searchpath` as loader path, Airflow's date filters, user macros and
filters), same walk over values (strings, template files by extension, XComArgs resolved, nested
collections, objects with their own `template_fields`), native rendering when asked.
"""

from __future__ import annotations

import datetime
import os
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

    from migrator.runner.sdk.baseoperator import BaseOperator
    from migrator.runner.sdk.dag import DAG


def _ds(value: Any) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%d")


def _ds_nodash(value: Any) -> str | None:
    return None if value is None else value.strftime("%Y%m%d")


def _ts(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _ts_nodash(value: Any) -> str | None:
    return None if value is None else value.strftime("%Y%m%dT%H%M%S")


def _ts_nodash_with_tz(value: Any) -> str | None:
    return None if value is None else value.isoformat().replace("-", "").replace(":", "")


FILTERS = {"ds": _ds, "ds_nodash": _ds_nodash, "ts": _ts, "ts_nodash": _ts_nodash, "ts_nodash_with_tz": _ts_nodash_with_tz}


_CLASSES: dict[bool, type] = {}


def _environment_class(native: bool) -> type:
    """Airflow's SandboxedEnvironment / NativeEnvironment (jinja2 is imported only when a template is)."""
    if native in _CLASSES:
        return _CLASSES[native]
    import jinja2.nativetypes
    import jinja2.sandbox

    class _AirflowEnvironmentMixin:
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)  # type: ignore[call-arg]
            self.filters.update(FILTERS)  # type: ignore[attr-defined]

        def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
            # Airflow allows `_private` attributes, blocks only Python internals.
            return not jinja2.sandbox.is_internal_attribute(obj, attr)

    class SandboxedEnvironment(_AirflowEnvironmentMixin, jinja2.sandbox.SandboxedEnvironment):
        pass

    class NativeEnvironment(_AirflowEnvironmentMixin, jinja2.nativetypes.NativeEnvironment):
        pass

    _CLASSES[False], _CLASSES[True] = SandboxedEnvironment, NativeEnvironment
    return _CLASSES[native]


_ENVS: weakref.WeakKeyDictionary[Any, dict[bool, Any]] = weakref.WeakKeyDictionary()
_NO_DAG_ENVS: dict[bool, Any] = {}


def template_env(dag: DAG | None, native: bool) -> jinja2.Environment:
    """The DAG's environment (built once per DAG and kind; rendering results do not depend on caching)."""
    cache = _ENVS.setdefault(dag, {}) if dag is not None else _NO_DAG_ENVS
    env = cache.get(native)
    if env is not None:
        return env
    import jinja2

    options: dict[str, Any] = {"undefined": jinja2.StrictUndefined, "extensions": ["jinja2.ext.do"]}
    if dag is not None:
        options["undefined"] = dag.template_undefined or jinja2.StrictUndefined
        searchpath = [dag.folder, *dag.template_searchpath]
        options["loader"] = jinja2.FileSystemLoader(searchpath)
        if dag.jinja_environment_kwargs:
            options.update(dag.jinja_environment_kwargs)
    env = _environment_class(native)(**options)
    if dag is not None:
        if dag.user_defined_macros:
            env.globals.update(dag.user_defined_macros)
        if dag.user_defined_filters:
            env.filters.update(dag.user_defined_filters)
    cache[native] = env
    return env


def _is_native(task: BaseOperator) -> bool:
    if task.render_template_as_native_obj is not None:
        return bool(task.render_template_as_native_obj)
    return bool(task._dag.render_template_as_native_obj) if task._dag is not None else False


_MARKERS = ("{{", "{%", "{#", "\r")


def _render_string(task: BaseOperator, value: str, context: Mapping[str, Any], env: jinja2.Environment | None,
                   native: bool) -> Any:
    template_ext = tuple(task.template_ext)
    is_file = bool(template_ext) and value.endswith(template_ext)
    if not is_file and not native and not any(marker in value for marker in _MARKERS):
        # Rendering a string with no Jinja syntax only drops one trailing newline.
        return value.removesuffix("\n")
    if env is None:
        env = template_env(task._dag, native)
    template = env.get_template(value) if is_file else env.from_string(value)
    return template.render(context)


def render_value(task: BaseOperator, value: Any, context: Mapping[str, Any], env: jinja2.Environment | None = None,
                 seen: set[int] | None = None) -> Any:
    """BaseOperator.render_template: strings, files, resolvable references, collections, nested fields."""
    seen = seen if seen is not None else set()
    native = _is_native(task)
    if id(value) in seen:
        return value
    if isinstance(value, str):
        return _render_string(task, value, context, env, native)
    if not isinstance(value, os.PathLike) and callable(getattr(value, "resolve", None)) and not isinstance(value, type):
        return value.resolve(context)
    if value.__class__ is tuple:
        return tuple(render_value(task, item, context, env, seen) for item in value)
    if isinstance(value, tuple):
        return value.__class__(*(render_value(task, item, context, env, seen) for item in value))
    if isinstance(value, list):
        return [render_value(task, item, context, env, seen) for item in value]
    if isinstance(value, dict):
        return {key: render_value(task, item, context, env, seen) for key, item in value.items()}
    if isinstance(value, set):
        return {render_value(task, item, context, env, seen) for item in value}
    if isinstance(value, (int, float, bool, type(None), datetime.datetime, datetime.date, datetime.timedelta)):
        return value
    nested = getattr(value, "template_fields", None)
    if nested:
        seen.add(id(value))
        for field_name in nested:
            current = getattr(value, field_name)
            if current:
                setattr(value, field_name, render_value(task, current, context, env, seen))
    return value


def rendered_fields(task: BaseOperator, context: Mapping[str, Any]) -> dict[str, Any]:
    """Every non-empty templated field, rendered, without touching the task (fields left empty stay)."""
    env = None  # built on first need: plain strings never import jinja2
    # Values a mapped task's instance got from XComs are data, not templates (Airflow's seen_oids).
    skip = set(getattr(task, "_render_skip_ids", ()))
    result: dict[str, Any] = {}
    for name in task.template_fields:
        value = getattr(task, name)
        if not value:
            result[name] = value
        elif callable(value) and not hasattr(value, "resolve"):
            result[name] = value(context=context, jinja_env=template_env(task._dag, _is_native(task)))
        else:
            result[name] = render_value(task, value, context, env, set(skip))
    return result


def render_template_fields(task: BaseOperator, context: Mapping[str, Any]) -> None:
    """Render in place: only ever on the task process's own copy of the operator."""
    task.prepare_template()
    for name, value in rendered_fields(task, context).items():
        setattr(task, name, value)


def rendered_for_record(values: Mapping[str, Any]) -> dict[str, Any]:
    """Rendered fields as stored: JSON values where possible, else their `str` (Airflow stores str too)."""
    return {name: _recordable(value) for name, value in values.items()}


def _recordable(value: Any) -> Any:
    """Containers item by item (a mapped task's values inside op_args stay a list), other objects as text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(key): _recordable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_recordable(item) for item in value]
    return str(value)
