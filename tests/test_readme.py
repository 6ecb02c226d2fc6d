"""The README's Quickstart is a contract: its commands must do what it says."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from migrator.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def quickstart_commands() -> list[str]:
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```console\n(.+?)\n```", section)


def test_quickstart_has_exactly_two_commands():
    assert len(quickstart_commands()) == 2


def test_quickstart_main_job_migrates_the_seed_fixture(tmp_path, monkeypatch):
    main_job = quickstart_commands()[0].split("&&")[-1]
    words = shlex.split(main_job)
    assert words[0].endswith("cron2dag") and words[1] == "migrate"
    arguments = [str(ROOT / w) if w.startswith("fixtures/") else w for w in words[2:]]
    assert any((ROOT / w).is_file() for w in words[2:] if w.startswith("fixtures/"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["migrate", *arguments])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "dags" / "seed_pipeline.py").is_file()
    assert "seed_pipeline: 5 tasks, 4 edges" in result.output


def test_ci_runs_the_quickstart_test_command_verbatim():
    assert quickstart_commands()[1] in (ROOT / ".ci" / "run").read_text()
