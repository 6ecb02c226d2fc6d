from __future__ import annotations

from dataclasses import replace

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from codegen_support import edge_case_pipeline, seed_pipeline

from migrator.cli import cli
from migrator.codegen import commands
from migrator.codegen.migrate import migrate
from migrator.codegen.plan import CodegenOptions
from migrator.codegen.writer import Status, classify, line_ranges, with_header, write_atomic


def test_line_ranges() -> None:
    assert line_ranges([4]) == "line 4"
    assert line_ranges([9, 4, 5, 6, 7]) == "lines 4-7, 9"
    assert line_ranges([1, 3]) == "lines 1, 3"


def test_edit_detection() -> None:
    text = with_header("etl.crontab", [1], 3, "x = 1\n")
    assert classify(None, text) is Status.CREATED
    assert classify(text, text) is Status.UNCHANGED
    newer = with_header("etl.crontab", [1], 3, "x = 2\n")
    assert classify(text, newer) is Status.UPDATED
    assert classify(text.replace("x = 1", "x = 3"), newer) is Status.EDITED
    assert classify("print('mine')\n", newer) is Status.FOREIGN


def test_atomic_write_keeps_the_mode_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "dag.py"
    write_atomic(target, "a\n")
    target.chmod(0o600)
    write_atomic(target, "b\n")
    assert target.read_text() == "b\n"
    assert target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["dag.py"]


def test_rerun_is_idempotent_and_byte_identical(tmp_path: Path) -> None:
    first = migrate([seed_pipeline()], tmp_path, CodegenOptions())
    contents = {f.path: f.path.read_bytes() for f in first.files}
    assert {f.status for f in first.files} == {Status.CREATED}
    second = migrate([seed_pipeline()], tmp_path, CodegenOptions())
    assert {f.status for f in second.files} == {Status.UNCHANGED}
    assert {f.path: f.path.read_bytes() for f in second.files} == contents


def test_edited_file_is_kept_unless_forced(tmp_path: Path) -> None:
    migrate([seed_pipeline()], tmp_path, CodegenOptions())
    edited = tmp_path / "etl.py"
    edited.write_text(edited.read_text().replace("retries", "retries_mine"))
    mine = edited.read_text()
    result = migrate([seed_pipeline()], tmp_path, CodegenOptions(retries=3))
    statuses = {f.path.name: f.status for f in result.files}
    assert statuses == {"etl.py": Status.EDITED, "weekly_report.py": Status.UPDATED}
    assert edited.read_text() == mine
    forced = migrate([seed_pipeline()], tmp_path, CodegenOptions(retries=3), force=True)
    assert {f.path.name: f.status for f in forced.files}["etl.py"] is Status.OVERWRITTEN
    assert '"retries": 3' in edited.read_text()


def test_dry_run_writes_nothing_and_reports_stale_modules(tmp_path: Path) -> None:
    result = migrate([seed_pipeline()], tmp_path, CodegenOptions(), write=False)
    assert not any(tmp_path.iterdir())
    assert all(f.diff.startswith("--- /dev/null") for f in result.files)
    migrate([seed_pipeline()], tmp_path, CodegenOptions())
    (tmp_path / "old_dag.py").write_text((tmp_path / "etl.py").read_text())
    assert migrate([seed_pipeline()], tmp_path, CodegenOptions()).stale == (tmp_path / "old_dag.py",)


@pytest.fixture
def fake_infer(monkeypatch: pytest.MonkeyPatch) -> None:
    pipelines = {"seed.crontab": seed_pipeline(), "edge.crontab": edge_case_pipeline()}
    monkeypatch.setattr(commands, "_infer", lambda path, *_: pipelines[path.name])


def test_cli_summary_diff_and_exit_codes(tmp_path: Path, fake_infer: None) -> None:
    runner = CliRunner()
    out = str(tmp_path / "dags")
    done = runner.invoke(cli, ["migrate", "seed.crontab", "edge.crontab", "-o", out])
    assert done.exit_code == 0, done.output
    assert "Wrote 3 DAGs" in done.output
    assert "Skipped 1 entry" in done.output and "@reboot has no schedule" in done.output
    assert "DB_PASSWORD: read from Variable 'DB_PASSWORD'" in done.output
    assert "kept wall-clock" in done.output
    again = runner.invoke(cli, ["migrate", "seed.crontab", "-o", out, "--diff"])
    assert again.exit_code == 0 and again.stdout == ""
    changed = runner.invoke(cli, ["migrate", "seed.crontab", "-o", out, "--diff", "--retries", "0"])
    assert changed.exit_code == 1
    assert '-        "retries": 2,' in changed.stdout and '+        "retries": 0,' in changed.stdout
    etl = tmp_path / "dags" / "etl.py"
    etl.write_text(etl.read_text() + "# mine\n")
    blocked = runner.invoke(cli, ["migrate", "seed.crontab", "-o", out, "--retries", "0"])
    assert blocked.exit_code == 1
    assert "NOT WRITTEN: edited since cron2dag wrote it" in blocked.output
    assert etl.read_text().endswith("# mine\n")


def test_cli_rejects_bad_options(tmp_path: Path, fake_infer: None) -> None:
    runner = CliRunner()
    bad_zone = runner.invoke(cli, ["migrate", "seed.crontab", "-o", str(tmp_path), "--timezone", "Mars/Base"])
    assert bad_zone.exit_code == 2 and "is not an IANA time zone name" in bad_zone.output
    bad_delay = runner.invoke(cli, ["migrate", "seed.crontab", "-o", str(tmp_path), "--retry-delay", "soon"])
    assert bad_delay.exit_code == 2 and "duration" in bad_delay.output


def test_dag_id_collision_between_files_prefixes_the_crontab_name_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipelines = {"a.crontab": seed_pipeline(), "b.crontab": replace(seed_pipeline(), source="b.crontab")}
    monkeypatch.setattr(commands, "_infer", lambda path, *_: pipelines[path.name])
    done = CliRunner().invoke(cli, ["migrate", "a.crontab", "b.crontab", "-o", str(tmp_path)])
    assert done.exit_code == 0, done.output
    written = sorted(p.name for p in tmp_path.glob("*.py"))
    assert "etl_etl.py" in written and "b_etl.py" in written and "etl.py" not in written
    assert "DAG id 'etl' is also generated from b.crontab: written as 'etl_etl'" in done.output
    assert "DAG id 'etl' is also generated from etl.crontab: written as 'b_etl'" in done.output
    # the cross-DAG sensor follows its upstream DAG's new id
    assert 'external_dag_id="b_etl"' in (tmp_path / "b_weekly_report.py").read_text()
    assert 'external_dag_id="etl_etl"' in (tmp_path / "etl_weekly_report.py").read_text()


def test_an_unusable_output_path_is_a_clear_error_not_a_traceback(
    tmp_path: Path, fake_infer: None
) -> None:
    runner = CliRunner()
    a_file = tmp_path / "a_file"
    a_file.write_text("mine\n")
    under_a_file = runner.invoke(cli, ["migrate", "seed.crontab", "-o", str(a_file / "dags")])
    assert under_a_file.exit_code == 2
    assert (
        under_a_file.output
        == f"{a_file / 'dags'}: cannot create the output directory: Not a directory\n"
    )
    assert "internal error" not in under_a_file.output
    for flag in ("--dry-run", "--diff"):
        looked = runner.invoke(cli, ["migrate", "seed.crontab", "-o", str(a_file / "dags"), flag])
        assert looked.exit_code == 2 and "etl.py: cannot read: Not a directory" in looked.output
    taken = tmp_path / "taken"
    (taken / "etl.py").mkdir(parents=True)
    a_directory = runner.invoke(cli, ["migrate", "seed.crontab", "-o", str(taken)])
    assert a_directory.exit_code == 2
    assert f"{taken / 'etl.py'}: cannot read: Is a directory" in a_directory.output
    assert a_file.read_text() == "mine\n"


def test_an_unwritable_output_directory_is_a_clear_error(
    tmp_path: Path, fake_infer: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    # chmod cannot stop root (the tests may run as root), so refuse the write itself
    monkeypatch.setattr("migrator.codegen.writer.tempfile.mkstemp", refuse)
    done = CliRunner().invoke(cli, ["migrate", "seed.crontab", "-o", str(tmp_path / "dags")])
    assert done.exit_code == 2
    assert (
        f"{tmp_path / 'dags' / 'etl.py'}: cannot write the DAG file: Permission denied"
        in done.output
    )


def test_a_directory_named_like_a_module_is_not_taken_for_a_stale_one(tmp_path: Path) -> None:
    (tmp_path / "old.py").mkdir()
    result = migrate([seed_pipeline()], tmp_path, CodegenOptions())
    assert result.stale == ()


def test_progress_moves_while_the_dags_are_rendered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from migrator.codegen import migrate as migrate_module

    events: list[object] = []
    real_render = migrate_module.render_dag

    def render(*args: object) -> str:
        events.append("render")
        return real_render(*args)

    monkeypatch.setattr(migrate_module, "render_dag", render)
    migrate(
        [seed_pipeline(), edge_case_pipeline()],
        tmp_path,
        CodegenOptions(),
        progress=lambda done, total: events.append((done, total)),
    )
    renders = events.count("render")
    assert renders == 3
    # rendering is most of the work: the bar moves after each DAG, not only when writing
    assert events[:4] == ["render", (1, 6), "render", (2, 6)]
    assert [e for e in events if e != "render"] == [(n, 6) for n in range(1, 7)]


def test_progress_bar_on_a_terminal_for_many_files(tmp_path: Path) -> None:
    crontabs = []
    for n in range(commands.PROGRESS_THRESHOLD):
        crontab = tmp_path / f"job{n}.crontab"
        crontab.write_text(f"{n} 3 * * * /opt/jobs/job{n}.sh\n")
        crontabs.append(str(crontab))
    out = tmp_path / "dags"
    argv = [sys.executable, "-m", "migrator", "migrate", *crontabs, "-o", str(out)]

    def run(stderr_on_terminal: bool) -> tuple[str, str]:
        if not stderr_on_terminal:
            done = subprocess.run(argv, capture_output=True, text=True, check=True)
            return done.stdout, done.stderr
        try:
            controller, terminal = os.openpty()
        except OSError:
            pytest.skip("no pseudo-terminal available")
        child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=terminal, text=True)
        os.close(terminal)
        seen = bytearray()
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        os.close(controller)
        stdout = child.stdout.read() if child.stdout else ""
        assert child.wait(timeout=120) == 0
        return stdout, seen.decode("utf-8", "replace")

    stdout, terminal = run(stderr_on_terminal=True)
    assert "Reading crontabs" in terminal and "Generating DAGs" in terminal
    assert "100%" in terminal
    assert stdout.startswith(f"Wrote {commands.PROGRESS_THRESHOLD} DAGs")
    assert len(list(out.glob("*.py"))) == commands.PROGRESS_THRESHOLD
    # piped (CI logs, scripts): no bar, only the summary
    stdout, stderr = run(stderr_on_terminal=False)
    assert stderr == "" and stdout.startswith(f"Wrote {commands.PROGRESS_THRESHOLD} DAGs")


def test_secret_values_never_reach_the_dag_files_through_task_ids(tmp_path: Path) -> None:
    from migrator.crontab.parser import load_crontab
    from migrator.infer import infer_pipeline

    crontab = tmp_path / "api.crontab"
    crontab.write_text(
        "API_TOKEN=tokxyz\n"
        "AWS_SECRET_ACCESS_KEY=s3cr3t\n"
        '0 1 * * * curl -H "Authorization: $API_TOKEN" https://x/$API_TOKEN > /data/out_$API_TOKEN.csv\n'
        "30 1 * * * python /opt/load.py /data/out_$API_TOKEN.csv\n"
        "0 2 * * * echo $AWS_SECRET_ACCESS_KEY\n"
    )
    pipeline = infer_pipeline(load_crontab(crontab))
    result = migrate([pipeline], tmp_path / "dags", CodegenOptions())
    texts = [f.path.name + f.path.read_text() for f in result.files]
    assert not any("tokxyz" in text or "s3cr3t" in text for text in texts)
    # inference still sees that the load reads what the download wrote
    (etl,) = [d for d in pipeline.dags if len(d.tasks) == 2]
    assert [e.downstream for e in etl.edges] == ["load"]


def test_bad_crontabs_stop_migrate_before_anything_is_written(tmp_path: Path) -> None:
    fixtures = Path(__file__).resolve().parents[2] / "fixtures" / "crontabs"
    out = tmp_path / "dags"
    runner = CliRunner()
    missing = runner.invoke(cli, ["migrate", str(tmp_path / "nope.crontab"), "-o", str(out)])
    assert missing.exit_code == 2
    assert (
        missing.output
        == f"{tmp_path / 'nope.crontab'}: cannot read the file: No such file or directory\n"
    )
    broken = runner.invoke(
        cli,
        [
            "migrate",
            str(fixtures / "seed_pipeline.crontab"),
            str(fixtures / "invalid" / "broken.crontab"),
            "-o",
            str(out),
        ],
    )
    assert broken.exit_code == 2
    assert f"{fixtures / 'invalid' / 'broken.crontab'}:2:1: bad minute '60'" in broken.output
    assert "Traceback" not in broken.output and "internal error" not in broken.output
    assert not out.exists()
