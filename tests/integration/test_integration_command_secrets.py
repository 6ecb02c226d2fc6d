"""Secrets moved out of command lines, in real Airflow 3 and 2 (issue 16).

A crontab whose commands hold a password (after `mysqldump -p`, in `PGPASSWORD=`, in a URL) is
migrated; `airflow dags test` runs each DAG with the Variables set through `AIRFLOW_VAR_<NAME>`, and
every program receives exactly the arguments and environment it got from cron: the same commands run
by bash directly are the oracle. The generated files hold none of the values.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from airflow_harness import AirflowEnv, DagTestRequest

from migrator.codegen.migrate import migrate
from migrator.codegen.plan import CodegenOptions
from migrator.crontab.parser import parse_crontab
from migrator.infer import infer_pipeline

pytestmark = pytest.mark.airflow

PASSWORD = 'S w@$x!"q{{ y }}'
# a stand-in for mysqldump and curl that records the arguments it was given, one per line
RECORDER = '#!/bin/sh\nfor a in "$@"; do printf \'%s\\n\' "$a"; done\n'


def _crontab(bin_dir: Path, out: Path) -> str:
    return (
        f"PATH={bin_dir}:/usr/bin:/bin\n"
        f"0 1 * * * mysqldump -u root -p'{PASSWORD}' shop > {out}/dump.txt\n"
        f'0 2 * * * PGPASSWORD=pg-pass-123 sh -c \'printf "\\%s" "$PGPASSWORD"\' > {out}/pg.txt\n'
        f"0 3 * * * echo https://report:hunter2go@files.example.org/x.csv > {out}/url.txt\n"
        f"0 4 * * * curl -s -H 'Authorization: Bearer tok-123456' https://hooks.example.com/x"
        f" > {out}/header.txt\n"
    )


def _cron_outputs(crontab: str, bin_dir: Path, out: Path) -> dict[str, str]:
    """What cron's commands write when bash runs them (the commands after cron's `%` handling)."""
    parsed = parse_crontab(crontab, "secrets.cron", system=False)
    for entry in parsed.entries:
        environment = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
        subprocess.run(["bash", "-c", entry.command], env=environment, check=True)
    return {p.name: p.read_text() for p in sorted(out.iterdir())}


@pytest.mark.parametrize("major", [3, 2])
def test_commands_with_secrets_run_in_airflow_as_cron_ran_them(
    request: pytest.FixtureRequest, tmp_path: Path, major: int
) -> None:
    env: AirflowEnv = request.getfixturevalue(f"airflow{major}")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("mysqldump", "curl"):
        (bin_dir / program).write_text(RECORDER)
        (bin_dir / program).chmod(0o755)
    cron_out, airflow_out = tmp_path / "cron", tmp_path / "airflow"
    cron_out.mkdir()
    airflow_out.mkdir()
    expected = _cron_outputs(_crontab(bin_dir, cron_out), bin_dir, cron_out)
    assert expected["dump.txt"].splitlines()[2] == f"-p{PASSWORD}"  # the oracle ran the real thing

    crontab = _crontab(bin_dir, airflow_out)
    pipeline = infer_pipeline(parse_crontab(crontab, "secrets.cron", system=False))
    dags = tmp_path / "dags"
    result = migrate([pipeline], dags, CodegenOptions(airflow=major, retries=0))
    for file in result.files:
        text = file.path.read_text(encoding="utf-8")
        for value in (PASSWORD, "pg-pass-123", "hunter2go", "tok-123456"):
            assert value not in text and value not in file.path.name
    values = {
        "mysql_root_password": PASSWORD,
        "PGPASSWORD": "pg-pass-123",
        "files_example_org_report_password": "hunter2go",
        "hooks_example_com_authorization": "tok-123456",
    }
    listed = {secret.variable for plan in result.plans for secret, _ in plan.secrets}
    assert listed == set(values)
    with_variables = env.with_environment(
        **{f"AIRFLOW_VAR_{name.upper()}": value for name, value in values.items()}
    )
    day = dt.datetime(2025, 1, 6, tzinfo=dt.timezone.utc)
    runs = with_variables.dags_test_many(
        dags, [DagTestRequest(d.dag_id, day) for d in pipeline.dags]
    )
    for run in runs:
        assert run.state == "success", run.describe()
    produced = {p.name: p.read_text() for p in sorted(airflow_out.iterdir())}
    assert produced == expected
