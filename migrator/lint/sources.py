"""Which files to lint, what kind each is, and how their bytes become text.

Directories are walked with `os.scandir` (no symlinked directories, so no loops), skipping the usual
tool and virtualenv folders and the configured `exclude` patterns. Python files are `*.py`; crontabs
are `crontab`, `*.crontab`, `*.cron` and anything in a `cron.d` directory. A file named on the command
line is linted (as Python when it ends in `.py`, otherwise as a crontab) unless `force_exclude` asks
for the `exclude` patterns to apply to it too, as pre-commit names every staged file.
"""

from __future__ import annotations

import codecs
import fnmatch
import io
import os
import re
import stat
import tokenize
from dataclasses import dataclass

from migrator.compat import StrEnum
from migrator.errors import Diagnostic

SKIP_DIRECTORIES = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "__pycache__", "node_modules",
        ".cron2dag_cache", ".cron2dag", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs",
        "site-packages", "build", "dist", ".direnv", ".idea", ".vscode",
    }
)


class Kind(StrEnum):
    PYTHON = "python"
    CRONTAB = "crontab"


@dataclass(frozen=True)
class SourceFile:
    path: str
    kind: Kind
    system: bool = False  # crontab with a user column (/etc/crontab, cron.d)


def crontab_kind(path: str) -> tuple[bool, bool]:
    """(is a crontab by its name, is a system crontab)."""
    name = os.path.basename(path)
    parent = os.path.basename(os.path.dirname(os.path.abspath(path)))
    if parent == "cron.d":
        return True, True
    if name == "crontab":
        return True, parent == "etc"
    return name.endswith((".crontab", ".cron")), False


def _excluded(path: str, root: str, patterns: tuple[str, ...]) -> bool:
    if not patterns:
        return False
    relative = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
    name = os.path.basename(path)
    return any(fnmatch.fnmatchcase(relative, p) or fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(relative, p.rstrip("/") + "/*") for p in patterns)


def discover(
    paths: list[str], root: str = ".", exclude: tuple[str, ...] = (), force_exclude: bool = False
) -> tuple[list[SourceFile], list[Diagnostic]]:
    files: list[SourceFile] = []
    errors: list[Diagnostic] = []
    seen: set[str] = set()
    root = os.path.abspath(root)

    def add(path: str, explicit: bool, key: str | None = None) -> None:
        key = key or os.path.abspath(path)
        if key in seen:
            return
        if path.endswith(".py"):
            seen.add(key)
            files.append(SourceFile(path, Kind.PYTHON))
            return
        is_crontab, system = crontab_kind(path)
        if is_crontab or explicit:
            seen.add(key)
            files.append(SourceFile(path, Kind.CRONTAB, system))

    def walk(directory: str) -> None:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as error:
            errors.append(Diagnostic(directory, f"cannot read directory: {error.strerror}"))
            return
        absolute = os.path.abspath(directory)  # once per directory, not once per file (a getcwd each)
        for entry in entries:
            path = os.path.join(directory, entry.name) if directory != "." else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = entry.is_file()
            except OSError:
                continue
            if is_dir:
                if entry.name in SKIP_DIRECTORIES or entry.name.endswith(".egg-info") or _excluded(path, root, exclude):
                    continue
                walk(path)
            elif is_file and not _excluded(path, root, exclude):
                add(path, False, os.path.join(absolute, entry.name))

    for given in paths:
        path = os.path.normpath(given)
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            errors.append(Diagnostic(given, "no such file or directory"))
            continue
        except OSError as error:
            errors.append(Diagnostic(given, f"cannot read: {error.strerror}"))
            continue
        if force_exclude and _excluded(path, root, exclude):
            continue
        if stat.S_ISDIR(mode):
            walk(path)
        else:
            add(path, explicit=True)
    return files, errors


class DecodeError(ValueError):
    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=]")


def python_encoding(data: bytes) -> str:
    """The encoding a PEP 263 cookie declares ("utf-8" without one, or for a BOM): what a fix must
    write the file back in."""
    head = data[:400].split(b"\n", 2)[:2]
    if data.startswith(codecs.BOM_UTF8) or not any(_CODING.match(line) for line in head):
        return "utf-8"
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        return "utf-8"
    return "utf-8" if encoding == "utf-8-sig" else encoding


def decode_python(data: bytes) -> str:
    """Source text as Python reads it: a BOM or a PEP 263 coding cookie, else UTF-8."""
    if b"\x00" in data:
        raise DecodeError("binary file (contains NUL bytes), not Python source")
    encoding = "utf-8"
    head = data[:400].split(b"\n", 2)[:2]
    if data.startswith(codecs.BOM_UTF8) or any(_CODING.match(line) for line in head):
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as error:
            raise DecodeError(str(error)) from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise DecodeError(f"not valid {encoding}: byte 0x{data[error.start]:02x} cannot be decoded", line, column) from None
    except LookupError:
        raise DecodeError(f"unknown encoding {encoding!r}") from None
    # one BOM is the encoding's mark (utf-8-sig drops it already); a second one is text Python refuses
    return text[1:] if text.startswith("\ufeff") and encoding != "utf-8-sig" else text


def decode_text(data: bytes) -> str:
    """A crontab's text: UTF-8 (cron itself does not care, but the rules read text)."""
    if b"\x00" in data:
        raise DecodeError("binary file (contains NUL bytes), not a crontab")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise DecodeError(f"not valid UTF-8: byte 0x{data[error.start]:02x} cannot be decoded", line, column) from None
