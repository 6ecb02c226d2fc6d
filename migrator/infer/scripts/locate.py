"""Where a script a crontab names lives on this machine, or in a checkout given as --scripts-root.

A crontab names scripts by the paths of the server it ran on (`/home/ubuntu/project/codes/etc/
csv_convert.py`); a checkout of the repository holds them elsewhere (`Src/Server/etc/
csv_convert.py`). The file whose path shares the longest tail with the crontab's path is the
script; two files sharing the same longest tail are a tie, and a tie is no answer.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path, PurePosixPath

# directories that never hold a job's own scripts, and can hold very many files
_SKIPPED_DIRECTORIES = frozenset(
    {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache"}
    | {"site-packages", "dist-packages", ".cache", ".idea", ".ruff_cache", ".pytest_cache"}
)
MAX_INDEXED_FILES = 200_000
# programs the system provides: a job's own scripts are not there
_SYSTEM_PREFIXES = (
    "/bin/",
    "/sbin/",
    "/usr/bin/",
    "/usr/sbin/",
    "/usr/lib/",
    "/lib/",
    "/usr/libexec/",
)


class ScriptLocator:
    def __init__(self, root: Path | None, *, use_machine: bool = True) -> None:
        self.root = root
        self.use_machine = use_machine
        self._by_name: dict[str, list[tuple[str, ...]]] | None = None
        self.truncated = False  # the root had more files than MAX_INDEXED_FILES

    def locate(self, path: str) -> tuple[Path, str] | None:
        """(the file, how to cite it) for the crontab's `path`, or None when it is nowhere."""
        if self.root is not None:
            found = self._under_root(path)
            if found is not None:
                return found
        if self.use_machine and path.startswith("/") and not path.startswith(_SYSTEM_PREFIXES):
            candidate = Path(path)
            if _is_file(candidate):
                return candidate, path
        return None

    def _under_root(self, path: str) -> tuple[Path, str] | None:
        assert self.root is not None
        parts = tuple(p for p in PurePosixPath(path).parts if p not in ("/", ".", "~"))
        if not parts or parts[0].startswith("~"):
            parts = parts[1:] if parts else parts
        if not parts:
            return None
        best: list[tuple[str, ...]] = []
        best_length = 0
        for relative in self._index().get(parts[-1], ()):
            length = _common_tail(relative, parts)
            if length > best_length:
                best, best_length = [relative], length
            elif length == best_length:
                best.append(relative)
        if len(best) != 1:
            return None
        relative = best[0]
        return self.root.joinpath(*relative), "/".join(relative)

    def _index(self) -> dict[str, list[tuple[str, ...]]]:
        if self._by_name is None:
            assert self.root is not None
            self._by_name = defaultdict(list)
            count = 0
            for directory, subdirectories, files in os.walk(self.root):
                subdirectories[:] = sorted(
                    d for d in subdirectories if d not in _SKIPPED_DIRECTORIES
                )
                base = Path(directory).relative_to(self.root).parts
                for name in sorted(files):
                    self._by_name[name].append((*base, name))
                    count += 1
                if count > MAX_INDEXED_FILES:
                    self.truncated = True
                    break
        return self._by_name


def _common_tail(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    length = 0
    while length < len(a) and length < len(b) and a[-1 - length] == b[-1 - length]:
        length += 1
    return length


def _is_file(path: Path) -> bool:
    """Whether `path` is a file here; a path the system cannot even look up (a name longer than the
    file system allows, a component that is a file) is not one."""
    try:
        return path.is_file()
    except OSError:
        return False
