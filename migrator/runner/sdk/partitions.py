"""Partitioned assets (Airflow 3.2+): the schedules and mappers are accepted, the partitions are not acted on.

Airflow's scheduler makes partition-keyed runs from asset events and these declarations. The local
runner makes the runs `run` and `backfill` ask for, without a partition key (as a manual `airflow dags
test` run has none): a `CronPartitionTimetable` schedules like the cron trigger timetable it extends, a
`PartitionedAssetTimetable` is asset-triggered, `PartitionedAtRuntime` runs only when triggered. The
mappers, windows and wait policies only describe how Airflow would align partitions; they are kept as
given. `outlet_events[asset].add_partitions(...)` checks its keys as Airflow does.
"""

from __future__ import annotations

import enum
from typing import Any

from migrator.runner.timetables import AssetTriggeredTimetable, CronTriggerTimetable, NullTimetable


class _Declaration:
    """A partition declaration the runner keeps without acting on it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs

    def __repr__(self) -> str:
        shown = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{type(self).__name__}({', '.join(shown)})"


class PartitionMapper(_Declaration):
    pass


class IdentityMapper(PartitionMapper):
    pass


class AllowedKeyMapper(PartitionMapper):
    pass


class FixedKeyMapper(PartitionMapper):
    pass


class ChainMapper(PartitionMapper):
    pass


class ProductMapper(PartitionMapper):
    pass


class RollupMapper(PartitionMapper):
    pass


class FanOutMapper(PartitionMapper):
    pass


class StartOfHourMapper(PartitionMapper):
    pass


class StartOfDayMapper(PartitionMapper):
    pass


class StartOfWeekMapper(PartitionMapper):
    pass


class StartOfMonthMapper(PartitionMapper):
    pass


class StartOfQuarterMapper(PartitionMapper):
    pass


class StartOfYearMapper(PartitionMapper):
    pass


class Window(_Declaration):
    class Direction(enum.Enum):
        FORWARD = "forward"
        BACKWARD = "backward"


class HourWindow(Window):
    pass


class DayWindow(Window):
    pass


class WeekWindow(Window):
    pass


class MonthWindow(Window):
    pass


class QuarterWindow(Window):
    pass


class YearWindow(Window):
    pass


class SegmentWindow(Window):
    pass


class WaitPolicy(_Declaration):
    pass


class WaitForAll(WaitPolicy):
    pass


class MinimumCount(WaitPolicy):
    pass


class CronPartitionTimetable(CronTriggerTimetable):
    """A cron trigger timetable whose runs Airflow keys by partition; here it schedules as the cron does."""

    def __init__(self, cron: str, *, timezone: Any, **partitioning: Any) -> None:
        super().__init__(cron, timezone=timezone)
        self.partitioning = partitioning


class PartitionedAssetTimetable(AssetTriggeredTimetable):
    def __init__(self, *, assets: Any, default_partition_mapper: Any = None,
                 partition_mapper_config: Any = None, **more: Any) -> None:
        from migrator.runner.sdk.assets import AssetAll, BaseAsset

        super().__init__(assets if isinstance(assets, BaseAsset) else AssetAll(*assets))
        self.default_partition_mapper = default_partition_mapper
        self.partition_mapper_config = partition_mapper_config or {}


class PartitionedAtRuntime(NullTimetable):
    """Runs when triggered; its tasks name the partitions they produce with `add_partitions`."""


PARTITION_KEY_MAX_LENGTH = 250


def check_partition_keys(keys: str | list[str]) -> list[str]:
    """Airflow's checks of `outlet_events[asset].add_partitions(keys)`."""
    keys = [keys] if isinstance(keys, str) else list(keys)
    for key in keys:
        if not key.strip():
            raise ValueError(f"partition_key must not be empty or whitespace-only; got {key!r}.")
        if len(key) > PARTITION_KEY_MAX_LENGTH:
            raise ValueError(f"partition_key must be at most {PARTITION_KEY_MAX_LENGTH} characters; got {len(key)}.")
    return keys


NAMES = ("AllowedKeyMapper", "ChainMapper", "CronPartitionTimetable", "DayWindow", "FanOutMapper", "FixedKeyMapper",
         "HourWindow", "IdentityMapper", "MinimumCount", "MonthWindow", "PartitionedAtRuntime",
         "PartitionedAssetTimetable", "PartitionMapper", "ProductMapper", "QuarterWindow", "RollupMapper",
         "SegmentWindow", "StartOfDayMapper", "StartOfHourMapper", "StartOfMonthMapper", "StartOfQuarterMapper",
         "StartOfWeekMapper", "StartOfYearMapper", "WaitForAll", "WeekWindow", "Window", "YearWindow")
