"""`Param` and `ParamsDict`: DAG and task parameters, validated with JSON Schema as in Airflow."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

from migrator.runner.sdk.exceptions import ParamValidationError


class _NotSet:
    def __repr__(self) -> str:
        return "NOTSET"


NOTSET: Any = _NotSet()


class Param:
    """A parameter with a default and an optional JSON Schema (`type`, `enum`, `minimum`, ...)."""

    def __init__(self, default: Any = NOTSET, description: str | None = None, **schema: Any) -> None:
        self.value = default
        self.description = description
        self.schema = schema
        if default is not NOTSET:
            self._check(default)

    def _check(self, value: Any) -> None:
        if not self.schema:
            return
        import jsonschema  # only DAGs with schemas pay for it

        try:
            jsonschema.validate(value, self.schema, format_checker=jsonschema.FormatChecker())
        except jsonschema.ValidationError as error:
            raise ParamValidationError(f"Invalid input for param: {error.message}") from None

    def resolve(self, value: Any = NOTSET, suppress_exception: bool = False) -> Any:
        final = self.value if value is NOTSET else value
        if final is NOTSET:
            if suppress_exception:
                return None
            raise ParamValidationError("No value passed and Param has no default value")
        try:
            self._check(final)
        except ParamValidationError:
            if suppress_exception:
                return None
            raise
        return final

    def has_value(self) -> bool:
        return self.value is not NOTSET

    def __copy__(self) -> Param:
        return Param(self.value, self.description, **self.schema)

    def __repr__(self) -> str:
        return f"Param({self.value!r})"


class ParamsDict(MutableMapping[str, Any]):
    """Mapping of name to Param; reading an item gives its value, as in Airflow."""

    def __init__(self, dict_obj: Mapping[str, Any] | None = None, suppress_exception: bool = False) -> None:
        self._dict: dict[str, Param] = {}
        self.suppress_exception = suppress_exception
        for key, value in (dict_obj or {}).items():
            self[key] = value

    def __setitem__(self, key: str, value: Any) -> None:
        if isinstance(value, Param):
            self._dict[key] = value
        elif key in self._dict:
            param = copy.copy(self._dict[key])
            param.value = value
            param._check(value)
            self._dict[key] = param
        else:
            self._dict[key] = Param(value)

    def __getitem__(self, key: str) -> Any:
        return self._dict[key].resolve(suppress_exception=self.suppress_exception)

    def __delitem__(self, key: str) -> None:
        del self._dict[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def __repr__(self) -> str:
        return repr(self.dump())

    def get_param(self, key: str) -> Param:
        return self._dict[key]

    def items_params(self) -> Iterator[tuple[str, Param]]:
        return iter(self._dict.items())

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        other = dict(*args, **kwargs)
        if isinstance(args[0] if args else None, ParamsDict):
            other = dict(args[0].items_params())  # type: ignore[union-attr]
        for key, value in other.items():
            self[key] = value

    def copy(self) -> ParamsDict:
        new = ParamsDict(suppress_exception=self.suppress_exception)
        new._dict = {key: copy.copy(param) for key, param in self._dict.items()}
        return new

    def dump(self) -> dict[str, Any]:
        return {key: param.value for key, param in self._dict.items()}

    def validate(self) -> dict[str, Any]:
        resolved = {}
        for key, param in self._dict.items():
            try:
                resolved[key] = param.resolve(suppress_exception=self.suppress_exception)
            except ParamValidationError as error:
                raise ParamValidationError(f"Invalid input for param {key}: {error}") from None
        return resolved


def process_params(dag_params: ParamsDict, task_params: ParamsDict, conf: Mapping[str, Any] | None) -> dict[str, Any]:
    """The `params` a task sees: DAG params, then task params, then the run's conf (Airflow's order)."""
    params = dag_params.copy()
    params.update(task_params)
    if conf:
        for key, value in conf.items():
            params[key] = value
    return params.validate()


class DagParam:
    """A reference to a DAG param, made by `@dag` functions' arguments; resolved at run time."""

    def __init__(self, name: str, default: Any = NOTSET) -> None:
        self._name = name
        self._default = default

    def resolve(self, context: Mapping[str, Any]) -> Any:
        params = context.get("params", {})
        if self._name in params:
            return params[self._name]
        if self._default is not NOTSET:
            return self._default
        raise ParamValidationError(f"No value could be resolved for parameter {self._name}")

    def iter_references(self) -> Iterator[Any]:
        return iter(())
