"""The linter compiles a file only when `may_not_compile` cannot rule out a compiler-only error: it must
never say "compiles" of a tree that `compile()` refuses, whatever hides the error (a comment between
a keyword and its `=`, a one-line `if`, a decorator, an `except` clause, a comprehension)."""

from __future__ import annotations

import ast
import warnings

import pytest

from migrator.lint.compiler_errors import may_not_compile
from migrator.lint.parsing import Unparsable, parse_python

REFUSED = [
    "return 1",
    "def f():\n    class A:\n        return 1",
    "break",
    "while x:\n    pass\nelse:\n    continue",
    "for x in y:\n    class A:\n        break",
    "for x in y:\n    def f():\n        continue",
    "f(a=1, a=2)",
    "f(a=1,\n  # a comment\n  a=2)",
    "f(a  # a comment\n  = 1, a\\\n=2)",
    "if x: f(a=1,\n a=2)",
    "if f(a=1,\n a=2): x = 1",
    "def g(x=h(a=1,\n a=2)): return 1",
    "@d(a=1, a=2)\ndef f(): pass",
    "@d1\n@d2(k=1,\n k=2)\nclass A: pass",
    "try:\n    pass\nexcept f(a=1, a=2):\n    pass",
    "class A(metaclass=M, metaclass=N): pass",
    "f(**a, b=1, b=2)",
    "def f(a, a): pass",
    "def f(a, *, b, **a): pass",
    "class A:\n    def f(self, __a, _A__a): pass",
    "x = [lambda a, a: 0]",
    "x = (lambda: (lambda a, b, a: 1))",
    "x = [y for *a in b]",
    "x = [y for (a, *b, *c) in d]",
    "x = {k: v for k, (*v, *w) in d}",
    "*a = 1",
    "a, *b, *c = d",
    "with a as *b: pass",
    "for *a in b: pass",
    "for a in *b: pass",
    "a = *b",
    "a += *b",
    "def f():\n    from m import *",
    "class A:\n    from m import *",
    "nonlocal x",
    "def f():\n    nonlocal x",
    "def f(x):\n    global x",
    "__debug__ = 1",
    "f(__debug__=1)",
    "yield 1",
    "await x",
    "x = 1; from __future__ import annotations",
    '"""doc"""\nfrom __future__ import annotations\nx = 1\nfrom __future__ import division',
    "from __future__ import braces",
    "try:\n    pass\nexcept:\n    pass\nexcept ValueError:\n    pass",
    "match x:\n    case a:\n        pass\n    case b:\n        pass",
    "\n".join("    " * i + f"for x{i} in y:" for i in range(21)) + "\n" + "    " * 21 + "pass",
    "\n".join("    " * i + "with a, b, c:" for i in range(8)) + "\n" + "    " * 8 + "pass",
    "x = " + "+".join(["1"] * 1000),
    "x = a" + ".b" * 1000,
]

ACCEPTED = [
    "def f():\n    return 1",
    "for x in y:\n    try:\n        pass\n    finally:\n        break",
    "if x:\n    from m import *",
    "x = f(a=1)(a=2)",
    "x = f(a=g(a=1))",
    "f(a=1, b=2, **{'a': 3})",
    "*a, = b",
    '"""doc"""\nfrom __future__ import annotations\nfrom __future__ import division\nx = 1',
    "t1 = BashOperator(task_id='a', retries=1)\nt2 = BashOperator(task_id='b', retries=2)",
]


def _compiles(tree: ast.Module) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(tree, "<test>", "exec", dont_inherit=True)
    except (SyntaxError, RecursionError):
        return False
    return True


@pytest.mark.parametrize("source", REFUSED)
def test_what_only_the_compiler_refuses_is_never_ruled_out(source):
    tree = ast.parse(source)
    assert not _compiles(tree)
    assert may_not_compile(tree, source)


@pytest.mark.parametrize("source", REFUSED)
def test_the_refusal_is_reported_as_compile_words_it(source):
    tree = ast.parse(source)
    try:
        compile(tree, "f.py", "exec", dont_inherit=True)
    except SyntaxError as error:
        expected = f"SyntaxError: {error.msg}", error.lineno or 1
    except RecursionError:
        expected = None
    with pytest.raises(Unparsable) as raised:
        parse_python(source, "f.py")
    if expected is not None:
        assert (raised.value.message, raised.value.line) == expected


@pytest.mark.parametrize("source", ACCEPTED)
def test_what_compiles_is_parsed(source):
    assert _compiles(ast.parse(source))
    parse_python(source, "f.py")


def test_an_ordinary_dag_file_is_not_compiled():
    source = (
        "from airflow import DAG\nfrom airflow.operators.bash import BashOperator\n\n"
        "with DAG('d', schedule='@daily', default_args={'retries': 1}) as dag:\n"
        "    for table in ['a', 'b']:\n"
        "        BashOperator(task_id=f'load_{table}', bash_command='load.sh', retries=2)\n"
        "    done = BashOperator(task_id='done', bash_command='echo 0 * * * *')\n"
        "    [x * 2 for x in range(3)]\n"
    )
    assert not may_not_compile(ast.parse(source), source)
