"""Hostile crontab text through `migrate` (issue 16): the generated module still compiles, formats and
says what cron ran, and a file that cannot be written leaves the output directory as it was."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli import cli
from migrator.codegen.pysource import comment_text


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize(
    "command",
    [
        "echo a\rb",
        "echo a\x1b[31mred",
        "echo a\u2028b\u2029c\x85d",
        "printf 'x\x0by\x0cz'",
        "echo \x7f",
    ],
)
def test_control_characters_in_a_command_stay_inside_one_comment_line(
    tmp_path: Path, command: str
) -> None:
    crontab = tmp_path / "c.cron"
    crontab.write_bytes(f"0 * * * * {command}\n".encode())
    result = run("migrate", str(crontab), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    (module,) = (tmp_path / "out").glob("*.py")
    source = module.read_text(encoding="utf-8")
    compile(source, str(module), "exec")
    (comment,) = [line for line in source.split("\n") if line.strip().startswith("# c.cron:1:")]
    assert comment.strip() == f"# c.cron:1: 0 * * * * {comment_text(command)}"
    assert not any(c in comment for c in "\r\x0b\x0c\x1b\x85\u2028\u2029\x7f")
    formatted = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--isolated", "--check", str(module)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_comment_text_escapes_only_what_breaks_or_hides_a_line() -> None:
    assert (
        comment_text("curl -s 'https://x/?a=1&b=é' | jq .") == "curl -s 'https://x/?a=1&b=é' | jq ."
    )
    assert comment_text("a\tb") == "a\tb"
    assert comment_text("a\rb\x00c\u2028") == "a\\rb\\x00c\\u2028"
