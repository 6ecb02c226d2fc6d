"""`cron2dag graph DAG.py`: DAG files drawn from the linter's static extraction (never imported)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from migrator.cli import cli

DAG_FILE = """
import pendulum
from airflow.sdk import DAG, TaskGroup, chain, task
from airflow.providers.standard.operators.bash import BashOperator

with DAG("shop", schedule="0 1 * * *", start_date=pendulum.datetime(2025, 1, 1), catchup=False):
    extract = BashOperator(task_id="extract", bash_command="extract.sh")
    with TaskGroup("clean"):
        a = BashOperator(task_id="orders", bash_command="a.sh")
        b = BashOperator(task_id="refunds", bash_command="b.sh")

    @task
    def total(x):
        return x

    load = BashOperator(task_id="load", bash_command="load.sh")
    extract >> [a, b]
    chain([a, b], load)
    total(load.output)
"""


def _graph(path: Path, *args: str):
    return CliRunner().invoke(cli, ["graph", str(path), *args])


def test_dag_file_as_mermaid(tmp_path: Path):
    path = tmp_path / "shop.py"
    path.write_text(DAG_FILE)
    result = _graph(path)
    assert result.exit_code == 0, result.output
    out = result.output
    assert 'subgraph shop["shop · 0 1 * * *"]' in out
    assert 'shop__clean_orders["clean.orders"]' in out
    assert "shop__extract --> shop__clean_orders" in out
    assert "shop__clean_refunds --> shop__load" in out
    assert "shop__load -->|data| shop__total" in out


def test_dag_file_as_dot(tmp_path: Path):
    path = tmp_path / "shop.py"
    path.write_text(DAG_FILE)
    out = _graph(path, "--format", "dot").output
    assert 'label="shop (0 1 * * *)";' in out
    assert '"shop.extract" -> "shop.clean.orders";' in out
    assert '"shop.load" -> "shop.total" [label="data"];' in out


def test_dag_file_is_never_run(tmp_path: Path):
    marker = tmp_path / "ran"
    path = tmp_path / "side_effect.py"
    path.write_text(f"open({str(marker)!r}, 'w').write('x')\n" + DAG_FILE)
    assert _graph(path).exit_code == 0
    assert not marker.exists()


def test_bad_dag_files_are_errors_with_positions(tmp_path: Path):
    broken = tmp_path / "broken.py"
    broken.write_text("with DAG(\n")
    result = _graph(broken)
    assert result.exit_code == 2
    assert result.output.startswith(f"{broken}:")
    assert "not valid Python" in result.output
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    result = _graph(empty)
    assert result.exit_code == 2 and "no DAG found" in result.output
    missing = _graph(tmp_path / "missing.py")
    assert missing.exit_code == 2 and "cannot read" in missing.output
