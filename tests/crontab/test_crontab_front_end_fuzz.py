"""Fuzz the crontab front end through the commands users run: parse, explain, infer, migrate.

Hostile crontabs (real-shaped lines mutated with huge numbers, control characters, long zone names,
stray quotes and `%`) and hostile options (`--from` at the ends of the calendar, zone names that are
paths or 300 characters) must end in a result or a clear error: exit 0, 1 or 2, never "internal
error", every error line located (`path:line:col: message` or an option's name), and every module
`migrate` writes compiles. Each reproduction of issue 16 is an explicit example. Bounded in the
default run; `CRON2DAG_HYPOTHESIS_PROFILE=ci-fuzz` (what `.ci/run` uses) draws 20x more.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from fuzz_profiles import fuzz_examples
from hypothesis import example, given, settings
from hypothesis import strategies as st

from migrator.cli import cli

pytestmark = pytest.mark.fuzz

HUGE = "1" * 4400
SEED_LINES = [
    "0 1 * * * /opt/etl/load_orders.py --out /data/orders.csv",
    "30 1 * * * /opt/etl/report.py --in /data/orders.csv > /data/report_$(date +\\%F).txt",
    "*/15 9-17 * * 1-5 curl -fsS -u admin:S3cret https://api.example.com/ping",
    "@daily mysqldump -uroot -pTopS3cret shop | gzip > /backup/shop.sql.gz",
    "0 0 1 * * root run-parts /etc/cron.monthly",
    "MAILTO=ops@example.com",
    "CRON_TZ=Europe/Paris",
    "TZ=America/New_York",
    "RANDOM_DELAY=30",
    "# load the orders, then report",
    "5 4 * * sun echo hello%world%",
    "0 2 ~ * * /opt/random.sh",
    "",
]
HOSTILE = [
    HUGE,
    "\r",
    "\x0b",
    "\u2028",
    "\x1b[31m",
    "%",
    "\\",
    "'",
    '"',
    "{{ x }}",
    "{% raw %}",
    "A" * 300,
    "../../etc",
    "²",
    "-p",
    "$(",
    "`",
    "#",
    "*/0",
    "9999",
    "\t",
]
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "A" * 300, "America", "../x", ""]
FROMS = [
    None,
    "2026-03-29T01:30",
    "9999-12-31T23:58",
    "0001-01-01T00:00",
    "0001-01-01T00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "2026-13-01",
    HUGE,
]


@st.composite
def crontab_texts(draw) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        line = draw(st.sampled_from(SEED_LINES))
        for _ in range(draw(st.integers(0, 2))):
            position = draw(st.integers(0, len(line)))
            line = line[:position] + draw(st.sampled_from(HOSTILE)) + line[position:]
        lines.append(line)
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))


_LOCATED = re.compile(r"^\S.*?:(\d+:\d+:)? .+|^Error: .+|^Usage: .+|^Try .+|^$")


def _check(result, *, allowed: tuple[int, ...] = (0, 1, 2)) -> None:
    output = result.output
    assert result.exit_code in allowed, (result.exit_code, output[-2000:])
    assert "internal error" not in output and "Traceback" not in output, output[-2000:]
    if result.exit_code == 2:
        for line in output.splitlines():
            if line.startswith(" ") or "(warning)" in line:
                continue
            assert _LOCATED.match(line), line


def _run(*args: str):
    return CliRunner().invoke(cli, list(args))


@settings(max_examples=fuzz_examples(40))
@given(crontab_texts(), st.sampled_from(ZONES), st.sampled_from(FROMS))
@example(f"{HUGE} * * * * echo hi\n", "UTC", None)
@example(f"*/{HUGE} * * * * echo hi\n", "UTC", None)
@example("0 * * * * echo a\rb\n", "UTC", None)
@example(f"CRON_TZ={'A' * 300}\n0 * * * * echo hi\n", "UTC", None)
@example("CRON_TZ=America\n0 * * * * echo hi\n", "UTC", None)
@example(f"RANDOM_DELAY={HUGE}\n0 * * * * echo hi\n", "UTC", None)
@example("* * * * * echo hi\n", "UTC", "9999-12-31T23:58")
@example("* * * * * echo hi\n", "America/New_York", "0001-01-01T00:00")
@example("CRON_TZ=Europe/Paris\n0 1 * * * echo hi\n", "UTC", "9999-12-31T23:58")
@example("@daily mysqldump shop | gzip \u00b2> /backup/shop.sql.gz\n", "UTC", None)
@example(f"0 1 * * * flock -n \u00b2 /opt/x.sh\n0 2 * * * flock -n {HUGE} /opt/y.sh\n", "UTC", None)
@example("CRON_TZ=America/New_York\n0 1 * * * echo hi\n", "UTC", "0001-01-01T00:00+14:00")
@example("0 0 * * * echo hi\n", "A" * 300, None)
@example("0 1 * * * curl https://url:passw0rd@api.example.com/v1\n", "UTC", None)
def test_the_front_end_never_crashes(text: str, zone: str, start: str | None) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        crontab = Path(scratch) / "fuzzed.crontab"
        crontab.write_bytes(text.encode("utf-8", errors="surrogatepass"))
        for fmt in ("text", "json"):
            _check(_run("parse", "--format", fmt, str(crontab)))
        explain = ["explain", str(crontab), "--tz", zone, "--next", "3"]
        _check(_run(*explain, *(["--from", start] if start else [])))
        _check(_run("infer", str(crontab), "--tz", zone))
        out = Path(scratch) / "dags"
        migrated = _run("migrate", str(crontab), "-o", str(out), "--tz", zone)
        _check(migrated)
        modules = sorted(out.glob("*.py")) if out.exists() else []
        if migrated.exit_code == 2:
            assert modules == [], "a failed migrate writes nothing"
        for module in modules:
            compile(module.read_text(encoding="utf-8"), str(module), "exec")
            assert "passw0rd" not in module.name + module.read_text(encoding="utf-8")


@settings(max_examples=fuzz_examples(60))
@given(
    st.lists(
        st.sampled_from(
            ["0", "59", "*", "*/5", "1-5", "mon", "jan", "L", "?", "7", HUGE, "-", ","]
        ),
        min_size=1,
        max_size=7,
    ).map(" ".join),
    st.sampled_from(ZONES),
    st.sampled_from(FROMS),
)
@example(f"0 {HUGE} * * *", "UTC", None)
def test_explain_of_an_expression_never_crashes(
    expression: str, zone: str, start: str | None
) -> None:
    args = ["explain", expression, "--tz", zone, "--next", "2"]
    _check(_run(*args, *(["--from", start] if start else [])))
