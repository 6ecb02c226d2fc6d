"""SYN001 for every file Python refuses (compile-time errors too), never for one it accepts on a newer
Python, and never a crash of the run: one bad file among good ones is one finding."""

from __future__ import annotations

import ast
import json
import textwrap

import pytest
from click.testing import CliRunner

from migrator.cli import cli
from migrator.lint.parsing import mask, parse_python

GOOD = textwrap.dedent(
    """\
    import pendulum
    from airflow.sdk import DAG

    with DAG("d", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule_interval="@daily"):
        pass
    """
)


@pytest.mark.parametrize(
    "source, line, message",
    [
        ("from airflow.sdk import DAG\nreturn 1\n", 2, "'return' outside function"),
        ("x = 1\nbreak\n", 2, "'break' outside loop"),
        ("continue\n", 1, "'continue' not properly in loop"),
        ("nonlocal x\n", 1, "nonlocal declaration not allowed at module level"),
        ("f(a=1, a=2)\n", 1, "keyword argument repeated: a"),
        ("def f(a, a):\n    pass\n", 1, "duplicate argument 'a' in function definition"),
        ("await f()\n", 1, "'await' outside function"),
        ("x = (\n", 1, "'(' was never closed"),
        ("x = 1" + "1" * 5000 + "\n", 1, "Exceeds the limit (4300 digits)"),
    ],
)
def test_what_python_refuses_is_syn001(lint, source, line, message):
    result = lint(source, select=("BF",))
    assert [(f.line, f.code) for f in result.findings] == [(line, "SYN001")]
    assert message in result.findings[0].message


def test_a_double_bom_is_refused_and_a_single_one_is_not(tmp_path):
    (tmp_path / "one.py").write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    (tmp_path / "two.py").write_bytes(b"\xef\xbb\xbf\xef\xbb\xbf" + GOOD.encode())
    result = CliRunner().invoke(cli, ["lint", "--no-cache", "--format", "json", "--select", "SYN", str(tmp_path)])
    findings = json.loads(result.output)
    assert [(f["path"].rsplit("/", 1)[-1], f["code"]) for f in findings] == [("two.py", "SYN001")]
    assert "U+FEFF" in findings[0]["message"]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_one_refused_file_among_good_ones_is_one_finding_in_every_format(tmp_path, fmt):
    for i in range(61):
        (tmp_path / f"dag{i:02}.py").write_text(GOOD.replace('"d"', f'"d{i}"'))
    (tmp_path / "broken.py").write_text("from airflow.sdk import DAG\nreturn\n")
    (tmp_path / "huge.py").write_text("N = " + "9" * 4400 + "\n")
    result = CliRunner().invoke(cli, ["lint", "--no-cache", "--format", fmt, "-j", "2", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output
    assert result.output.count("SYN001") >= 2
    assert result.output.count("AF301") >= 61


PEP701 = textwrap.dedent(
    """\
    import pendulum
    from airflow.sdk import DAG

    names = {"a": 1}
    label = f"{names["a"]}"
    multi = f"{
        names["a"]  # a comment inside the braces
    }" "plain"
    nested = f"{f"{label}"}"

    with DAG("d", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule_interval="@daily"):
        pass
    """
)


def test_python_312_fstrings_are_linted_not_refused(lint):
    result = lint(PEP701)
    assert [(f.line, f.code) for f in result.findings] == [(11, "AF301")]
    assert result.findings[0].column == 67
    assert result.notes and "PEP 701" in result.notes[0]


def test_plain_strings_concatenated_with_a_new_fstring_are_masked_with_it(lint):
    result = lint('label = "a" f"{"b"}" "c"\nx = (\n    "d" f"{"e"}"\n)\n')
    assert result.findings == []
    assert result.notes and "PEP 701" in result.notes[0]


def test_plain_string_concatenations_beside_312_fstrings_are_read(lint):
    # Found by the linter's fuzz test: a concatenation of plain strings in such a file was an internal error.
    result = lint('x = "a" "b" "c"\ny = f"{d["k"]}"\n')
    assert [f.code for f in result.findings if f.code == "SYN001"] == []
    assert result.notes and "PEP 701" in result.notes[0]


def test_a_real_error_in_a_file_with_fstrings_stays_syn001(lint):
    result = lint(PEP701 + "x = (\n")
    assert [f.code for f in result.findings] == ["SYN001"]
    assert not result.notes


def test_the_note_is_a_warning_and_not_a_failure(tmp_path):
    (tmp_path / "dag.py").write_text(PEP701)
    result = CliRunner().invoke(cli, ["lint", "--no-cache", "--select", "SYN", str(tmp_path)])
    assert result.exit_code == 0
    assert "PEP 701" in result.output


PEP695 = textwrap.dedent(
    """\
    import pendulum
    from airflow.sdk import DAG

    type Rows = list[dict[str, int]]
    type Pair[T] = tuple[T, T]
    type Grid[
        T,
    ]=list[list[T]]


    def first[T: (int, str)](rows: list[T]) -> T:
        return rows[0]


    class Box[T, *Ts, **P]:
        def get[U](self, default: U) -> T | U:
            return default


    class Child[T](Box[T], metaclass=type):
        pass


    with DAG("d", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule_interval="@daily"):
        pass
    """
)


def test_python_312_generics_are_linted_not_refused(lint):
    result = lint(PEP695)
    assert [(f.line, f.code, f.column) for f in result.findings] == [(24, "AF301", 67)]
    assert result.notes and "PEP 695" in result.notes[0] and "PEP 701" not in result.notes[0]


def test_generics_and_new_fstrings_together_are_one_note(lint):
    result = lint(PEP695 + 'label = f"{"a"}"\n')
    assert [f.code for f in result.findings] == ["AF301"]
    assert len(result.notes) == 1 and "PEP 701, PEP 695" in result.notes[0]


@pytest.mark.parametrize(
    "broken",
    [
        "def f[T](x: T) -> T\n    return x\n",  # no colon
        "class C[T:\n    pass\n",  # unclosed bracket
        "type X[T] =\n",  # no value
    ],
)
def test_a_real_error_in_a_file_with_generics_stays_syn001(lint, broken):
    result = lint(PEP695 + broken)
    assert [f.code for f in result.findings] == ["SYN001"]
    assert not result.notes


def test_generics_keep_the_positions_of_everything_else():
    parsed = parse_python(PEP695, "dag.py")
    names = {
        node.name: (node.lineno, node.col_offset, [a.arg for a in node.args.args])
        for node in ast.walk(parsed.module)
        if isinstance(node, ast.FunctionDef)
    }
    assert names == {"first": (11, 0, ["rows"]), "get": (16, 4, ["self", "default"])}
    aliases = [
        (node.targets[0].id, node.targets[0].col_offset, node.value.col_offset)
        for node in parsed.module.body
        if isinstance(node, ast.Assign)
    ]
    assert aliases == [("Rows", 5, 12), ("Pair", 5, 15), ("Grid", 5, 2)]
    (child,) = [n for n in parsed.module.body if isinstance(n, ast.ClassDef) and n.name == "Child"]
    assert [base.col_offset for base in child.bases] == [15]


def test_a_type_statement_without_a_blank_after_its_name_moves_only_the_name():
    parsed = parse_python("type Flat=list[int]; x = 1\n", "dag.py")
    alias, other = parsed.module.body
    assert (alias.targets[0].id, alias.value.col_offset, other.col_offset) == ("Flat", 10, 21)


@pytest.mark.parametrize(
    "text, ranges, expected",
    [
        ('x = f"{"a"}" + y\n', [(1, 4, 1, 12)], "x = ________ + y\n"),
        ('x = f"{\n  a\n}" + y\n', [(1, 4, 3, 2)], "x = (__\n\n ) + y\n"),
        ('a = f"{\r\n b}"\rc = 1\n', [(1, 4, 2, 4)], "a = (__\r\n   )\rc = 1\n"),
        ('a, b = f"{1}", f"{\n2}"\n', [(1, 7, 1, 13), (1, 15, 2, 3)], "a, b = ______, (__\n  )\n"),
    ],
)
def test_masking_keeps_every_other_character_in_place(text, ranges, expected):
    assert mask(text, ranges) == expected
    compile(expected, "masked", "exec")


def test_parse_python_positions_are_the_original_ones():
    parsed = parse_python(PEP701, "dag.py")
    (with_statement,) = [node for node in parsed.module.body if node.__class__.__name__ == "With"]
    assert (with_statement.lineno, with_statement.col_offset) == (11, 0)


def test_a_folder_without_python_files_says_so(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing to lint\n")
    result = CliRunner().invoke(cli, ["lint", "--no-cache", str(tmp_path)])
    assert result.exit_code == 0
    assert "cron2dag: warning: No Python files or crontabs found under the given paths" in result.output


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_a_huge_number_in_a_crontab_is_syn001_in_every_format(tmp_path, fmt):
    (tmp_path / "jobs.crontab").write_text("1" * 5000 + " * * * * echo hi\n")
    result = CliRunner().invoke(cli, ["lint", "--no-cache", "--format", fmt, str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "SYN001" in result.output and "internal error" not in result.output


def test_a_long_line_is_shown_around_its_finding(lint):
    from migrator.lint import formats

    source = 'x = "' + "a" * 500 + '" + y(' + "b" * 500 + "\n"  # the `(` is never closed
    result = lint(source, select=("SYN",))
    (finding,) = result.findings
    assert finding.column > 500
    text = formats.render_text(result.findings, lambda _: source)
    assert all(len(line) < 200 for line in text.splitlines())
    snippet, carets = text.splitlines()[2:4]
    assert snippet[carets.index("^")] == "("  # the caret still points at the `(`
