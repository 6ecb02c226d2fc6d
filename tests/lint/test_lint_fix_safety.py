"""`lint --fix` never makes a file worse: every fix is placed exactly, verified after it is applied
(the result compiles and its tree is the original's outside the edits), and a fix that fails is not
written, costs no other fix, and its finding says why. Regression cases of issue 16."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from migrator.cli import cli
from migrator.crontab.model import Span
from migrator.lint.api import lint_paths
from migrator.lint.config import LintConfig
from migrator.lint.finding import CstChange, Edit, Fix, Violation
from migrator.lint.fixes import apply_fixes, crontab_verifier, verify_python
from migrator.lint.registry import Registry, default_registry
from migrator.lint.rule import Rule


def fix(*args: str, cwd: Path) -> Any:
    return CliRunner().invoke(cli, ["lint", "--no-cache", *args, str(cwd)], catch_exceptions=False)


def test_renaming_beside_the_new_name_is_not_offered_and_the_file_still_compiles(tmp_path):
    dag = tmp_path / "dag.py"
    dag.write_text(textwrap.dedent("""\
        import pendulum
        from airflow.sdk import DAG

        with DAG("d", start_date=pendulum.datetime(2024, 1, 1), schedule="@daily", concurrency=4, max_active_tasks=8):
            pass
        """))
    result = fix("--fix", "--select", "AF304", cwd=tmp_path)
    assert result.exit_code == 1
    assert "`max_active_tasks` is also given: remove `concurrency`" in result.output
    assert "fixable" not in result.output
    compile(dag.read_text(), "dag.py", "exec")
    assert "concurrency=4" in dag.read_text()


def test_execution_date_is_renamed_only_where_jinja_resolves_it(tmp_path):
    dag = tmp_path / "dag.py"
    dag.write_text(textwrap.dedent("""\
        import pendulum
        from airflow.providers.standard.operators.bash import BashOperator
        from airflow.sdk import DAG

        with DAG("d", start_date=pendulum.datetime(2024, 1, 1), schedule="@daily"):
            BashOperator(
                task_id="purge",
                bash_command="psql -c \\"DELETE FROM runs WHERE execution_date = '{{ execution_date }}'\\" "
                "{{ params.execution_date }} {% raw %}{{ execution_date }}{% endraw %}",
            )
        """))
    result = fix("--fix", "--select", "AF303", cwd=tmp_path)
    assert "1 fixed, 0 remaining" in result.output
    fixed = dag.read_text()
    assert "WHERE execution_date = '{{ logical_date }}'" in fixed
    assert "{{ params.execution_date }} {% raw %}{{ execution_date }}{% endraw %}" in fixed


class _Placed(Rule):
    """## What it does
    Test rule: renames `old=` and offers a fix at a position that holds no keyword."""

    code = "TST901"
    name = "test-placed"
    family = "test"

    def check(self, model: Any, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for node in ast.walk(model.module):
            if isinstance(node, ast.keyword) and node.arg == "old":
                span = model.span(node)
                yield self.violation(span, "old", Fix("Rename", changes=(CstChange("rename-keyword", span, "new"),)))
        # a fix whose position (a comment line) holds no keyword: it cannot be placed
        yield self.violation(Span(1, 1, 1, 5), "nowhere", Fix("Rename", changes=(CstChange("rename-keyword", Span(1, 1, 1, 5), "x"),)))


class _Breaking(Rule):
    """## What it does
    Test rule: renames `twin=` to a keyword the call already has."""

    code = "TST902"
    name = "test-breaking"
    family = "test"

    def check(self, model: Any, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for node in ast.walk(model.module):
            if isinstance(node, ast.keyword) and node.arg == "twin":
                span = model.span(node)
                yield self.violation(span, "twin", Fix("Rename", changes=(CstChange("rename-keyword", span, "other"),)))


def _outcome(tmp_path: Path, rule: type, text: str, diff: bool = False):
    path = tmp_path / "mod.py"
    path.write_text(text)
    registry = Registry([*default_registry().rules, rule])
    config = LintConfig(select=(rule.code,), root=str(tmp_path))
    return path, lint_paths([str(path)], config, registry=registry, fix=not diff, diff=diff, use_cache=False)


def test_an_unplaceable_fix_costs_no_other_fix_and_says_why(tmp_path):
    path, outcome = _outcome(tmp_path, _Placed, "# a comment\nf(old=1)\ng(old=2)\n")
    assert path.read_text() == "# a comment\nf(new=1)\ng(new=2)\n"
    assert outcome.fixed == 2
    (left,) = outcome.findings
    assert left.fix is None and "fix not applied: its code could not be found" in left.message


def test_a_fix_that_would_not_compile_is_not_written_and_says_why(tmp_path):
    path, outcome = _outcome(tmp_path, _Breaking, "f(twin=1, other=2)\ng(twin=3)\n")
    assert path.read_text() == "f(twin=1, other=2)\ng(other=3)\n"
    (left,) = outcome.findings
    assert left.line == 1 and left.fix is None
    assert "fix not applied: the result would not compile (SyntaxError: keyword argument repeated: other" in left.message


def test_diff_shows_only_fixes_that_pass(tmp_path):
    path, outcome = _outcome(tmp_path, _Breaking, "f(twin=1, other=2)\ng(twin=3)\n", diff=True)
    assert path.read_text() == "f(twin=1, other=2)\ng(twin=3)\n"
    assert outcome.fixed == 1 and "+g(other=3)" in outcome.diffs[0] and "+f(" not in outcome.diffs[0]


@pytest.mark.parametrize(
    "before, edits, refused",
    [
        ("f(a=1)\n", [Edit(Span(1, 3, 1, 4), "b")], None),
        ("f(a=1)\n", [Edit(Span(1, 1, 1, 2), "g")], None),  # the callee is inside the edit
        ("f(a=1)\n", [Edit(Span(1, 3, 1, 4), "a=2, b")], "outside what it fixes"),  # a new argument
        ("f(a=1)\n", [Edit(Span(1, 3, 1, 4), "1")], "would not compile"),
        ("x = 1\ny = 2\n", [Edit(Span(1, 1, 2, 1), "")], None),  # a deleted statement, all of it edited
        ("x = 1\ny = 2\n", [Edit(Span(1, 5, 1, 6), "1\ny = 3")], "outside what it fixes"),
    ],
)
def test_verification_accepts_only_changes_inside_the_edits(before, edits, refused):
    outcome = apply_fixes(before, [Fix("t", edits=tuple(edits))], verify_python)
    if refused is None:
        assert outcome.applied and not outcome.rejected
    else:
        assert not outcome.applied and refused in outcome.rejected[0][1]
        assert outcome.text == before


@pytest.mark.parametrize("junk", ["\f", "\v", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_crontab_percent_fix_counts_lines_as_cron_does(tmp_path, junk):
    crontab = tmp_path / "jobs.crontab"
    crontab.write_bytes(f"# a{junk}b\nFOO=x{junk}y\n0 1 * * * date +%F > /tmp/day\n".encode())
    result = fix("--fix", "--unsafe-fixes", "--select", "CRON001", cwd=tmp_path)
    assert "1 fixed, 0 remaining" in result.output
    assert crontab.read_bytes() == f"# a{junk}b\nFOO=x{junk}y\n0 1 * * * date +\\%F > /tmp/day\n".encode()


@pytest.mark.parametrize(
    "before, after",
    [
        ("0 1 * * * date +%F > /tmp/day\r", "0 1 * * * date +\\%F > /tmp/day\r"),
        ("# c\r\n0 1 * * * date +%F > /tmp/day\r\n", "# c\r\n0 1 * * * date +\\%F > /tmp/day\r\n"),
        ("0 1 * * * date +%F > /tmp/day", "0 1 * * * date +\\%F > /tmp/day"),
    ],
)
def test_crontab_line_endings_survive_the_fix(tmp_path, before, after):
    crontab = tmp_path / "jobs.crontab"
    crontab.write_bytes(before.encode())
    fix("--fix", "--unsafe-fixes", "--select", "CRON001", cwd=tmp_path)
    assert crontab.read_bytes() == after.encode()


def test_crontab_verifier_refuses_an_edit_that_moves_a_job():
    verify = crontab_verifier("jobs.crontab", system=False)
    before = "0 1 * * * a\n0 2 * * * b\n"
    assert verify(before, "0 1 * * * a\n0 2 * * * b\n", [(10, 11)]) is None
    assert "line 2" in verify(before, "0 1 * * * a\n0 3 * * * b\n", [(10, 11)])
