"""Task and asset state stores (Airflow 3.3, AIP-103): `context["task_state_store"]` and
`context["asset_state_store"]`, as in `airflow.sdk.execution_time.context`.

A task instance's store keeps JSON values across its tries (a retry finds what the failed try wrote);
an asset's store is shared by every task that names the asset, across runs and DAGs. Both live in the
runner's state database; a task process reaches them through the runner, as it does for XComs. What
Airflow does with them and the runner does not: garbage collection of expired keys (`retention` is
recorded, nothing deletes the key later), custom storage backends ([workers] state_store_backend),
and `[state_store] clear_on_success` (off by default in Airflow).
"""

from __future__ import annotations

import datetime
import json
from typing import Any

#: `retention=NEVER_EXPIRE` in `task_state_store.set()`: the key never expires.
NEVER_EXPIRE = datetime.timedelta.max
DEFAULT_RETENTION_DAYS = 30  # Airflow's [state_store] default_retention_days


def _encoded(value: Any) -> str:
    if value is None:
        raise ValueError("Cannot set value as None")
    return json.dumps(value)


class _Backend:
    """Where an accessor's calls go: the attempt's state reader (the database in the runner, the
    runner's channel in a task process), looked up at call time."""

    def __init__(self, ti: Any) -> None:
        self._ti = ti

    def call(self, **request: Any) -> Any:
        reader = self._ti.state_reader
        if reader is None:
            raise RuntimeError("the state store is not reachable from here")
        return reader.state_store(request)

    def writer(self) -> list[Any]:
        return [self._ti.dag_id, self._ti.run_id, self._ti.task_id, self._ti.map_index]


class _StoreAccessor:
    """get / delete / clear, shared by both stores; `_call` says which store."""

    def _call(self, op: str, **more: Any) -> Any:
        raise NotImplementedError

    def get(self, key: str, default: Any = None) -> Any:
        text = self._call("get", key=key)
        return default if text is None else json.loads(text)

    def delete(self, key: str) -> None:
        self._call("delete", key=key)

    def clear(self) -> None:
        self._call("clear")


class TaskStateStoreAccessor(_StoreAccessor):
    """The store of the running task instance (dag, run, task, map index). No async methods: Airflow
    3.3's has none either (an `async def` task calling `aget` fails there as here)."""

    def __init__(self, ti: Any) -> None:
        self._backend = _Backend(ti)
        self._scope = (ti.dag_id, ti.run_id, ti.task_id, ti.map_index)

    def __repr__(self) -> str:
        return f"<TaskStateStoreAccessor {self._scope}>"

    def _call(self, op: str, **more: Any) -> Any:
        return self._backend.call(store="task", op=op, scope=list(self._scope), **more)

    def set(self, key: str, value: Any, *, retention: datetime.timedelta | None = None) -> None:
        encoded = _encoded(value)
        now = datetime.datetime.now(datetime.timezone.utc)
        if retention is NEVER_EXPIRE:
            expires_at = None
        elif retention is not None:
            expires_at = (now + retention).isoformat()
        else:
            expires_at = (now + datetime.timedelta(days=DEFAULT_RETENTION_DAYS)).isoformat()
        self._call("set", key=key, value=encoded, expires_at=expires_at)


class AssetStateStoreAccessor(_StoreAccessor):
    """One asset's store (`context["asset_state_store"][MY_ASSET]`)."""

    def __init__(self, backend: _Backend, name: str, uri: str) -> None:
        self._backend = backend
        self._asset = (name, uri)

    def __repr__(self) -> str:
        return f"<AssetStateStoreAccessor name={self._asset[0]!r}>"

    def _call(self, op: str, **more: Any) -> Any:
        return self._backend.call(store="asset", op=op, asset=list(self._asset), **more)

    def set(self, key: str, value: Any) -> None:
        self._call("set", key=key, value=_encoded(value), writer=self._backend.writer())

    async def aget(self, key: str, default: Any = None) -> Any:
        return self.get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        self.set(key, value)

    async def adelete(self, key: str) -> None:
        self.delete(key)

    async def aclear(self) -> None:
        self.clear()


class AssetStateStoreAccessors:
    """`context["asset_state_store"]`: the stores of the task's concrete inlets and outlets, by asset
    (or by reference); with exactly one such asset, its store's methods directly."""

    def __init__(self, ti: Any, inlets: list[Any], outlets: list[Any]) -> None:
        from migrator.runner.sdk.assets import (
            Asset,
            AssetAlias,
            AssetNameRef,
            AssetUriRef,
            known_asset,
        )

        backend = _Backend(ti)
        self._by_name: dict[str, AssetStateStoreAccessor] = {}
        self._by_uri: dict[str, AssetStateStoreAccessor] = {}
        self._unknown: list[Any] = []

        def add(item: Any) -> None:
            asset = item if isinstance(item, Asset) else known_asset(item)
            if asset is None:
                self._unknown.append(item)  # a reference to an asset no loaded DAG declares: not found, as in Airflow
                return
            accessor = self._by_name.setdefault(asset.name, AssetStateStoreAccessor(backend, asset.name, asset.uri))
            if isinstance(item, AssetUriRef):
                self._by_uri.setdefault(item.uri, accessor)

        for inlet in inlets:
            if isinstance(inlet, (Asset, AssetNameRef, AssetUriRef)):
                add(inlet)
            elif isinstance(inlet, AssetAlias):
                for event in ti.state_reader.asset_events("alias", inlet.name, None) if ti.state_reader else []:
                    add(Asset(name=event["name"], uri=event["uri"]))
        for outlet in outlets:  # alias outlets are for emitting events, not for state
            if isinstance(outlet, (Asset, AssetNameRef, AssetUriRef)):
                add(outlet)
        self._total = len(self._by_name) + len(self._unknown)

    def __getitem__(self, key: Any) -> AssetStateStoreAccessor:
        from migrator.runner.sdk.assets import Asset, AssetNameRef, AssetUriRef

        found: AssetStateStoreAccessor | None = None
        if isinstance(key, (Asset, AssetNameRef)):
            found = self._by_name.get(key.name)
        elif isinstance(key, AssetUriRef):
            found = self._by_uri.get(key.uri)
        else:
            raise TypeError(f"Expected Asset, AssetNameRef, or AssetUriRef; got {type(key).__name__}")
        if found is None:
            raise KeyError(f"{key!r} is not in this task's inlets or outlets")
        return found

    def _single(self) -> AssetStateStoreAccessor:
        if self._total != 1 or not self._by_name:
            raise ValueError(f"Task has {self._total} concrete inlets and outlets — use "
                             "context['asset_state_store'][MY_ASSET] to specify which")
        return next(iter(self._by_name.values()))

    def get(self, key: str, default: Any = None) -> Any:
        return self._single().get(key, default)

    def set(self, key: str, value: Any) -> None:
        self._single().set(key, value)

    def delete(self, key: str) -> None:
        self._single().delete(key)

    def clear(self) -> None:
        self._single().clear()

    async def aget(self, key: str, default: Any = None) -> Any:
        return self._single().get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        self._single().set(key, value)

    async def adelete(self, key: str) -> None:
        self._single().delete(key)

    async def aclear(self) -> None:
        self._single().clear()

    def __repr__(self) -> str:
        return f"<AssetStateStoreAccessors [{', '.join(f'name={k!r}' for k in self._by_name)}]>"


def has_asset_state(task: Any) -> bool:
    """Airflow gives `asset_state_store` only to tasks with an asset (or alias) among inlets and outlets."""
    from migrator.runner.sdk.assets import Asset, AssetAlias, AssetRef

    return any(isinstance(i, (Asset, AssetRef, AssetAlias)) for i in [*task.inlets, *task.outlets])
