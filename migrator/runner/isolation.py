"""Load a DAG file safely: first in a child process with a hard deadline, then in the runner.

A DAG file is user code and runs when it is loaded. Inside the runner's own process, a file that
ignores SIGALRM and loops could not be stopped by the import timeout, and a file that calls
`os._exit` or is killed (SIGKILL, the OOM killer) would end the command without a word. So the file
is imported once in a forked child first (`load_dag_file`, unchanged, does the work there): the
parent waits for its verdict up to the import timeout plus a grace period and then kills the child's
process group. Whatever ends the child early is a "Broken DAG" error (exit 2), as Airflow's DagBag
reports import errors. Only a file that imported cleanly is then loaded in the runner's process,
where its DAG objects are needed; Airflow, too, parses a DAG file again in every task process.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import sys
import tempfile
import time
from typing import Any

from migrator.errors import Diagnostic, InputError
from migrator.runner import config
from migrator.runner.loader import LoadedFile, load_dag_file
from migrator.runner.watchdog import die_with_parent

KILL_GRACE_SECONDS = 5.0  # beyond the import timeout, for the loader's own timeout to report first
OUTPUT_TAIL = 2000  # characters of the file's own output shown when its import ended the process


def load_isolated(path: str) -> LoadedFile:
    """`load_dag_file(path)`, after a trial import in a child process proved it returns."""
    check_in_child(path)
    return load_dag_file(path)


def check_in_child(path: str, timeout: float | None = None) -> None:
    """Import the DAG file in a forked child; raise the InputError it reports, or one for its death."""
    timeout = config.dagbag_import_timeout() if timeout is None else timeout
    shown = _shown(path)
    with tempfile.TemporaryFile() as output:
        read_fd, write_fd = os.pipe()
        parent = os.getpid()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child (covered by the loader tests through the CLI)
            _child(path, read_fd, write_fd, output.fileno(), parent)
        os.close(write_fd)
        try:
            message, status, timed_out = _wait(pid, read_fd, timeout + min(KILL_GRACE_SECONDS, max(1.0, timeout)))
        except BaseException:  # Ctrl-C while waiting: the child has a process group of its own, stop it too
            _kill(pid)
            raise
        finally:
            os.close(read_fd)
        if timed_out:
            raise InputError.at(shown, f"Broken DAG: [{shown}] importing the file did not finish within "
                                       f"{timeout:g}s (it ignored the import timeout); its process was killed")
        if message is not None and "diagnostics" in message:
            raise InputError([Diagnostic(**item) for item in message["diagnostics"]])
        if message is not None and "ok" in message:
            return
        output.seek(0)
        tail = output.read().decode("utf-8", "backslashreplace")[-OUTPUT_TAIL:].rstrip()
    why = message["broken"] if message is not None else _death(status)
    raise InputError.at(shown, f"Broken DAG: [{shown}] {why}" + (f"\n{tail}" if tail else ""))


def _shown(path: str) -> str:
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    return absolute if relative.startswith("..") else relative


def _death(status: int | None) -> str:
    if status is None:
        return "importing the file ended its process"
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"importing the file killed its process ({name})"
    return f"importing the file ended its process with exit code {code} (os._exit?)"


def _wait(pid: int, read_fd: int, deadline_in: float) -> tuple[dict[str, Any] | None, int | None, bool]:
    """The child's message, its wait status, and whether the deadline passed (the child is then killed)."""
    deadline = time.monotonic() + deadline_in
    data = b""
    status: int | None = None
    selector = selectors.DefaultSelector()
    selector.register(read_fd, selectors.EVENT_READ)
    try:
        while status is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _kill(pid)
                return None, None, True
            # the message ends with a newline; after it (or end of file) only the exit is left to wait for
            if not data.endswith(b"\n") and selector.get_map():
                if selector.select(min(remaining, 0.05)):
                    chunk = os.read(read_fd, 65536)
                    if chunk:
                        data += chunk
                        continue
                    selector.unregister(read_fd)
            else:
                time.sleep(0.001)
            done, status_now = os.waitpid(pid, os.WNOHANG)
            if done:
                status = status_now
    finally:
        selector.close()
    message = None
    if data.endswith(b"\n"):
        try:
            message = json.loads(data)
        except ValueError:
            message = None
    return message, status, False


def _kill(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except OSError:
            pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _child(path: str, read_fd: int, write_fd: int, output_fd: int, parent: int) -> None:  # pragma: no cover
    code = 0
    try:
        os.close(read_fd)
        os.setpgid(0, 0)  # a group of its own: the deadline kill reaches what the import started
        die_with_parent(parent)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        sys.stdout = open(1, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
        try:
            loaded = load_dag_file(path)
            message: dict[str, Any] = {"ok": sorted(loaded.dags)}
        except InputError as error:
            message = {"diagnostics": [diagnostic.to_json() for diagnostic in error.diagnostics]}
        except BaseException as error:  # noqa: BLE001 - KeyboardInterrupt or a custom BaseException raised at import
            message = {"broken": f"importing the file raised {type(error).__name__}: {error}"}
        payload = json.dumps(message).encode() + b"\n"
        view = memoryview(payload)
        while view:
            view = view[os.write(write_fd, view):]
    except BaseException:  # noqa: BLE001 - nothing may escape into the parent's code
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001
            pass
        os._exit(code)
