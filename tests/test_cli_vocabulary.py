"""One vocabulary across commands: an option shared by several commands has one name and one meaning.

The test walks every command of `cron2dag` (its `--help` and its click parameters) and checks:
- a concept has one name everywhere (cron's time zone is `--tz`, the Airflow version `--airflow`, a DAG is
  selected with `--dag-id`, a backfill's range is `--from-date`/`--to-date`), found both by the names in
  use and by what an option's help says it is;
- an option name used by several commands means the same in each (same value type, same choices, same
  flag-ness; the options defined once in `migrator.options` have the same help too);
- former names are hidden aliases that still work, and no command shows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from migrator import options
from migrator.cli import COMMANDS, cli

ROOT = Path(__file__).resolve().parents[1]
RUNNER_COMMANDS = ("run", "backfill", "runs", "logs", "clear")

@dataclass(frozen=True)
class Concept:
    name: str  # the one name of the concept, in every command that has it
    synonyms: tuple[str, ...]  # names that must not appear in any --help
    help_says: re.Pattern[str] | None = None  # an option whose help says this is the concept
    choices: frozenset[str] | None = None  # an option with exactly these choices is the concept


CONCEPTS = (
    Concept("--tz", ("--timezone", "--time-zone", "--zone", "--cron-tz"), re.compile(r"\btime zone\b", re.IGNORECASE)),
    Concept("--airflow", ("--airflow-version", "--target-version", "--airflow-major"), choices=frozenset({"2", "3"})),
    Concept("--dialect", ("--cron", "--flavour", "--flavor")),
    Concept("--overrides", ("--override", "--overrides-file")),
    Concept("--format", ("--output-format", "--fmt")),
    Concept("--dag-id", ("--dag", "--dag_id", "--dagid"), re.compile(r"\bwhich DAG\b|\bthe DAG's dag_id\b", re.IGNORECASE)),
    Concept("--from-date", ("--start-date-of-backfill", "--from"), re.compile(r"\bfirst logical date\b", re.IGNORECASE)),
    Concept("--to-date", ("--end-date", "--to"), re.compile(r"\blast logical date\b", re.IGNORECASE)),
)
# `explain --from` is the instant to list fire times after, not a backfill's first logical date.
NOT_A_SYNONYM = {("explain", "--from")}


def command(name: str) -> click.Command:
    found = cli.get_command(click.Context(cli), name)
    assert found is not None, name
    return found


def visible_names(option: click.Option) -> list[str]:
    names = option.opts + option.secondary_opts
    hidden = getattr(option, "hidden_aliases", frozenset())
    return [n for n in names if n not in hidden]


def shown_options(name: str) -> list[click.Option]:
    return [p for p in command(name).params if isinstance(p, click.Option) and not p.hidden]


def help_text(name: str) -> str:
    result = CliRunner().invoke(cli, [name, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_shows_every_option_by_its_names_and_no_hidden_alias(name: str) -> None:
    text = help_text(name)
    for option in shown_options(name):
        for option_name in visible_names(option):
            assert re.search(rf"(^|[\s,/]){re.escape(option_name)}(?![\w-])", text, re.MULTILINE), (name, option_name)
    for option in command(name).params:
        for alias in getattr(option, "hidden_aliases", ()):
            assert not re.search(rf"(^|[\s,/]){re.escape(alias)}(?![\w-])", text, re.MULTILINE), (name, alias)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_concept_has_one_name(name: str) -> None:
    problems = []
    for option in shown_options(name):
        names = visible_names(option)
        primary = next((n for n in names if n.startswith("--")), names[0])
        choices = frozenset(option.type.choices) if isinstance(option.type, click.Choice) else None
        for concept in CONCEPTS:
            synonyms = [n for n in names if n in concept.synonyms and (name, n) not in NOT_A_SYNONYM]
            if synonyms:
                problems.append(f"{name} {synonyms}: say {concept.name}")
            says = concept.help_says is not None and concept.help_says.search(option.help or "")
            if (says or (concept.choices is not None and choices == concept.choices)) and primary != concept.name:
                problems.append(f"{name} {primary}: {option.help!r} is {concept.name}")
    assert not problems


def test_an_option_name_means_the_same_in_every_command() -> None:
    by_name: dict[str, list[tuple[str, click.Option]]] = {}
    for name in sorted(COMMANDS):
        for option in shown_options(name):
            for option_name in visible_names(option):
                by_name.setdefault(option_name, []).append((name, option))
    problems = []
    for option_name, uses in sorted(by_name.items()):
        if len(uses) < 2 or option_name in ("-h", "--help"):
            continue
        first_command, first = uses[0]
        for other_command, other in uses[1:]:
            where = f"{option_name} in {first_command} and {other_command}"
            if type(first.type) is not type(other.type):
                problems.append(f"{where}: {first.type.name} vs {other.type.name}")
            if first.is_flag != other.is_flag or first.multiple != other.multiple:
                problems.append(f"{where}: flag/multiple differ")
            if isinstance(first.type, click.Choice) and option_name != "--format" and \
                    set(first.type.choices) != set(other.type.choices):  # type: ignore[attr-defined]
                problems.append(f"{where}: choices {first.type.choices} vs {other.type.choices}")  # type: ignore[attr-defined]
    assert not problems, "\n".join(problems)


SHARED = {
    "--format": options.FORMAT_HELP,
    "--tz": options.TZ_HELP,
    "--dialect": options.DIALECT_HELP,
    "--system": options.SYSTEM_HELP,
    "--overrides": options.OVERRIDES_HELP,
    "--airflow": options.AIRFLOW_HELP,
}


@pytest.mark.parametrize("option_name", sorted(SHARED))
def test_options_defined_once_say_the_same_everywhere(option_name: str) -> None:
    users = [(name, option) for name in sorted(COMMANDS) for option in shown_options(name)
             if option_name in visible_names(option)]
    assert len(users) >= 2, f"{option_name} is shared: at least two commands use it"
    for name, option in users:
        assert (option.help or "").startswith(SHARED[option_name]), (name, option.help)


@pytest.mark.parametrize("name", list(RUNNER_COMMANDS))
def test_every_runner_command_selects_a_dag_with_dag_id(name: str) -> None:
    assert any("--dag-id" in visible_names(option) for option in shown_options(name))


def test_a_backfill_range_is_from_date_to_date_with_start_end_as_aliases() -> None:
    params = {p.name: p for p in command("backfill").params if isinstance(p, click.Option)}
    names = {n for p in params.values() for n in p.opts}
    assert {"--from-date", "--to-date", "--start", "--end"} <= names
    assert next(p for p in params.values() if "--start" in p.opts) is next(p for p in params.values() if "--from-date" in p.opts)


# ---- the former names still work ------------------------------------------------------------------------

SEED = str(ROOT / "fixtures" / "crontabs" / "seed_pipeline.crontab")
ORDERS = str(ROOT / "fixtures" / "lint" / "examples" / "orders.py")


def test_migrate_timezone_is_a_hidden_alias_of_tz(tmp_path: Path) -> None:
    new = CliRunner().invoke(cli, ["migrate", SEED, "-o", str(tmp_path / "a"), "--tz", "Europe/Paris", "--dry-run"])
    old = CliRunner().invoke(cli, ["migrate", SEED, "-o", str(tmp_path / "a"), "--timezone", "Europe/Paris", "--dry-run"])
    assert new.exit_code == old.exit_code == 0, new.output + old.output
    assert "Europe/Paris" in new.output and new.output == old.output
    bad = CliRunner().invoke(cli, ["migrate", SEED, "-o", str(tmp_path / "a"), "--timezone", "Mars/Olympus"])
    assert bad.exit_code == 2 and "Invalid value for '--tz': 'Mars/Olympus' is not an IANA time zone" in bad.output


@pytest.mark.parametrize("command_name", ["explain", "infer", "graph", "migrate"])
def test_a_bad_zone_is_the_same_error_in_every_command(command_name: str, tmp_path: Path) -> None:
    extra = ["-o", str(tmp_path / "dags")] if command_name == "migrate" else []
    result = CliRunner().invoke(cli, [command_name, SEED, *extra, "--tz", "Mars/Olympus"])
    assert result.exit_code == 2
    assert "Error: Invalid value for '--tz': 'Mars/Olympus' is not an IANA time zone name" in result.output
    assert not (tmp_path / "dags").exists()


def test_lint_airflow_version_is_a_hidden_alias_of_airflow() -> None:
    runner = CliRunner()
    new = runner.invoke(cli, ["lint", ORDERS, "--no-cache", "--statistics", "--airflow", "2"])
    old = runner.invoke(cli, ["lint", ORDERS, "--no-cache", "--statistics", "--airflow-version", "2"])
    three = runner.invoke(cli, ["lint", ORDERS, "--no-cache", "--statistics", "--airflow", "3"])
    assert new.exit_code == old.exit_code == three.exit_code == 1
    assert new.output == old.output
    assert "AF301" in three.output and "AF301" not in new.output  # the Airflow 3 rules follow the version


# ---- migrate: -o names a directory; CRLF warnings as parse gives them -----------------------------------


def test_migrate_refuses_an_output_directory_named_like_a_python_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["migrate", SEED, "-o", str(tmp_path / "dag.py")])
    assert result.exit_code == 2
    assert "is a file name: -o names the directory the DAG modules are written to" in result.output
    assert not (tmp_path / "dag.py").exists()
    existing = tmp_path / "legacy.py"
    existing.mkdir()  # a directory that really has such a name is still a directory
    kept = CliRunner().invoke(cli, ["migrate", SEED, "-o", str(existing)])
    assert kept.exit_code == 0, kept.output
    assert (existing / "seed_pipeline.py").is_file()


def test_migrate_warns_about_crlf_line_endings_as_parse_does(tmp_path: Path) -> None:
    crontab = tmp_path / "windows.crontab"
    crontab.write_bytes(b"0 1 * * * /opt/etl/export.sh\r\n0 2 * * * /opt/etl/load.sh\r\n")
    runner = CliRunner()  # click 8.2+: result.stderr holds stderr alone
    parsed = runner.invoke(cli, ["parse", str(crontab)])
    migrated = runner.invoke(cli, ["migrate", str(crontab), "-o", str(tmp_path / "dags")])
    assert parsed.exit_code == migrated.exit_code == 0, migrated.output
    warning = f"{crontab}:1:1: Windows (CRLF) line endings"
    assert warning in parsed.stderr and warning in migrated.stderr
    assert [line for line in migrated.stderr.splitlines() if "(warning)" in line] == \
        [line for line in parsed.stderr.splitlines() if "(warning)" in line]
    assert (tmp_path / "dags" / "export.py").is_file()
