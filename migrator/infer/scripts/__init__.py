"""Evidence from the scripts a crontab runs, read statically: never executed, never imported.

`ScriptReader.artifacts(job's calls)` finds each script (on this machine or under --scripts-root),
reads it by language (shell, Python, SQL; the extension or the `#!` line says which), follows the
scripts it sources or calls, and returns what they write and read, each citing `script:LINE`.

Bounded, because a crontab can name anything: files over MAX_BYTES and binary files are
skipped, `source` cycles and call chains deeper than MAX_DEPTH are cut, and reading stops after
MAX_FILES files or when the time budget is spent (a note says so; what was read so far still
counts). The budget is CPU time, so that a busy machine does not change what is read.
"""

from __future__ import annotations

import posixpath
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from migrator.infer.facts import Artifact, ScriptCall
from migrator.infer.scripts.locate import ScriptLocator
from migrator.infer.scripts.python_script import read_python
from migrator.infer.scripts.shell_script import read_shell, variables_set
from migrator.infer.scripts.sql_script import read_sql

MAX_BYTES = 512 * 1024
MAX_DEPTH = 4  # scripts calling scripts
BUDGET_SECONDS = 60.0  # CPU seconds: about 20,000 ordinary scripts
MAX_FILES = 20_000
_SHELLS = ("sh", "bash", "dash", "zsh", "ksh")


@dataclass
class ScriptReader:
    root: Path | None = None
    use_machine: bool = True  # also read scripts found at their path on this machine
    budget_seconds: float = BUDGET_SECONDS
    notes: list[str] = field(default_factory=list)  # what could not be read, said once each
    read_count: int = 0
    _locator: ScriptLocator = field(init=False)
    _cache: dict[tuple[str, str | None, str | None, str], tuple[Artifact, ...]] = field(
        default_factory=dict, init=False
    )
    _started: float | None = field(default=None, init=False)
    _spent: bool = field(default=False, init=False)
    _checks: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._locator = ScriptLocator(self.root, use_machine=self.use_machine)

    def artifacts(
        self, calls: Sequence[ScriptCall], env: dict[str, str], home: str
    ) -> tuple[Artifact, ...]:
        """What the scripts a job runs write and read, scripts they call included."""
        found: list[Artifact] = []
        for call in calls:
            found.extend(self._read(call, dict(env), home, depth=0, stack=()))
        return tuple(found)

    def _read(
        self, call: ScriptCall, env: dict[str, str], home: str, depth: int, stack: tuple[str, ...]
    ) -> tuple[Artifact, ...]:
        if depth > MAX_DEPTH or call.path in stack or self._out_of_time():
            return ()
        key = (call.path, call.language, call.cwd, home)
        if key in self._cache:
            return self._cache[key]
        self._cache[key] = ()  # a cycle through this script reads nothing more
        located = self._locator.locate(call.path)
        if located is None:
            return ()
        text = self._text(located[0], located[1])
        if text is None:
            return ()
        self.read_count += 1
        language = call.language or _language(located[0].name, text)
        found: list[Artifact] = []
        inner: list[ScriptCall] = []
        if language == "python":
            artifacts, inner = read_python(text, call.path, located[1], env, call.cwd, home)
            found.extend(artifacts)
        elif language == "shell":
            reading = read_shell(
                text,
                call.path,
                located[1],
                env,
                call.cwd,
                home,
                lambda sourced, current: self._variables(sourced, current, stack + (call.path,)),
            )
            found.extend(reading.artifacts)
            inner = reading.calls
        elif language == "sql":
            found.extend(read_sql(text, located[1]))
        for called in inner:
            found.extend(self._read(called, env, home, depth + 1, stack + (call.path,)))
        result = tuple(found)
        self._cache[key] = result
        return result

    def _variables(
        self, call: ScriptCall, env: dict[str, str], stack: tuple[str, ...]
    ) -> dict[str, str]:
        """The variables a sourced file leaves (a cycle of `source` reads nothing twice)."""
        if call.path in stack or len(stack) > MAX_DEPTH or self._out_of_time():
            return env
        located = self._locator.locate(call.path)
        text = self._text(*located) if located else None
        return variables_set(text, env) if text is not None else env

    def _text(self, path: Path, cite: str) -> str | None:
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                self._note(f"{cite}: not read, {size} bytes is more than a script ({MAX_BYTES})")
                return None
            data = path.read_bytes()
        except OSError as error:
            self._note(f"{cite}: not read ({error.strerror or error})")
            return None
        if b"\x00" in data[:8192]:
            return None  # a binary: a compiled program, not a script
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("latin-1")

    def _out_of_time(self) -> bool:
        if self._started is None:
            self._started = time.process_time()
        self._checks += 1
        if self._spent or (self._checks - 1) % 8:
            return self._spent  # the clock is read every eighth script: reading it costs too
        spent = time.process_time() - self._started > self.budget_seconds
        if not self._spent and (spent or self.read_count >= MAX_FILES):
            self._spent = True
            why = f"{self.budget_seconds:g} s" if spent else f"{MAX_FILES} files"
            self._note(
                f"scripts: stopped reading after {why} ({self.read_count} scripts read); the "
                "evidence found so far is used"
            )
        return self._spent

    def _note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)


def _language(name: str, text: str) -> str | None:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension == "py":
        return "python"
    if extension in ("sh", "bash"):
        return "shell"
    if extension in ("sql", "hql"):
        return "sql"
    first = text.split("\n", 1)[0]
    if first.startswith("#!"):
        interpreter = first[2:].strip().split()
        program = (
            interpreter[-1]
            if interpreter and interpreter[0].endswith("env")
            else (interpreter[0] if interpreter else "")
        )
        program = posixpath.basename(program)
        if program.startswith(("python", "pypy")):
            return "python"
        if program in _SHELLS:
            return "shell"
    return None


__all__ = ["ScriptReader"]
