"""Property, in real Airflow: an embedded command renders back to exactly what cron ran.

The unit tests (tests/codegen/test_codegen_command.py) render with a copy of Airflow's Jinja
settings; here Airflow itself renders, through a BashOperator in a DAG (the DAG's own template
environment, `template_ext` and all), so a change in Airflow's templating cannot hide. Nothing is
executed: arbitrary text must never reach a shell.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pendulum
import pytest
from airflow_harness import AirflowEnv
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "codegen"))

from codegen_support import airflow_render
from test_codegen_command import cron_commands, expected_bash_input, stdin_texts

from migrator.codegen.command import embed_command
from migrator.codegen.jinja import literal_template

pytestmark = pytest.mark.airflow

# Runs in the Airflow venv: render each case's bash_command and env with Airflow's own machinery.
RENDER = r"""
import json, sys
import pendulum
try:
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.operators.bash import BashOperator

cases = json.loads(open(sys.argv[1], encoding="utf-8").read())
logical_date = pendulum.parse(sys.argv[2])
out = []
with DAG("render_probe", schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC")):
    for index, case in enumerate(cases):
        task = BashOperator(task_id=f"t{index}", bash_command=case["template"], env=case["env"])
        try:
            task.render_template_fields({"logical_date": logical_date})
        except Exception as error:  # reported per case, so the failing command is named
            out.append({"error": f"{type(error).__name__}: {error}"})
            continue
        out.append({"bash_command": task.bash_command, "env": task.env})
open(sys.argv[3], "w", encoding="utf-8").write(json.dumps(out))
"""
LOGICAL_DATE = pendulum.datetime(2025, 1, 4, 23, 0, tz="UTC")  # 00:00 in Paris on the 5th


def render_in_airflow(env: AirflowEnv, cases: list[dict[str, object]]) -> list[dict[str, object]]:
    home = env.new_home()
    script, request, response = home / "render.py", home / "cases.json", home / "rendered.json"
    script.write_text(RENDER, encoding="utf-8")
    request.write_text(json.dumps(cases), encoding="utf-8")
    done = subprocess.run(
        [str(env.python), str(script), str(request), LOGICAL_DATE.isoformat(), str(response)],
        env=env.environment(home, home / "dags"),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=env.timeout_s,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(response.read_text(encoding="utf-8"))


case = st.tuples(
    cron_commands,
    st.none() | stdin_texts,
    st.sampled_from([None, "/bin/sh", "/bin/zsh"]),
    st.booleans(),  # rewrite dates
)


@pytest.mark.parametrize("major", [3, 2])
def test_airflow_renders_embedded_commands_to_the_cron_command(
    request: pytest.FixtureRequest, major: int
) -> None:
    env: AirflowEnv = request.getfixturevalue(f"airflow{major}")

    # each example is one batch (one Airflow process), so a few examples cover hundreds of commands;
    # no shrinking (minutes of Airflow processes): a failure names its command in the message
    @settings(
        max_examples=4,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(case, min_size=60, max_size=60))
    def check(batch: list[tuple[str, str | None, str | None, bool]]) -> None:
        embedded = [
            embed_command(command, stdin, rewrite=rewrite, shell=shell, timezone="Europe/Paris")
            for command, stdin, shell, rewrite in batch
        ]
        cases = [
            {"template": e.template, "env": {"VALUE": literal_template(command)}}
            for e, (command, *_) in zip(embedded, batch)
        ]
        rendered = render_in_airflow(env, cases)
        for e, (command, stdin, shell, rewrite), got in zip(embedded, batch, rendered):
            assert "error" not in got, (command, e.template, got)
            assert got["env"] == {"VALUE": command}
            if stdin is None and shell in (None, "/bin/sh") and not e.rewritten:
                # the plain case: what bash receives is the crontab command itself
                assert got["bash_command"] == expected_bash_input(command)
            # every other case (stdin, foreign SHELL, dates): Airflow agrees with the renderer the
            # unit tests use to run the result in bash and compare with cron's behaviour
            assert got["bash_command"] == airflow_render(e.template, LOGICAL_DATE)

    check()
