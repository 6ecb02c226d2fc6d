"""Assets (Airflow 3) and Datasets (Airflow 2): accepted, recorded as events when a producer succeeds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit


class BaseAsset:
    def __or__(self, other: BaseAsset) -> AssetAny:
        return AssetAny(self, other)

    def __and__(self, other: BaseAsset) -> AssetAll:
        return AssetAll(self, other)

    def iter_assets(self) -> Iterator[Asset]:
        return iter(())


class AssetAccessControl:
    """Which teams may produce (and consume) an asset's events. It matters only in Airflow's multi-team
    mode (off by default, and a deployment setting): kept as a declaration, checked as Airflow checks it."""

    def __init__(self, producer_teams: list[str] | None = None, consumer_teams: list[str] | None = None,
                 allow_global: bool = True) -> None:
        for what, teams in (("producer_teams", producer_teams), ("consumer_teams", consumer_teams)):
            for entry in teams or ():
                if not isinstance(entry, str) or not entry or entry.isspace():
                    raise ValueError(f"Each entry in {what} must be a non-empty string")
        if not isinstance(allow_global, bool):
            raise TypeError(f"'allow_global' must be <class 'bool'> (got {allow_global!r})")
        self.producer_teams = list(producer_teams or [])
        self.consumer_teams = consumer_teams
        self.allow_global = allow_global

    def __repr__(self) -> str:
        return (f"AssetAccessControl(producer_teams={self.producer_teams!r}, consumer_teams={self.consumer_teams!r}, "
                f"allow_global={self.allow_global!r})")


class Asset(BaseAsset):
    def __init__(self, name: str | None = None, uri: str | None = None, *, group: str = "asset",
                 extra: dict[str, Any] | None = None, watchers: list[Any] | None = None,
                 access_control: AssetAccessControl | None = None) -> None:
        if name is None and uri is None:
            raise TypeError("Asset() requires either 'name' or 'uri'")
        if uri is None:
            uri = name
        if name is None:
            name = uri
        from migrator.runner.sdk.watchers import AssetWatcher

        for watcher in watchers or ():
            if not isinstance(watcher, AssetWatcher):
                raise TypeError(f"Asset watchers must be AssetWatcher instances, not {type(watcher).__name__}")
        if uri and "://" in uri and not urlsplit(uri).scheme:
            raise ValueError(f"invalid asset uri {uri!r}")
        self.name = name
        self.uri = uri
        self.group = group
        self.extra = extra or {}
        self.access_control = access_control or AssetAccessControl()
        self.watchers = list(watchers or [])  # declarations: the runner has no triggerer (sdk/watchers.py)

    def iter_assets(self) -> Iterator[Asset]:
        yield self

    @staticmethod
    def ref(*, name: str = "", uri: str = "") -> AssetRef:
        """A reference to an asset defined elsewhere, by name or by URI."""
        if name and uri:
            raise TypeError("Asset reference must be made to either name or URI, not both")
        if name:
            return AssetNameRef(name)
        if uri:
            return AssetUriRef(uri)
        raise TypeError("Asset reference expects keyword argument 'name' or 'uri'")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Asset) and (self.name, self.uri) == (other.name, other.uri)

    def __hash__(self) -> int:
        return hash((self.name, self.uri))

    def __repr__(self) -> str:
        return f"Asset(name={self.name!r}, uri={self.uri!r})"


class Dataset(Asset):
    """Airflow 2's name: `Dataset(uri)`."""

    def __init__(self, uri: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(uri=uri, extra=extra)


class AssetRef(BaseAsset):
    """`Asset.ref(name=...)` / `Asset.ref(uri=...)`."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self).__name__, *vars(self).values()))

    def matches(self, asset: Asset) -> bool:
        raise NotImplementedError


class AssetNameRef(AssetRef):
    def __init__(self, name: str) -> None:
        self.name = name

    def matches(self, asset: Asset) -> bool:
        return asset.name == self.name

    def __repr__(self) -> str:
        return f"AssetNameRef(name={self.name!r})"


class AssetUriRef(AssetRef):
    def __init__(self, uri: str) -> None:
        self.uri = uri

    def matches(self, asset: Asset) -> bool:
        return asset.uri == self.uri

    def __repr__(self) -> str:
        return f"AssetUriRef(uri={self.uri!r})"


def known_asset(ref: AssetRef) -> Asset | None:
    """The asset a reference names, among the outlets and inlets of the DAGs loaded in this process (Airflow
    looks it up among the assets its DAG processor registered)."""
    from migrator.runner.loader import loaded_dags

    for dag in loaded_dags():
        for task in dag.tasks:
            for item in [*getattr(task, "outlets", ()), *getattr(task, "inlets", ())]:
                for asset in item.iter_assets():
                    if ref.matches(asset):
                        return asset
    return None


class AssetAlias(BaseAsset):
    def __init__(self, name: str, group: str = "asset") -> None:
        self.name = name
        self.group = group


class _AssetBooleanCondition(BaseAsset):
    def __init__(self, *objects: BaseAsset) -> None:
        self.objects = objects

    def iter_assets(self) -> Iterator[Asset]:
        for item in self.objects:
            yield from item.iter_assets()


class AssetAny(_AssetBooleanCondition):
    pass


class AssetAll(_AssetBooleanCondition):
    pass


DatasetAll = AssetAll
DatasetAny = AssetAny
DatasetAlias = AssetAlias
