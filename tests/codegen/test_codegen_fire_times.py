"""The fast fire-time arithmetic agrees with croniter and with Airflow's algorithm over croniter.

`NaiveCalendar.next_after` replaces a croniter construction per step (a cross-DAG link looked at
hundreds of fire times: 0.25 s a link); these properties hold it to croniter's reading of the fields
and `airflow_fire_times` to `CronMixin._get_next` as Airflow writes it.
"""

from __future__ import annotations

import datetime as dt
from itertools import islice
from zoneinfo import ZoneInfo

import pytest
from croniter import CroniterError, croniter
from fuzz_profiles import fuzz_examples
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.codegen.timetable import airflow_fire_times, naive_calendar


def _field(low: int, high: int):
    value = st.integers(low, high)
    return st.one_of(
        st.just("*"),
        value.map(str),
        st.tuples(value, value).map(lambda r: f"{min(r)}-{max(r)}"),
        st.tuples(value, st.integers(1, high - low + 1)).map(lambda s: f"{s[0]}/{s[1]}"),
        st.integers(1, high - low + 1).map(lambda step: f"*/{step}"),
        st.lists(value, min_size=2, max_size=4).map(lambda v: ",".join(map(str, sorted(set(v))))),
    )


expressions = st.tuples(
    _field(0, 59), _field(0, 23), _field(1, 31), _field(1, 12), _field(0, 7)
).map(" ".join)
moments = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2060, 12, 31))
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]


def _croniter_fires(expression: str) -> bool:
    try:
        croniter(expression, dt.datetime(2025, 1, 1)).get_next(dt.datetime)
    except CroniterError:  # croniter gives up on dates that never come (31 February)
        return False
    return True


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(300))
@given(expressions, moments)
def test_next_after_is_croniters_get_next(expression: str, start: dt.datetime) -> None:
    if not _croniter_fires(expression):
        return
    calendar = naive_calendar(expression)
    it = croniter(expression, start)
    current = start
    for _ in range(5):
        expected = it.get_next(dt.datetime)
        assert calendar.next_after(current) == expected, (expression, current)
        current = expected


def _airflow_get_next(expression: str, timezone: str, after: dt.datetime):
    """`CronMixin._get_next` chained, with croniter, exactly as Airflow does (the former code)."""
    zone = ZoneInfo(timezone)
    current = after.astimezone(dt.timezone.utc)
    while True:
        naive = current.astimezone(zone).replace(tzinfo=None)
        it = croniter(expression, naive)
        scheduled = it.get_next(dt.datetime)
        if it.expanded[1] == ["*"]:
            following = current + (scheduled - naive)
        else:
            first = scheduled.replace(tzinfo=zone, fold=0)
            second = scheduled.replace(tzinfo=zone, fold=1)
            back = second.astimezone(dt.timezone.utc).astimezone(zone).replace(tzinfo=None)
            if back != scheduled:
                gap = abs(second.utcoffset() - first.utcoffset())
                following = (scheduled + gap).replace(tzinfo=zone)
            else:
                following = second
        current = following.astimezone(dt.timezone.utc)
        yield current


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(150))
@given(
    expressions,
    st.sampled_from(ZONES),
    st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2026, 12, 31)),
)
def test_airflow_fire_times_are_airflows_across_clock_changes(
    expression: str, zone: str, start: dt.datetime
) -> None:
    if not _croniter_fires(expression):
        return
    after = start.replace(tzinfo=dt.timezone.utc)
    ours = list(islice(airflow_fire_times(expression, zone, after), 30))
    theirs = list(islice(_airflow_get_next(expression, zone, after), 30))
    assert ours == theirs


def test_clock_changes_of_an_hourly_and_a_daily_schedule() -> None:
    fall_back = dt.datetime(2025, 10, 26, 0, 0, tzinfo=dt.timezone.utc)  # Paris 03:00 -> 02:00
    for expression in ("30 * * * *", "30 2 * * *", "*/20 1-3 * * *"):
        ours = list(islice(airflow_fire_times(expression, "Europe/Paris", fall_back), 8))
        assert ours == list(islice(_airflow_get_next(expression, "Europe/Paris", fall_back), 8))


def test_shared_upstream_runs_give_the_links_the_search_would(monkeypatch) -> None:
    from migrator.codegen import plan as plan_module
    from migrator.codegen.plan import CodegenOptions, plan_pipeline
    from migrator.crontab.parser import parse_crontab
    from migrator.infer import infer_pipeline

    text = (
        "0 1 * * * /opt/load_orders.py --out /data/orders.csv\n"
        "*/20 * * * * /opt/poll_prices.py --out /data/prices.csv\n"
        "0 0 29 2 * /opt/leap_snapshot.py --out /data/leap.csv\n"
        + "".join(
            f"{m} {h} * * {d} /opt/weekly_{i}.py --in /data/orders.csv --in /data/prices.csv "
            f"--in /data/leap.csv --out /data/w{i}.csv\n"
            for i, (m, h, d) in enumerate([(0, 0, 1), (30, 1, 3), (59, 23, 0), (5, 2, 6)])
        )
        + "CRON_TZ=Europe/Paris\n15 2 1 * * /opt/monthly.py --in /data/orders.csv --out /data/m.csv\n"
    )
    pipeline = infer_pipeline(parse_crontab(text, "links.cron", system=False))
    assert len(pipeline.cross_dag_edges) >= 8

    def links(plan):
        return sorted(
            (link.external_dag_id, link.task_id, link.execution_delta, link.note)
            for dag in plan.dags
            for link in dag.links
        )

    shared = links(plan_pipeline(pipeline, CodegenOptions()))
    monkeypatch.setattr(
        plan_module._UpstreamRuns, "latest", lambda self, cutoff: plan_module._UNKNOWN
    )
    searched = links(plan_pipeline(pipeline, CodegenOptions()))
    assert shared == searched
