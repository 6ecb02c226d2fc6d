"""Task logs: `logs/dag_id=<id>/run_id=<run>/task_id=<task>/[map_index=<i>/]attempt=<n>.log` under the runner home.

Every line carries the run id, the logical date and the attempt, so lines copied out of a file (or
merged from many) still say where they came from.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

MAX_LINE = 64 * 1024  # longer lines are split: a task writing without newlines cannot exhaust memory


# Ids are matched in full (`$` would also accept a trailing newline); "..", a valid Airflow id, stays a
# plain folder name behind its `dag_id=` prefix.
_RUN_ID = re.compile(r"[^/\\\x00-\x1f\x7f]+")  # run ids hold dates (":" and "+"), never a path separator


def check_id(value: object, what: str) -> str:
    """An id about to become part of a path under the runner home; ValueError if it could leave it."""
    from migrator.runner.sdk.baseoperator import KEY_REGEX  # Airflow's, for dag and task ids

    pattern = _RUN_ID if what == "run_id" else KEY_REGEX
    if not isinstance(value, str) or len(value) > 250 or not pattern.fullmatch(value):
        raise ValueError(f"{what} {value!r} is not a valid id (letters, digits, '_', '.', '-'; at most 250 "
                         "characters); was it changed after the DAG was built?")
    return value


def run_log_dir(home: Path, dag_id: str, run_id: str) -> Path:
    """The folder of one run's task logs, from ids checked now (user code may have changed them)."""
    return home / "logs" / f"dag_id={check_id(dag_id, 'dag_id')}" / f"run_id={check_id(run_id, 'run_id')}"


def log_path(home: Path, dag_id: str, run_id: str, task_id: str, attempt: int, map_index: int = -1) -> Path:
    """The attempt's log file (Airflow's layout; a mapped task's instances in `map_index=N` folders)."""
    folder = run_log_dir(home, dag_id, run_id) / f"task_id={check_id(task_id, 'task_id')}"
    if map_index >= 0:
        folder = folder / f"map_index={int(map_index)}"
    return folder / f"attempt={int(attempt)}.log"


def _stamp() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


class TaskLog:
    """Append-only writer for one attempt's log."""

    def __init__(self, path: Path, run_id: str, logical_date: str | None, attempt: int) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(path, "ab", buffering=256 * 1024)
        self._prefix = f"run_id={run_id} logical_date={logical_date or '-'} attempt={attempt} | ".encode()
        self._partial = bytearray()

    def info(self, message: str) -> None:
        self._write_lines([f"INFO - {line}".encode("utf-8", "backslashreplace") for line in message.splitlines() or [""]])

    def error(self, message: str) -> None:
        self._write_lines([f"ERROR - {line}".encode("utf-8", "backslashreplace") for line in message.splitlines() or [""]])

    def feed(self, data: bytes) -> list[bytes]:
        """Task output: complete lines are written (and returned); a trailing partial line waits."""
        self._partial += data
        lines = self._partial.split(b"\n")
        self._partial = bytearray(lines.pop())
        while len(self._partial) > MAX_LINE:
            lines.append(bytes(self._partial[:MAX_LINE]))
            del self._partial[:MAX_LINE]
        if lines:
            self._write_lines(lines)
        return lines

    def flush_partial(self) -> bytes | None:
        if not self._partial:
            return None
        line = bytes(self._partial)
        self._partial.clear()
        self._write_lines([line])
        return line

    def _write_lines(self, lines: list[bytes]) -> None:
        head = b"[" + _stamp().encode() + b"] " + self._prefix
        self._handle.write(b"".join(head + line.rstrip(b"\r") + b"\n" for line in lines))

    def flush(self) -> None:
        self._handle.flush()

    def close(self) -> None:
        self.flush_partial()
        self._handle.close()


def read_log(path: Path) -> str:
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "backslashreplace")


def attempts_on_disk(home: Path, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> list[int]:
    folder = log_path(home, dag_id, run_id, task_id, 1, map_index).parent
    if not folder.is_dir():
        return []
    found = []
    for name in os.listdir(folder):
        if name.startswith("attempt=") and name.endswith(".log"):
            try:
                found.append(int(name[len("attempt="):-len(".log")]))
            except ValueError:
                continue
    return sorted(found)
