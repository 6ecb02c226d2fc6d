"""A per-project cache of lint results, so an unchanged repository re-lints almost instantly.

One JSON file per (cron2dag version and code, configuration, rule set) under `.cron2dag_cache/`; each
entry is keyed by the file's path and holds the hash of its content and its results. A changed file, a
changed config or another build of cron2dag is a miss. The directory ignores itself in git.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

from migrator import __version__

KEEP_FILES = 8
SOURCES = ("lint", "analysis", "crontab")  # with the top-level modules of migrator and rules/


try:  # hashlib's own blake2b; importing hashlib would also load OpenSSL, several ms a run for nothing
    from _blake2 import blake2b as _blake2b
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import blake2b as _blake2b


def blake2b_hex(data: bytes, size: int) -> str:
    """BLAKE2b of `data` with a digest of `size` bytes, in hex."""
    return _blake2b(data, digest_size=size).hexdigest()


def code_stamp() -> str:
    """Which build of the linter this is: the version string alone stays the same between two commits
    (a pre-commit `rev` moved to a newer commit, an editable install), whose rules may differ. The
    size and modification time of the sources that decide findings tell them apart, for a few stats."""
    import migrator
    import rules

    base = os.path.dirname(migrator.__file__)
    directories = [os.path.dirname(rules.__file__), base] + [os.path.join(base, sub) for sub in SOURCES]
    entries: list[str] = []
    for directory in directories:
        try:
            scanned = list(os.scandir(directory))
        except OSError:
            continue
        for entry in scanned:
            if entry.name.endswith((".py", ".lark")):
                info = entry.stat()
                entries.append(f"{entry.path}:{info.st_size}:{info.st_mtime_ns}")
    return blake2b_hex("\n".join(sorted(entries)).encode(), 6)


class Cache:
    def __init__(self, directory: str, fingerprint: str) -> None:
        self.directory = directory
        self.path = os.path.join(directory, f"lint-{__version__}-{code_stamp()}-{fingerprint}.json")
        self.entries: dict[str, list[Any]] = {}
        self.dirty = False
        import gc

        enabled = gc.isenabled()
        gc.disable()  # parsed JSON holds no cycles: collections while it is built find nothing
        try:
            with open(self.path, "rb") as handle:
                data = json.loads(handle.read())
            if isinstance(data, dict) and data.get("version") == __version__:
                self.entries = data.get("entries", {})
        except (OSError, ValueError):
            self.entries = {}
        finally:
            if enabled:
                gc.enable()

    def get(self, path: str, digest: str) -> Any | None:
        entry = self.entries.get(path)
        if entry is not None and entry[0] == digest:
            return entry[1]
        return None

    def put(self, path: str, digest: str, result: Any) -> None:
        self.entries[path] = [digest, result]
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            os.makedirs(self.directory, exist_ok=True)
            ignore = os.path.join(self.directory, ".gitignore")
            if not os.path.exists(ignore):
                with open(ignore, "w", encoding="utf-8") as handle:
                    handle.write("# Created by cron2dag lint\n*\n")
            # a name of this process's own, created exclusively (what `tempfile.mkstemp` does, without
            # importing tempfile and its random module: 5 ms of a run that changed one file)
            temporary = f"{self.path}.{os.getpid()}.tmp"
            try:
                handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # left by a process that died with this pid: no one else's
                os.remove(temporary)
                handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                # one `dumps`, not `dump`: `dump` writes in chunks through json's pure-Python encoder,
                # four times slower than the C encoder `dumps` uses
                text = json.dumps({"version": __version__, "entries": self.entries}, separators=(",", ":"))
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(text)
                os.replace(temporary, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.remove(temporary)
                raise
            self._prune()
        except OSError:
            pass  # a read-only checkout still lints, just without a cache

    def _prune(self) -> None:
        caches = [
            os.path.join(self.directory, name)
            for name in os.listdir(self.directory)
            if name.startswith("lint-") and name.endswith(".json")
        ]
        caches.sort(key=lambda p: os.path.getmtime(p), reverse=True)
        for stale in caches[KEEP_FILES:]:
            try:
                os.remove(stale)
            except OSError:
                pass
