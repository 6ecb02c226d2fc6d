"""Hostile crontab text through `migrate` (issue 16): the generated module still compiles, formats and
says what cron ran, and a file that cannot be written leaves the output directory as it was."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli import cli
from migrator.codegen import writer
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


# ---- all or nothing ---------------------------------------------------------------------------------

THREE_JOBS = "0 1 * * * /opt/a.sh\n0 2 * * 1 /opt/b.sh\n0 3 1 * * /opt/c.sh\n"


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def test_a_target_that_is_a_directory_writes_nothing(tmp_path: Path) -> None:
    crontab = tmp_path / "three.cron"
    crontab.write_text(THREE_JOBS)
    output = tmp_path / "dags"
    (output / "b.py").mkdir(parents=True)
    result = run("migrate", str(crontab), "-o", str(output))
    assert result.exit_code == 2
    assert f"{output / 'b.py'}: cannot read: Is a directory" in result.output
    assert sorted(p.name for p in output.iterdir()) == ["b.py"]


def test_a_file_that_cannot_be_written_leaves_the_others_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crontab = tmp_path / "three.cron"
    crontab.write_text(THREE_JOBS)
    output = tmp_path / "dags"
    assert run("migrate", str(crontab), "-o", str(output)).exit_code == 0
    before = _snapshot(output)
    crontab.write_text(THREE_JOBS.replace("/opt/", "/srv/"))  # every module changes

    real_mkstemp = writer.tempfile.mkstemp
    calls: list[object] = []

    def refuse_the_second(*args: object, **kwargs: object):
        calls.append(args)
        if len(calls) == 2:  # chmod cannot stop root: refuse the second temporary file itself
            raise PermissionError(13, "Permission denied")
        return real_mkstemp(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(writer.tempfile, "mkstemp", refuse_the_second)
    result = run("migrate", str(crontab), "-o", str(output))
    assert result.exit_code == 2
    assert f"{output / 'b.py'}: cannot write the DAG file: Permission denied" in result.output
    assert _snapshot(output) == before  # nothing replaced, no temporary file left behind


def test_a_rename_that_fails_puts_back_the_files_already_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crontab = tmp_path / "three.cron"
    crontab.write_text("0 1 * * * /opt/a.sh\n")
    output = tmp_path / "dags"
    assert run("migrate", str(crontab), "-o", str(output)).exit_code == 0
    before = _snapshot(output)
    crontab.write_text(THREE_JOBS.replace("/opt/a.sh", "/srv/a.sh"))  # a.py changes, b, c are new

    real_replace = writer.os.replace
    renames: list[str] = []

    def fail_the_third(source: str, target: object) -> None:
        if str(source).endswith(".tmp"):
            renames.append(str(target))
            if len(renames) == 3:
                raise IsADirectoryError(21, "Is a directory")
        real_replace(source, target)

    monkeypatch.setattr(writer.os, "replace", fail_the_third)
    result = run("migrate", str(crontab), "-o", str(output))
    assert result.exit_code == 2, result.output
    assert "cannot write the DAG file: Is a directory" in result.output
    assert _snapshot(output) == before


def test_a_new_output_directory_is_not_left_behind_when_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crontab = tmp_path / "three.cron"
    crontab.write_text(THREE_JOBS)

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer.tempfile, "mkstemp", refuse)
    result = run("migrate", str(crontab), "-o", str(tmp_path / "new" / "dags"))
    assert result.exit_code == 2 and "No space left on device" in result.output
    assert not (tmp_path / "new").exists()
