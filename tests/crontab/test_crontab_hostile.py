"""Hostile input to the crontab front end (issue 16): every case is a clear error or a right answer.

Each reproduction from the fuzzing report is here, through the commands users run: no "internal
error", no traceback, the exit code of the contract (2 for bad input; lint reports SYN001 and exits 1),
and a message that says where the problem is.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli import cli
from migrator.crontab.fields import read_number
from migrator.crontab.parser import parse_crontab, parse_expression
from migrator.crontab.zones import find_zone
from migrator.errors import InputError

HUGE = "1" * 4400  # Python refuses int() of more than 4,300 digits


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def assert_clean_failure(result, *expected: str, exit_code: int = 2) -> None:
    assert result.exit_code == exit_code, result.output
    assert "internal error" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    for text in expected:
        assert text in result.output, result.output


@pytest.mark.parametrize(
    "line",
    [
        f"{HUGE} * * * * echo hi",
        f"0 {HUGE} * * * echo hi",
        f"*/{HUGE} * * * * echo hi",
        f"0 0 1-{HUGE} * * echo hi",
        f"0 0 * * {HUGE}~3 echo hi",
        "0 0 * * 00000000000000000000000000000000000000000000000000000000000000000000005 echo hi",
    ],
)
def test_a_number_of_thousands_of_digits_is_a_located_error(tmp_path: Path, line: str) -> None:
    crontab = tmp_path / "big.cron"
    crontab.write_text(f"# first\n{line}\n")
    if line.startswith("0 0 * * 0000"):  # leading zeros: still 5, as cron's atoi reads it
        assert parse_crontab(crontab.read_text()).entries[0].schedule.fields[4].values == {5}
        return
    for command in (["parse"], ["explain"], ["infer"], ["migrate", "-o", str(tmp_path / "out")]):
        result = run(*command, str(crontab))
        assert_clean_failure(result, f"{crontab}:2:")
        assert len(result.output) < 2000, "the message shortens the huge number"
    assert not (tmp_path / "out").exists()
    lint = run("lint", str(crontab), "--no-cache")
    assert_clean_failure(lint, "SYN001", exit_code=1)


def test_a_huge_number_in_an_expression_is_an_error_at_its_column() -> None:
    with pytest.raises(InputError) as raised:
        parse_expression(f"0 {HUGE} * * *")
    (diagnostic,) = raised.value.diagnostics
    assert (diagnostic.line, diagnostic.column) == (1, 3)
    assert "out of range 0-23" in diagnostic.message


def test_random_delay_of_thousands_of_digits_or_other_digits_is_ignored_with_a_warning() -> None:
    for value in (HUGE, "²", "١٢"):
        crontab = parse_crontab(f"RANDOM_DELAY={value}\n0 0 * * * x\n")
        assert any("cronie ignores RANDOM_DELAY" in w.message for w in crontab.warnings)
    result = run("explain", "--from", "2026-01-01T00:00", "-")
    assert result.exit_code == 2  # '-' is neither a file nor an expression


def test_read_number_never_converts_huge_text() -> None:
    assert read_number("0059", 59) == 59
    assert read_number("60", 59) is None
    assert read_number(HUGE * 10, 59) is None
    assert read_number("", 59) is None
    assert read_number("²", 59) is None


@pytest.mark.parametrize(
    "name", ["A" * 300, "America", "../../etc/passwd", "", "x\x00y", "a/" * 200, "\udcff", "utc"]
)
def test_find_zone_answers_none_for_any_text_that_is_not_a_zone(name: str) -> None:
    assert find_zone(name) is None


def test_find_zone_finds_real_zones() -> None:
    assert find_zone("Europe/Berlin") is not None and find_zone("UTC") is not None


@pytest.mark.parametrize("zone", ["A" * 300, "America", "../x"])
def test_bad_time_zone_names_are_errors_everywhere(tmp_path: Path, zone: str) -> None:
    crontab = tmp_path / "tz.cron"
    crontab.write_text(f"CRON_TZ={zone}\n0 0 * * * x\n")
    for command in (["parse"], ["explain"], ["infer"], ["migrate", "-o", str(tmp_path / "o")]):
        assert_clean_failure(run(*command, str(crontab)), f"{crontab}:1:1: CRON_TZ='")
    plain = tmp_path / "plain.cron"
    plain.write_text("0 0 * * * x\n")
    for command in (["explain", "0 0 * * *"], ["infer", str(plain)], ["graph", str(plain)]):
        assert_clean_failure(run(*command, "--tz", zone), "'--tz'", "is not an IANA time zone name")
    for option in ("--tz", "--timezone"):  # --timezone: the former name, kept as an alias
        assert_clean_failure(
            run("migrate", str(plain), "-o", str(tmp_path / "o"), option, zone),
            "'--tz'",
            "is not an IANA time zone name",
        )
    assert not (tmp_path / "o").exists()


def test_a_long_tz_value_for_date_templates_is_kept_not_a_crash(tmp_path: Path) -> None:
    crontab = tmp_path / "tz.cron"
    crontab.write_text(f"TZ={'B' * 300}\n0 0 * * * echo $(date +%F)\n".replace("%", "\\%"))
    result = run("migrate", str(crontab), "-o", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output
    assert "kept wall-clock" in result.output


def test_explain_near_the_end_of_the_calendar_lists_what_exists() -> None:
    result = run("explain", "* * * * *", "--from", "9999-12-31T23:58", "--next", "5")
    assert result.exit_code == 0, result.output
    assert "next: 9999-12-31T23:59:00+00:00" in result.output
    assert "only 1 of the 5 fire times" in result.output
    west = run("explain", "59 23 * * *", "--from", "9999-12-31T00:00", "--tz", "America/New_York")
    assert west.exit_code == 0 and "only 0 of the 5" in west.output


def test_explain_from_the_first_day_of_the_calendar(tmp_path: Path) -> None:
    result = run(
        "explain",
        "0 0 * * *",
        "--from",
        "0001-01-01T00:00",
        "--tz",
        "America/New_York",
        "--next",
        "1",
    )
    assert result.exit_code == 0, result.output
    assert "next: 0001-01-02T00:00:00-04:56" in result.output  # local mean time before 1883
    east = run("explain", "0 0 * * *", "--from", "0001-01-01T00:00", "--tz", "Asia/Tokyo")
    assert_clean_failure(east, "--from: '0001-01-01T00:00' in Asia/Tokyo lies outside the years")
    crontab = tmp_path / "c.cron"
    crontab.write_text("0 0 * * * x\n")
    aware = run("explain", str(crontab), "--from", "0001-01-01T00:00+14:00")
    assert_clean_failure(aware, "--from: '0001-01-01T00:00+14:00' lies outside")


def test_retry_delay_beyond_a_year_is_a_usage_error(tmp_path: Path) -> None:
    crontab = tmp_path / "c.cron"
    crontab.write_text("0 0 * * * echo hi\n")
    for delay in ("999999999999h", "366d", "9" * 5000, "31536001"):
        result = run("migrate", str(crontab), "-o", str(tmp_path / "o"), "--retry-delay", delay)
        assert_clean_failure(result, "'--retry-delay'")
    assert not (tmp_path / "o").exists()
    done = run("migrate", str(crontab), "-o", str(tmp_path / "o"), "--retry-delay", "8760h")
    assert done.exit_code == 0, done.output
    (module,) = (tmp_path / "o").glob("*.py")
    assert "timedelta(days=365)" in module.read_text()


def test_parse_json_is_the_model_document_and_environments_stay_shared(tmp_path: Path) -> None:
    import json

    lines = ["MAILTO=ops@example.com"]
    for index in range(300):
        lines += [f"VAR_{index}=value {index}", f"{index % 60} * * * * /opt/job_{index}.sh"]
    crontab = tmp_path / "many.cron"
    crontab.write_text("\n".join(lines) + "\n")
    result = run("parse", "--format", "json", str(crontab))
    assert result.exit_code == 0, result.output[:500]
    parsed = parse_crontab(crontab.read_text(), str(crontab))
    assert json.loads(result.output) == parsed.to_json()
    last = parsed.entries[-1]
    assert len(last.environment) == 301 and last.environment[-1] == ("VAR_299", "value 299")
    # one list of assignments for the whole file, not a copy per entry (quadratic before)
    assert last.environment._pairs is parsed.entries[0].environment._pairs
    assert parsed.entries[0].environment == (("MAILTO", "ops@example.com"), ("VAR_0", "value 0"))


def test_an_entry_in_its_own_zone_past_the_end_of_the_calendar(tmp_path: Path) -> None:
    crontab = tmp_path / "c.cron"
    crontab.write_text("CRON_TZ=Europe/Paris\n0 1 * * * x\nCRON_TZ=America/New_York\n0 1 * * * y\n")
    late = run("explain", str(crontab), "--from", "9999-12-31T23:58", "--next", "2")
    assert late.exit_code == 0, late.output
    assert "only 0 of the 2 fire times" in late.output  # Paris is already in year 10000
    early = run("explain", str(crontab), "--from", "0001-01-01T00:00+00:00", "--next", "1")
    assert early.exit_code == 0, early.output
    assert "next: 0001-01-01T01:00:00-04:56:02" in early.output  # New York is still in year 0
