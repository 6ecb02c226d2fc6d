"""Readiness sensors of the Dagster target, evaluated and run by real Dagster.

A job whose command starts with a file guard gets a sensor in place of its schedule. Evaluated at
chosen times (readiness_probe.py), it asks for no run before the tick's file exists and for one
run, keyed by the tick, once it does; that run executes the command without its guard and sees the
tick's date. When the wait ends without the file, a hard guard's run fails (cron's job failed)
and a soft guard's tick is skipped (cron's job did nothing).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from migrator.codegen.dagster.plan import module_identifier
from migrator.codegen.migrate import migrate
from migrator.codegen.plan import CodegenOptions
from migrator.crontab.parser import load_crontab
from migrator.infer import infer_pipeline

pytestmark = pytest.mark.dagster
PROBE = Path(__file__).with_name("readiness_probe.py")


def _location(tmp_path: Path, crontab: str) -> tuple[Path, str]:
    path = tmp_path / "jobs.crontab"
    path.write_text(crontab, encoding="utf-8")
    pipeline = infer_pipeline(load_crontab(path))
    (dag,) = pipeline.dags
    folder = tmp_path / "location"
    migrate([pipeline], folder, CodegenOptions(target="dagster", cwd=str(tmp_path)))
    return folder, module_identifier(dag.dag_id)


def _probe(
    dagster, tmp_path: Path, folder: Path, name: str, steps: list[dict]
) -> list[dict[str, Any]]:
    request, answer = tmp_path / "steps.json", tmp_path / "answer.json"
    request.write_text(json.dumps(steps), encoding="utf-8")
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    done = subprocess.run(
        [str(dagster.python), str(PROBE), str(folder), name, str(request), str(answer)],
        env=dagster.environment(home),
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(answer.read_text(encoding="utf-8"))


def test_the_location_validates(dagster, tmp_path: Path) -> None:
    folder, name = _location(
        tmp_path, f"0 3 * * * [ -f {tmp_path}/in/$(date +\\%F)/_SUCCESS ] && echo ok\n"
    )
    done = dagster.cli(["definitions", "validate", "-f", "definitions.py"], folder, tmp_path)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert "_when_ready" in (folder / f"{name}.py").read_text(encoding="utf-8")


def test_a_hard_guard_waits_for_the_ticks_file_then_runs_and_fails_when_it_never_came(
    dagster, tmp_path: Path
) -> None:
    out = tmp_path / "out.txt"
    folder, name = _location(
        tmp_path,
        f"0 3 * * * [ -f {tmp_path}/in/$(date +\\%F)/_SUCCESS ] && echo $(date +\\%F) > {out}\n",
    )
    marker = f"{tmp_path}/in/2025-03-10/_SUCCESS"
    answers = _probe(
        dagster,
        tmp_path,
        folder,
        name,
        [
            {"now": "2025-03-10T03:07:00+00:00"},  # 0: the tick has passed, no file yet
            {"now": "2025-03-10T05:00:00+00:00", "touch": [marker]},  # 1: it came
            {"run": 0},  # 2: the run it asked for
            {"now": "2025-03-10T05:05:00+00:00"},  # 3: nothing left to do
            {"now": "2025-03-11T02:54:00+00:00"},  # 4: the next tick is not due yet
            {"now": "2025-03-12T02:58:00+00:00"},  # 5: the 11th's file never came
            {"run": 0},  # 6: that run fails, as cron's job did
        ],
    )
    assert answers[0]["requests"] == [] and f"waits for {marker}" in answers[0]["skip"]
    (request,) = answers[1]["requests"]
    assert request["run_key"] == "2025-03-10T03:00:00+00:00"
    assert request["tags"]["cron2dag/scheduled_time"] == "2025-03-10T03:00:00+00:00"
    assert request["partition"] == "2025-03-10"
    assert answers[2]["success"], answers[2]
    assert out.read_text(encoding="utf-8") == "2025-03-10\n"  # the tick's date, the guard gone
    assert answers[3]["requests"] == [] and answers[4]["requests"] == []
    (late,) = answers[5]["requests"]
    assert late["run_key"] == "2025-03-11T03:00:00+00:00"
    assert late["tags"]["cron2dag/not_ready"] == f"{tmp_path}/in/2025-03-11/_SUCCESS"
    assert not answers[6]["success"]
    assert any("was not there by the end of the wait" in e for e in answers[6]["errors"])


def test_a_soft_guard_skips_a_tick_whose_file_never_came(dagster, tmp_path: Path) -> None:
    out, feed = tmp_path / "out.txt", tmp_path / "feed.json"
    folder, name = _location(tmp_path, f"30 4 * * * [ -f {feed} ] || exit 0; echo ran >> {out}\n")
    answers = _probe(
        dagster,
        tmp_path,
        folder,
        name,
        [
            {"now": "2025-03-10T04:35:00+00:00"},  # 0: waiting
            {"now": "2025-03-11T04:28:00+00:00"},  # 1: the wait ended: skipped, no run
            {"now": "2025-03-11T04:40:00+00:00", "touch": [str(feed)]},  # 2: today's is there
            {"run": 0},  # 3
        ],
    )
    assert answers[0]["requests"] == [] and "waits for" in answers[0]["skip"]
    assert answers[1]["requests"] == []
    assert answers[1]["cursor"].startswith("2025-03-10T04:30:00")  # handled, not waited for again
    (request,) = answers[2]["requests"]
    assert request["run_key"] == "2025-03-11T04:30:00+00:00"
    assert "cron2dag/not_ready" not in request["tags"]
    assert answers[3]["success"], answers[3]
    assert out.read_text(encoding="utf-8") == "ran\n"
