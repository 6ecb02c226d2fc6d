"""Task processes: start them, pump their output into logs, time them out, collect their results.

Two ways to run an attempt:
- `spawn`: an argv in a new session (BashOperator's command, run by the runner itself);
- `fork`: a child of the runner, in a new session, that calls a function (operator.execute with the
  task's context) and writes a JSON result on a private pipe. The child never opens the state
  database (SQLite connections must not cross a fork): it asks the runner over a request pipe
  (`TaskChannel`), as Airflow 3's task processes ask their supervisor.
Either way the process is the leader of its own process group, so terminating a task (execution
timeout, Ctrl-C) reaches everything it started. Output is read without blocking, in bounded chunks, so
a flooding task cannot starve the others or the scheduler; lines longer than 64 KiB are split.
Exits are noticed through pidfds where the OS has them (Linux), else by polling.
"""

from __future__ import annotations

import errno
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from migrator.runner import config
from migrator.runner.logs import TaskLog
from migrator.runner.watchdog import RUNNER_ENV, Watchdog, die_with_parent

READ_CHUNK = 64 * 1024
MAX_LAST_LINE = 1024 * 1024
KILL_GRACE_SECONDS = float(os.environ.get("CRON2DAG_KILL_GRACE", "5"))
_HAS_PIDFD = hasattr(os, "pidfd_open")
SOCKET_CLEANUP_TIMEOUT = config.socket_cleanup_timeout()


@dataclass
class TaskProcess:
    key: Any
    pid: int
    log: TaskLog
    popen: subprocess.Popen[bytes] | None = None
    out_fd: int | None = None
    result_fd: int | None = None
    pidfd: int | None = None
    result: bytearray = field(default_factory=bytearray)
    last_line: bytes = b""
    exit_status: int | None = None  # os.waitstatus_to_exitcode: negative for signals
    exited_at: float | None = None
    deadline: float | None = None
    kill_at: float | None = None
    stop_reason: str | None = None
    started: float = field(default_factory=time.monotonic)
    cleanup: Callable[[], None] | None = None
    request_fd: int | None = None
    reply_fd: int | None = None
    requests: bytearray = field(default_factory=bytearray)
    handler: Callable[[dict[str, Any]], Any] | None = None

    @property
    def done(self) -> bool:
        return self.exit_status is not None and self.out_fd is None and self.result_fd is None

    def result_message(self) -> dict[str, Any] | None:
        if not self.result:
            return None
        try:
            message = json.loads(self.result.decode("utf-8"))
        except ValueError:
            return None
        return message if isinstance(message, dict) else None


class Executor:
    def __init__(self, watchdog: Watchdog | None = None) -> None:
        self.selector = selectors.DefaultSelector()
        self.processes: dict[int, TaskProcess] = {}
        self.watchdog = watchdog  # kills the task process groups if the runner dies (see watchdog.py)

    # -- starting ---------------------------------------------------------------------------------
    def spawn(self, key: Any, argv: list[str], *, env: dict[str, str], cwd: str, log: TaskLog,
              timeout: float | None) -> TaskProcess:
        if self.watchdog is not None:
            env = {**env, RUNNER_ENV: self.watchdog.token}
        popen = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            cwd=cwd, env=env, start_new_session=True,
        )
        assert popen.stdout is not None
        out_fd = popen.stdout.fileno()
        os.set_blocking(out_fd, False)
        proc = TaskProcess(key=key, pid=popen.pid, log=log, popen=popen, out_fd=out_fd)
        self._track(proc, timeout)
        return proc

    def fork(self, key: Any, body: Callable[[], dict[str, Any]], *, log: TaskLog, timeout: float | None,
             handler: Callable[[dict[str, Any]], Any] | None = None) -> TaskProcess:
        """Run `body()` in a child process; its dict result comes back as JSON.

        `handler` answers the child's requests (see TaskChannel) in the runner process.
        """
        out_r, out_w = os.pipe()
        res_r, res_w = os.pipe()
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child (covered by the runner tests)
            die_with_parent(parent)
            _child(body, out_w, res_w, req_w, rep_r)
        for fd in (out_w, res_w, req_w, rep_r):
            os.close(fd)
        for fd in (out_r, res_r, req_r):
            os.set_blocking(fd, False)
        proc = TaskProcess(key=key, pid=pid, log=log, out_fd=out_r, result_fd=res_r, request_fd=req_r,
                           reply_fd=rep_w, handler=handler)
        self._track(proc, timeout)
        return proc

    def _track(self, proc: TaskProcess, timeout: float | None) -> None:
        proc.log.flush()  # the attempt's header is on disk before the task can do anything
        if timeout is not None:
            proc.deadline = proc.started + timeout
        self.processes[proc.pid] = proc
        if self.watchdog is not None:
            self.watchdog.track(proc.pid)
        if proc.out_fd is not None:
            self.selector.register(proc.out_fd, selectors.EVENT_READ, (proc, "out"))
        if proc.result_fd is not None:
            self.selector.register(proc.result_fd, selectors.EVENT_READ, (proc, "result"))
        if proc.request_fd is not None:
            self.selector.register(proc.request_fd, selectors.EVENT_READ, (proc, "request"))
        if _HAS_PIDFD:
            try:
                proc.pidfd = os.pidfd_open(proc.pid)
                self.selector.register(proc.pidfd, selectors.EVENT_READ, (proc, "exit"))
            except OSError:
                proc.pidfd = None

    # -- stopping ---------------------------------------------------------------------------------
    def terminate(self, proc: TaskProcess, reason: str, grace: float = KILL_GRACE_SECONDS) -> None:
        """SIGTERM to the task's process group, SIGKILL after `grace` seconds if it is still there."""
        if proc.stop_reason is None:
            proc.stop_reason = reason
        if proc.kill_at is None:
            _signal_group(proc.pid, signal.SIGTERM)
            proc.kill_at = time.monotonic() + grace

    def terminate_all(self, reason: str, grace: float = KILL_GRACE_SECONDS) -> None:
        for proc in list(self.processes.values()):
            self.terminate(proc, reason, grace)

    @property
    def busy(self) -> bool:
        return bool(self.processes)

    # -- waiting ----------------------------------------------------------------------------------
    def poll(self, timeout: float) -> list[TaskProcess]:
        """Wait up to `timeout` seconds for output or exits; return the processes that finished."""
        now = time.monotonic()
        for proc in self.processes.values():
            if proc.deadline is not None and now >= proc.deadline and proc.stop_reason is None:
                self.terminate(proc, "timeout")
            if proc.kill_at is not None and now >= proc.kill_at:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.kill_at = now + 1.0
            pending = [proc.kill_at] if proc.kill_at is not None else []
            if proc.deadline is not None and proc.stop_reason is None:
                pending.append(proc.deadline)
            if proc.exited_at is not None and proc.popen is None and not proc.done:
                pending.append(self._stop_reading_after_exit(proc, now))
            for moment in pending:
                timeout = min(timeout, max(0.0, moment - now))
        if not _HAS_PIDFD and self.processes:
            timeout = min(timeout, 0.02)
        events = self.selector.select(timeout) if self.selector.get_map() else _sleep(timeout)
        for selector_key, _ in events:
            proc, what = selector_key.data
            if what == "exit":
                self._reap(proc)
            elif what == "request":
                self._serve(proc)
            else:
                self._read(proc, what)
        if not _HAS_PIDFD:
            for proc in list(self.processes.values()):
                if proc.exit_status is None:
                    self._reap(proc)
        finished = [proc for proc in self.processes.values() if proc.done]
        for proc in finished:
            self._forget(proc)
        return finished

    def _stop_reading_after_exit(self, proc: TaskProcess, now: float) -> float:
        """A task process that exited while something it started still holds its pipes (a daemon left
        running) is done after [workers] socket_cleanup_timeout, as Airflow 3's supervisor stops
        waiting; the result was written before the exit. Returns when to look again.
        A BashOperator's command, by contrast, is read to the end, as Airflow's SubprocessHook does."""
        assert proc.exited_at is not None
        give_up_at = proc.exited_at + SOCKET_CLEANUP_TIMEOUT
        if now < give_up_at:
            return give_up_at
        for what in ("out", "result"):
            self._read(proc, what)
        proc.log.info(f"Task process exited {SOCKET_CLEANUP_TIMEOUT:g}s ago but a process it started still "
                      "holds its output: no longer reading it")
        self._close(proc, "out")
        self._close(proc, "result")
        return now

    def _read(self, proc: TaskProcess, what: str) -> None:
        fd = proc.out_fd if what == "out" else proc.result_fd
        if fd is None:
            return
        # Bounded work per wake-up: a flooding task gets at most 16 chunks before the others are served.
        for _ in range(16):
            try:
                data = os.read(fd, READ_CHUNK)
            except BlockingIOError:
                return
            except OSError as error:
                if error.errno == errno.EINTR:
                    continue
                data = b""
            if not data:
                self._close(proc, what)
                return
            if what == "out":
                lines = proc.log.feed(data)
                if lines:
                    proc.last_line = lines[-1][-MAX_LAST_LINE:]
                    # on disk at once: a runner killed (SIGKILL) while the task runs keeps its output so far
                    proc.log.flush()
            else:
                proc.result += data
            if len(data) < READ_CHUNK:
                return

    def _serve(self, proc: TaskProcess) -> None:
        """Answer the child's requests: one JSON object per line each way."""
        assert proc.request_fd is not None
        try:
            data = os.read(proc.request_fd, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._close_channel(proc)
            return
        proc.requests += data
        while b"\n" in proc.requests:
            line, _, rest = bytes(proc.requests).partition(b"\n")
            proc.requests = bytearray(rest)
            try:
                request = json.loads(line)
                reply = {"result": proc.handler(request) if proc.handler else None}
            except Exception as error:  # a bad request must not take the runner down
                reply = {"error": f"{type(error).__name__}: {error}"}
            payload = json.dumps(reply).encode() + b"\n"
            try:
                view = memoryview(payload)
                while view:
                    view = view[os.write(proc.reply_fd, view):]  # type: ignore[arg-type]
            except OSError:
                self._close_channel(proc)
                return

    def _close_channel(self, proc: TaskProcess) -> None:
        if proc.request_fd is not None:
            self.selector.unregister(proc.request_fd)
            os.close(proc.request_fd)
            proc.request_fd = None
        if proc.reply_fd is not None:
            os.close(proc.reply_fd)
            proc.reply_fd = None

    def _close(self, proc: TaskProcess, what: str) -> None:
        fd = proc.out_fd if what == "out" else proc.result_fd
        if fd is None:
            return
        self.selector.unregister(fd)
        if what == "out":
            if proc.popen is not None and proc.popen.stdout is not None:
                proc.popen.stdout.close()
            else:
                os.close(fd)
            proc.out_fd = None
            rest = proc.log.flush_partial()
            if rest is not None:
                proc.last_line = rest[-MAX_LAST_LINE:]
        else:
            os.close(fd)
            proc.result_fd = None

    def _reap(self, proc: TaskProcess) -> None:
        if proc.exit_status is not None:
            return
        if proc.popen is not None:
            code = proc.popen.poll()
            if code is None:
                return
            proc.exit_status = code
        else:
            try:
                pid, status = os.waitpid(proc.pid, os.WNOHANG)
            except ChildProcessError:
                proc.exit_status = -1
                return
            if pid == 0:
                return
            proc.exit_status = os.waitstatus_to_exitcode(status)
        proc.exited_at = time.monotonic()
        if proc.pidfd is not None:
            self.selector.unregister(proc.pidfd)
            os.close(proc.pidfd)
            proc.pidfd = None

    def _forget(self, proc: TaskProcess) -> None:
        self.processes.pop(proc.pid, None)
        if self.watchdog is not None:
            self.watchdog.untrack(proc.pid)
        self._close_channel(proc)
        if proc.cleanup is not None:
            proc.cleanup()
            proc.cleanup = None

    def abandon(self) -> None:
        """The runner stops without waiting for its tasks (an error it cannot recover from): kill them
        rather than leave them running unobserved."""
        for proc in list(self.processes.values()):
            _signal_group(proc.pid, signal.SIGKILL)
            if proc.popen is not None:
                proc.popen.wait()
            else:
                try:
                    os.waitpid(proc.pid, 0)
                except ChildProcessError:
                    pass
            self._forget(proc)

    def close(self) -> None:
        self.selector.close()


def _sleep(seconds: float) -> list[Any]:
    if seconds > 0:
        time.sleep(seconds)
    return []


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def kill_orphan(pid: int | None, proc_start: str | None) -> bool:
    """Kill the process group of a task left behind by a dead runner, if its leader is still that task."""
    from migrator.runner.store import process_alive

    if pid and process_alive(pid, proc_start):
        _signal_group(pid, signal.SIGKILL)
        return True
    return False


class TaskChannel:
    """The task process's line to the runner (file descriptors 4 and 5 in the child)."""

    REQUEST_FD = 4
    REPLY_FD = 5

    def __init__(self) -> None:
        self._reader = open(self.REPLY_FD, "rb", buffering=0, closefd=False)
        self._pending = b""

    def call(self, op: str, **arguments: Any) -> Any:
        payload = json.dumps({"op": op, **arguments}).encode() + b"\n"
        view = memoryview(payload)
        while view:
            view = view[os.write(self.REQUEST_FD, view):]
        while b"\n" not in self._pending:
            chunk = self._reader.read(READ_CHUNK)
            if not chunk:
                raise RuntimeError("the runner closed the task's channel")
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"runner could not answer {op}: {reply['error']}")
        return reply["result"]


def _child(body: Callable[[], dict[str, Any]], out_w: int, res_w: int, req_w: int, rep_r: int) -> None:  # pragma: no cover - child side
    code = 0
    try:
        os.setsid()
        null = os.open(os.devnull, os.O_RDONLY)
        # Move the pipes out of the way first: a pipe may already sit on a low descriptor number.
        fds = [os.dup(fd) for fd in (out_w, res_w, req_w, rep_r)]
        os.dup2(null, 0)
        os.dup2(fds[0], 1)
        os.dup2(fds[0], 2)
        os.dup2(fds[1], 3)
        os.dup2(fds[2], TaskChannel.REQUEST_FD)
        os.dup2(fds[3], TaskChannel.REPLY_FD)
        os.closerange(6, _max_fd())
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
        sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
        result = body()
        data = json.dumps(result).encode("utf-8")
        view = memoryview(data)
        while view:
            written = os.write(3, view)
            view = view[written:]
    except BaseException as error:  # the parent records the attempt as failed from the missing result
        try:
            os.write(2, f"task process error: {type(error).__name__}: {error}\n".encode())
        except OSError:
            pass
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        os._exit(code)


def _max_fd() -> int:
    try:
        return os.sysconf("SC_OPEN_MAX")
    except (ValueError, OSError):
        return 1024
