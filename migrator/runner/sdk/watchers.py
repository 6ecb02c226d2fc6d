"""Asset watchers (event-driven scheduling): accepted as declarations, never run.

In Airflow a watcher's trigger runs in the triggerer and turns outside events (a file appearing, a
message on a queue) into asset events that schedule the DAGs consuming the asset. The local runner has
no triggerer and makes only the runs `run` and `backfill` ask for, as `airflow dags test` does, so an
`AssetWatcher` is kept on its asset and nothing polls. The standard provider's file triggers are here so
that DAGs declaring them load; triggers of other providers stay outside the runner's subset.
"""

from __future__ import annotations

from typing import Any


class TriggerEvent:
    def __init__(self, payload: Any = None) -> None:
        self.payload = payload

    def __repr__(self) -> str:
        return f"TriggerEvent<{self.payload!r}>"


class BaseTrigger:
    """A trigger's arguments, kept; `run()` is never awaited by the local runner."""

    def __init__(self, **kwargs: Any) -> None:
        self.trigger_kwargs = kwargs

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{type(self).__module__}.{type(self).__qualname__}", dict(vars(self))

    async def run(self) -> Any:  # pragma: no cover - declaration only
        raise NotImplementedError("the local runner does not run triggers")
        yield

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k != "trigger_kwargs")
        return f"<{type(self).__name__} {shown}>"


class BaseEventTrigger(BaseTrigger):
    """A trigger that may drive an asset watcher."""


class FileTrigger(BaseTrigger):
    def __init__(self, filepath: str, recursive: bool = False, poke_interval: float = 5.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filepath, self.recursive, self.poke_interval = filepath, recursive, poke_interval


class FileDeleteTrigger(BaseEventTrigger):
    def __init__(self, filepath: str, poke_interval: float = 5.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filepath, self.poke_interval = filepath, poke_interval


class DirectoryFileDeleteTrigger(BaseEventTrigger):
    def __init__(self, *, directory: str, filename: str, poke_interval: float = 5.0) -> None:
        super().__init__()
        self.directory, self.filename, self.poke_interval = directory, filename, poke_interval


class AssetWatcher:
    """`AssetWatcher(name, trigger)`: checked as Airflow checks it, kept on the asset."""

    def __init__(self, name: str, trigger: Any) -> None:
        if not isinstance(trigger, BaseEventTrigger):
            raise ValueError("Asset watcher trigger must inherit BaseEventTrigger")  # noqa: TRY004 - Airflow's error
        self.name = name
        self.trigger = trigger

    def __repr__(self) -> str:
        return f"AssetWatcher(name={self.name!r}, trigger={self.trigger!r})"
