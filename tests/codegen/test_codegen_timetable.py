"""The timetable codegen emits fires exactly when cron fires (checked against the crontab model)."""

from __future__ import annotations

import datetime as dt
from itertools import islice

import pytest
from codegen_support import cross, dag, edge, entry, pipeline, schedule, task

from migrator.codegen.plan import CodegenOptions, plan_pipeline
from migrator.codegen.timetable import airflow_fire_times, plan_timetable
from migrator.crontab.schedule import canonical, next_fire_times

AFTER = dt.datetime(2025, 1, 1, 0, 0, 30, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    "text",
    [
        "0 0 * * *",
        "*/15 9-17 * * 1-5",
        "0 0 */2 * 1",  # odd days AND Mondays
        "30 6 1-7 * */2",  # first week AND even weekdays (dow starts with *)
        "0 12 1-31 * 1",  # OR with a full day-of-month: every day
        "0 0 1,15 * 5",  # OR: the 1st, the 15th and Fridays
        "5 4 * * 0,7",
        "0 0 29 2 *",
    ],
)
@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_croniter_reading_with_guard_equals_cron(text: str, zone: str) -> None:
    parsed = schedule(text)
    table = plan_timetable(canonical(parsed), zone, parsed)
    fired = (t for t in airflow_fire_times(table.expression, zone, AFTER) if table.guard is None or table.guard.admits(t))
    expected = [t.astimezone(dt.timezone.utc) for t in next_fire_times(parsed, AFTER, 120, default_tz=zone)]
    assert list(islice(fired, 120)) == expected


def test_and_days_get_a_guard_on_the_wider_field() -> None:
    table = plan_timetable("0 0 */2 * 1", "UTC", schedule("0 0 */2 * 1"))
    assert table.expression == "0 0 * * 1"  # Mondays (52 a year) rather than odd days (186)
    assert table.guard is not None and table.guard.field == "day"
    assert "cron_calendar_guard" in table.notes[0]


def test_plain_schedules_have_no_guard_or_note() -> None:
    table = plan_timetable("0 3 * * *", "UTC", schedule("0 3 * * *"))
    assert (table.expression, table.guard, table.notes) == ("0 3 * * *", None, ())


def test_cross_dag_delta_is_the_latest_upstream_run_before_the_downstream_job() -> None:
    daily = dag("etl", [task("load", entry(1, "0 3 * * *", "load"))])
    weekly = dag("report", [task("report", entry(2, "0 6 * * 0", "report"))])
    plan = plan_pipeline(pipeline([daily, weekly], [cross("etl", "load", "report", "report")]), CodegenOptions())
    (link,) = plan.dags[1].links
    assert link.execution_delta == dt.timedelta(hours=3) and link.note is None


def test_cross_dag_delta_that_varies_is_reported() -> None:
    weekdays = dag("etl", [task("load", entry(1, "0 1 * * 1-5", "load"))])
    daily = dag("report", [task("report", entry(2, "0 6 * * *", "report"))])
    plan = plan_pipeline(pipeline([weekdays, daily], [cross("etl", "load", "report", "report")]), CodegenOptions())
    (link,) = plan.dags[1].links
    assert link.execution_delta == dt.timedelta(hours=5)
    assert link.note and "not always" in link.note
    assert any("not always" in n.message for n in plan.notes)


def test_cross_dag_delta_from_a_frequent_upstream_looks_only_near_each_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # an hourly extract read by a monthly report: 400 monthly runs span 33 years, 290,000 hourly
    # runs; the delta needs only the last upstream run before each downstream one
    from migrator.codegen import plan as plan_module

    drawn = 0

    def counted(*args: object):
        nonlocal drawn
        for moment in airflow_fire_times(*args):
            drawn += 1
            if drawn > 50_000:
                raise AssertionError("enumerated every upstream run")
            yield moment

    monkeypatch.setattr(plan_module, "airflow_fire_times", counted)
    hourly = dag("extract", [task("extract", entry(1, "15 * * * *", "extract"))])
    monthly = dag("report", [task("report", entry(2, "0 6 1 * *", "report"))])
    plan = plan_pipeline(
        pipeline([hourly, monthly], [cross("extract", "extract", "report", "report")]),
        CodegenOptions(),
    )
    (link,) = plan.dags[1].links
    assert link.execution_delta == dt.timedelta(minutes=45) and link.note is None


def test_cross_dag_delta_finds_a_rare_upstream_run() -> None:
    leap_day = dag("census", [task("census", entry(1, "0 0 29 2 *", "census"))])
    daily = dag("report", [task("report", entry(2, "0 6 * * *", "report"))])
    plan = plan_pipeline(
        pipeline([leap_day, daily], [cross("census", "census", "report", "report")]),
        CodegenOptions(),
    )
    (link,) = plan.dags[1].links
    # 2024-02-29 is the last run before the first 400 daily runs from 2025-01-01
    assert link.execution_delta == dt.datetime(2025, 1, 1, 6) - dt.datetime(2024, 2, 29)
    assert link.note and "not always" in link.note


def test_waits_only_for_roots_that_cron_started_later() -> None:
    first = task("a", entry(1, "0 0 * * *", "a"))
    later_root = task("b", entry(2, "30 0 * * *", "b"), 30)
    later_child = task("c", entry(3, "0 1 * * *", "c"), 60)
    plan = plan_pipeline(pipeline([dag("d", [first, later_root, later_child], [edge("a", "c")])]), CodegenOptions())
    assert [(w.task_id, w.delay) for w in plan.dags[0].waits] == [("wait_for_b", dt.timedelta(minutes=30))]
    no_wait = plan_pipeline(
        pipeline([dag("d", [first, later_root, later_child], [edge("a", "c")])]),
        CodegenOptions(wait_for_original_time=False),
    )
    assert no_wait.dags[0].waits == ()


def test_task_variables_never_shadow_module_names() -> None:
    tasks = [task("dag", entry(1, "0 0 * * *", "a")), task("2fast", entry(2, "0 0 * * *", "b")), task("for", entry(3, "0 0 * * *", "c"))]
    plan = plan_pipeline(pipeline([dag("d", tasks)]), CodegenOptions())
    assert [t.variable for t in plan.dags[0].tasks] == ["dag_task", "task_2fast", "for_task"]
