"""Assets at run time: `outlet_events`, `inlet_events`, `Metadata`, events through an `AssetAlias`.

What Airflow 3 gives a task: `outlet_events[asset].extra` sets the extra of the event the task emits
for that outlet when it succeeds; `outlet_events[alias].add(asset, extra=...)` emits an event for an
asset through an alias outlet; a generator task may `yield Metadata(asset, extra, alias=...)` for the
same effect. `inlet_events[asset]` (or `.for_asset(name=/uri=)`, `[alias]`) lists the recorded events
of an inlet, oldest first, each with `extra`, `timestamp` and its source dag/run/task.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from migrator.runner.sdk.assets import Asset, AssetAlias


@dataclass
class Metadata:
    """`yield Metadata(asset, {"k": "v"})` in a task: the extra of the asset's event (through `alias`)."""

    asset: Asset
    extra: dict[str, Any]
    alias: AssetAlias | None = None

    def __init__(self, asset: Asset, extra: dict[str, Any], alias: AssetAlias | str | None = None) -> None:
        self.asset = asset
        self.extra = extra
        self.alias = AssetAlias(alias) if isinstance(alias, str) else alias


def _asset_key(asset: Asset) -> tuple[str, str, str]:
    return ("asset", asset.name, asset.uri)


def _key(item: Any) -> tuple[str, str, str]:
    if isinstance(item, Asset):
        return _asset_key(item)
    if isinstance(item, AssetAlias):
        return ("alias", item.name, "")
    raise TypeError(f"Key should be either an asset or an asset alias, not {type(item)}")


@dataclass
class OutletEventAccessor:
    key: tuple[str, str, str]
    extra: dict[str, Any] = field(default_factory=dict)
    alias_events: list[tuple[Asset, dict[str, Any]]] = field(default_factory=list)

    partition_keys: set[str] = field(default_factory=set)

    def add(self, asset: Asset, extra: dict[str, Any] | None = None) -> None:
        """An event for `asset` through this alias (ignored on an asset accessor, as in Airflow)."""
        if self.key[0] == "alias":
            self.alias_events.append((asset, dict(extra or {})))

    def add_partitions(self, keys: str | list[str]) -> None:
        """The partitions an asset event is for (see sdk/partitions.py: checked, not scheduled on)."""
        from migrator.runner.sdk.partitions import check_partition_keys

        if self.key[0] == "alias":
            raise TypeError("add_partitions() is not supported on asset alias outlet events; partition keys can only "
                            "be attached to a concrete asset.")
        self.partition_keys.update(check_partition_keys(keys))


class OutletEventAccessors(Mapping):
    def __init__(self) -> None:
        self._accessors: dict[tuple[str, str, str], OutletEventAccessor] = {}

    def __getitem__(self, key: Any) -> OutletEventAccessor:
        hashable = _key(key)
        if hashable not in self._accessors:
            self._accessors[hashable] = OutletEventAccessor(hashable)
        return self._accessors[hashable]

    def __iter__(self) -> Iterator[Any]:
        for kind, name, uri in self._accessors:
            yield Asset(name=name, uri=uri) if kind == "asset" else AssetAlias(name)

    def __len__(self) -> int:
        return len(self._accessors)

    def for_asset(self, *, name: str | None = None, uri: str | None = None) -> OutletEventAccessor:
        if name is None and uri is None:
            raise ValueError("name and uri cannot both be None")
        for key in self._accessors:
            if key[0] == "asset" and (name is None or key[1] == name) and (uri is None or key[2] == uri):
                return self._accessors[key]
        return self[Asset(name=name, uri=uri)]

    def for_asset_alias(self, *, name: str) -> OutletEventAccessor:
        return self[AssetAlias(name)]

    def apply(self, metadata: Metadata) -> None:
        """What a yielded Metadata means (Airflow's ExecutionCallableRunner)."""
        self[metadata.asset].extra.update(metadata.extra)
        if metadata.alias is not None:
            self[metadata.alias].add(metadata.asset, extra=metadata.extra)

    def __repr__(self) -> str:
        return f"OutletEventAccessors({list(self._accessors.values())!r})"


def emitted_events(outlets: Sequence[Any], accessors: OutletEventAccessors | None) -> list[dict[str, Any]]:
    """The asset events a successful task records: one per asset outlet (with its extra), one per asset
    added through an alias outlet (events for the same asset and extra share their aliases)."""
    accessors = accessors or OutletEventAccessors()
    events: list[dict[str, Any]] = []
    for outlet in outlets:
        if isinstance(outlet, Asset):
            key = _asset_key(outlet)
            extra = accessors._accessors[key].extra if key in accessors._accessors else {}
            events.append({"uri": outlet.uri, "name": outlet.name, "extra": dict(extra), "aliases": []})
        elif isinstance(outlet, AssetAlias):
            accessor = accessors._accessors.get(_key(outlet))
            for asset, extra in accessor.alias_events if accessor else []:
                same = next((e for e in events if (e["uri"], e["name"], e["extra"]) == (asset.uri, asset.name, extra)
                             and e["aliases"]), None)
                if same is not None:
                    same["aliases"].append(outlet.name)
                else:
                    events.append({"uri": asset.uri, "name": asset.name, "extra": extra, "aliases": [outlet.name]})
    return events


@dataclass(frozen=True)
class AssetEventResult:
    """One recorded asset event as a task reads it from `inlet_events`."""

    id: int
    timestamp: datetime.datetime
    extra: dict[str, Any]
    asset: Asset
    source_dag_id: str | None
    source_run_id: str | None
    source_task_id: str | None
    source_map_index: int | None
    source_aliases: tuple[str, ...] = ()


class InletEventsAccessor(Sequence):
    """The events of one inlet (asset or alias), oldest first; `.after()`, `.before()`, `.ascending()`,
    `.limit()` narrow them as in Airflow."""

    def __init__(self, fetch: Callable[[], list[AssetEventResult]]) -> None:
        self._fetch = fetch
        self._after: datetime.datetime | None = None
        self._before: datetime.datetime | None = None
        self._ascending = True
        self._limit: int | None = None
        self._events: list[AssetEventResult] | None = None

    def _narrow(self, **changes: Any) -> InletEventsAccessor:
        for name, value in changes.items():
            setattr(self, f"_{name}", value)
        self._events = None
        return self

    def after(self, after: Any) -> InletEventsAccessor:
        return self._narrow(after=_moment(after))

    def before(self, before: Any) -> InletEventsAccessor:
        return self._narrow(before=_moment(before))

    def ascending(self, ascending: bool = True) -> InletEventsAccessor:
        return self._narrow(ascending=ascending)

    def limit(self, limit: int) -> InletEventsAccessor:
        return self._narrow(limit=limit)

    @property
    def _items(self) -> list[AssetEventResult]:
        if self._events is None:
            events = [e for e in self._fetch() if (self._after is None or e.timestamp >= self._after)
                      and (self._before is None or e.timestamp <= self._before)]
            events.sort(key=lambda e: e.id, reverse=not self._ascending)
            self._events = events[: self._limit] if self._limit is not None else events
        return self._events

    def __getitem__(self, index: Any) -> Any:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[AssetEventResult]:
        return iter(self._items)


def _moment(value: Any) -> datetime.datetime:
    if isinstance(value, str):
        from migrator.runner.timezone import parse

        return parse(value)
    return value


class InletEventsAccessors(Mapping):
    """`inlet_events`: the task's inlets (by object, index, or `.for_asset(...)`) to their events."""

    def __init__(self, inlets: Sequence[Any], reader: Callable[[str, str | None, str | None], list[dict[str, Any]]]) -> None:
        self._inlets = list(inlets)
        self._reader = reader

    def _accessor(self, kind: str, name: str | None, uri: str | None) -> InletEventsAccessor:
        return InletEventsAccessor(lambda: [_result(row) for row in self._reader(kind, name, uri)])

    def __getitem__(self, key: Any) -> InletEventsAccessor:
        from migrator.runner.sdk.assets import AssetRef, known_asset

        item = self._inlets[key] if isinstance(key, int) else key
        if isinstance(item, AssetRef):
            if item not in self._inlets:
                raise KeyError(item)
            resolved = known_asset(item)
            if resolved is None:
                raise KeyError(item)
            return self._accessor("asset", resolved.name, resolved.uri)
        if isinstance(item, Asset):
            if not any((isinstance(i, Asset) and _asset_key(i) == _asset_key(item))
                       or (isinstance(i, AssetRef) and i.matches(item)) for i in self._inlets):
                raise KeyError(item)
            return self._accessor("asset", item.name, item.uri)
        if isinstance(item, AssetAlias):
            if not any(isinstance(i, AssetAlias) and i.name == item.name for i in self._inlets):
                raise KeyError(item)
            return self._accessor("alias", item.name, None)
        raise TypeError(f"`key` is of unknown type ({type(key).__name__})")

    def for_asset(self, *, name: str | None = None, uri: str | None = None) -> InletEventsAccessor:
        if name is None and uri is None:
            raise ValueError("name and uri cannot both be None")
        for inlet in self._inlets:
            if isinstance(inlet, Asset) and (name is None or inlet.name == name) and (uri is None or inlet.uri == uri):
                return self._accessor("asset", inlet.name, inlet.uri)
        raise KeyError(name or uri)

    def for_asset_alias(self, *, name: str) -> InletEventsAccessor:
        return self[AssetAlias(name)]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._inlets)

    def __len__(self) -> int:
        return len(self._inlets)


def _result(row: dict[str, Any]) -> AssetEventResult:
    import pendulum

    return AssetEventResult(
        id=row["id"], timestamp=pendulum.parse(row["timestamp"]), extra=row["extra"],
        asset=Asset(name=row["name"], uri=row["uri"]), source_dag_id=row["dag_id"], source_run_id=row["run_id"],
        source_task_id=row["task_id"], source_map_index=row["map_index"], source_aliases=tuple(row["aliases"]))
