"""The crontab parser: structure, fields, environment, commands, dialects, system format, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator.crontab.model import DEFAULT_DIALECT, Dialect, FieldKind
from migrator.crontab.parser import (
    detect_system,
    load_crontab,
    parse_crontab,
    parse_expression,
    split_command,
)
from migrator.errors import InputError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "crontabs"


def values(expr: str, kind: FieldKind, dialect: Dialect = DEFAULT_DIALECT) -> list[int]:
    return sorted(parse_expression(expr, dialect=dialect).field(kind).values)


def errors_of(text: str, **kwargs) -> list[tuple[int | None, int | None, str]]:
    with pytest.raises(InputError) as caught:
        parse_crontab(text, "t.crontab", **kwargs)
    return [(d.line, d.column, d.message) for d in caught.value.diagnostics]


# ---- the seed pipeline -------------------------------------------------------------------------------


def test_seed_pipeline_is_five_jobs_with_their_comments():
    crontab = load_crontab(FIXTURES / "seed_pipeline.crontab")
    assert not crontab.system
    assert [e.line for e in crontab.entries] == [2, 4, 6, 8, 10]
    assert [e.command for e in crontab.entries] == [
        "python ingest_from_rest_api.py",
        "python ingest_from_database.py",
        "python transform_api_data.py",
        "python combine_api_and_database.py",
        "python load_to_warehouse.py",
    ]
    assert [e.schedule.text for e in crontab.entries] == [
        "0 0 * * *",
        "0 0 * * *",
        "0 1 * * *",
        "0 2 * * *",
        "0 3 * * *",
    ]
    assert crontab.entries[2].comments == (
        "transform API data -- 1 AM (assumes ingestion is done by then)",
    )
    assert crontab.warnings == ()


# ---- fields ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "kind", "expected"),
    [
        ("* * * * *", FieldKind.MINUTE, list(range(60))),
        ("*/15 * * * *", FieldKind.MINUTE, [0, 15, 30, 45]),
        ("5-20/5 * * * *", FieldKind.MINUTE, [5, 10, 15, 20]),
        ("1,2,5-7 * * * *", FieldKind.MINUTE, [1, 2, 5, 6, 7]),
        ("0 */7 * * *", FieldKind.HOUR, [0, 7, 14, 21]),
        ("0 0 1-31/10 * *", FieldKind.DAY_OF_MONTH, [1, 11, 21, 31]),
        ("0 0 * JAN-mar,Dec *", FieldKind.MONTH, [1, 2, 3, 12]),
        ("0 0 * * 7", FieldKind.DAY_OF_WEEK, [0]),
        ("0 0 * * 0-7", FieldKind.DAY_OF_WEEK, list(range(7))),
        ("0 0 * * mon-FRI", FieldKind.DAY_OF_WEEK, [1, 2, 3, 4, 5]),
        ("0 0 * * 5-7", FieldKind.DAY_OF_WEEK, [0, 5, 6]),
        ("0 0 * * */2", FieldKind.DAY_OF_WEEK, [0, 2, 4, 6]),
        ("00 0 * * *", FieldKind.MINUTE, [0]),
        ("*/90 * * * *", FieldKind.MINUTE, [0]),
    ],
)
def test_field_values(expr, kind, expected):
    assert values(expr, kind) == expected


def test_star_flag_follows_the_text_not_the_values():
    schedule = parse_expression("0 0 */2 1-12 1-5")
    assert schedule.field(FieldKind.DAY_OF_MONTH).starts_with_star
    assert not schedule.field(FieldKind.MONTH).starts_with_star
    assert not schedule.field(FieldKind.DAY_OF_WEEK).starts_with_star


def test_cronie_reads_5_0_as_friday_to_sunday_and_debian_rejects_it():
    assert values("0 0 * * 5-0", FieldKind.DAY_OF_WEEK, Dialect.CRONIE) == [0, 5, 6]
    assert values("0 0 * * sat-sun", FieldKind.DAY_OF_WEEK, Dialect.CRONIE) == [0, 6]
    with pytest.raises(InputError, match="reads it as no days at all, cronie as 5-7"):
        parse_expression("0 0 * * 5-0", dialect=Dialect.DEBIAN)


def test_random_ranges_are_cronie_only_and_picked_stably():
    crontab = parse_crontab("10~20 3 * * * a\n~ 4 * * * b\n", dialect=Dialect.CRONIE)
    first, second = crontab.entries
    minute = first.schedule.field(FieldKind.MINUTE)
    assert minute.random_ranges == ((10, 20),)
    assert len(minute.values) == 1 and 10 <= min(minute.values) <= 20
    assert second.schedule.field(FieldKind.MINUTE).random_ranges == ((0, 59),)
    again = parse_crontab("10~20 3 * * * a\n~ 4 * * * b\n", dialect=Dialect.CRONIE)
    assert again.entries[0].schedule == first.schedule
    with pytest.raises(InputError, match="'~' .* is cronie syntax"):
        parse_crontab("10~20 3 * * * a\n", dialect=Dialect.DEBIAN)


@pytest.mark.parametrize(
    ("macro", "equivalent"),
    [
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
    ],
)
def test_macros_mean_their_five_field_equivalent(macro, equivalent):
    schedule = parse_expression(macro)
    expected = parse_expression(equivalent)
    assert schedule.macro == macro
    assert [f.values for f in schedule.fields] == [f.values for f in expected.fields]
    assert [f.starts_with_star for f in schedule.fields] == [
        f.starts_with_star for f in expected.fields
    ]


def test_reboot_has_no_fields():
    crontab = parse_crontab("@reboot /opt/start.sh\n")
    assert crontab.entries[0].schedule.is_reboot
    assert crontab.entries[0].schedule.fields is None


# ---- lines -----------------------------------------------------------------------------------------


def test_environment_lines_follow_cron_load_env():
    text = (
        "A=1\n"
        "  B = two words  \n"
        "C=' padded '\n"
        'D = "x=y"\n'
        '"E F"=quoted name\n'
        "G=\n"
        "H=a # not a comment\n"
        "0 0 * * * job\n"
    )
    crontab = parse_crontab(text)
    assert [(e.name, e.value) for e in crontab.environment] == [
        ("A", "1"),
        ("B", "two words"),
        ("C", " padded "),
        ("D", "x=y"),
        ("E F", "quoted name"),
        ("G", ""),
        ("H", "a # not a comment"),
    ]
    assert crontab.entries[0].env["B"] == "two words"
    assert crontab.environment[1].span.line == 2 and crontab.environment[1].span.column == 3


def test_environment_is_what_is_set_above_each_entry():
    crontab = parse_crontab("A=1\n0 0 * * * one\nA=2\nB=3\n0 1 * * * two\n")
    assert crontab.entries[0].environment == (("A", "1"),)
    assert crontab.entries[1].environment == (("A", "1"), ("A", "2"), ("B", "3"))
    assert crontab.entries[1].env == {"A": "2", "B": "3"}


def test_debian_strips_a_second_pair_of_quotes_and_rejects_empty_values():
    crontab = parse_crontab("A=\"'x'\"\n0 0 * * * j\n", dialect=Dialect.DEBIAN)
    assert crontab.environment[0].value == "x"
    assert parse_crontab("A=\"'x'\"\n0 0 * * * j\n").environment[0].value == "'x'"
    assert 'write G=""' in errors_of("G=\n", dialect=Dialect.DEBIAN)[0][2]


def test_a_line_that_only_looks_like_an_assignment_is_a_job():
    crontab = parse_crontab("0 0 * * * FOO=bar /opt/x.sh\n")
    assert crontab.environment == ()
    assert crontab.entries[0].command == "FOO=bar /opt/x.sh"


def test_comments_blank_lines_and_comment_blocks():
    text = "# header\n\n# about a\n  # indented, still a comment\n0 0 * * * a\n\n0 1 * * * b\n"
    crontab = parse_crontab(text)
    assert [c.text for c in crontab.comments] == ["header", "about a", "indented, still a comment"]
    assert crontab.comments[2].span.column == 3
    assert crontab.blank_lines == (2, 6)
    assert crontab.entries[0].comments == ("about a", "indented, still a comment")
    assert crontab.entries[1].comments == ()


def test_hash_after_the_schedule_is_part_of_the_command():
    entry = parse_crontab("0 0 * * * backup.sh # nightly\n").entries[0]
    assert entry.command == "backup.sh # nightly"


def test_positions_of_entry_schedule_and_fields():
    entry = parse_crontab("\n  */5 1-3 * * mon  run.sh  --x\n").entries[0]
    assert (entry.span.line, entry.span.column) == (2, 3)
    assert entry.span.end_column == len("  */5 1-3 * * mon  run.sh  --x") + 1
    schedule = entry.schedule
    assert (schedule.span.column, schedule.span.end_column) == (3, 18)
    assert [(f.span.column, f.span.end_column) for f in schedule.fields] == [
        (3, 6),
        (7, 10),
        (11, 12),
        (13, 14),
        (15, 18),
    ]
    assert entry.raw_command == "run.sh  --x"


@pytest.mark.parametrize(
    ("raw", "command", "stdin"),
    [
        ("echo hi", "echo hi", None),
        (
            "mail -s hi joe%Joe,%%Where are your kids?%",
            "mail -s hi joe",
            "Joe,\n\nWhere are your kids?\n",
        ),
        ("date +\\%F", "date +%F", None),
        ("printf x%a\\%b", "printf x", "a%b\n"),
        ("cat%", "cat", ""),
        ("echo \\\\%in", "echo \\\\", "in\n"),
    ],
)
def test_percent_signs(raw, command, stdin):
    assert split_command(raw) == (command, stdin)
    entry = parse_crontab(f"0 0 * * * {raw}\n").entries[0]
    assert (entry.raw_command, entry.command, entry.stdin) == (raw, command, stdin)


def test_cronie_prefix_and_option():
    entry = parse_crontab("-0 0 * * * -n /opt/x.sh\n").entries[0]
    assert entry.no_log and entry.mail_only_on_error
    assert entry.command == "/opt/x.sh" and entry.raw_command == "-n /opt/x.sh"
    assert parse_crontab("-@daily x\n").entries[0].no_log
    assert "cronie syntax" in errors_of("-0 0 * * * x\n", dialect=Dialect.DEBIAN)[0][2]
    assert "knows only '-n '" in errors_of("0 0 * * * -rf x\n")[0][2]
    assert parse_crontab("0 0 * * * -rf x\n", dialect=Dialect.DEBIAN).entries[0].command == "-rf x"


# ---- time zones and special variables ---------------------------------------------------------------


def test_cron_tz_applies_to_the_lines_below_it():
    crontab = load_crontab(FIXTURES / "cronie_extras.crontab")
    zones = [e.schedule.timezone for e in crontab.entries]
    assert zones == ["Europe/Berlin", "Europe/Berlin", None]


def test_cron_tz_is_ignored_by_debian_and_tz_never_schedules():
    crontab = parse_crontab(
        "CRON_TZ=Asia/Tokyo\nTZ=Europe/Paris\n0 0 * * * x\n", dialect=Dialect.DEBIAN
    )
    assert crontab.entries[0].schedule.timezone is None
    messages = [w.message for w in crontab.warnings]
    assert any("ignores CRON_TZ" in m for m in messages)
    assert any("TZ changes only the environment" in m for m in messages)


def test_unknown_cron_tz_is_an_error_at_its_line():
    assert errors_of("\nCRON_TZ=Mars/Olympus\n0 0 * * * x\n")[0][:2] == (2, 1)


def test_random_delay_is_checked():
    crontab = parse_crontab("RANDOM_DELAY=abc\n0 0 * * * x\n")
    assert "cronie ignores RANDOM_DELAY=abc" in crontab.warnings[0].message
    assert parse_crontab("RANDOM_DELAY=30\n0 0 * * * x\n").warnings == ()


# ---- system crontabs ---------------------------------------------------------------------------------


def test_system_crontab_has_a_user_column():
    crontab = load_crontab(FIXTURES / "etc" / "crontab")
    assert crontab.system
    assert {e.user for e in crontab.entries} == {"root"}
    assert crontab.entries[0].command == "cd / && run-parts --report /etc/cron.hourly"


def test_cron_d_file_is_system_by_path_and_keeps_cron_tz():
    crontab = load_crontab(FIXTURES / "etc" / "cron.d" / "warehouse")
    assert crontab.system
    assert [e.user for e in crontab.entries] == ["etl", "etl", "postgres"]
    assert {e.schedule.timezone for e in crontab.entries} == {"America/New_York"}


def test_system_detection_rule():
    system_text = "0 0 * * * root /usr/bin/x\n5 0 * * * www-data /usr/bin/y\n"
    assert detect_system(system_text, "somewhere.txt")
    assert parse_crontab(system_text, "somewhere.txt").entries[1].user == "www-data"
    assert not detect_system("0 0 * * * python x.py\n", "somewhere.txt")
    assert not detect_system(system_text, "/var/spool/cron/crontabs/alice")
    assert detect_system("", "/etc/cron.d/empty")
    assert parse_crontab(system_text, "x", system=False).entries[0].command == "root /usr/bin/x"


def test_system_line_without_command():
    assert (
        errors_of("0 0 * * * root\n", system=True)[0][2] == "expected a command after the user name"
    )


# ---- files -----------------------------------------------------------------------------------------


def test_missing_final_newline_and_crlf_are_warnings():
    crontab = parse_crontab("0 0 * * * a\r\n0 1 * * * b")
    assert [e.command for e in crontab.entries] == ["a", "b"]
    messages = [w.message for w in crontab.warnings]
    assert any("CRLF" in m for m in messages)
    assert any("no newline at the end" in m for m in messages)


def test_unreadable_binary_and_non_utf8_files(tmp_path):
    with pytest.raises(InputError, match="cannot read the file"):
        load_crontab(tmp_path / "missing")
    with pytest.raises(InputError, match="is a directory"):
        load_crontab(tmp_path)
    binary = tmp_path / "bin"
    binary.write_bytes(b"\x7fELF\x00\x00")
    with pytest.raises(InputError, match="binary file") as caught:
        load_crontab(binary)
    assert (caught.value.diagnostics[0].line, caught.value.diagnostics[0].column) == (1, 5)
    with pytest.raises(InputError, match="binary file") as caught:
        parse_crontab("0 0 * * * a\n0 1 * * * b\x00c\n")
    assert (caught.value.diagnostics[0].line, caught.value.diagnostics[0].column) == (2, 12)
    with pytest.raises(InputError) as caught:
        load_crontab(FIXTURES / "invalid" / "latin1.crontab")
    assert (caught.value.diagnostics[0].line, caught.value.diagnostics[0].column) == (1, 16)


def test_empty_file_is_an_empty_crontab():
    crontab = parse_crontab("")
    assert crontab.entries == () and crontab.warnings == ()


# ---- errors ----------------------------------------------------------------------------------------


def test_every_error_of_a_file_is_reported_with_its_position():
    with pytest.raises(InputError) as caught:
        load_crontab(FIXTURES / "invalid" / "broken.crontab")
    found = [(d.line, d.column) for d in caught.value.diagnostics]
    assert found == [(2, 1), (3, 3), (4, 8), (5, 5), (6, 3), (7, 5), (8, 7), (9, 1), (10, 10)]
    rendered = str(caught.value).splitlines()
    assert rendered[0].endswith("broken.crontab:2:1: bad minute '60': 60 is out of range 0-59")


@pytest.mark.parametrize(
    ("line", "column", "fragment"),
    [
        ("60 * * * * x", 1, "60 is out of range 0-59"),
        ("0 0 0 * * x", 5, "0 is out of range 1-31"),
        ("0 0 * 13 * x", 7, "13 is out of range 1-12"),
        ("0 0 * * 8 x", 9, "8 is out of range 0-7"),
        ("5-1 * * * * x", 1, "range 5-1 is reversed"),
        ("*/0 * * * * x", 3, "a step of 0"),
        ("1-5/0 * * * * x", 5, "a step of 0"),
        ("*/x * * * * x", 3, "a step must be a number"),
        ("0 0 * * funday x", 9, "unknown name 'funday'"),
        ("mon 0 * * * x", 1, "names are allowed only in the month and day-of-week"),
        ("5/15 * * * * x", 1, "a step needs a range"),
        ("0 0 * *", 8, "found only 4 fields"),
        ("0 0 * * *", 10, "expected a command after the 5 time fields"),
        ("@daily", 7, "expected a command after @daily"),
        ("@Daily x", 1, "macros are lower case"),
        ("0 0 ? * * x", 5, "Quartz/croniter"),
        ("0 0 L * * x", 5, "'L' (last) is Quartz/croniter syntax"),
        ("0 0 * * 1#2 x", 10, "'#' (nth weekday)"),
        ("1- * * * * x", 3, "ends too early"),
        ("* * * * * * x", 11, "looks like a sixth time field"),
        ("=x", 1, "without a name"),
        ('A="open', 1, "not a valid environment assignment"),
    ],
)
def test_error_messages(line, column, fragment):
    found = errors_of(line + "\n")
    assert len(found) == 1, found
    assert found[0][:2] == (1, column)
    assert fragment in found[0][2]


def test_parse_expression_errors():
    with pytest.raises(InputError, match="expected 5 time fields"):
        parse_expression("0 0 * *")
    with pytest.raises(InputError, match="empty expression"):
        parse_expression("  ")
    with pytest.raises(InputError, match="is not an IANA time zone name"):
        parse_expression("0 0 * * *", timezone="Nowhere/City")
    assert parse_expression("0 1 * * *", timezone="Asia/Tokyo").timezone == "Asia/Tokyo"
