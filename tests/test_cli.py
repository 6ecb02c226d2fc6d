import subprocess
import sys

from click.testing import CliRunner

from migrator.cli import COMMANDS, cli


def test_every_registered_command_loads_and_has_help():
    for name in COMMANDS:
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert result.output.startswith("Usage: ")


def test_module_entry_point_runs():
    done = subprocess.run([sys.executable, "-m", "migrator", "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    assert "cron2dag" in done.stdout


def test_a_reader_that_stops_early_is_not_an_error(tmp_path):
    """`cron2dag lint dags | head`: the closed pipe ends the command quietly, with no 'internal error'."""
    tasks = "".join(f'    BashOperator(task_id="t{i}", bash_command="t.sh")\n' for i in range(3000))
    (tmp_path / "big.py").write_text(
        "from airflow.providers.standard.operators.bash import BashOperator\n"
        'from airflow.sdk import DAG\n\nwith DAG("big", schedule=None):\n' + tasks
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "migrator", "lint", "big.py", "--no-cache"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith(b"big.py:")
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 1
    assert stderr == ""



def test_lint_ends_its_process_with_every_byte_and_the_exit_code_of_the_command(tmp_path, monkeypatch):
    """`main` ends `lint` with os._exit (no heap teardown): what it printed must all arrive, as the
    same command prints in-process, and the status must be the command's."""
    dags = tmp_path / "dags"
    dags.mkdir()
    tasks = "".join(f'    BashOperator(task_id="t{i}", bash_command="t.sh", provide_context=True)\n' for i in range(400))
    (dags / "big.py").write_text(
        "from airflow.operators.bash_operator import BashOperator\n"
        'from airflow import DAG\n\nwith DAG("big", schedule_interval="@daily"):\n' + tasks
    )
    monkeypatch.chdir(tmp_path)
    runs = [
        (["lint", "dags", "--no-cache"], 1),
        (["lint", "dags"], 1),  # fills the cache
        (["lint", "dags"], 1),  # answered by it
        (["lint", "dags", "--format", "json"], 1),
        (["lint", "dags", "--statistics"], 1),
        (["lint", "dags", "--exit-zero"], 0),
        (["lint", "dags", "--diff"], 1),
        (["lint", "dags", "--select", "DAG001"], 0),
    ]
    for args, code in runs:
        done = subprocess.run([sys.executable, "-m", "migrator", *args], capture_output=True, text=True)
        assert done.returncode == code, (args, done.stderr)
        in_process = CliRunner().invoke(cli, [*args, "--no-cache"] if "--no-cache" not in args else args)
        assert in_process.exit_code == code, args
        assert done.stdout == in_process.stdout, args
        assert len(done.stdout) > (100 if "--statistics" in args else 10_000) or code == 0, args


def test_lint_under_a_profiler_exits_normally_so_the_profile_is_written(tmp_path):
    """Ending the process at once would lose what a profiler or coverage writes at exit."""
    (tmp_path / "dag.py").write_text("from airflow import DAG\n\nwith DAG('d', schedule_interval='@daily'):\n    pass\n")
    profile = tmp_path / "lint.prof"
    done = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "migrator", "lint", "dag.py", "--no-cache"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert "AF301" in done.stdout, done.stderr  # (cProfile's own exit status is not the command's)
    assert profile.stat().st_size > 0
