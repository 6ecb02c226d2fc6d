"""`cron2dag parse` and `cron2dag explain` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from migrator.cli import cli

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "crontabs"
SEED = str(FIXTURES / "seed_pipeline.crontab")


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_quickstart_explain_of_the_seed_pipeline():
    result = run("explain", SEED, "--from", "2026-01-01T00:30:00+00:00", "--next", "2")
    assert result.exit_code == 0, result.output
    assert "line 6: 0 1 * * *" in result.output
    assert "At 01:00 every day" in result.output
    assert "next: 2026-01-01T01:00:00+00:00" in result.output


def test_explain_expression_json_is_exactly_the_contract():
    result = run(
        "explain",
        "0 1 * * *",
        "--from",
        "2026-01-01T00:00:00+00:00",
        "--next",
        "3",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "expression": "0 1 * * *",
        "canonical": "0 1 * * *",
        "description": "At 01:00 every day",
        "timezone": "UTC",
        "next": [
            "2026-01-01T01:00:00+00:00",
            "2026-01-02T01:00:00+00:00",
            "2026-01-03T01:00:00+00:00",
        ],
        "warnings": [],
    }


def test_explain_file_json_is_a_list_with_lines():
    result = run(
        "explain",
        SEED,
        "--format",
        "json",
        "--next",
        "1",
        "--tz",
        "Europe/Berlin",
        "--from",
        "2026-06-01T00:00",
    )
    records = json.loads(result.output)
    assert [r["line"] for r in records] == [2, 4, 6, 8, 10]
    assert set(records[0]) == {
        "line",
        "expression",
        "canonical",
        "description",
        "timezone",
        "next",
        "warnings",
    }
    assert records[2]["next"] == ["2026-06-01T01:00:00+02:00"]
    assert records[2]["timezone"] == "Europe/Berlin"


def test_explain_warns_about_the_star_rule_and_dst():
    result = run(
        "explain", "30 2 */2 * 1", "--tz", "America/New_York", "--from", "2026-01-01T00:00"
    )
    assert result.exit_code == 0
    assert "warning: cron runs this only on days that match both" in result.output


def test_explain_dst_warning_for_a_fixed_time_job():
    result = run(
        "explain",
        "30 2 * * *",
        "--tz",
        "America/New_York",
        "--from",
        "2026-01-01T00:00",
        "--format",
        "json",
    )
    warnings = json.loads(result.output)["warnings"]
    assert any("2026-03-08 02:30 does not exist" in w for w in warnings)


def test_explain_dialect_option():
    assert run("explain", "0 0 * * 5-0").exit_code == 0
    result = run("explain", "0 0 * * 5-0", "--dialect", "debian")
    assert result.exit_code == 2
    assert "reads it as no days at all" in result.output


def test_parse_json_is_the_documented_model():
    result = run("parse", str(FIXTURES / "etc" / "cron.d" / "warehouse"), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {
        "path",
        "system",
        "dialect",
        "entries",
        "environment",
        "comments",
        "blank_lines",
        "warnings",
    }
    assert data["system"] is True and data["dialect"] == "cronie"
    entry = data["entries"][0]
    assert set(entry) == {
        "line",
        "schedule",
        "user",
        "raw_command",
        "command",
        "stdin",
        "comments",
        "environment",
        "no_log",
        "mail_only_on_error",
        "span",
    }
    assert entry["user"] == "etl" and entry["line"] == 6
    assert entry["schedule"]["timezone"] == "America/New_York"
    assert entry["schedule"]["fields"][0] == {
        "kind": "minute",
        "text": "10",
        "values": [10],
        "starts_with_star": False,
        "random_ranges": [],
        "span": {"line": 6, "column": 1, "end_line": 6, "end_column": 3},
    }


def test_parse_text_and_user_override():
    result = run("parse", SEED)
    assert result.exit_code == 0
    assert "user crontab, cronie dialect, 5 entries" in result.output
    assert "line 10: 0 3 * * *" in result.output
    forced = run("parse", str(FIXTURES / "etc" / "crontab"), "--user", "--format", "json")
    assert json.loads(forced.output)["entries"][0]["user"] is None


def test_errors_exit_2_without_traceback():
    result = run("parse", str(FIXTURES / "invalid" / "broken.crontab"))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.output.count("broken.crontab:") == 9
    assert run("explain", "61 * * * *").exit_code == 2
    assert run("explain", "no-such-file").exit_code == 2
    assert run("explain", "* * * * *", "--tz", "Mars/Base").exit_code == 2
    assert run("explain", "* * * * *", "--from", "yesterday").exit_code == 2


def test_explain_of_one_word_that_is_not_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # Time-field characters only: an expression with too few fields, and said to be no file either.
    for word in ("5/15", "*/5", "0", "1-5"):
        result = run("explain", word)
        assert result.exit_code == 2
        assert result.output.startswith("<expression>:1:"), result.output
        assert "expected 5 time fields" in result.output and "found 1" in result.output
        assert f"there is no file named '{word}'" in result.output
        assert "cannot read the file" not in result.output
    # Anything else is a file name that does not exist, with how to give an expression instead.
    for word in ("no-such-file", "jobs/nightly.crontab"):
        result = run("explain", word)
        assert result.exit_code == 2
        assert result.output.startswith(f"{word}: no such file (to explain an expression, quote")
    # An existing file wins, whatever its name looks like.
    (tmp_path / "5").write_text("0 1 * * * job\n")
    result = run("explain", "5", "--format", "json", "--next", "0")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["line"] == 1


def test_warnings_go_to_stderr(tmp_path):
    path = tmp_path / "t.crontab"
    path.write_text("0 0 * * * a")
    result = CliRunner().invoke(cli, ["parse", str(path)])
    assert result.exit_code == 0
    assert "no newline at the end of the file" in result.stderr


def test_explain_from_accepts_a_z_suffix_as_utc():
    # fromisoformat only learned "Z" in Python 3.11; the option must read it on 3.10 too
    result = run("explain", "0 1 * * *", "--tz", "Europe/Berlin", "--from", "2026-01-01T00:30Z", "--next", "1")
    assert result.exit_code == 0, result.output
    assert "next: 2026-01-02T01:00:00+01:00" in result.output  # 00:30Z is 01:30 in Berlin
