"""Retry classes from cron commands, retries per class, and the timing of sensors and deadlines."""

from __future__ import annotations

import datetime as dt

import pytest
from fuzz_profiles import fuzz_examples
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.codegen.failures import (
    FailureClass,
    _appends,
    _simple_commands,
    appends,
    classify,
    retry_idiom,
)
from migrator.codegen.plan import CodegenOptions
from migrator.codegen.readiness import plan_retries
from migrator.codegen.timetable import plan_timetable
from migrator.codegen.timing import plan_deadline, poke_interval, sensor_timeout, shortest_gap
from migrator.crontab.parser import parse_crontab

APPEND, SQL, TRANSFER, OTHER = (
    FailureClass.APPEND,
    FailureClass.SQL,
    FailureClass.TRANSFER,
    FailureClass.OTHER,
)

CASES = [
    ("curl -sf https://api.example.com/x -o /data/x.json", TRANSFER, "`curl`"),
    ("wget -q https://example.com/f.csv", TRANSFER, "`wget`"),
    ("rsync -a partner:/out/ /data/in/", TRANSFER, "`rsync`"),
    ("scp host:/x /y", TRANSFER, "`scp`"),
    ("sshpass -p 's3cret' rsync -avz /data/out/ user@backup:/in/", TRANSFER, "`rsync`"),
    ("sshpass -f /etc/pw -P assphrase scp /x host:/y", TRANSFER, "`scp`"),
    ("aws s3 sync s3://b/in /data/in", TRANSFER, "`aws s3 sync"),
    ("gsutil -m cp gs://b/x /data/x", TRANSFER, "`gsutil"),
    ("python3 /opt/etl/fetch_orders.py", TRANSFER, "by its name"),
    ("python3 ingest_from_rest_api.py", TRANSFER, "by its name"),
    ("python3 /opt/etl/download_rates.sh", TRANSFER, "by its name"),
    ("python transform_api_data.py", OTHER, "nothing"),
    ("python ingest_from_database.py", OTHER, "nothing"),
    ("psql -f transform.sql", SQL, "`psql`"),
    ("mysql db -e 'UPDATE t SET x = 1'", SQL, "`mysql`"),
    ("dbt run --select daily", SQL, "`dbt run`"),
    ("psql -c 'DELETE FROM t WHERE d = 1; INSERT INTO t SELECT * FROM s'", SQL, "`psql`"),
    ("psql -c 'INSERT INTO t SELECT * FROM s'", APPEND, "INSERT INTO"),
    ('echo "INSERT INTO t VALUES (1)" | mysql db', APPEND, "INSERT INTO"),
    ("psql -c \"\\copy t FROM 'x.csv' csv\"", APPEND, "COPY ... FROM"),
    ("bq load ds.t gs://b/x.csv", APPEND, "`bq load`"),
    ("mysqlimport db /data/t.csv", APPEND, "`mysqlimport`"),
    ("python3 prices.py >> /data/prices.csv", APPEND, "`/data/prices.csv`"),
    ("curl -s https://x/y | tee -a /data/y.jsonl", APPEND, "tee -a"),
    ("for d in a b; do fetch $d; done >> /data/all.txt", APPEND, "`/data/all.txt`"),
    ("/opt/etl/run.sh >> /var/log/etl.log 2>&1", OTHER, "nothing"),
    ("/opt/etl/run.sh >> run.out", OTHER, "nothing"),
    ("/opt/etl/run.sh 2>> /data/errors.txt", OTHER, "nothing"),
    ("/opt/etl/run.sh >> /srv/etl/logs/run 2>&1", OTHER, "nothing"),
    ("psql -f load.sql >> /var/log/load.log 2>&1", SQL, "`psql`"),
]


@pytest.mark.parametrize(("command", "failure", "why"), CASES)
def test_commands_are_classed_by_how_they_fail(
    command: str, failure: FailureClass, why: str
) -> None:
    found = classify(command)
    assert found.failure is failure, found
    assert why in found.why


def test_sql_in_standard_input_counts() -> None:
    assert classify("psql db", "INSERT INTO t SELECT 1;").failure is APPEND
    assert appends("cat", "INSERT INTO t SELECT 1;") is None  # no SQL client: just text


@pytest.mark.parametrize(
    ("command", "retries", "delay"),
    [
        ("psql -f x.sql || psql -f x.sql", 1, None),
        ("psql -f x.sql || { sleep 60; psql -f x.sql; }", 1, 60),
        ("psql -f x.sql || (sleep 30; psql -f x.sql) || (sleep 30; psql -f x.sql)", 2, 30),
        ("for i in 1 2 3; do psql -f x.sql && break; sleep 10; done", 2, 10),
        ("retry -t 4 -- psql -f x.sql", 3, None),
    ],
)
def test_the_crontab_own_retries_are_read(command: str, retries: int, delay: int | None) -> None:
    idiom = retry_idiom(command)
    assert idiom is not None
    assert idiom.retries == retries
    assert idiom.delay == (dt.timedelta(seconds=delay) if delay else None)


@pytest.mark.parametrize(
    "command", ["a || b", "psql -f x.sql || sleep 60 && psql -f x.sql", "a; a"]
)
def test_other_lists_are_not_retry_idioms(command: str) -> None:
    assert retry_idiom(command) is None


def _entry(command: str):
    return parse_crontab(f"0 2 * * * {command}\n", "t.crontab").entries[0]


@pytest.mark.parametrize(
    ("command", "retries", "backoff", "codes"),
    [
        ("curl -sf https://x/y -o /data/y", 3, True, (2, 3, 126, 127)),
        ("rsync -a a:/x /y && touch /y/.done", 3, True, (126, 127)),
        ("sshpass -p pw rsync -a a:/x /y", 3, True, (1, 126, 127)),  # sshpass 1: a usage error too
        ("psql -f t.sql", 0, False, ()),
        ("psql -f t.sql || psql -f t.sql", 1, False, (126, 127)),
        ("python3 load.py >> /data/out.csv", 0, False, ()),
        ("/opt/etl/run.sh", 2, False, (126, 127)),
    ],
)
def test_retries_follow_the_failure_class(
    command: str, retries: int, backoff: bool, codes: tuple
) -> None:
    plan = plan_retries(_entry(command), CodegenOptions())
    assert (plan.retries, plan.exponential_backoff, plan.permanent_exit_codes) == (
        retries,
        backoff,
        codes,
    )
    assert not plan.overridden


def test_the_retries_option_overrides_every_class() -> None:
    for command in ("python3 load.py >> /data/out.csv", "psql -f t.sql", "curl -s https://x"):
        plan = plan_retries(_entry(command), CodegenOptions(retries=4))
        assert plan.retries == 4 and plan.overridden
        assert "--retries" in plan.describe()
    assert (
        plan_retries(_entry("curl -s https://x"), CodegenOptions(retries=0)).permanent_exit_codes
        == ()
    )


def _table(expression: str, zone: str = "UTC"):
    entry = parse_crontab(f"{expression} run\n", "t.crontab").entries[0]
    return plan_timetable(expression, zone, entry.schedule)


START = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


def test_sensors_stop_waiting_shortly_before_the_next_run() -> None:
    daily = shortest_gap(_table("0 2 * * *"), START)
    assert daily == dt.timedelta(days=1)
    assert sensor_timeout(daily) == dt.timedelta(hours=23, minutes=55)
    minutely = shortest_gap(_table("* * * * *"), START)
    assert sensor_timeout(minutely) == dt.timedelta(seconds=54)
    # weekdays: the shortest gap counts, not the weekend's
    assert shortest_gap(_table("0 6 * * 1-5"), START) == dt.timedelta(days=1)
    # the spring-forward night is the shortest day of a local calendar
    assert shortest_gap(_table("30 1 * * *", "Europe/Paris"), START) == dt.timedelta(hours=23)
    # a wait loop's own deadline and --sensor-timeout shorten the wait
    assert sensor_timeout(daily, dt.timedelta(hours=1)) == dt.timedelta(hours=1)
    assert sensor_timeout(daily, None, dt.timedelta(seconds=30)) == dt.timedelta(seconds=30)


def test_poke_interval_follows_the_wait_loop_or_the_timeout() -> None:
    assert poke_interval(dt.timedelta(hours=23), None) == dt.timedelta(minutes=5)
    assert poke_interval(dt.timedelta(seconds=54), None) == dt.timedelta(seconds=30)
    assert poke_interval(dt.timedelta(hours=1), dt.timedelta(seconds=7)) == dt.timedelta(seconds=7)


def test_the_deadline_is_the_latest_cron_start_plus_the_margin() -> None:
    table = _table("0 1 * * *", "Europe/Paris")
    offsets = {
        "extract": dt.timedelta(0),
        "load": dt.timedelta(hours=2),
        "report": dt.timedelta(hours=5),
    }
    deadline = plan_deadline(table, offsets, dt.timedelta(minutes=30), ("ops@example.com",), START)
    assert deadline is not None
    assert deadline.interval == dt.timedelta(hours=5, minutes=30)
    assert deadline.latest_task == "report"
    assert deadline.example_deadline.strftime("%H:%M") == "06:30"
    assert "`report`, the last of its jobs, at 06:00" in deadline.describe()


_PROGRAMS = [
    "tee",
    "bq",
    "mysqlimport",
    "psql",
    "mysql",
    "sqlite3",
    "cat",
    "echo",
    "sudo tee",
    "flock /tmp/l tee",
]
_ARGUMENTS = [
    "-a",
    "--append",
    "load",
    "--replace",
    "-d",
    "--delete",
    "db",
    "-c",
    "-e",
    "INSERT",
    "INTO",
    "t",
    "SELECT",
    "1",
    "COPY",
    "FROM",
    "LOAD",
    "DATA",
    "INFILE",
    "DELETE",
    "/data/x.csv",
    ">> /data/log",
    "> /data/out",
]
_SIMPLE = st.builds(
    lambda program, arguments: " ".join([program, *arguments]),
    st.sampled_from(_PROGRAMS),
    st.lists(st.sampled_from(_ARGUMENTS), max_size=6),
)


@settings(max_examples=fuzz_examples(300), deadline=None)
@given(st.lists(_SIMPLE, min_size=1, max_size=3), st.sampled_from([" | ", "; ", " && "]))
def test_the_shortcut_before_the_shell_parse_never_changes_the_answer(
    simples: list[str], joiner: str
) -> None:
    """`appends` skips the shell parse for text none of its patterns could match: a pattern added to
    `_appends` without its word in the shortcut would make this fail."""
    command = joiner.join(simples)
    assert appends(command) == _appends(_simple_commands(command, None), None)
