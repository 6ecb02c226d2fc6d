"""Whether `compile()` could refuse a tree that `ast.parse` accepted, decided without compiling it.

Python rejects some files only when it compiles them: `return` or `break` out of place, a repeated
keyword argument or parameter, `import *` in a function, `nonlocal` with no binding, a misplaced
`__future__` import, `*a = x`, blocks nested too deeply, a tree too deep to convert. The linter
reports those (SYN001) as CPython words them, so it compiled every file: about as costly as parsing
it. Those errors are rare and each needs something visible in the text or in the statements, which
are few: `may_not_compile` looks there (a handful of C-speed text scans and a walk over the
statements, never over every expression) and says False only when none of them can occur. Otherwise
the caller compiles, and CPython itself gives the message and the position.

Everything here errs one way: a doubt costs a compile, never a missed error.
"""

from __future__ import annotations

import ast
import bisect
import itertools
import operator
import re

# words of what only the compiler checks, in places this module does not follow: generators,
# coroutines, scopes declared by hand (each confirmed as a whole word), assignment expressions, `__debug__`
_RISKY_WORDS = ("yield", "await", "async", "global", "nonlocal")
_RISKY_WORD = re.compile(r"\b(?:yield|await|async|global|nonlocal)\b")
_RISKY_TEXT = (":=", "__debug__")
# a keyword argument `name=`, matched in the reversed text, where each starts with a literal `=`
# that the regex engine finds at C speed (matched forwards, it tries every identifier); `==`, `!=`
# and the like match too, which costs a look and never misses a keyword
_KEYWORD_REVERSED = re.compile(r"=[ \t\f]*(\w+)")
# a line that starts with `=` (not `==`): a name and its `=` on two lines, which the pattern above would not see
_EQUALS_STARTS_LINE = re.compile(r"\n[ \t\f]*=(?!=)")
_LONE_CR = re.compile(r"\r(?!\n)")
_FOR = re.compile(r"\bfor\b")
_FEATURES = frozenset({
    "nested_scopes", "generators", "division", "absolute_import", "with_statement", "print_function",
    "unicode_literals", "generator_stop", "annotations",
})
# statements whose checks this module knows; any other (a newer Python's) is left to the compiler
_SIMPLE = frozenset({ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Delete,
                     ast.Pass, ast.Break, ast.Continue, ast.Import, ast.ImportFrom, ast.Raise, ast.Assert})
# CPython allows 20 nested blocks (loops, `try`, each `with` item) in one function; the weights below
# count at least as many as the compiler pushes, with room for the blocks it adds while unwinding
_MAX_BLOCKS = 12
# a tree deeper than about 950 levels cannot be converted for the compiler (RecursionError); each
# expression level needs one of these characters or keywords, or sits at most 6 levels below one
_NESTING = str.maketrans({c: "\x00" for c in "+-*/%@&|^~.([{<>"})
_NESTING_WORDS = ("not", "if", "lambda")
_MAX_LEVELS = 800  # levels counted as 6 per nesting character, 3 per statement
_MODULE, _CLASS, _FUNCTION = 0, 1, 2


def may_not_compile(module: ast.Module, text: str) -> bool:
    """False when `compile(module)` is certain to succeed; True when it may raise."""
    if not text.isascii():  # identifiers are NFKC-normalised: the text would not show them as written
        return True
    if "\r" in text and _LONE_CR.search(text):  # a line break that the offsets below do not count
        return True
    if any(word in text for word in _RISKY_WORDS) and _RISKY_WORD.search(text):
        return True
    if any(word in text for word in _RISKY_TEXT) or _EQUALS_STARTS_LINE.search(text):
        return True
    walk = _StatementWalk(module, text)
    if walk.doubt:
        return True
    if _too_deep(text, walk):
        return True
    return any(_expressions_doubt(walk.anchors[index][1]) for index in _anchors_to_walk(text, walk))


class _StatementWalk:
    """Every statement (and `except` clause), checked for what a statement shows, and where each
    starts in the text: an `anchor`, whose header (the statement without its body) holds every
    expression written between its start and the next anchor's."""

    def __init__(self, module: ast.Module, text: str) -> None:
        self.doubt = False
        self.starts = _line_starts(text)
        self.anchors: list[tuple[int, ast.AST]] = []
        self.depth = 0  # statements nested in statements
        self.doubt = not self._future_imports_in_place(module) or not self._walk(module.body)
        self.anchors.sort(key=lambda anchor: anchor[0])
        self.offsets = [offset for offset, _ in self.anchors]

    def offset(self, node: ast.AST) -> int:
        return self.starts[node.lineno - 1] + node.col_offset  # type: ignore[attr-defined]

    def _future_imports_in_place(self, module: ast.Module) -> bool:
        """The `__future__` imports are only where and what the compiler accepts (first, after the
        docstring; known features), or there are none."""
        body = module.body
        index = 1 if body and _is_docstring(body[0]) else 0
        while index < len(body) and _is_future(body[index]):
            node = body[index]
            if node.level or not all(alias.name in _FEATURES for alias in node.names):  # type: ignore[attr-defined]
                return False
            index += 1
        self.leading_futures = {id(node) for node in body[:index]}
        return True

    def _walk(self, body: list[ast.stmt]) -> bool:
        # (statements, scope, inside a loop of this scope, blocks open in this scope, statement depth)
        stack: list[tuple[list[ast.stmt], int, bool, int, int]] = [(body, _MODULE, False, 0, 0)]
        anchors = self.anchors
        starts = self.starts
        simple = _SIMPLE
        while stack:
            statements, scope, in_loop, blocks, depth = stack.pop()
            if blocks >= _MAX_BLOCKS:
                return False
            self.depth = max(self.depth, depth)
            inner = depth + 1
            for stmt in statements:
                kind = type(stmt)
                if kind in simple:
                    anchors.append((starts[stmt.lineno - 1] + stmt.col_offset, stmt))
                    if kind is not ast.Pass and not self._simple_ok(stmt, kind, scope, in_loop):
                        return False
                    continue
                if kind is ast.FunctionDef or kind is ast.ClassDef:
                    start = min([self.offset(stmt), *(self.offset(d) for d in stmt.decorator_list)])  # type: ignore[attr-defined]
                    anchors.append((start, stmt))
                    if kind is ast.FunctionDef:
                        if not _arguments_ok(stmt.args):  # type: ignore[attr-defined]
                            return False
                        stack.append((stmt.body, _FUNCTION, False, 0, inner))  # type: ignore[attr-defined]
                    else:
                        if not _keywords_ok(stmt.keywords):  # type: ignore[attr-defined]
                            return False
                        stack.append((stmt.body, _CLASS, False, 0, inner))  # type: ignore[attr-defined]
                    continue
                anchors.append((self.offset(stmt), stmt))
                if kind is ast.If:
                    stack.append((stmt.body, scope, in_loop, blocks, inner))  # type: ignore[attr-defined]
                    stack.append((stmt.orelse, scope, in_loop, blocks, inner))  # type: ignore[attr-defined]
                elif kind is ast.For or kind is ast.While:
                    if kind is ast.For and (not _target_ok(stmt.target) or type(stmt.iter) is ast.Starred):  # type: ignore[attr-defined]
                        return False
                    stack.append((stmt.body, scope, True, blocks + 1, inner))  # type: ignore[attr-defined]
                    stack.append((stmt.orelse, scope, in_loop, blocks + 1, inner))  # type: ignore[attr-defined]
                elif kind is ast.With:
                    if not all(item.optional_vars is None or _target_ok(item.optional_vars) for item in stmt.items):  # type: ignore[attr-defined]
                        return False
                    stack.append((stmt.body, scope, in_loop, blocks + len(stmt.items), inner))  # type: ignore[attr-defined]
                elif kind is ast.Try:
                    if any(handler.type is None for handler in stmt.handlers[:-1]):  # type: ignore[attr-defined]
                        return False  # a bare `except:` before another clause
                    for part in (stmt.body, stmt.orelse, stmt.finalbody):  # type: ignore[attr-defined]
                        stack.append((part, scope, in_loop, blocks + 3, inner))
                    for handler in stmt.handlers:  # type: ignore[attr-defined]
                        anchors.append((self.offset(handler), handler))
                        stack.append((handler.body, scope, in_loop, blocks + 3, inner))
                else:  # async statements, `match`, `except*`, a newer Python's: the compiler decides
                    return False
        return True

    def _simple_ok(self, stmt: ast.stmt, kind: type, scope: int, in_loop: bool) -> bool:
        if kind is ast.Expr or kind is ast.AugAssign or kind is ast.AnnAssign or kind is ast.Return:
            if type(stmt.value) is ast.Starred:  # type: ignore[attr-defined]  # `x = *a`, `return *a`
                return False
            return kind is not ast.Return or scope == _FUNCTION
        if kind is ast.Assign:
            return type(stmt.value) is not ast.Starred and all(_target_ok(t) for t in stmt.targets)  # type: ignore[attr-defined]
        if kind is ast.Break or kind is ast.Continue:
            return in_loop
        if kind is ast.ImportFrom:
            if stmt.module == "__future__" and id(stmt) not in self.leading_futures:  # type: ignore[attr-defined]
                return False
            return scope == _MODULE or all(alias.name != "*" for alias in stmt.names)  # type: ignore[attr-defined]
        return True


def _is_docstring(node: ast.stmt) -> bool:
    return type(node) is ast.Expr and type(node.value) is ast.Constant and isinstance(node.value.value, str)  # type: ignore[attr-defined]


def _is_future(node: ast.stmt) -> bool:
    return type(node) is ast.ImportFrom and node.module == "__future__"  # type: ignore[attr-defined]


def _line_starts(text: str) -> list[int]:
    """Offset of each line's start, lines ending at `\\n` as Python counts them (a lone `\\r` was
    made a `\\n` before parsing; for ASCII text a column is a character). Built from C iterators."""
    return [0, *map(operator.add, itertools.accumulate(map(len, text.split("\n"))), itertools.count(1))]


def _names_ok(names: list[str]) -> bool:
    """No name twice, and none the compiler mangles (`__x` in a class), which could meet another."""
    return len(set(names)) == len(names) and not any(n.startswith("__") and not n.endswith("__") for n in names)


def _arguments_ok(args: ast.arguments) -> bool:
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    if args.vararg is not None:
        names.append(args.vararg.arg)
    if args.kwarg is not None:
        names.append(args.kwarg.arg)
    return _names_ok(names)


def _keywords_ok(keywords: list[ast.keyword]) -> bool:
    return _names_ok([k.arg for k in keywords if k.arg is not None])


def _target_ok(target: ast.AST, top: bool = True) -> bool:
    """An assignment target the compiler accepts: no bare `*a`, one starred name per tuple or list
    at most, and a short one."""
    kind = type(target)
    if kind is ast.Starred:
        return not top and _target_ok(target.value, False)  # type: ignore[attr-defined]
    if kind is ast.Tuple or kind is ast.List:
        elements = target.elts  # type: ignore[attr-defined]
        starred = sum(1 for e in elements if type(e) is ast.Starred)
        if starred > 1 or (starred and len(elements) >= 256):
            return False
        return all(_target_ok(e, False) for e in elements)
    return True


def _too_deep(text: str, walk: _StatementWalk) -> bool:
    """Whether the tree may be too deep for the compiler: bounded by the nesting characters and
    words of the whole file, and when those are many, of each statement's own text."""
    budget = (_MAX_LEVELS - 3 * walk.depth) // 6 - 1

    def nesting(start: int, end: int) -> int:
        count = masked.count("\x00", start, end)
        return count + sum(text.count(word, start, end) for word in _NESTING_WORDS)

    masked = text.translate(_NESTING)
    if nesting(0, len(text)) < budget:
        return False
    offsets = walk.offsets
    ends = [*offsets[1:], len(text)]
    # a statement's text, up to the next one's start, holds all of its header
    return any(end - start >= budget and nesting(start, end) >= budget for start, end in zip(offsets, ends))


def _anchors_to_walk(text: str, walk: _StatementWalk) -> set[int]:
    """The statements whose expressions must be looked at: where a keyword name is written twice,
    a `lambda`, a `for` with a `*` after it (a comprehension's starred target)."""
    offsets = walk.offsets
    owner = bisect.bisect_right
    found: set[int] = set()
    seen: set[tuple[int, str]] = set()
    size = len(text)
    for match in _KEYWORD_REVERSED.finditer(text[::-1]):
        key = (owner(offsets, size - match.end(1)) - 1, match.group(1))
        if key in seen:
            found.add(key[0])
        else:
            seen.add(key)
    position = text.find("lambda")
    while position != -1:
        found.add(owner(offsets, position) - 1)
        position = text.find("lambda", position + 6)
    if "*" in text:
        for match in _FOR.finditer(text):
            index = owner(offsets, match.start()) - 1
            end = offsets[index + 1] if index + 1 < len(offsets) else len(text)
            if text.find("*", match.end(), end) != -1:
                found.add(index)
    found.discard(-1)  # before the first statement: a comment or blank lines
    return found


_BODIES = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})


def _expressions_doubt(anchor: ast.AST) -> bool:
    """Whether the expressions of a statement's header hold a repeated keyword argument, a lambda
    with a repeated parameter, or a comprehension with a starred target the compiler refuses."""
    stack: list[ast.AST] = []
    for name in anchor._fields:
        if name in _BODIES:
            continue
        value = getattr(anchor, name, None)
        if isinstance(value, ast.AST):
            stack.append(value)
        elif isinstance(value, list):
            stack.extend(v for v in value if isinstance(v, ast.AST))
    while stack:
        node = stack.pop()
        kind = type(node)
        if (
            (kind is ast.Call and not _keywords_ok(node.keywords))  # type: ignore[attr-defined]
            or (kind is ast.Lambda and not _arguments_ok(node.args))  # type: ignore[attr-defined]
            or (kind is ast.comprehension and not _target_ok(node.target))  # type: ignore[attr-defined]
        ):
            return True
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                stack.append(value)
            elif isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, ast.AST))
    return False
