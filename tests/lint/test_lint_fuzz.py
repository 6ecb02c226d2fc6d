"""Mutated real-shaped DAG files and crontabs through every lint format and `--fix` (Hypothesis).

Properties: linting never raises, whatever the text; every output format renders; `--fix` never
raises, and when the mutated file compiled, the fixed file compiles too and has the same syntax tree
once the kinds of change fixes make are normalised away (keyword names, import modules, string values,
a removed `provide_context`). The default run is bounded; CI runs a longer profile
(`CRON2DAG_FUZZ_EXAMPLES=1000`, see `.ci/run`).
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from migrator.lint import formats
from migrator.lint.api import _fix_file
from migrator.lint.config import LintConfig
from migrator.lint.engine import Linter, _lint_guarded
from migrator.lint.fixes import with_edits
from migrator.lint.parsing import Unparsable, parse_python
from migrator.lint.registry import default_registry
from migrator.lint.sources import Kind, SourceFile

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("CRON2DAG_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SEEDS = sorted(
    path.read_text(encoding="utf-8")
    for pattern in ("fixtures/lint/rules/*.py", "fixtures/lint/examples/*.py", "fixtures/codegen/*/*.py")
    for path in ROOT.glob(pattern)
)
CRONTAB_SEEDS = sorted(path.read_text(encoding="utf-8") for path in ROOT.glob("fixtures/lint/rules/*.crontab"))
# what hostile input is made of: compile-time errors, odd line breaks, huge numbers, new syntax, the
# strings fixes rewrite
SNIPPETS = [
    "return 1", "break", "continue", "nonlocal x", "await f()", "f(a=1, a=2)", "yield", "x = 1" + "1" * 4400,
    "N = 10 ** 5000", "\ufeff", "\f", "\v", "\r", "\x1c", "\x85", "\u2028", "\t", "\\", "(" * 60 + ")" * 60,
    'x = f"{"a"}"', 'y = f"{\n  a # c\n}"', "provide_context=True,", "concurrency=4, max_active_tasks=8,",
    '"{{ execution_date }}"', '"{% raw %}{{ execution_date }}{% endraw %}"', '"a" "{{ execution_date }}"',
    "schedule_interval='@daily',", "from airflow.operators.bash import BashOperator", "@dag", "@task",
    "with DAG(f'{x}'):", "    ", "#", '"""', "'", "lambda: (yield)", "import *", "del", "async def f(): await x",
    "% * * * * x", "0 0 * * * date +%F", "@reboot", "MAILTO=a", "\x00",
]

# valid statements that rules flag and fixes change
STATEMENTS = [
    'BashOperator(task_id="fz", bash_command="run.sh {{ execution_date }} {{ params.execution_date }}")',
    'PythonOperator(task_id="fp", python_callable=print, provide_context=True)',
    'PythonOperator(task_id="fq", provide_context=True, python_callable=print, task_concurrency=2)',
    'DAG("fd", schedule_interval="@daily", concurrency=3, default_args={"task_concurrency": 1})',
    'DAG("fe", timetable=None, concurrency=3, max_active_tasks=2)',
    "from airflow.operators.python import PythonOperator",
    "from airflow.decorators import dag, task",
    'x = context["execution_date"]',
    'BashOperator(task_id="fc", bash_command="a {{ ds }} " "{{ dag_run.execution_date }}")',
]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[str]) -> str:
    lines = draw(st.sampled_from(seeds)).split("\n")
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, max(len(lines) - 1, 0)))
        # inserts most often (at the right indentation they keep the file compiling, so `--fix` has
        # work to do), the destructive edits less
        action = draw(st.sampled_from(["insert"] * 5 + ["duplicate"] * 2 + ["replace", "delete", "splice", "text"]))
        if action == "insert":  # at the indentation of the line it goes before: it often still compiles
            indent = lines[where][: len(lines[where]) - len(lines[where].lstrip())] if lines else ""
            lines.insert(where, indent + draw(st.sampled_from(SNIPPETS + STATEMENTS)))
        elif action == "replace" and lines:
            line = lines[where]
            column = draw(st.integers(0, len(line)))
            lines[where] = line[:column] + draw(st.sampled_from(SNIPPETS)) + line[column:]
        elif action == "delete" and len(lines) > 1:
            del lines[where]
        elif action == "duplicate" and lines:
            lines.insert(where, lines[draw(st.integers(0, len(lines) - 1))])
        elif action == "splice" and lines:
            line = lines[where]
            start = draw(st.integers(0, len(line)))
            lines[where] = line[:start] + line[draw(st.integers(start, len(line))) :]
        elif action == "text":
            lines.insert(where, draw(st.text(max_size=40)))
    return "\n".join(lines)


def linter() -> Linter:
    registry = default_registry()
    config = LintConfig()
    return Linter(config, config.rules(registry), registry)


def render_everything(findings: list, text: str, path: str) -> None:
    def read(_: str) -> str:
        return text

    formats.render_text(findings, read)
    formats.render_summary(findings)
    formats.render_github(findings)
    json.loads(formats.render_json(with_edits(findings, read)))
    json.loads(formats.render_sarif(with_edits(findings, read), default_registry().rules, "."))
    formats.render_statistics(findings)


class _Normalise(ast.NodeTransformer):
    """Erase what fixes are allowed to change, so two trees compare equal exactly when nothing else
    changed."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        node.keywords = [k for k in node.keywords if k.arg != "provide_context"]
        return self.generic_visit(node)

    def visit_keyword(self, node: ast.keyword) -> ast.AST:
        if node.arg is not None:
            node.arg = "_"
        return self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        node.module = "_"
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, str):
            node.value = "_"
        return node


def normalised(text: str) -> str:
    return ast.dump(_Normalise().visit(parse_python(text, "x.py").module))


def check_python(text: str) -> None:
    lint = linter()
    source = SourceFile("dag.py", Kind.PYTHON)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: not a file anyone can write
        return
    result = _lint_guarded(lint, source, data)
    assert not isinstance(result, Exception)
    assert not hasattr(result, "message") or "internal error" not in result.message, result  # a Diagnostic
    render_everything(result.findings, text, "dag.py")
    fixed, after, _ = _fix_file(lint, source, text, result, unsafe=True, encoding="utf-8")
    render_everything(after.findings, fixed, "dag.py")
    try:
        before = normalised(text)
    except Unparsable:
        return  # it did not compile: nothing a fix must keep
    assert normalised(fixed) == before


@FUZZ
@given(mutated(SEEDS))
@example("from airflow.sdk import DAG\nreturn 1\n")
@example("\ufeff\ufeffx = 1\n")
@example("x = 1" + "1" * 5000 + "\n")
@example('from airflow.sdk import DAG\nwith DAG("d", schedule="@daily", concurrency=4, max_active_tasks=8):\n    pass\n')
@example('x = f"{"a"}"\nfrom airflow.sdk import DAG\nwith DAG("d", schedule_interval="@daily"):\n    pass\n')
@example('from airflow.sdk import DAG\nfrom airflow.providers.standard.operators.bash import BashOperator\n'
         'with DAG("d", schedule="@daily"):\n    BashOperator(task_id="t", bash_command="DELETE WHERE execution_date = '
         "'{{ execution_date }}' {{ params.execution_date }} {% raw %}{{ execution_date }}{% endraw %}\")\n")
def test_lint_and_fix_never_fail_on_mutated_dag_files(text: str) -> None:
    check_python(text)


def check_crontab(text: str) -> None:
    lint = linter()
    source = SourceFile("jobs.crontab", Kind.CRONTAB)
    result = _lint_guarded(lint, source, text.encode("utf-8", errors="surrogatepass"))
    if hasattr(result, "message"):  # a Diagnostic: the front end could not take it
        assert "internal error" not in result.message, result.message
        return
    render_everything(result.findings, text, "jobs.crontab")
    fixed, after, _ = _fix_file(lint, source, text, result, unsafe=True, encoding="utf-8")
    assert fixed.count("\n") == text.count("\n") and fixed.count("\r") == text.count("\r")


@FUZZ
@given(mutated(CRONTAB_SEEDS))
@example("# a\fb\nFOO=x\u2028y\n0 1 * * * date +%F > /tmp/day\n")
@example("0 1 * * * date +%F > /tmp/day\r")
def test_lint_and_fix_never_fail_on_mutated_crontabs(text: str) -> None:
    check_crontab(text)
