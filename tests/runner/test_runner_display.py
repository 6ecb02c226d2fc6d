"""While a task waits: the live view shows up_for_retry with the next try's time and keeps redrawing;
`--retries` / `--retry-delay` shorten a local trial's waits."""

from __future__ import annotations

import io
import json
import textwrap
import time
import types
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from migrator.cli import cli
from migrator.runner import display as display_module
from migrator.runner.display import RunDisplay
from migrator.runner.states import TaskInstanceState
from migrator.runner.store import RunRow, TIKey, TIRow


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(display_module, "time", types.SimpleNamespace(
        time=fake.time, monotonic=fake.monotonic, strftime=time.strftime, gmtime=time.gmtime))
    return fake


def fake_run(tis: dict[TIKey, TIRow]) -> types.SimpleNamespace:
    row = RunRow(dag_id="pipeline", run_id="manual__2024-01-01T00:00:00+00:00",
                 logical_date="2024-01-01T00:00:00+00:00", data_interval_start=None, data_interval_end=None,
                 run_after="2024-01-01T00:00:00+00:00", run_type="manual", state="running", conf={})
    return types.SimpleNamespace(row=row, tis=tis, key=(row.dag_id, row.run_id), final_state=None, outcome_note=None)


def rendered(display: RunDisplay) -> str:
    console = Console(file=io.StringIO(), width=120, record=True)
    console.print(display._render())
    return console.export_text()


def test_the_live_view_shows_up_for_retry_with_the_next_try_and_keeps_redrawing(clock: Clock) -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    display = RunDisplay(console)
    key = TIKey("load_to_warehouse")
    running = TIRow(task_id="load_to_warehouse", map_index=-1, state=TaskInstanceState.RUNNING, try_number=1,
                    max_tries=2, retries=2, start_date="2023-11-14T22:13:20+00:00")
    run = fake_run({key: running})
    with display:
        draws = []
        real_update = display.live.update
        display.live.update = lambda *args, **kwargs: (draws.append(clock.now), real_update(*args, **kwargs))
        display.run_started(run)
        clock.now += 0.01  # the failure arrives within the 0.1 s redraw limit: that change used to stay undrawn
        waiting = TIRow(task_id="load_to_warehouse", map_index=-1, state=TaskInstanceState.UP_FOR_RETRY,
                        try_number=1, max_tries=2, retries=2, next_try_at=clock.now + 300)
        run.tis[key] = waiting
        display.task_changed(run, key, waiting)
        shown = rendered(display)
        assert "up_for_retry after try 1; try 2 at" in shown and "(in 0:05:00)" in shown
        assert "running" not in shown
        # no event for the whole retry delay: the scheduler's ticks keep the view (and its clock) moving
        for _ in range(60):
            clock.now += 1.0
            display.tick()
        assert draws[-1] == clock.now
        assert "(in 0:04:00)" in rendered(display)


def test_plain_output_says_when_a_retry_starts(clock: Clock) -> None:
    out = io.StringIO()
    display = RunDisplay(Console(file=out, force_terminal=False, width=120))
    key = TIKey("extract")
    waiting = TIRow(task_id="extract", map_index=-1, state=TaskInstanceState.UP_FOR_RETRY, try_number=1,
                    max_tries=1, retries=1, start_date="2023-11-14T22:13:00+00:00",
                    end_date="2023-11-14T22:13:20+00:00", next_try_at=clock.now + 90)
    display.task_changed(fake_run({key: waiting}), key, waiting)
    at = time.strftime("%H:%M:%SZ", time.gmtime(clock.now + 90))
    assert f"extract up_for_retry (try 1, 20.00s); try 2 at {at} (in 0:01:30)" in out.getvalue()


SLOW_RETRIES = '''
from datetime import timedelta
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.bash import BashOperator

with DAG("slow_retries", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
         default_args={"retries": 2, "retry_delay": timedelta(minutes=5), "retry_exponential_backoff": True}) as dag:
    BashOperator(task_id="missing_script", bash_command='echo "try $AIRFLOW_CTX_TRY_NUMBER" >> "$OUT"; exit 1')
'''


def test_retries_and_retry_delay_shorten_a_local_trial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A migrated DAG's 2 retries 5 minutes apart made a first run with missing scripts take 10 minutes."""
    monkeypatch.setenv("CRON2DAG_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OUT", str(tmp_path / "out.txt"))
    (tmp_path / "slow.py").write_text(textwrap.dedent(SLOW_RETRIES))
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "slow.py"), "--date", "2024-01-01", "--retries", "1",
                                      "--retry-delay", "0"])
    assert result.exit_code == 1, result.output
    assert "missing_script up_for_retry (try 1" in result.output and "try 2 at" in result.output
    assert (tmp_path / "out.txt").read_text().split("\n")[:2] == ["try 1", "try 2"]
    [run] = json.loads(CliRunner().invoke(cli, ["runs", "--format", "json"]).output)
    assert [(t["state"], t["try_number"]) for t in run["tasks"]] == [("failed", 2)]
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "slow.py"), "--date", "2024-01-02", "--retries", "0"])
    assert result.exit_code == 1 and "up_for_retry" not in result.output, result.output
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "slow.py"), "--retry-delay", "soon"])
    assert result.exit_code == 2 and "is not a duration like 300, 90s, 5m or 1h" in result.output


def test_retries_of_a_resumed_run_apply_to_the_attempts_still_to_come(tmp_path: Path) -> None:
    from migrator.runner.store import Store

    store = Store(tmp_path)
    row = RunRow(dag_id="d", run_id="r", logical_date=None, data_interval_start=None, data_interval_end=None,
                 run_after="2024-01-01T00:00:00+00:00", run_type="manual", state="queued", conf={})
    assert store.create_run(row, [("fresh", -1, 2), ("retrying", -1, 2), ("done", -1, 2)])
    store.conn.execute("UPDATE task_instance SET state = 'up_for_retry', try_number = 1 WHERE task_id = 'retrying'")
    store.conn.execute("UPDATE task_instance SET state = 'success', try_number = 1 WHERE task_id = 'done'")
    store.set_retries("d", "r", 0)
    tis = {key.task_id: ti for key, ti in store.load_tis("d", "r").items()}
    assert (tis["fresh"].max_tries, tis["retrying"].max_tries, tis["done"].max_tries) == (0, 1, 2)
    store.close()
