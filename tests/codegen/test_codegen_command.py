"""The command Airflow runs after rendering is the command cron would have run."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pendulum
import pytest
from codegen_support import airflow_render
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from migrator.codegen.command import embed_command
from migrator.codegen.jinja import TEMPLATE_EXTENSIONS

# what can follow the schedule on a crontab line: anything but a newline (cron's `%` handling has
# already split off standard input, and `\%` is a literal `%` by now)
_TOKENS = [
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    "{% raw %}",
    "{% endraw %}",
    ".sh",
    ".bash",
    "'",
    '"',
]
_TOKENS += ["\\", "$(", ")", "`", "%", " ", "$(date +%F)", "\r"]
cron_commands = st.lists(
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n\x00"), max_size=8)
    | st.sampled_from(_TOKENS),
    min_size=1,
    max_size=10,
).map("".join)
stdin_texts = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)


def expected_bash_input(command: str) -> str:
    # Airflow's documented idiom: a trailing space keeps a `.sh` command from being read as a template
    # file; bash reads `run.sh ` exactly as `run.sh`.
    return command + " " if command.endswith(TEMPLATE_EXTENSIONS) else command


@given(cron_commands)
def test_rendered_command_is_the_cron_command(command: str) -> None:
    embedded = embed_command(command, rewrite=False)
    assert airflow_render(embedded.template) == expected_bash_input(command)


@given(cron_commands)
def test_commands_without_date_calls_are_unchanged_by_rewriting(command: str) -> None:
    embedded = embed_command(command)
    assume(not embedded.rewritten)
    assert airflow_render(embedded.template) == expected_bash_input(command)


def test_a_script_path_gets_the_trailing_space_idiom() -> None:
    assert embed_command("/opt/etl/run.sh").template == "/opt/etl/run.sh "
    assert embed_command("cd /opt && ./load.bash").template == "cd /opt && ./load.bash "


def test_jinja_in_the_command_is_not_evaluated() -> None:
    embedded = embed_command("echo '{{ ds }}' {% if x %}")
    assert airflow_render(embedded.template) == "echo '{{ ds }}' {% if x %}"


def run_bash(script: str) -> bytes:
    return subprocess.run(
        ["bash", "-c", script], capture_output=True, check=True, stdin=subprocess.DEVNULL
    ).stdout


@settings(max_examples=40, deadline=None)
@given(stdin_texts)
def test_standard_input_reaches_the_command_byte_for_byte(data: str) -> None:
    embedded = embed_command("cat", data)
    assert run_bash(airflow_render(embedded.template)) == data.encode("utf-8")


def test_percent_input_feeds_every_command_of_the_line() -> None:
    embedded = embed_command('read a; read b; echo "$b-$a"', "one\ntwo\n")
    assert run_bash(airflow_render(embedded.template)) == b"two-one\n"


@pytest.fixture(scope="module")
def print_shell(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in for SHELL=: prints the script it is handed with -c."""
    path = tmp_path_factory.mktemp("shell") / "printsh"
    path.write_text("#!/bin/bash\nprintf '%s' \"$2\"\n")
    path.chmod(0o755)
    return path


@settings(max_examples=40, deadline=None)
@given(cron_commands.filter(lambda c: "\r" not in c))
def test_a_foreign_shell_receives_the_command_unchanged(print_shell: Path, command: str) -> None:
    embedded = embed_command(command, rewrite=False, shell=str(print_shell))
    assert embedded.shell == str(print_shell)
    assert run_bash(airflow_render(embedded.template)).decode("utf-8") == command


def test_posix_shells_run_directly() -> None:
    assert embed_command("echo hi", shell="/bin/sh").template == "echo hi"
    assert embed_command("echo hi", shell="/bin/bash").shell is None


def test_dates_render_the_logical_date_of_the_task() -> None:
    embedded = embed_command(
        "load --day $(date +%F)", timezone="Europe/Paris", offset=dt.timedelta(minutes=30)
    )
    logical_date = pendulum.datetime(2025, 1, 4, 23, 0, tz="UTC")  # 00:00 in Paris on the 5th
    # cron started this job 30 minutes after the DAG's first one: 00:30 Paris time on the 5th
    assert airflow_render(embedded.template, logical_date) == "load --day 2025-01-05"
