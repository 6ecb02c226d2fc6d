"""Where generated tasks run: cron started every job in its owner's home directory."""

from __future__ import annotations

import pytest
from codegen_support import dag, entry, pipeline, task

from migrator.codegen.plan import CodegenOptions, plan_pipeline


def plan(command, env=(), cwd=None):
    result = plan_pipeline(
        pipeline([dag("etl", [task("a", entry(1, "0 0 * * *", command, env))])]), CodegenOptions(cwd=cwd)
    )
    return result.dags[0].tasks[0], [n.message for n in result.notes]


def test_home_from_the_crontab_wins_over_the_option():
    planned, _ = plan("python run.py", env=(("HOME", "/home/etl"),), cwd="/srv")
    assert planned.cwd == "/home/etl"


def test_the_option_applies_when_the_crontab_sets_no_home():
    planned, notes = plan("python run.py", cwd="/srv/etl")
    assert planned.cwd == "/srv/etl"
    assert not any("relative path" in n for n in notes)


@pytest.mark.parametrize(
    "command", ["python ingest.py", "bin/load --day 1", "./run", "cd jobs && make", "Rscript model.R"]
)
def test_relative_paths_without_a_directory_are_reported(command):
    planned, notes = plan(command)
    assert planned.cwd is None
    assert any("a name files by relative path" in n and "--cwd" in n for n in notes)


@pytest.mark.parametrize(
    "command", ["/opt/etl/run.sh", "python3 /opt/x.py --out=/data/x", "echo hello", "$HOME/run.sh", "curl -sf http://x/"]
)
def test_absolute_paths_need_no_directory(command):
    _, notes = plan(command)
    assert not any("relative path" in n for n in notes)
