"""The state store under damage, fuzzed: every runner command on a mutated state.db either works or says
what is wrong with which file (exit 2), never crashes, and never deletes or rewrites the damaged file.

Marked `fuzz`: bounded in the default run (25 damaged files), 300 under `.ci/run`'s ci-fuzz profile (each
example starts DAG-file imports, so not 20 times as many). Reproductions found by the fuzzer are kept
below as `@example`s.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fuzz_profiles import fuzz_examples
from migrator.cli import cli

EXAMPLES = fuzz_examples(25, ci=300)

DAG = '''
import pendulum
from airflow.sdk import DAG, task
from airflow.providers.standard.operators.bash import BashOperator

with DAG("daily", schedule="0 0 * * *", start_date=pendulum.datetime(2024, 1, 1, tz="UTC")) as dag:
    @task
    def produce():
        return {"rows": 3}

    produce() >> BashOperator(task_id="report", bash_command="echo report") >> BashOperator(
        task_id="fails", bash_command="exit 1")
'''


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real runner home (its state.db checkpointed into the main file): two runs, XComs, a failed task,
    logs. Returns the folder holding it (`home`) and the DAG file."""
    folder = tmp_path_factory.mktemp("pristine")
    (folder / "daily.py").write_text(textwrap.dedent(DAG))
    old = os.environ.get("CRON2DAG_HOME")
    os.environ["CRON2DAG_HOME"] = str(folder / "home")
    try:
        for day in ("2024-01-01", "2024-01-02"):
            assert CliRunner().invoke(cli, ["run", str(folder / "daily.py"), "--date", day]).exit_code == 1
    finally:
        if old is None:
            del os.environ["CRON2DAG_HOME"]
        else:
            os.environ["CRON2DAG_HOME"] = old
    state = folder / "home" / "state.db"
    conn = sqlite3.connect(state)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return folder


PAGE = 4096
mutation = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("bytes"), st.integers(0, 200_000), st.binary(min_size=1, max_size=64)),
    st.tuples(st.just("page"), st.integers(0, 60), st.sampled_from([b"\x00", b"\xff", b"\xa5", b"random"])),
    st.tuples(st.just("append"), st.binary(min_size=1, max_size=5000)),
)


def mutate(data: bytes, mutations: list[tuple]) -> bytes:
    result = bytearray(data)
    for kind, *args in mutations:
        if kind == "truncate":
            del result[int(len(result) * args[0]):]
        elif kind == "bytes" and result:
            offset = args[0] % len(result)
            result[offset:offset + len(args[1])] = args[1]
        elif kind == "page":
            start = args[0] * PAGE
            if start < len(result):
                fill = os.urandom(PAGE) if args[1] == b"random" else args[1] * PAGE
                end = min(len(result), start + PAGE)
                result[start:end] = fill[:end - start]
        elif kind == "append":
            result += args[0]
    return bytes(result)


COMMANDS = [
    ["runs"], ["runs", "--format", "json"],
    ["logs", "daily", "2024-01-01", "report"],
    ["clear", "daily", "2024-01-02", "--only-failed"],
    ["run", "{dag}", "--date", "2024-01-03", "--retries", "0"],
    ["backfill", "{dag}", "--from-date", "2024-01-01", "--to-date", "2024-01-02"],
]


@pytest.mark.fuzz
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
@given(mutations=st.lists(mutation, min_size=1, max_size=3))
@example(mutations=[("truncate", 0.0)])  # a 0-byte state.db used to be recreated silently
@example(mutations=[("truncate", 0.5)])  # half-truncated
@example(mutations=[("page", 1, b"\x00")])  # a page of the schema overwritten
@example(mutations=[("bytes", 0, b"SQLite format 4")])  # the header itself
@example(mutations=[("bytes", 100, b"\xff\xff\xff\xff")])  # the first page's b-tree header
@example(mutations=[("bytes", 1560, b"\x80")])  # found: a schema byte that is not UTF-8 (UnicodeDecodeError)
@example(mutations=[("bytes", 7813, b"\x00")])  # found: a NUL in a run's timestamp (ValueError in `runs`)
def test_every_command_on_a_damaged_state_db_works_or_names_it(pristine: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               mutations: list[tuple]) -> None:
    folder = pristine
    home = tmp_path / f"home-{os.urandom(4).hex()}"
    shutil.copytree(folder / "home" / "logs", home / "logs")
    state = home / "state.db"
    state.write_bytes(mutate((folder / "home" / "state.db").read_bytes(), mutations))
    monkeypatch.setenv("CRON2DAG_HOME", str(home))
    for args in COMMANDS:
        before = state.read_bytes()
        result = CliRunner().invoke(cli, [arg.replace("{dag}", str(folder / "daily.py")) for arg in args])
        output = result.output
        assert result.exit_code in (0, 1, 2), (args, output, result.exception)
        assert "internal error" not in output and "Traceback" not in output, (args, output)
        assert state.exists(), (args, "the state database was deleted")
        if result.exit_code == 2 and str(state) in output:  # the state database was refused: left as it was
            assert state.read_bytes() == before, (args, "a damaged state database was rewritten")
        elif result.exit_code == 2:  # else only what a readable store can answer: no such run, task or log
            assert output.startswith(("no run", "no log", "no attempt", "run ")), (args, output)
