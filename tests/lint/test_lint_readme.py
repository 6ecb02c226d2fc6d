"""The README's lint examples are real: each `$ cron2dag lint ...` block is the command's output."""

from __future__ import annotations

import os
import re
import shlex

import pytest
from click.testing import CliRunner
from conftest import ROOT

from migrator.cli import cli


def examples() -> list[tuple[str, str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- section: lint -->", 1)[1].split("<!-- section: ", 1)[0]
    found = []
    for block in re.findall(r"```console\n(.*?)```", section, re.S):
        if block.startswith("$ cron2dag lint "):
            command, _, output = block.partition("\n")
            found.append((command[2:], output))
    return found


def test_the_readme_has_lint_examples():
    assert len(examples()) >= 3


@pytest.mark.parametrize(("command", "output"), examples(), ids=[c for c, _ in examples()])
def test_readme_example_output_is_real(command: str, output: str) -> None:
    args = shlex.split(command)[1:] + ["--no-cache"]
    previous = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(cli, args)
    finally:
        os.chdir(previous)
    assert result.output == output
