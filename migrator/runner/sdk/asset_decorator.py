"""`@asset` / `@asset.multi`: a function that materializes an asset, as a DAG of one task.

As Airflow 3's asset decorator: the DAG's id is the asset's name (or `dag_id`), its one task is named after
the function and has the asset as outlet; the function's parameters without defaults name the assets it
reads (inlets, by name), except `self` (the asset itself), `context` and `outlet_events`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from migrator.runner.sdk.assets import Asset, AssetAll, AssetNameRef, known_asset
from migrator.runner.sdk.operators import PythonOperator

_NOT_INLETS = ("self", "context", "outlet_events")


def _check_arguments(function: Callable[..., Any]) -> None:
    for name, parameter in inspect.signature(function).parameters.items():
        if parameter.kind == parameter.VAR_POSITIONAL:
            raise TypeError(f"wildcard '*{name}' is not supported in @asset")
        if parameter.kind == parameter.VAR_KEYWORD:
            raise TypeError(f"wildcard '**{name}' is not supported in @asset")
        if parameter.kind == parameter.POSITIONAL_ONLY and parameter.default is parameter.empty:
            raise TypeError(f"positional-only argument '{name}' without a default is not supported in @asset")


class AssetMainOperator(PythonOperator):
    """The one task of an @asset DAG: the function, its parameters filled with assets and the context."""

    def __init__(self, *, definition_name: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._definition_name = definition_name

    @classmethod
    def from_definition(cls, definition: Any, outlets: list[Any]) -> AssetMainOperator:
        function = definition._function
        _check_arguments(function)
        inlets = [AssetNameRef(name) for name, parameter in inspect.signature(function).parameters.items()
                  if name not in _NOT_INLETS and parameter.default is parameter.empty]
        return cls(task_id=function.__name__, inlets=inlets, outlets=outlets, python_callable=function,
                   definition_name=definition.name)

    def determine_kwargs(self, context: Mapping[str, Any]) -> Mapping[str, Any]:
        return dict(self._arguments(context))

    def _arguments(self, context: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
        from migrator.runner.sdk.exceptions import AirflowException

        for name, parameter in inspect.signature(self.python_callable).parameters.items():
            if parameter.default is not parameter.empty:
                yield name, parameter.default
            elif name == "context":
                yield name, context
            elif name == "outlet_events":
                yield name, context["outlet_events"]
            else:
                asset = known_asset(AssetNameRef(self._definition_name if name == "self" else name))
                if asset is None:
                    raise AirflowException(f"Asset {name!r} not found among the assets of the loaded DAGs")
                yield name, asset


class _DagOptions:
    def __init__(self, *, schedule: Any, dag_id: str | None = None, **dag_kwargs: Any) -> None:
        self.schedule = schedule
        self.dag_id = dag_id
        self.dag_kwargs = dag_kwargs

    def _build(self, default_dag_id: str, definition: Any, outlets: list[Any]) -> None:
        from migrator.runner.sdk.dag import DAG

        with DAG(dag_id=self.dag_id or default_dag_id, schedule=self.schedule, catchup=False, **self.dag_kwargs):
            AssetMainOperator.from_definition(definition, outlets)


class AssetDefinition(Asset):
    def __init__(self, *, function: Callable[..., Any], source: asset, **asset_kwargs: Any) -> None:
        super().__init__(**asset_kwargs)
        self._function = function
        source._build(self.name, self, [self])


class MultiAssetDefinition(AssetAll):
    def __init__(self, *, function: Callable[..., Any], source: Any) -> None:
        super().__init__(*source.outlets)
        self.name = function.__name__
        self._function = function
        source._build(function.__name__, self, list(source.outlets))


class asset(_DagOptions):
    """`@asset(schedule=..., name=..., uri=..., group=..., extra=...)`."""

    def __init__(self, *, schedule: Any, name: str | None = None, uri: str | None = None, group: str = "asset",
                 extra: dict[str, Any] | None = None, watchers: list[Any] | None = None, **dag_kwargs: Any) -> None:
        super().__init__(schedule=schedule, **dag_kwargs)
        self.name, self.uri, self.group, self.extra, self.watchers = name, uri, group, extra or {}, watchers or []

    def __call__(self, function: Callable[..., Any]) -> AssetDefinition:
        if function.__name__ != function.__qualname__:
            raise ValueError("nested function not supported")
        name = self.name or function.__name__
        return AssetDefinition(function=function, source=self, name=name, uri=name if self.uri is None else str(self.uri),
                               group=self.group, extra=self.extra, watchers=self.watchers)

    class multi(_DagOptions):
        """`@asset.multi(schedule=..., outlets=[...])`: one function, several assets."""

        def __init__(self, *, outlets: list[Any], **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.outlets = list(outlets)

        def __call__(self, function: Callable[..., Any]) -> MultiAssetDefinition:
            if function.__name__ != function.__qualname__:
                raise ValueError("nested function not supported")
            if not self.outlets:
                raise ValueError("no outlets provided")
            return MultiAssetDefinition(function=function, source=self)
