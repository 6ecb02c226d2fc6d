"""What a Python script reads and writes, read with `ast` (never imported, never run).

Strings are followed through names (`OUT_DIR = "/data/csv"`), `os.path.join`, `pathlib` `/`,
`+`, `%` and f-strings (unknown parts become a placeholder that matches anything), environment
lookups the crontab answers, and the parameters of the script's own functions:
`def convert(src, dst): open(dst, "w")` called as `convert(a, os.path.join(OUT_DIR, name))`
writes under OUT_DIR. Recognised: `open()` and its mode (also `gzip.open`, `Path.open`),
`Path.read_*`/`write_*`, pandas, numpy and pyarrow `read_*`/`to_*`/`save`, `shutil` copies and
moves, `os.listdir`/`glob`/`scandir`, SQL text passed to `execute`/`sql`/`read_sql`, tables
named to `to_sql`/`read_sql_table`, and shell commands run by `subprocess` or `os.system`.
"""

from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import dataclass, field

from migrator.infer.facts import (
    MENTION,
    READ,
    WRITE,
    Artifact,
    ScriptCall,
    artifacts_of,
    cited,
    is_data_file,
    path_artifact,
    script_calls,
    sql_artifacts,
)
from migrator.infer.shell import SUBST_PLACEHOLDER, parse_command
from migrator.infer.sql import looks_like_sql, normalize_table

UNKNOWN = SUBST_PLACEHOLDER
Names = dict[str, "str | None"]

_READ_CALLS = frozenset(
    {"read_csv", "read_parquet", "read_json", "read_excel", "read_feather", "read_orc"}
    | {"read_table", "read_pickle", "read_hdf", "read_fwf", "read_xml", "read_stata", "load"}
    | {"loadtxt", "genfromtxt", "ParquetFile", "ParquetDataset", "dataset", "open_dataset"}
    | {"read_text", "read_bytes", "load_workbook", "imread"}
)
_LISTING_CALLS = frozenset({"listdir", "scandir", "walk", "iterdir", "glob", "iglob", "rglob"})
_WRITE_CALLS = frozenset(
    {"to_csv", "to_parquet", "to_json", "to_excel", "to_feather", "to_orc", "to_pickle"}
    | {"to_hdf", "to_xml", "to_stata", "savetxt", "save", "savez", "savez_compressed"}
    | {"write_text", "write_bytes", "write_table", "write_to_dataset", "write_dataset"}
    | {"savefig", "to_file", "imwrite", "dump"}
)
_COPY_CALLS = frozenset({"copy", "copy2", "copyfile", "copytree", "move", "rename", "replace"})
_SQL_CALLS = frozenset(
    {"execute", "executemany", "executescript", "sql", "read_sql", "read_sql_query", "query"}
    | {"text", "exec_driver_sql"}
)
_SHELL_CALLS = frozenset({"system", "popen", "run", "call", "check_call", "check_output", "Popen"})
_OPENING_MODULES = frozenset({"gzip", "bz2", "lzma", "io", "codecs", "builtins", "tarfile"})
_PATH_TYPES = frozenset({"Path", "PurePath", "PosixPath", "PurePosixPath"})
MAX_CALL_DEPTH = 3  # how deep string values are followed into the script's own functions


@dataclass
class _Reader:
    cite: str
    script_path: str
    cwd: str | None
    home: str
    env: dict[str, str]
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    found: list[Artifact] = field(default_factory=list)
    calls: list[ScriptCall] = field(default_factory=list)
    seen: set[tuple[object, ...]] = field(default_factory=set)

    # -- values -------------------------------------------------------------------------------

    def value(self, node: ast.AST | None, names: Names) -> str | None:
        """The string `node` evaluates to, with UNKNOWN for parts that cannot be known."""
        if node is None:
            return None
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.Name):
            return self.script_path if node.id == "__file__" else names.get(node.id)
        if isinstance(node, ast.JoinedStr):
            parts = []
            for piece in node.values:
                if isinstance(piece, ast.Constant):
                    parts.append(str(piece.value))
                else:
                    inner = piece.value if isinstance(piece, ast.FormattedValue) else piece
                    parts.append(self.value(inner, names) or UNKNOWN)
            return "".join(parts)
        if isinstance(node, ast.BinOp):
            return self._operation(node, names)
        if isinstance(node, ast.Call):
            return self._call_value(node, names)
        if isinstance(node, ast.Subscript) and _dotted(node.value).endswith("environ"):
            key = self.value(node.slice, names)
            return self.env.get(key) if key else None
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            inner = self.value(node.value, names)
            return posixpath.dirname(inner.rstrip("/")) if inner else None
        return None

    def _operation(self, node: ast.BinOp, names: Names) -> str | None:
        left, right = self.value(node.left, names), self.value(node.right, names)
        if isinstance(node.op, ast.Add) and (left is not None or right is not None):
            return (left or UNKNOWN) + (right or UNKNOWN)
        if isinstance(node.op, ast.Div) and left is not None:
            return posixpath.join(left, right or UNKNOWN)
        if isinstance(node.op, ast.Mod) and left is not None:
            return re.sub(r"%[-+ #0-9.]*[sdifr]", UNKNOWN, left)
        return None

    def _call_value(self, node: ast.Call, names: Names) -> str | None:
        name = _dotted(node.func)
        last = name.rsplit(".", 1)[-1]
        args = [self.value(a, names) for a in node.args]
        if name.endswith("path.join") and args and args[0] is not None:
            return posixpath.join(*[a if a is not None else UNKNOWN for a in args])
        if last in _PATH_TYPES or last in ("abspath", "realpath", "normpath", "expanduser"):
            if args and args[0] is not None:
                text = args[0]
                return self.home + text[1:] if text.startswith("~/") else text
            return None
        if last == "dirname" and args and args[0] is not None:
            return posixpath.dirname(args[0])
        if last in ("resolve", "absolute", "expanduser") and isinstance(node.func, ast.Attribute):
            return self.value(node.func.value, names)
        if last in ("getenv", "get") and args and ("environ" in name or last == "getenv"):
            default = args[1] if len(args) > 1 else None
            return self.env.get(args[0], default) if args[0] else default
        if last == "format" and isinstance(node.func, ast.Attribute):
            template = self.value(node.func.value, names)
            return re.sub(r"\{[^{}]*\}", UNKNOWN, template) if template is not None else None
        return None

    # -- what a call touches ------------------------------------------------------------------

    def add_path(
        self, text: str | None, role: str, via: str, line: int, *, directory: bool = False
    ) -> None:
        if text is None or not text.strip() or text.startswith(UNKNOWN):
            return  # unknown, or nothing known but a tail: too vague to match anything
        if "/" not in text and not is_data_file(text):
            return  # `"("` handed to `str.replace`, a mode, a column name: not a file
        artifact = path_artifact(text, role, via, self.cwd, self.home, directory=directory)
        if artifact is not None and (artifact.kind == "url" or "/" in artifact.key):
            self.found.append(cited(artifact, f"{self.cite}:{line}"))

    def add_sql(self, text: str, line: int) -> None:
        where = f"{self.cite}:{line}"
        for artifact in sql_artifacts(text):
            self.found.append(cited(artifact, where))

    def add_table(self, name: str | None, role: str, via: str, line: int) -> None:
        if not name or UNKNOWN in name or " " in name.strip():
            return
        where = f"{self.cite}:{line}"
        table = normalize_table(name)
        self.found.append(Artifact("table", table, role, f"{via}, in {where}", source=where))

    def add_shell(self, text: str, line: int) -> None:
        commands = parse_command(text, self.env)
        where = f"{self.cite}:{line}"
        for artifact in artifacts_of(commands, self.home):
            self.found.append(cited(artifact, where))
        self.calls.extend(script_calls(commands, self.home))

    # -- walking ------------------------------------------------------------------------------

    def read(self, tree: ast.Module) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions.setdefault(node.name, node)
        # module constants first: functions defined above them still see them
        names: Names = {}
        for statement in tree.body:
            if isinstance(statement, ast.Assign | ast.AnnAssign):
                self._assign(statement, names)
        self.body(tree.body, names, depth=0)

    def body(self, statements: list[ast.stmt], names: Names, depth: int) -> None:
        for statement in statements:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                if depth == 0:
                    # read once on its own (parameters unknown), and again wherever the script
                    # calls it with values it knows (`_into`)
                    self.body(statement.body, dict(names), depth + 1)
                continue
            self.statement(statement, names, depth)

    def _assign(self, node: ast.Assign | ast.AnnAssign, names: Names) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = self.value(node.value, names) if node.value is not None else None
        for target in targets:
            if isinstance(target, ast.Name):
                names[target.id] = value

    def statement(self, node: ast.stmt, names: Names, depth: int) -> None:
        for call in _calls_in(node):
            self.call(call, names, depth)
        if isinstance(node, ast.Assign | ast.AnnAssign):
            self._assign(node, names)
        elif isinstance(node, ast.For | ast.AsyncFor) and isinstance(node.target, ast.Name):
            names[node.target.id] = UNKNOWN  # any of what it iterates over
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if isinstance(item.optional_vars, ast.Name):
                    names[item.optional_vars.id] = None
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.stmt) and not isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
            ):
                self.statement(child, names, depth)

    def call(self, node: ast.Call, names: Names, depth: int) -> None:
        name = _dotted(node.func)
        last = name.rsplit(".", 1)[-1]
        line = node.lineno
        owner = node.func.value if isinstance(node.func, ast.Attribute) else None
        owner_path = self.value(owner, names) if owner is not None else None
        if owner is None and name in self.functions:
            # the script's own `save(frame, path)`: what its body does, not what `save` means
            if depth < MAX_CALL_DEPTH:
                self._into(self.functions[name], node, names, depth)
            return
        if last == "open" and not name.startswith("os."):
            self._open(node, names, owner, owner_path)
        elif last in _LISTING_CALLS:
            base = owner_path if owner_path is not None else self._first_path(node, names)
            pattern = self.value(node.args[0], names) if owner_path and node.args else None
            target = posixpath.join(base, pattern) if base and pattern else base
            listing = last in ("listdir", "scandir", "walk", "iterdir")
            self.add_path(target, READ, f"{last}()", line, directory=listing)
        elif last in _READ_CALLS and (owner_path is not None or node.args or node.keywords):
            target = owner_path if last in ("read_text", "read_bytes") else None
            self.add_path(target or self._first_path(node, names), READ, f"{last}()", line)
        elif last in _WRITE_CALLS:
            target = owner_path if last in ("write_text", "write_bytes") else None
            self.add_path(target or self._first_path(node, names), WRITE, f"{last}()", line)
        elif last in _COPY_CALLS and len(node.args) >= 2 and name.startswith(("shutil.", "os.")):
            self.add_path(self.value(node.args[0], names), READ, f"{name}() source", line)
            self.add_path(self.value(node.args[1], names), WRITE, f"{name}() target", line)
        elif last in ("rename", "replace") and owner_path is not None and node.args:
            self.add_path(owner_path, READ, f"{last}() source", line)
            self.add_path(self.value(node.args[0], names), WRITE, f"{last}() target", line)
        elif last == "to_sql" and node.args:
            self.add_table(self.value(node.args[0], names), WRITE, "to_sql()", line)
        elif last == "read_sql_table" and node.args:
            self.add_table(self.value(node.args[0], names), READ, "read_sql_table()", line)
        elif last in _SQL_CALLS and node.args:
            text = self.value(node.args[0], names)
            if text and looks_like_sql(text):
                self.add_sql(text, line)
        elif last in _SHELL_CALLS and node.args and name.startswith(("os.", "subprocess.")):
            command = self._command_text(node.args[0], names)
            if command:
                self.add_shell(command, line)

    def _open(
        self, node: ast.Call, names: Names, owner: ast.AST | None, owner_path: str | None
    ) -> None:
        args = node.args
        module = _dotted(owner) if owner is not None else ""
        if owner is not None and module not in _OPENING_MODULES and owner_path is not None:
            target, mode_node = owner_path, args[0] if args else _keyword_node(node, ("mode",))
        else:
            target = self.value(args[0], names) if args else None
            mode_node = args[1] if len(args) > 1 else _keyword_node(node, ("mode",))
        mode = self.value(mode_node, names) or "r"
        role = WRITE if any(c in mode for c in "wax+") else READ
        self.add_path(target, role, f"open({mode})", node.lineno)

    def _first_path(self, node: ast.Call, names: Names) -> str | None:
        """The argument that names a file: the first that looks like a path, else the first."""
        values = [self.value(a, names) for a in node.args]
        values += [
            self.value(k.value, names)
            for k in node.keywords
            if k.arg in ("path", "path_or_buf", "fname", "file", "where", "filepath_or_buffer")
        ]
        known = [v for v in values if v is not None]
        for value in known:
            if "/" in value or is_data_file(value):
                return value
        return known[0] if known and node.args and values[0] is not None else None

    def _command_text(self, node: ast.AST, names: Names) -> str | None:
        if isinstance(node, ast.List | ast.Tuple):
            words = [self.value(e, names) for e in node.elts]
            if not words or words[0] is None:
                return None
            return " ".join(_quote(w if w is not None else UNKNOWN) for w in words)
        return self.value(node, names)

    def _into(
        self,
        function: ast.FunctionDef | ast.AsyncFunctionDef,
        node: ast.Call,
        names: Names,
        depth: int,
    ) -> None:
        parameters = [a.arg for a in function.args.args]
        bound: Names = dict(zip(parameters, (self.value(a, names) for a in node.args)))
        for keyword in node.keywords:
            if keyword.arg in parameters:
                bound[keyword.arg] = self.value(keyword.value, names)
        if not any(v is not None for v in bound.values()):
            return  # nothing more is known than when the body was read on its own
        key = (id(function), tuple(sorted(bound.items(), key=lambda kv: kv[0])))
        if key in self.seen:
            return
        self.seen.add(key)
        inner = {**{k: v for k, v in names.items() if k not in parameters}, **bound}
        self.body(function.body, inner, depth + 1)


def read_python(
    text: str, script_path: str, cite: str, env: dict[str, str], cwd: str | None, home: str
) -> tuple[list[Artifact], list[ScriptCall]]:
    """Artifacts and called scripts of a Python script; a file that does not parse gives none."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        try:
            tree = ast.parse(_python2_as_3(text))
        except (SyntaxError, ValueError):
            return [], []
    reader = _Reader(cite, script_path, cwd, home, dict(env))
    reader.read(tree)
    return _unique(reader.found), reader.calls


_PRINT_STATEMENT = re.compile(r"^(\s*)print(?:\s+(?!\()(.*?))?\s*$", re.MULTILINE)
_EXCEPT_COMMA = re.compile(r"^(\s*except\s+[\w.]+)\s*,\s*(\w+)\s*:", re.MULTILINE)
_UNICODE_RAW = re.compile(r"\bu(r['\"])", re.IGNORECASE)


def _python2_as_3(text: str) -> str:
    """The Python 2 a cron script from 2010 is written in, as Python 3 `ast` reads it.

    Only what stops the parser and changes no string: `print x`, `except E, e:`, `ur''`; line
    numbers stay as they are.
    """
    text = _PRINT_STATEMENT.sub(lambda m: f"{m.group(1)}print({m.group(2) or ''})", text)
    text = _EXCEPT_COMMA.sub(r"\1 as \2:", text)
    return _UNICODE_RAW.sub(r"\1", text)


def _unique(found: list[Artifact]) -> list[Artifact]:
    known = {(a.kind, a.key) for a in found if a.role != MENTION}
    seen: dict[tuple[str, str, str], Artifact] = {}
    for artifact in found:
        if artifact.role == MENTION and (artifact.kind, artifact.key) in known:
            continue
        seen.setdefault((artifact.kind, artifact.key, artifact.role), artifact)
    return list(seen.values())


def _calls_in(statement: ast.stmt) -> list[ast.Call]:
    """The calls of a statement's own expressions (not of the statements nested in it)."""
    found: list[ast.Call] = []
    stack = [c for c in ast.iter_child_nodes(statement) if not isinstance(c, ast.stmt)]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call):
            found.append(node)
        if isinstance(node, ast.expr | ast.keyword | ast.comprehension | ast.withitem):
            stack.extend(ast.iter_child_nodes(node))
    found.reverse()
    return found


def _dotted(node: ast.AST | None) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    return ""


def _keyword_node(node: ast.Call, names: tuple[str, ...]) -> ast.AST | None:
    for keyword in node.keywords:
        if keyword.arg in names:
            return keyword.value
    return None


def _quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"
