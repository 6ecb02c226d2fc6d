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
    assert any("a names files by relative path" in n and "--cwd" in n for n in notes)


@pytest.mark.parametrize(
    "command", ["/opt/etl/run.sh", "python3 /opt/x.py --out=/data/x", "echo hello", "$HOME/run.sh", "curl -sf http://x/"]
)
def test_absolute_paths_need_no_directory(command):
    _, notes = plan(command)
    assert not any("relative path" in n for n in notes)


@pytest.mark.parametrize(
    "command",
    [
        "cd /srv/app && python manage.py sync",
        "cd /srv/app; bin/load --day 1 > out/load.csv",
        "/usr/bin/python3 /opt/etl/load.py --out /data/x.csv",
    ],
)
def test_no_relative_path_note_after_cd_to_an_absolute_directory(command):
    _, notes = plan(command)
    assert not any("relative path" in n or "`~`" in n for n in notes)


@pytest.mark.parametrize("command", ["~/bin/load.sh", "cd ~ && ./run", "python $HOME/x.py", "sh ~/0_scripts/extract.sh"])
def test_the_home_directory_is_flagged_without_home_in_the_crontab(command):
    _, notes = plan(command)
    (note,) = [n for n in notes if "`~`" in n]
    assert note.startswith("a uses `~`") and "HOME=" in note
    _, with_home = plan(command, env=(("HOME", "/home/etl"),))
    assert not any("`~`" in n for n in with_home)


def test_crontab_notes_are_said_once_per_crontab_not_per_dag():
    tasks = [task(name, entry(k + 1, "0 0 * * *", f"python {name}.py")) for k, name in enumerate("abc")]
    result = plan_pipeline(
        pipeline([dag(name, [t]) for name, t in zip("abc", tasks)]), CodegenOptions()
    )
    messages = [n.message for n in result.notes]
    assert sum("relative path" in m for m in messages) == 1
    assert sum("no owner" in m for m in messages) == 1
    assert any(m.startswith("a, b, c name files by relative path") for m in messages)
    assert any(m.startswith("DAGs a, b, c have no owner") for m in messages)
