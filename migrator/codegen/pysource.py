"""libcst building blocks laid out the way `ruff format` lays them out.

Generated files must pass `ruff format --check` unchanged, with ruff's default settings and with any
line length above the default. Two shapes are stable under ruff whatever the line length: a call or
collection on one line that fits in 88 columns, and one exploded one element per line with a
trailing comma (ruff keeps a "magic trailing comma"). The helpers here produce only those two.
Strings are quoted the way ruff normalizes them (double quotes unless that needs more escapes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

LINE_LENGTH = 88
INDENT = "    "
_EMPTY_MODULE = cst.Module(body=[])


def code_of(node: cst.CSTNode) -> str:
    return _EMPTY_MODULE.code_for_node(node)


def py_string(value: str) -> cst.SimpleString:
    """A Python string literal for `value`, quoted as ruff prefers."""
    quote = "'" if value.count('"') > value.count("'") else '"'
    out = []
    for char in value:
        if char == "\\":
            out.append("\\\\")
        elif char == quote:
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif not char.isprintable():
            code = ord(char)
            if code < 0x100:
                out.append(f"\\x{code:02x}")
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
        else:
            out.append(char)
    return cst.SimpleString(quote + "".join(out) + quote)


def py_value(value: object) -> cst.BaseExpression:
    """A literal for a plain value (str, bool, int, None)."""
    if isinstance(value, bool) or value is None:
        return cst.Name(repr(value))
    if isinstance(value, int):
        return (
            cst.Integer(str(value))
            if value >= 0
            else cst.UnaryOperation(cst.Minus(), cst.Integer(str(-value)))
        )
    if isinstance(value, str):
        return py_string(value)
    raise TypeError(f"no literal for {value!r}")


def dotted(name: str) -> cst.BaseExpression:
    """`a.b.c` as an Attribute chain."""
    head, *rest = name.split(".")
    node: cst.BaseExpression = cst.Name(head)
    for part in rest:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def _newline_indent(depth: int) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(),
        empty_lines=[],
        indent=True,
        last_line=cst.SimpleWhitespace(INDENT * depth),
    )


def _exploded_comma(depth: int) -> cst.Comma:
    return cst.Comma(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=_newline_indent(depth)
    )


Argument = tuple[str | None, cst.BaseExpression]


@dataclass
class Layout:
    """Lays out calls and collections at a nesting `depth` (extra indents inside the statement)."""

    depth: int = 0
    # columns already taken on the line where the construct starts (block indent + prefix)
    column: int = 0
    # characters that must follow the construct on its last line (`,`, `)`, ` as dag:`)
    tail: int = 0

    def fits(self, node: cst.CSTNode) -> bool:
        text = code_of(node)
        return "\n" not in text and self.column + len(text) + self.tail <= LINE_LENGTH


def call(
    func: str | cst.BaseExpression,
    args: Sequence[Argument],
    layout: Layout | None = None,
    explode: bool = False,
) -> cst.Call:
    """`func(args)`: on one line when it fits (and not `explode`), else one argument per line.

    Argument values must already be laid out for `layout.depth + 1`.
    """
    target = dotted(func) if isinstance(func, str) else func
    inline = cst.Call(func=target, args=[_arg(name, value) for name, value in args])
    if not args or (not explode and layout is not None and layout.fits(inline)):
        return inline
    depth = layout.depth if layout else 0
    exploded = [
        _arg(name, value, _exploded_comma(depth + 1 if index < len(args) - 1 else depth))
        for index, (name, value) in enumerate(args)
    ]
    return cst.Call(func=target, args=exploded, whitespace_before_args=_newline_indent(depth + 1))


def _arg(name: str | None, value: cst.BaseExpression, comma: cst.Comma | None = None) -> cst.Arg:
    keyword = cst.Name(name) if name else None
    return cst.Arg(
        value=value,
        keyword=keyword,
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))
        if keyword
        else cst.MaybeSentinel.DEFAULT,
        comma=comma if comma is not None else cst.MaybeSentinel.DEFAULT,
    )


def exploded_dict(
    items: Sequence[tuple[cst.BaseExpression, cst.BaseExpression]], depth: int
) -> cst.Dict:
    """`{k: v, ...}` one item per line with a trailing comma (`{}` when empty)."""
    if not items:
        return cst.Dict(elements=[])
    elements = [
        cst.DictElement(
            key=key, value=value, comma=_exploded_comma(depth + 1 if i < len(items) - 1 else depth)
        )
        for i, (key, value) in enumerate(items)
    ]
    return cst.Dict(
        elements=elements, lbrace=cst.LeftCurlyBrace(whitespace_after=_newline_indent(depth + 1))
    )


def list_of(values: Sequence[cst.BaseExpression], layout: Layout) -> cst.List:
    inline = cst.List(elements=[cst.Element(value=v) for v in values])
    if layout.fits(inline) or not values:
        return inline
    depth = layout.depth
    elements = [
        cst.Element(value=v, comma=_exploded_comma(depth + 1 if i < len(values) - 1 else depth))
        for i, v in enumerate(values)
    ]
    return cst.List(
        elements=elements,
        lbracket=cst.LeftSquareBracket(whitespace_after=_newline_indent(depth + 1)),
    )


def comment_lines(lines: Sequence[str]) -> list[cst.EmptyLine]:
    """`# line` comments; characters that would end or hide a line are written as escapes."""
    return [
        cst.EmptyLine(comment=cst.Comment(("# " + comment_text(line)).rstrip())) for line in lines
    ]


# Python ends a comment at CR or LF; editors and `str.splitlines` also break at these
_LINE_BREAKING = frozenset("\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def comment_text(text: str) -> str:
    """`text` as it can stand in a one-line comment: control and line-breaking characters escaped
    the way Python writes them (`\\r`, `\\x1b`, `\\u2028`), everything else as is."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char == "\t" or (char.isprintable() and char not in _LINE_BREAKING):
            out.append(char)
        else:
            out.append(repr(char)[1:-1])
    return "".join(out)


@dataclass
class Imports:
    """The one place a generated module's imports are requested; rendered isort-style."""

    modules: set[str] = field(default_factory=set)
    names: dict[str, set[str]] = field(default_factory=dict)

    STDLIB = frozenset({"datetime", "re", "zoneinfo"})

    def add_module(self, module: str) -> str:
        self.modules.add(module)
        return module

    def add(self, module: str, name: str) -> str:
        self.names.setdefault(module, set()).add(name)
        return name

    def statements(self) -> list[cst.SimpleStatementLine]:
        """stdlib section, a blank line, then third-party; `import x` before `from x import`."""
        sections: list[list[cst.SimpleStatementLine]] = [[], []]
        for section, stdlib in ((0, True), (1, False)):
            straight = sorted(m for m in self.modules if (m.split(".")[0] in self.STDLIB) == stdlib)
            froms = sorted(m for m in self.names if (m.split(".")[0] in self.STDLIB) == stdlib)
            for module in straight:
                sections[section].append(
                    cst.SimpleStatementLine(
                        body=[cst.Import(names=[cst.ImportAlias(name=dotted(module))])]
                    )
                )
            for module in froms:
                sections[section].append(
                    self._from_import(module, sorted(self.names[module], key=_isort_key))
                )
        out: list[cst.SimpleStatementLine] = list(sections[0])
        if sections[0] and sections[1]:
            first, *rest = sections[1]
            out.append(first.with_changes(leading_lines=[cst.EmptyLine()]))
            out.extend(rest)
        else:
            out.extend(sections[1])
        return out

    @staticmethod
    def _from_import(module: str, names: list[str]) -> cst.SimpleStatementLine:
        aliases = [cst.ImportAlias(name=cst.Name(n)) for n in names]
        node = cst.ImportFrom(module=dotted(module), names=aliases)  # type: ignore[arg-type]
        if len(code_of(node)) > LINE_LENGTH:
            exploded = [
                cst.ImportAlias(
                    name=cst.Name(n), comma=_exploded_comma(1 if i < len(names) - 1 else 0)
                )
                for i, n in enumerate(names)
            ]
            node = cst.ImportFrom(
                module=dotted(module),  # type: ignore[arg-type]
                names=exploded,
                lpar=cst.LeftParen(whitespace_after=_newline_indent(1)),
                rpar=cst.RightParen(),
            )
        return cst.SimpleStatementLine(body=[node])


def _isort_key(name: str) -> tuple[int, str]:
    """isort's order-by-type: CONSTANTS, then Classes, then functions/variables."""
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)
