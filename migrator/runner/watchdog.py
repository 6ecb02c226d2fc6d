"""Task processes die with their runner, however the runner ends.

Task processes lead sessions of their own (so a timeout or Ctrl-C reaches everything a task started),
which also means nothing stops them when their runner is killed with SIGKILL: they would finish their
work unobserved, and the next runner would run them again. Three safeguards, from the first instant:

- a forked task process asks the kernel for SIGKILL when its parent dies (Linux `PR_SET_PDEATHSIG`,
  see `die_with_parent`), and exits at once if the runner is already gone;
- a watchdog process, forked when the runner starts, reads a pipe that only the runner writes to. The
  runner registers each task's process group there when the task starts and drops it when the task has
  ended. If the pipe reaches end of file without the runner's goodbye, the runner died: the watchdog
  kills every registered group (their children included, which the parent-death signal cannot reach)
  and every process still carrying the runner's id in its environment (`RUNNER_ENV`, set for commands
  the runner spawns; it covers a task started in the instant before it was registered);
- the next runner, or `cron2dag clear`, kills what a dead runner's claims still name (`kill_orphan`).

The watchdog leaves the runner's session (a SIGKILL sent to the runner's process group does not
take it along) and ignores the signals a terminal or CI job sends; it ends when the pipe closes,
which happens however the runner ends, so it cannot outlive it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

RUNNER_ENV = "CRON2DAG_RUNNER_ID"
WATCHDOG_NAME = b"cron2dag-watch"  # its /proc/<pid>/comm: a watchdog never kills another one
_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15
_GOODBYE = b"bye\n"


def _prctl(option: int, argument: object) -> None:
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(option, argument, 0, 0, 0)
        except (OSError, AttributeError):
            pass


def die_with_parent(parent_pid: int) -> None:
    """In a freshly forked child: SIGKILL when the parent dies; exit now if it already has."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:
        os._exit(1)


class Watchdog:
    """The runner's side: start the watchdog, tell it about task process groups, say goodbye."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.pid: int | None = None
        self._write_fd: int | None = None

    def start(self) -> None:
        read_fd, write_fd = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the watchdog process (covered by the reliability tests)
            code = 0
            try:
                os.close(write_fd)
                _watch(read_fd, self.token)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(read_fd)
        self.pid = pid
        self._write_fd = write_fd

    def track(self, pgid: int) -> None:
        self._send(f"+{pgid}\n".encode())

    def untrack(self, pgid: int) -> None:
        self._send(f"-{pgid}\n".encode())

    def stop(self) -> None:
        """The runner ends normally: nothing of its tasks is left to kill."""
        if self._write_fd is None:
            return
        self._send(_GOODBYE)
        os.close(self._write_fd)
        self._write_fd = None
        if self.pid is not None:
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.pid = None

    def _send(self, message: bytes) -> None:
        if self._write_fd is None:
            return
        try:
            os.write(self._write_fd, message)  # a few bytes: atomic on a pipe, never a partial write
        except OSError:
            pass  # the watchdog is gone (killed by hand): the other safeguards remain


def _watch(read_fd: int, token: str) -> None:  # pragma: no cover - watchdog process
    os.setsid()
    _prctl(_PR_SET_NAME, ctypes.c_char_p(WATCHDOG_NAME))
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGTSTP):
        signal.signal(sig, signal.SIG_IGN)
    os.closerange(3, read_fd)
    os.closerange(read_fd + 1, _max_fd())
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    groups: set[int] = set()
    pending = b""
    while True:
        try:
            chunk = os.read(read_fd, 4096)
        except InterruptedError:
            continue
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line == _GOODBYE.strip():
                return
            if line[:1] in (b"+", b"-") and line[1:].isdigit():
                (groups.add if line[:1] == b"+" else groups.discard)(int(line[1:]))
    # End of file without a goodbye: the runner died. Its task groups go with it.
    for pgid in groups:
        _kill_group(pgid)
    for pid in _carrying(token):
        try:
            _kill_group(os.getpgid(pid))
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _kill_group(pgid: int) -> None:  # pragma: no cover - watchdog process
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass


def _carrying(token: str) -> list[int]:
    """Processes whose environment names this runner (only this user's processes are readable), other
    than watchdogs: a runner started by a task inherits the id, and so does its own watchdog, which
    must live to clean up after that inner runner."""
    marker = f"{RUNNER_ENV}={token}".encode() + b"\0"
    found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
            if Path(f"/proc/{entry}/comm").read_bytes().strip() == WATCHDOG_NAME:
                continue
        except OSError:
            continue
        if (b"\0" + environ).find(b"\0" + marker) != -1:
            found.append(int(entry))
    return found


def _max_fd() -> int:
    try:
        return os.sysconf("SC_OPEN_MAX")
    except (ValueError, OSError):
        return 1024
