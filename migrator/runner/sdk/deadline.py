"""Deadline Alerts (Airflow 3.1+ `airflow.sdk.DeadlineAlert`): a DAG run should be done by a time.

The local runner evaluates a DAG's deadlines when a run ends: when it ended later than the
deadline (its reference plus the interval), the alert's callback runs with Airflow's context for a
missed deadline (`dag_run`, `deadline`). The built-in `SmtpNotifier` writes the message to the run's
callback log instead of sending mail. (Airflow's scheduler also fires an alert while the run is still
going; the runner, which runs one run to its end, reports it at the end.)
"""

from __future__ import annotations

import datetime
import importlib
import inspect
from collections.abc import Callable
from typing import Any


class BaseDeadlineReference:
    """What a deadline is counted from, for one run."""

    def base(self, run: Any) -> datetime.datetime | None:
        raise NotImplementedError


class _LogicalDate(BaseDeadlineReference):
    def base(self, run: Any) -> datetime.datetime | None:
        return run.logical_date


class _QueuedAt(BaseDeadlineReference):
    def base(self, run: Any) -> datetime.datetime | None:
        return run.start_date


class _Fixed(BaseDeadlineReference):
    def __init__(self, moment: datetime.datetime) -> None:
        self.moment = moment

    def base(self, run: Any) -> datetime.datetime | None:
        return self.moment


class DeadlineReference:
    DAGRUN_LOGICAL_DATE: BaseDeadlineReference = _LogicalDate()
    DAGRUN_QUEUED_AT: BaseDeadlineReference = _QueuedAt()

    @classmethod
    def FIXED_DATETIME(cls, dt: datetime.datetime) -> BaseDeadlineReference:
        return _Fixed(dt)


class Callback:
    def __init__(self, callback_callable: Callable | str, kwargs: dict[str, Any] | None = None) -> None:
        if kwargs and "context" in kwargs:
            raise ValueError("context is a reserved kwarg for this class")
        self.callback = callback_callable
        self.kwargs = dict(kwargs or {})

    def resolve(self) -> Any:
        if isinstance(self.callback, str):
            module, _, name = self.callback.rpartition(".")
            return getattr(importlib.import_module(module), name)
        return self.callback

    def run(self, context: dict[str, Any]) -> Any:
        """Call the callback as Airflow does: a notifier class is built with the kwargs and the
        context, then notified; a function gets the kwargs and `context`."""
        target = self.resolve()
        if inspect.isclass(target):
            notifier = target(**self.kwargs)
            return notifier(context)
        result = target(**self.kwargs, context=context)
        if inspect.isawaitable(result):
            import asyncio

            return asyncio.run(_awaited(result))
        return result


async def _awaited(result: Any) -> Any:
    return await result


class AsyncCallback(Callback):
    pass


class SyncCallback(Callback):
    pass


class DeadlineAlert:
    def __init__(self, reference: BaseDeadlineReference, interval: datetime.timedelta, callback: Callback,
                 name: str | None = None) -> None:
        if not isinstance(callback, Callback):
            raise ValueError(f"Callbacks of type {type(callback).__name__} are not currently supported")  # noqa: TRY004 (as Airflow)
        if not isinstance(reference, BaseDeadlineReference):
            raise TypeError(f"{reference!r} is not a deadline reference")
        self.reference = reference
        self.interval = interval
        self.callback = callback
        self.name = name

    def deadline_time(self, run: Any) -> datetime.datetime | None:
        base = self.reference.base(run)
        return None if base is None else base + self.interval


def alerts_of(deadline: Any) -> list[DeadlineAlert]:
    if deadline is None:
        return []
    alerts = list(deadline) if isinstance(deadline, (list, tuple)) else [deadline]
    for alert in alerts:
        if not isinstance(alert, DeadlineAlert):
            raise TypeError(f"DAG deadline must be a DeadlineAlert or a list of them, not {type(alert).__name__}")
    return alerts
