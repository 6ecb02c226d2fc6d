"""`migrate --target dagster` without Dagster: determinism, formatting, the edit contract, the
choices the generated code makes, and the run-time helpers it copies in (run here as plain Python).

Real Dagster loads, schedules and runs the output in tests/dagster (`pytest -m dagster`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pendulum
import pytest
from click.testing import CliRunner
from codegen_support import airflow_render
from hypothesis import given, settings
from hypothesis import strategies as st
from test_codegen_command import cron_commands, stdin_texts

from migrator.cli import cli
from migrator.codegen.dagster import helpers
from migrator.codegen.dagster.plan import dagster_owners, module_identifier
from migrator.codegen.dates import DateCall

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
SEED = FIXTURES / "crontabs" / "seed_pipeline.crontab"
DATED = FIXTURES / "dagster" / "dated_pipeline.crontab"
NASTY = FIXTURES / "dagster" / "nasty_commands.crontab"
CRONTABS = sorted(
    p
    for p in FIXTURES.rglob("*")
    if p.is_file()
    and (p.suffix == ".crontab" or p.parent.name in ("etc", "cron.d"))
    and "invalid" not in p.parts
)

MIGRATE_ALL = """
import sys
from pathlib import Path
from zoneinfo import ZoneInfo
from click.testing import CliRunner
from migrator.cli import cli

out, crontabs = Path(sys.argv[1]), sys.argv[2:]
for index, crontab in enumerate(crontabs):
    args = ["migrate", crontab, "-o", str(out / str(index)), "--target", "dagster"]
    done = CliRunner().invoke(cli, args)
    if done.exit_code != 0:
        sys.exit(f"{crontab}: exit {done.exit_code}\\n{done.output}")
"""


def _migrate_all(out: Path, hash_seed: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", MIGRATE_ALL, str(out), *map(str, CRONTABS)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    runs = [_migrate_all(first, "1"), _migrate_all(second, "2")]
    for run in runs:
        _, errors = run.communicate()
        assert run.returncode == 0, errors[-3000:]
    return first, second


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.py"))}


def test_every_fixture_gives_byte_identical_modules_and_a_definitions_file(
    outputs: tuple[Path, Path],
) -> None:
    first, second = outputs
    produced = _files(first)
    assert len([name for name in produced if name.endswith("/definitions.py")]) == len(CRONTABS)
    assert produced == _files(second)


def test_every_output_is_ruff_formatted_and_compiles(outputs: tuple[Path, Path]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--isolated", "--check", str(outputs[0])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for path in outputs[0].rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def _migrate(tmp_path: Path, *args: str) -> tuple[int, str]:
    done = CliRunner().invoke(
        cli, ["migrate", *args, "-o", str(tmp_path / "out"), "--target", "dagster"]
    )
    return done.exit_code, done.output


def test_the_seed_pipeline_is_ops_in_a_job_with_the_crontab_line_above_each_step(
    tmp_path: Path,
) -> None:
    code, output = _migrate(tmp_path, str(SEED), "--owner", "data-team")
    assert code == 0, output
    source = (tmp_path / "out" / "seed_pipeline.py").read_text(encoding="utf-8")
    assert "as Dagster ops in one job" in source
    assert (
        "# seed_pipeline.crontab:6: 0 1 * * * python transform_api_data.py\n"
        "# 2 retries (the default): nothing in the command says how it fails\n@dg.op("
    ) in source
    # a network pull (by its name) retries with backoff, as in the Airflow output
    assert (
        "dg.RetryPolicy(\n        max_retries=3,\n        delay=300,\n        backoff=dg.Backoff.EXPONENTIAL,"
        in source
    )
    assert 'owners=["team:data-team"]' in source
    assert "dg.RetryPolicy(max_retries=2, delay=300)" in source
    assert "import seed_pipeline" in (tmp_path / "out" / "definitions.py").read_text()
    # cron2dag lints Airflow code only: nothing in the report sends the user to `cron2dag lint`
    assert "lint" not in output.replace(str(tmp_path), "")


def test_no_lint_advice_even_without_an_owner(tmp_path: Path) -> None:
    code, output = _migrate(tmp_path, str(SEED))
    assert code == 0
    report = output.replace(str(tmp_path), "")
    assert "no owner" in report and "lint" not in report and "OPS003" not in report


def test_secrets_stay_out_of_every_file_and_the_summary_says_where_to_set_them(
    tmp_path: Path,
) -> None:
    code, output = _migrate(tmp_path, str(DATED))
    assert code == 0, output
    for path in (tmp_path / "out").iterdir():
        assert "not-in-the-generated-code" not in path.read_text(encoding="utf-8")
    assert "API_TOKEN: read with dg.EnvVar('API_TOKEN')" in output
    source = (tmp_path / "out" / "dated_pipeline.py").read_text(encoding="utf-8")
    assert "as Dagster assets in one asset job" in source
    assert "deps=[mkdir]" in source and "deps=[cat_warehouse]" in source
    assert "hour_offset=2" in source and "minute_offset=15" in source
    assert 'MAILTO = ["data-team@example.com"]' in source
    assert "Dagster sends no mail by itself" in source


def test_a_password_in_a_command_line_is_in_no_dagster_file(tmp_path: Path) -> None:
    """The command-line secret detector (issue 16) moves it to an environment variable."""
    from migrator.crontab import secrets

    if not hasattr(secrets, "find_command_secrets"):
        pytest.xfail("needs the command-line secret detector of issue 16 (branch i16)")
    crontab = tmp_path / "curl.crontab"
    crontab.write_text("0 1 * * * curl -u admin:S3cretPassw0rd https://api.example.com/export\n")
    code, output = _migrate(tmp_path, str(crontab))
    assert code == 0, output
    for path in (tmp_path / "out").iterdir():
        assert "S3cretPassw0rd" not in path.read_text(encoding="utf-8")
    assert "S3cretPassw0rd" not in output


def test_edits_are_kept_unless_force(tmp_path: Path) -> None:
    assert _migrate(tmp_path, str(SEED))[0] == 0
    module = tmp_path / "out" / "seed_pipeline.py"
    definitions = tmp_path / "out" / "definitions.py"
    module.write_text(module.read_text() + "# mine\n")
    definitions.write_text(definitions.read_text() + "# mine too\n")
    code, output = _migrate(tmp_path, str(SEED))
    assert code == 1 and "NOT WRITTEN: edited" in output
    assert module.read_text().endswith("# mine\n")
    assert definitions.read_text().endswith("# mine too\n")
    code, output = _migrate(tmp_path, str(SEED), "--force")
    assert code == 0 and "overwritten (--force)" in output
    assert not module.read_text().endswith("# mine\n")


def test_definitions_keeps_the_modules_of_other_crontabs_in_the_directory(tmp_path: Path) -> None:
    assert _migrate(tmp_path, str(SEED))[0] == 0
    assert _migrate(tmp_path, str(DATED))[0] == 0
    text = (tmp_path / "out" / "definitions.py").read_text()
    assert "import dated_pipeline\nimport seed_pipeline\n" in text
    assert "seed_pipeline.defs," in text and "dated_pipeline.defs," in text


def test_a_calendar_cron_reads_as_and_skips_the_other_days(tmp_path: Path) -> None:
    crontab = tmp_path / "odd_mondays.crontab"
    crontab.write_text("0 6 */2 * 1 /opt/report.sh\n")
    code, output = _migrate(tmp_path, str(crontab))
    assert code == 0, output
    source = next(p for p in (tmp_path / "out").iterdir() if p.name != "definitions.py")
    text = source.read_text()
    assert 'cron_schedule="0 6 * * 1"' in text
    assert "not in range(1, 32, 2)" in text and "dg.SkipReason(" in text


@pytest.mark.parametrize(
    ("dag_id", "name"),
    [
        ("etl", "etl"),
        ("json", "json_pipeline"),
        ("watchdog", "watchdog_pipeline"),  # a real crontab's job; Dagster imports watchdog
        ("definitions", "definitions_pipeline"),
        ("dagster_sync", "dagster_sync_pipeline"),
        ("2am-report", "pipeline_2am_report"),
        ("class", "class_pipeline"),
    ],
)
def test_module_names_never_shadow_what_dagster_imports(dag_id: str, name: str) -> None:
    assert module_identifier(dag_id) == name


def test_owners_are_teams_or_addresses() -> None:
    assert dagster_owners("etl,root") == ("team:etl", "team:root")
    assert dagster_owners("ops@example.com") == ("ops@example.com",)
    assert dagster_owners(None) == ()


# -- the helpers copied into every module ----------------------------------------------------------

zones = st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe"])
formats = st.sampled_from(["%F", "%Y%m%d", "%Y-%m-%d %H:%M", "%a %d %b", "%j"])
shifts = st.sampled_from(
    [("days", 0), ("days", -1), ("days", 1), ("weeks", -2), ("hours", -3), ("minutes", 90)]
)


@settings(max_examples=150, deadline=None)
@given(
    tick=st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2026, 12, 31)).map(
        lambda d: d.replace(second=0, microsecond=0, tzinfo=dt.timezone.utc)
    ),
    zone=zones,
    fmt=formats,
    shift=shifts,
    offset_minutes=st.sampled_from([0, 30, 150, 24 * 60]),
)
def test_cron_date_prints_what_the_airflow_template_renders(
    tick: dt.datetime, zone: str, fmt: str, shift: tuple[str, int], offset_minutes: int
) -> None:
    offset = dt.timedelta(minutes=offset_minutes)
    call = DateCall(zone, fmt, offset, shift)
    unit, amount = shift
    days = amount * 7 if unit == "weeks" else amount if unit == "days" else 0
    seconds = {"hours": 3600, "minutes": 60}.get(unit, 0) * amount
    ours = helpers.cron_date(
        tick, fmt, zone, after=int(offset.total_seconds()), days=days, seconds=seconds
    )
    logical_date = pendulum.instance(tick)
    assert ours == airflow_render("{{ " + call.jinja() + " }}", logical_date=logical_date)


class _Pipes:
    """Stands in for `dg.PipesSubprocessClient`: runs the argv it is given as Popen would."""

    def __init__(self) -> None:
        self.output = b""

    def run(self, *, context: object, command: list[str], env: dict, cwd: str | None) -> None:
        done = subprocess.run(
            command, env={**os.environ, **env}, cwd=cwd, capture_output=True, check=True
        )
        self.output = done.stdout


class _Context:
    class log:  # the shape of Dagster's context.log
        @staticmethod
        def info(message: str) -> None:
            pass


# a stand-in for SHELL: prints the arguments it was called with and what it read on stdin
_SHELL = Path(tempfile.mkdtemp()) / "show-shell-input"
_SHELL.write_text(
    f"#!{sys.executable}\n"
    "import json, sys\n"
    "data = sys.stdin.buffer.read()\n"
    "sys.stdout.write(json.dumps([sys.argv[1:], data.decode('utf-8', 'surrogateescape')]))\n"
)
_SHELL.chmod(0o755)


@settings(max_examples=60, deadline=None)
@given(command=cron_commands, stdin=st.none() | stdin_texts)
def test_run_cron_command_hands_the_shell_exactly_the_command_and_stdin(
    command: str, stdin: str | None
) -> None:
    """cron runs `SHELL -c COMMAND` with the text after `%` (or nothing) on standard input."""
    pipes = _Pipes()
    helpers.run_cron_command(_Context(), pipes, command, shell=str(_SHELL), stdin=stdin)  # type: ignore[arg-type]
    assert json.loads(pipes.output) == [["-c", command], stdin or ""]


def test_run_cron_command_joins_a_command_in_pieces() -> None:
    pipes = _Pipes()
    helpers.run_cron_command(_Context(), pipes, ["echo ", "2025-01-05"], shell=str(_SHELL))  # type: ignore[arg-type]
    assert json.loads(pipes.output) == [["-c", "echo 2025-01-05"], ""]


READINESS = FIXTURES / "crontabs" / "readiness.crontab"


def _module_running(out: Path, text: str) -> str:
    """The generated module whose command contains `text` (module names follow inference)."""
    (source,) = [
        source
        for path in sorted(out.glob("*.py"))
        if path.name != "definitions.py"
        and "run_cron_command(" in (source := path.read_text(encoding="utf-8"))
        and text in source.split("@dg.op(")[-1]
    ]
    return source


@pytest.fixture(scope="module")
def readiness_output(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The readiness fixture migrated to Dagster: (output folder, the summary)."""
    tmp_path = tmp_path_factory.mktemp("readiness")
    code, output = _migrate(tmp_path, str(READINESS))
    assert code == 0, output
    return tmp_path / "out", output


def test_a_file_guard_of_a_whole_job_becomes_a_sensor_that_replaces_its_schedule(
    readiness_output: tuple[Path, str],
) -> None:
    out, _ = readiness_output
    prices = _module_running(out, "bin/prices.py")
    # the soft guard `[ -f X ] || exit 0; cmd`: the sensor waits, then skips the tick
    assert (
        "def prices_when_ready(context: dg.SensorEvaluationContext) -> dg.SensorResult:" in prices
    )
    assert "prices_schedule" not in prices and "schedules=" not in prices
    assert "sensors=[prices_when_ready, prices_mailto]" in prices
    assert 'return ["/data/feeds/prices.json"]' in prices
    assert "soft=True,\n        partitioned=True," in prices
    assert "minimum_interval_seconds=300" in prices
    assert "wait=dt.timedelta(hours=23, minutes=55)" in prices
    step = prices.split("@dg.op(")[1]
    assert "exit 0" not in step and "fail_if_not_ready(context)" not in step
    # a hard guard with a dated path: the tick's date in the path, a failing run after the wait
    partner = _module_running(out, "bin/load_partner.py")
    assert 'cron_date(tick, "%F", "UTC"),\n                "/_SUCCESS",' in partner
    assert "soft=False" in partner
    assert "    fail_if_not_ready(context)\n    tick = scheduled_time(context)" in partner
    assert '"python3 bin/load_partner.py --day ",' in partner
    assert "[ -f /data/partner" not in partner.split("@dg.op(")[1]
    # `[ -s X ]`: the sensor waits for the file, the size check stays in front of the command
    orders = _module_running(out, "sql/load_orders.sql")
    assert "_when_ready(" in orders
    assert '"test -s /data/export/orders.csv && psql -f sql/load_orders.sql",' in orders
    # a wait loop: waited for by the sensor, the loop leaves the command
    restore = _module_running(out, "bin/restore.sh")
    assert (
        '    run_cron_command(\n        context,\n        pipes,\n        "/srv/etl/bin/restore.sh",'
        in restore
    )
    # a wait loop with a deadline keeps its deadline
    assert "wait=dt.timedelta(hours=1)" in _module_running(out, "api.example.com/clicks")


def test_guards_a_dagster_sensor_cannot_replace_stay_in_the_command_and_the_notes_say_why(
    readiness_output: tuple[Path, str], tmp_path: Path
) -> None:
    out, output = readiness_output
    report = " ".join(output.split())
    assert "the sensor waits for the file to exist, the check also wants it non-empty" in report
    # a step in the middle of a job: a sensor would hold back the steps before it
    crontab = tmp_path / "mid.crontab"
    crontab.write_text(
        "0 1 * * * python3 extract.py > /data/raw/orders.csv\n"
        "30 1 * * * [ -f /data/marker.done ] && python3 load.py /data/raw/orders.csv\n"
    )
    code, middle = _migrate(tmp_path / "mid", str(crontab))
    assert code == 0, middle
    assert (
        "load: `[ -f /data/marker.done ]` stays in the command, no sensor: a Dagster sensor "
        "starts whole runs" in " ".join(middle.split())
    )
    source = (tmp_path / "mid" / "out" / "mid.py").read_text(encoding="utf-8")
    assert "_when_ready" not in source and '"[ -f /data/marker.done ] && python3 load.py' in source
    # object stores: no client library in a dependency-free code location
    for check in [
        "aws s3 ls s3://partner-drops/events/",
        "gsutil -q stat gs://analytics-exports/daily/",
        "hdfs dfs -test -e /warehouse/clicks/",
    ]:
        source = _module_running(out, check)
        assert "_when_ready" not in source and "_schedule(" in source
    assert "a Dagster sensor on S3 would need a client library" in report
    # `--no-sensors` keeps every guard
    code, output = _migrate(tmp_path / "off", str(READINESS), "--no-sensors")
    assert code == 0, output
    assert "_when_ready" not in "".join(
        p.read_text() for p in (tmp_path / "off" / "out").glob("*.py")
    )


def test_file_ready_sees_a_file_or_any_match_of_a_glob(tmp_path: Path) -> None:
    assert not helpers.file_ready(str(tmp_path / "_SUCCESS"))
    assert not helpers.file_ready(str(tmp_path / "part-*.csv"))
    (tmp_path / "part-0.csv").write_text("")
    (tmp_path / "_SUCCESS").write_text("")
    assert helpers.file_ready(str(tmp_path / "_SUCCESS"))
    assert helpers.file_ready(str(tmp_path / "part-*.csv"))


def test_cron_ticks_are_the_calendar_times_after_since(monkeypatch: pytest.MonkeyPatch) -> None:
    zone = ZoneInfo("Europe/Berlin")
    # 02:30 Berlin time every day: cron skips it on the spring change (30 March 2025)
    monkeypatch.setattr(
        helpers,
        "on_calendar",
        lambda m: (m.astimezone(zone).hour, m.astimezone(zone).minute) == (2, 30),
        raising=False,
    )
    monkeypatch.setattr(helpers, "ZONE", zone, raising=False)
    monkeypatch.setattr(helpers, "CALENDAR", ((30,), (2,)), raising=False)
    since = dt.datetime(2025, 3, 28, 2, 30, tzinfo=zone)  # a tick itself: not repeated
    until = dt.datetime(2025, 4, 1, 2, 30, tzinfo=zone)  # a tick: included
    ticks = list(helpers.cron_ticks(since, until))
    assert [t.isoformat() for t in ticks] == [
        "2025-03-29T02:30:00+01:00",
        "2025-03-31T02:30:00+02:00",
        "2025-04-01T02:30:00+02:00",
    ]
