"""Readiness guards in cron commands: what is recognised, what a sensor waits for, what stays."""

from __future__ import annotations

import datetime as dt

import pytest
from codegen_support import airflow_render
from hypothesis import given, settings
from hypothesis import strategies as st
from test_codegen_command import cron_commands, expected_bash_input

from migrator.codegen.command import embed_command, to_template
from migrator.codegen.guards import read_guards
from migrator.shelltree import parse

ENV = {"HOME": "/srv/etl", "DATA": "/data"}


def read(command: str, timezone: str = "UTC", offset: dt.timedelta = dt.timedelta(0)):
    return read_guards(command, env=ENV, timezone=timezone, offset=offset)


# command, signal kind, signal text, soft, exact, idiom, what runs after the sensor
CONVERTED = [
    ("[ -f /data/in.csv ] && /opt/load.sh", "file", "/data/in.csv", False, True, "and-list", "/opt/load.sh"),
    ("[[ -e /data/in.csv ]] && load", "file", "/data/in.csv", False, True, "and-list", "load"),
    ("test -e /data/in.csv && load x", "file", "/data/in.csv", False, True, "and-list", "load x"),
    ("[ -s /data/in.csv ] && load", "file", "/data/in.csv", False, False, "and-list", "[ -s /data/in.csv ] && load"),
    ("[ -f /data/a ] && load || true", "file", "/data/a", True, True, "and-list", "load || true"),
    ("[ -f $DATA/in.csv ] && load", "file", "/data/in.csv", False, True, "and-list", "load"),
    ('[ -f "${DATA}/in put.csv" ] && load', "file", "/data/in put.csv", False, True, "and-list", "load"),
    ("[ -f in/x.csv ] && load", "file", "/srv/etl/in/x.csv", False, True, "and-list", "load"),
    ("[ -f ~/in/x.csv ] && load", "file", "/srv/etl/in/x.csv", False, True, "and-list", "load"),
    ("[ -f /data/*.csv ] && load", "file", "/data/*.csv", False, False, "and-list", "[ -f /data/*.csv ] && load"),
    ("[ -f /data/x ] || exit 0; load; report", "file", "/data/x", True, True, "exit", "load; report"),
    ("[ -f /data/x ] || exit 0 && load", "file", "/data/x", True, True, "exit", "load"),
    ("[ -f /data/x ] || exit; load", "file", "/data/x", False, True, "exit", "load"),
    ("[ -f /data/x ] || exit 3; load", "file", "/data/x", False, True, "exit", "load"),
    ("if [ -f /data/x ]; then load; report; fi", "file", "/data/x", True, True, "if", "load; report"),
    ("if test -e /data/x\nthen load\nfi", "file", "/data/x", True, True, "if", "load"),
    ("while [ ! -f /data/x ]; do sleep 30; done; load", "file", "/data/x", False, True, "wait-loop", "load"),
    ("while ! test -f /data/x; do sleep 1m; done && load", "file", "/data/x", False, True, "wait-loop", "load"),
    ("until [ -f /data/x ]; do sleep 5; done\nload", "file", "/data/x", False, True, "wait-loop", "load"),
    (
        "for i in $(seq 1 30); do [ -f /data/x ] && break; sleep 60; done; [ -f /data/x ] && load",
        "file", "/data/x", False, True, "deadline-loop", "load",
    ),
    (
        "for i in {1..10}; do [ -f /data/x ] && break; sleep 6; done; [ -f /data/x ] || exit 0; load",
        "file", "/data/x", True, True, "deadline-loop", "load",
    ),
    (
        "timeout 1h sh -c 'while [ ! -f /data/x ]; do sleep 60; done' && load",
        "file", "/data/x", False, True, "deadline-loop", "load",
    ),
    ("aws s3 ls s3://b/in/ > /dev/null && load", "s3", "s3://b/in/", False, True, "and-list", "load"),
    ("aws s3 ls --recursive s3://b/in/x && load", "s3", "s3://b/in/x", False, True, "and-list", "load"),
    (
        "aws s3api head-object --bucket b --key in/x.csv >/dev/null 2>&1 && load",
        "s3", "s3://b/in/x.csv", False, True, "and-list", "load",
    ),
    ("gsutil -q stat gs://b/in/_SUCCESS && load", "gcs", "gs://b/in/_SUCCESS", False, True, "and-list", "load"),
    ("hdfs dfs -test -e /w/dt=1/_SUCCESS && load", "hdfs", "/w/dt=1/_SUCCESS", False, True, "and-list", "load"),
    ("hadoop fs -test -e hdfs:///w/x && load", "hdfs", "/w/x", False, True, "and-list", "load"),
    ("hdfs dfs -test -f /w/x && load", "hdfs", "/w/x", False, False, "and-list", "hdfs dfs -test -f /w/x && load"),
]


@pytest.mark.parametrize(("command", "kind", "text", "soft", "exact", "idiom", "rest"), CONVERTED)
def test_guards_are_read_with_their_signal_and_what_runs_after(
    command: str, kind: str, text: str, soft: bool, exact: bool, idiom: str, rest: str
) -> None:
    reading = read(command)
    assert len(reading.guards) == 1, reading
    guard = reading.guards[0]
    assert (guard.signal.kind, guard.signal.text) == (kind, text)
    assert (guard.soft, guard.exact, guard.idiom) == (soft, exact, idiom)
    assert reading.command == rest
    assert reading.unconverted == ()


def test_a_chain_of_guards_gives_one_sensor_each() -> None:
    reading = read("[ -f /data/a ] && [ -e /data/b ] && load")
    assert [g.signal.text for g in reading.guards] == ["/data/a", "/data/b"]
    assert reading.command == "load"


def test_a_guard_that_must_stay_keeps_the_ones_after_it() -> None:
    reading = read("[ -f /data/a ] && [ -s /data/b ] && [ -f /data/c ] && load")
    assert [g.exact for g in reading.guards] == [True, False, False]
    assert reading.command == "[ -s /data/b ] && [ -f /data/c ] && load"


def test_guards_nest_through_if() -> None:
    reading = read("if [ -f /data/a ]; then [ -f /data/b ] && load; fi")
    assert [(g.signal.text, g.soft) for g in reading.guards] == [("/data/a", True), ("/data/b", False)]
    assert reading.command == "load"


def test_wait_loops_keep_their_interval_and_deadline() -> None:
    loop = read("while [ ! -f /data/x ]; do sleep 2m; done; load").guards[0]
    assert (loop.poke_interval, loop.deadline) == (dt.timedelta(minutes=2), None)
    rounds = read("for i in 1 2 3; do [ -f /data/x ] && break; sleep 20; done; [ -f /data/x ] && go")
    assert (rounds.guards[0].poke_interval, rounds.guards[0].deadline) == (
        dt.timedelta(seconds=20),
        dt.timedelta(minutes=1),
    )
    timeout = read("timeout 90 bash -c 'until test -e /data/x; do sleep 5; done' && go").guards[0]
    assert (timeout.poke_interval, timeout.deadline) == (dt.timedelta(seconds=5), dt.timedelta(seconds=90))


def test_date_templated_paths_become_logical_date_templates() -> None:
    reading = read(
        "[ -f /data/in/$(date +%F)/_SUCCESS ] && load", timezone="Europe/Paris", offset=dt.timedelta(hours=2)
    )
    signal = reading.guards[0].signal
    assert signal.is_marker
    template = to_template(list(signal.location.segments))
    assert template == (
        "/data/in/{{ logical_date.add(hours=2).in_timezone('Europe/Paris').strftime('%F') }}/_SUCCESS"
    )
    s3 = read('aws s3 ls "s3://b/d=$(date -d yesterday +%Y%m%d)/" && load').guards[0].signal
    assert (s3.bucket, s3.prefix) == ("b", True)
    assert to_template(list(s3.location.segments)) == (
        "d={{ logical_date.in_timezone('UTC').subtract(days=1).strftime('%Y%m%d') }}/"
    )


# command, why it stays a plain command
NOT_CONVERTED = [
    ("[ -f /data/a ] && load || echo missing | mail ops", "runs something else when the check fails"),
    ("[ -f /data/a ] && load; cleanup", "goes on after the guarded part"),
    ("[ -e /usr/sbin/fwtool ] && /usr/sbin/fwtool --run", "checks that a program is installed"),
    ("[ -f /opt/app/run.sh ] && bash /opt/app/run.sh", "checks that a program is installed"),
    ("[ -f /tmp/q.json.1 ] && rm /tmp/q.json.1", "removes the file it checks"),
    ("[ -e /data/in/run.sh ] && mv /data/in/run.sh /data/in/run.ran && bash /data/in/run.ran", "moves or removes"),
    ("if [ -f /srv/app/artisan ]; then cd /srv/app && php artisan schedule:run; fi", "a program is installed"),
    ("[ -e /etc/monit/conf-enabled/app ] && monit monitor app", "the host's setup (a path under etc/)"),
    ("[ -f /data/campus/enabled ] && /data/campus/bin/login.sh", "a switch (`enabled`)"),
    ("[ -s /var/log/app/errors.log ] && mail -s errors ops < /var/log/app/errors.log", "watches a log file"),
    ("[ -f $JOBDIR/x ] && load", "$JOBDIR is not set in the crontab"),
    ("[ -f $(ls -t /data/*.csv | head -1) ] && load", "computed by the job's shell"),
    ("[ -f /data/$(($RANDOM)) ] && load", "shell arithmetic"),
    ("aws s3 ls --profile prod s3://b/x && load", "choose an account or endpoint"),
    ("gsutil -q stat gs://b/in/*.csv && load", "wildcards"),
    ("hdfs dfs -test -e hdfs://nn:8020/w/x && load", "names a file system"),
    ("if [ -f /data/x ]; then load; else alert; fi", "`else` branch"),
    ("if [ -f /data/x ]; then load; fi >> /var/log/load.log", "redirection after `fi`"),
    ("for i in 1 2 3; do [ -f /data/x ] && break; sleep 60; done; load", "whether or not the signal came"),
    ("timeout 60 sh -c 'while [ ! -f /data/x ]; do sleep 5; done'; load", "whether or not the signal came"),
]


@pytest.mark.parametrize(("command", "reason"), NOT_CONVERTED)
def test_checks_that_do_not_gate_data_stay_with_the_reason(command: str, reason: str) -> None:
    reading = read(command)
    assert reading.guards == ()
    assert reading.command == command
    assert len(reading.unconverted) >= 1
    assert reason in reading.unconverted[0].reason


@pytest.mark.parametrize(
    "command",
    [
        "[ ! -f /tmp/lock ] && run",  # waits for nothing: a lock
        "[ -e /run/maintenance ] || /opt/check.sh",  # runs when the file is absent
        "[ -x /usr/bin/php ] && php x.php",  # -x is not an existence check
        "python3 load.py",
        "cat <<EOF",  # more shell than the reader follows
    ],
)
def test_other_commands_are_left_alone_without_a_note(command: str) -> None:
    reading = read(command)
    assert (reading.guards, reading.command, reading.unconverted) == ((), command, ())


def test_relative_paths_need_a_working_directory() -> None:
    reading = read_guards("[ -f in/x.csv ] && load", env={}, timezone="UTC")
    assert reading.guards == ()
    assert "relative to the job's working directory" in reading.unconverted[0].reason
    with_cwd = read_guards("[ -f in/x.csv ] && load", env={}, cwd="/home/etl", timezone="UTC")
    assert with_cwd.guards[0].signal.text == "/home/etl/in/x.csv"


GUARDS = st.sampled_from(
    [
        "[ -f /data/x ] && {}",
        "test -e /data/x && {}",
        "[ -f /data/x ] || exit 0; {}",
        "if [ -f /data/x ]; then {}\nfi",
        "while [ ! -f /data/x ]; do sleep 5; done; {}",
        "aws s3 ls s3://b/x && {}",
    ]
)


@settings(max_examples=300, deadline=None)
@given(GUARDS, cron_commands)
def test_a_guard_in_front_of_any_command_cuts_exactly_or_not_at_all(guard: str, command: str) -> None:
    """Whatever follows a guard, the reader either leaves the line alone or cuts off exactly the
    guard, and the rest renders back to what cron ran (the nasty-command property of the embedder)."""
    line = guard.format(command)
    reading = read(line)
    if not reading.guards:
        assert reading.command == line
        return
    assert reading.guards[0].signal.text in ("/data/x", "s3://b/x")
    # the guard's check stays whole or goes whole: what runs is the line or a piece of the command
    assert reading.command == line or reading.command in command
    embedded = embed_command(reading.command, rewrite=False)
    assert airflow_render(embedded.template) == expected_bash_input(reading.command)


def test_the_shell_tree_keeps_exact_spans() -> None:
    text = 'a "x; y" && if [ -f /d ]; then b | c; fi >> log; d'
    tree = parse(text)
    assert tree is not None
    first, second = tree.items
    assert text[first.start : first.end] == 'a "x; y" && if [ -f /d ]; then b | c; fi >> log'
    assert text[second.start : second.end] == "d"
    assert tree.terminators == (";", "")
