"""Who a generated DAG belongs to: decided from the crontab, never from the machine running migrate."""

from __future__ import annotations

import pytest
from codegen_support import dag, entry, pipeline, task

from migrator.codegen.emit import render_dag
from migrator.codegen.targets import AIRFLOW_3
from migrator.codegen.plan import CodegenOptions, plan_pipeline


def owner_plan(tasks, source="etl.crontab", owner=None):
    plan = plan_pipeline(pipeline([dag("etl", tasks)], source=source), CodegenOptions(owner=owner))
    return plan.dags[0], [n.message for n in plan.notes]


def test_the_owner_option_wins_over_everything():
    users = [task("a", entry(1, "0 0 * * *", "a", user="etl"))]
    plan, notes = owner_plan(users, owner="data-platform")
    assert plan.owner == "data-platform"
    assert not any("no owner" in n for n in notes)


def test_the_user_column_is_the_owner_and_several_users_are_joined():
    one, _ = owner_plan([task("a", entry(1, "0 0 * * *", "a", user="etl"))])
    assert one.owner == "etl"
    two, _ = owner_plan(
        [task("a", entry(1, "0 0 * * *", "a", user="root")), task("b", entry(2, "0 0 * * *", "b", user="etl"))]
    )
    assert two.owner == "etl,root"


@pytest.mark.parametrize(
    ("source", "owner"),
    [
        ("/var/spool/cron/crontabs/alice", "alice"),  # Debian
        ("/var/spool/cron/bob", "bob"),  # cronie
        ("backup/var/spool/cron/crontabs/carol", "carol"),
        ("/var/spool/cron/crontabs", None),
        ("crontabs/alice", None),
    ],
)
def test_a_spool_file_belongs_to_its_account(source, owner):
    plan, _ = owner_plan([task("a", entry(1, "0 0 * * *", "a"))], source=source)
    assert plan.owner == owner


def test_mailto_is_the_owner_when_nothing_else_names_one():
    env = (("MAILTO", "etl-alerts@example.com"),)
    plan, _ = owner_plan([task("a", entry(1, "0 0 * * *", "a", env))])
    assert plan.owner == "etl-alerts@example.com"


def test_no_owner_is_said_in_the_notes_and_none_is_invented():
    plan, notes = owner_plan([task("a", entry(1, "0 0 * * *", "a"))])
    assert plan.owner is None
    assert any("DAG etl has no owner" in n and "--owner" in n for n in notes)
    assert "owner" not in render_dag(plan, AIRFLOW_3)


def test_a_task_of_another_user_keeps_its_own_owner():
    tasks = [task("a", entry(1, "0 0 * * *", "a", user="root")), task("b", entry(2, "0 0 * * *", "b", user="etl"))]
    source = render_dag(owner_plan(tasks)[0], AIRFLOW_3)
    assert '"owner": "etl,root"' in source
    assert source.count('owner="root"') == 1 and source.count('owner="etl"') == 1
