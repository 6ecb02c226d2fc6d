"""The runner's state: `$CRON2DAG_HOME/state.db` (SQLite in WAL mode). The only module that touches SQLite.

Tables: `dag_run`, `task_instance` (current state of each task in each run, with the claim of the
runner working on it), `task_attempt` (one row per try: what happened, when, rendered fields),
`xcom`, `asset_event`, `runner` (live runner processes, for claims and crash recovery).

Claims are compare-and-set UPDATEs: a runner starts an attempt only if the row still has the state
and try number it read, so two runners never start the same attempt. Every state change is one
committed statement (or one transaction), so a runner killed at any point leaves a consistent state.
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import sqlite3
import tempfile
import time
import traceback
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from migrator.errors import Cron2DagError
from migrator.runner.states import (
    SCHEDULABLE_STATES,
    DagRunState,
    TaskInstanceState,
    parse_ti_state,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS dag_run (
    dag_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    logical_date TEXT,
    data_interval_start TEXT,
    data_interval_end TEXT,
    run_after TEXT NOT NULL,
    run_type TEXT NOT NULL,
    state TEXT NOT NULL,
    conf TEXT NOT NULL DEFAULT '{}',
    dag_file TEXT,
    created_at TEXT NOT NULL,
    start_date TEXT,
    end_date TEXT,
    clear_number INTEGER NOT NULL DEFAULT 0,
    note TEXT,
    PRIMARY KEY (dag_id, run_id)
);
CREATE INDEX IF NOT EXISTS dag_run_logical ON dag_run (dag_id, logical_date);
CREATE TABLE IF NOT EXISTS task_instance (
    dag_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    map_index INTEGER NOT NULL DEFAULT -1,
    state TEXT,
    try_number INTEGER NOT NULL DEFAULT 0,
    max_tries INTEGER NOT NULL DEFAULT 0,
    retries INTEGER NOT NULL DEFAULT 0,
    start_date TEXT,
    end_date TEXT,
    next_try_at REAL,
    first_poke_at REAL,
    reschedule_count INTEGER NOT NULL DEFAULT 0,
    claimed_by TEXT,
    pid INTEGER,
    proc_start TEXT,
    note TEXT,
    PRIMARY KEY (dag_id, run_id, task_id, map_index)
);
-- claims are looked for every second (recovery): an index of the few claimed rows, not a table scan
CREATE INDEX IF NOT EXISTS task_instance_claimed ON task_instance (claimed_by) WHERE claimed_by IS NOT NULL;
CREATE TABLE IF NOT EXISTS task_attempt (
    dag_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    map_index INTEGER NOT NULL DEFAULT -1,
    try_number INTEGER NOT NULL,
    state TEXT,
    start_date TEXT,
    end_date TEXT,
    runner_id TEXT,
    note TEXT,
    rendered TEXT,
    PRIMARY KEY (dag_id, run_id, task_id, map_index, try_number)
);
CREATE TABLE IF NOT EXISTS xcom (
    dag_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    map_index INTEGER NOT NULL DEFAULT -1,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (dag_id, run_id, task_id, map_index, key)
);
CREATE TABLE IF NOT EXISTS asset_event (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    asset_uri TEXT NOT NULL,
    asset_name TEXT NOT NULL,
    dag_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    map_index INTEGER NOT NULL DEFAULT -1,
    extra TEXT NOT NULL DEFAULT '{}',
    alias_names TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS task_state_store (
    dag_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    map_index INTEGER NOT NULL DEFAULT -1,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    expires_at TEXT,
    PRIMARY KEY (dag_id, run_id, task_id, map_index, key)
);
CREATE TABLE IF NOT EXISTS asset_state_store (
    asset_name TEXT NOT NULL,
    asset_uri TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    dag_id TEXT,
    run_id TEXT,
    task_id TEXT,
    map_index INTEGER,
    PRIMARY KEY (asset_name, key)
);
CREATE TABLE IF NOT EXISTS runner (
    runner_id TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    proc_start TEXT,
    started_at TEXT NOT NULL
);
"""


SCHEMA_VERSION = 4  # 2: task instances, attempts and XComs are keyed by map_index too (dynamic task mapping)
#                     3: an index of claimed task instances
#                     4: task and asset state stores (Airflow 3.3's AIP-103)
_STATEMENTS = [part.strip() for part in SCHEMA.split(";") if part.strip()]
_REKEYED = ("task_instance", "task_attempt", "xcom")  # version 2 added map_index to their primary keys
_ADDED_COLUMNS = {"asset_event": {"map_index": "INTEGER NOT NULL DEFAULT -1", "extra": "TEXT NOT NULL DEFAULT '{}'",
                                  "alias_names": "TEXT NOT NULL DEFAULT '[]'"}}


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def _create_statement(table: str) -> str:
    return next(s for s in _STATEMENTS if s.startswith(f"CREATE TABLE IF NOT EXISTS {table} ("))


def _upgrade_tables(conn: sqlite3.Connection) -> None:
    """Bring a state.db written by an earlier version to this schema, keeping every row."""
    for table in _REKEYED:
        columns = _columns(conn, table)
        if not columns or "map_index" in columns:
            continue
        conn.execute(f"ALTER TABLE {table} RENAME TO {table}_before_v2")
        conn.execute(_create_statement(table))
        names = ", ".join(columns)
        conn.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {table}_before_v2")
        conn.execute(f"DROP TABLE {table}_before_v2")
    for table, added in _ADDED_COLUMNS.items():
        columns = _columns(conn, table)
        for name, declaration in added.items():
            if columns and name not in columns:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")


def now_iso() -> str:
    import datetime

    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds")


def process_start_time(pid: int) -> str | None:
    """A token that changes when a pid is reused (Linux: start time in clock ticks since boot)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    fields = data[data.rfind(b")") + 2:].split()
    return fields[19].decode() if len(fields) > 19 else None


def process_alive(pid: int | None, proc_start: str | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if proc_start is not None:
        current = process_start_time(pid)
        if current is not None and current != proc_start:
            return False
        if current is not None and _is_zombie(pid):
            return False
    return True


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read()
    except OSError:
        return False
    state = data[data.rfind(b")") + 2:].split()[:1]
    return state == [b"Z"]


@dataclass(frozen=True)
class RunRow:
    dag_id: str
    run_id: str
    logical_date: str | None
    data_interval_start: str | None
    data_interval_end: str | None
    run_after: str
    run_type: str
    state: DagRunState
    conf: dict[str, Any]
    dag_file: str | None = None
    created_at: str = ""
    start_date: str | None = None
    end_date: str | None = None
    clear_number: int = 0
    note: str | None = None


class TIKey(NamedTuple):
    """One task instance of a run: a task, and which mapped instance of it (-1: not mapped, as in Airflow)."""

    task_id: str
    map_index: int = -1

    def __str__(self) -> str:
        return self.task_id if self.map_index < 0 else f"{self.task_id}[{self.map_index}]"


@dataclass(frozen=True)
class TIRow:
    task_id: str
    map_index: int
    state: TaskInstanceState | None
    try_number: int
    max_tries: int
    retries: int
    start_date: str | None = None
    end_date: str | None = None
    next_try_at: float | None = None
    first_poke_at: float | None = None
    reschedule_count: int = 0
    claimed_by: str | None = None
    pid: int | None = None
    proc_start: str | None = None
    note: str | None = None

    @property
    def key(self) -> TIKey:
        return TIKey(self.task_id, self.map_index)


@dataclass(frozen=True)
class AttemptRow:
    task_id: str
    map_index: int
    try_number: int
    state: str | None
    start_date: str | None
    end_date: str | None
    runner_id: str | None
    note: str | None
    rendered: dict[str, Any] | None


@dataclass(frozen=True)
class AssetEventRow:
    """An asset event a successful task emits: the asset, its extra, the aliases it came through."""

    uri: str
    name: str
    extra: dict[str, Any] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()


_RUN_COLUMNS = ("dag_id, run_id, logical_date, data_interval_start, data_interval_end, run_after, run_type, "
                "state, conf, dag_file, created_at, start_date, end_date, clear_number, note")
_TI_COLUMNS = ("task_id, map_index, state, try_number, max_tries, retries, start_date, end_date, next_try_at, first_poke_at, "
               "reschedule_count, claimed_by, pid, proc_start, note")


@contextmanager
def _readable(table: str) -> Iterator[None]:
    """A row that SQLite returns but the runner cannot read (an unknown state, broken JSON: damaged
    pages) is a database error like the others, reported with the file by `state_errors`."""
    try:
        yield
    except (ValueError, TypeError, RecursionError) as error:
        raise sqlite3.DataError(f"a row of table {table} cannot be read: {error}") from None


def _text(value: bytes) -> str:
    """SQLite TEXT that is not UTF-8 (damaged pages) is a database error, not a UnicodeDecodeError."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as error:
        raise sqlite3.DataError(f"text that is not UTF-8 ({error.reason} at byte {error.start})") from None


def _check_moments(values: list[Any], indexes: tuple[int, ...]) -> None:
    """The timestamp columns hold ISO 8601 text or nothing: a damaged one fails here, as a row that
    cannot be read, not later in whatever shows it."""
    for index in indexes:
        if values[index]:
            datetime.datetime.fromisoformat(values[index])


_RUN_MOMENTS = (2, 3, 4, 5, 10, 11, 12)  # logical date, data interval, run_after, created, start, end
_TI_MOMENTS = (6, 7)  # start, end


def _run(row: Sequence[Any]) -> RunRow:
    with _readable("dag_run"):
        values = list(row)
        values[7] = DagRunState(values[7])
        values[8] = json.loads(values[8] or "{}")
        _check_moments(values, _RUN_MOMENTS)
        return RunRow(*values)


def _ti(row: Sequence[Any]) -> TIRow:
    with _readable("task_instance"):
        values = list(row)
        values[2] = parse_ti_state(values[2])
        _check_moments(values, _TI_MOMENTS)
        return TIRow(*values)


def _enable_wal(conn: sqlite3.Connection, wait: float = 30.0) -> None:
    """Switch the database to WAL, waiting for runners that open a fresh state.db at the same moment.

    SQLite answers this pragma "database is locked" at once, without calling the busy handler, when
    another connection is switching the same new file to WAL (two `cron2dag run` started together).
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def default_home() -> Path:
    return Path(os.environ.get("CRON2DAG_HOME") or ".cron2dag")


SQLITE_HEADER = b"SQLite format 3\x00"
RECOVERY = ("Nothing was changed. To keep its runs, restore the file from a backup (SQLite's "
            "`.recover` command may rescue part of it); to start afresh, move it away, e.g. "
            "`mv {path} {path}.damaged`, or set CRON2DAG_HOME to another folder.")

FOREIGN = ("Nothing was changed. Set CRON2DAG_HOME to a folder of its own for the runner, or move the file away "
           "(`mv {path} {path}.other`).")


class StateStoreError(Cron2DagError):
    """The state database cannot be used as it is: which file, what is wrong, how to recover.

    Exit 2, like other unreadable input; the file is never deleted or recreated unasked.
    """

    def __init__(self, path: Path, problem: str, recovery: str | None = None) -> None:
        self.path = path
        advice = RECOVERY.format(path=path) if recovery is None else recovery
        super().__init__(f"{path}: {problem}. {advice}".rstrip())

    @classmethod
    def from_sqlite(cls, path: Path, error: sqlite3.Error) -> StateStoreError:
        text = str(error)
        if "locked" in text or "busy" in text:
            return cls(path, f"the runner's state database stayed locked by another process ({text})",
                       "Another cron2dag command is probably writing to it: try again when it has finished.")
        if "readonly" in text or "read-only" in text:
            return cls(path, f"the runner's state database cannot be written ({text})",
                       "Check the permissions of the file and of its folder.")
        if "no such table" in text or "no such column" in text or "has no column" in text:
            return cls(path, f"this is not the runner's state database, or one of another version ({text})",
                       FOREIGN.format(path=path))
        if "unable to open" in text:
            return cls(path, f"cannot open the runner's state database ({text})",
                       "Check that the path is a file you may read and write, in a folder you may write to.")
        return cls(path, f"the runner's state database is damaged ({text})")


@contextmanager
def state_errors(home: Path | None = None) -> Iterator[None]:
    """Turn an SQLite error met while using the state database into a StateStoreError (exit 2)."""
    try:
        yield
    except sqlite3.Error as error:
        raise StateStoreError.from_sqlite((home or default_home()) / "state.db", error) from None
    except UnicodeDecodeError as error:
        # SQLite reports a damaged schema with the damaged bytes in its message, which Python then
        # fails to decode: an error of this module's SQLite calls is the database's, any other is not.
        frames = traceback.extract_tb(error.__traceback__)
        if not frames or frames[-1].filename != __file__:
            raise
        damaged = sqlite3.DatabaseError(f"SQLite's error message is not UTF-8 ({error.reason})")
        raise StateStoreError.from_sqlite((home or default_home()) / "state.db", damaged) from None


def _expected_columns() -> dict[str, set[str]]:
    """Each table's columns, read from SCHEMA itself so the check cannot drift from it."""
    tables: dict[str, set[str]] = {}
    current: set[str] | None = None
    for line in SCHEMA.splitlines():
        words = line.split()
        if line.startswith("CREATE TABLE"):
            current = tables.setdefault(words[-2], set())
        elif current is not None and line.startswith("    ") and words and words[0].isidentifier() \
                and words[0] not in ("PRIMARY", "UNIQUE", "FOREIGN", "CHECK"):
            current.add(words[0])
        elif line.startswith(")"):
            current = None
    return tables


_EXPECTED_COLUMNS = _expected_columns()
# SQLite's quick_check reads every page: once per process and version of the file, and only while that stays cheap (about
# 0.1 s for 32 MB on a busy machine). Damage it does not look for is still reported, by `state_errors`,
# when a query meets it.
QUICK_CHECK_MAX_BYTES = 32 * 1024 * 1024
_CHECKED: set[tuple[str, int, int, int]] = set()  # files found sound (path, inode, size, mtime)


def _check_file(home: Path, path: Path) -> None:
    """What can be told before SQLite opens the file (it would silently create or misread these)."""
    if home.exists() and not home.is_dir():
        raise StateStoreError(home, "CRON2DAG_HOME is a file, not a folder: the runner keeps its state.db and logs "
                                    "in a folder", "Nothing was changed. Point CRON2DAG_HOME at a folder (or move the "
                                                   "file away).")
    if not path.exists():
        return
    if path.is_dir():
        raise StateStoreError(path, "is a folder, not the runner's state database",
                              f"Nothing was changed. Move it away (`mv {path} {path}.folder`), or set CRON2DAG_HOME "
                              "to another folder.")
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        raise StateStoreError(path, f"cannot read the runner's state database ({error.strerror})",
                              "Check the permissions of the file and of its folder.") from None
    if not header:
        raise StateStoreError(path, "the runner's state database is empty (0 bytes): it was truncated, and the "
                                    "runs it recorded are lost")
    if header != SQLITE_HEADER:
        raise StateStoreError(path, "is not an SQLite database (damaged, or another file in its place)")


def _create_database(home: Path, path: Path) -> None:
    """A new state.db appears complete or not at all: built aside, then linked into place. Two runners
    starting together on a new home both succeed; neither ever sees a half-made (0-byte) file."""
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StateStoreError(home, f"cannot create the runner's folder ({error.strerror})",
                              "Set CRON2DAG_HOME to a folder you may write to.") from None
    fd, temp = tempfile.mkstemp(prefix=".state.db.", suffix=".new", dir=home)
    os.close(fd)
    try:
        os.unlink(temp)  # SQLite writes its own header into a new file
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            _enable_wal(conn)  # writes the file's header; the tables come when a Store opens it
        finally:
            conn.close()
        try:
            os.link(temp, path)
        except FileExistsError:
            pass  # another runner created it a moment ago: use theirs
    finally:
        for leftover in (temp, temp + "-wal", temp + "-shm"):
            try:
                os.unlink(leftover)
            except FileNotFoundError:
                pass


class Store:
    """One connection to the state database (open one per process; never share across fork).

    Opening checks the file first (`_check_file`) and its tables after (`_check_schema`): a damaged or
    foreign file is a StateStoreError naming it, and it is never replaced. Later SQLite errors are
    turned into the same error by `state_errors` around each command.
    """

    def __init__(self, home: Path | str | None = None, *, readonly: bool = False) -> None:
        self.home = Path(home) if home is not None else default_home()
        self.path = self.home / "state.db"
        _check_file(self.home, self.path)
        with state_errors(self.home):
            if readonly:
                # For task processes that only read. Not SQLite's `mode=ro`: a read-only connection to a
                # WAL database can fail with "locking protocol" while a writer updates the WAL index.
                self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
                self.conn.text_factory = _text
            else:
                if not self.path.exists():
                    _create_database(self.home, self.path)
                    _check_file(self.home, self.path)
                self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
                self.conn.text_factory = _text
                self._check_foreign()  # before anything is written into it
                self._check_integrity()
                self._check_schema(before_upgrade=True)
                _enable_wal(self.conn)
                self.conn.execute("PRAGMA synchronous=NORMAL")
                self._ensure_schema()
            self.conn.execute("PRAGMA busy_timeout=30000")
            self._check_schema()

    def _check_foreign(self) -> None:
        """Another program's SQLite file is refused before anything is written into it."""
        tables = {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "dag_run" not in tables:
            self.conn.close()
            raise StateStoreError(self.path, "this is not the runner's state database (its tables: "
                                  + ", ".join(sorted(tables)[:8]) + ")", FOREIGN.format(path=self.path))

    def _check_schema(self, *, before_upgrade: bool = False) -> None:
        """The tables hold the columns the runner reads (a database of another program, or one whose
        pages were overwritten, fails here rather than in the middle of a run). Before the schema is
        brought up to date, only what an upgrade would not add must be there already."""
        problems = []
        for table, columns in _EXPECTED_COLUMNS.items():
            found = {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}
            if before_upgrade:
                if not found:
                    continue
                columns = columns - set(_ADDED_COLUMNS.get(table, ())) - ({"map_index"} if table in _REKEYED else set())
            if not found:
                problems.append(f"no table {table}")
            elif columns - found:
                problems.append(f"table {table} lacks {', '.join(sorted(columns - found))}")
        if problems:
            self.conn.close()
            raise StateStoreError(self.path, "this is not the runner's state database, or one of another version ("
                                  + "; ".join(problems) + ")", FOREIGN.format(path=self.path))

    def _check_integrity(self) -> None:
        stat = self.path.stat()
        key = (str(self.path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if key in _CHECKED or stat.st_size > QUICK_CHECK_MAX_BYTES:
            return
        check = self.conn.execute("PRAGMA quick_check(1)").fetchone()
        if check is None or check[0] != "ok":
            self.conn.close()
            found = " ".join(check[0].split()) if check else "no answer"
            raise StateStoreError(self.path, f"the runner's state database is damaged ({found})")
        _CHECKED.add(key)

    def _ensure_schema(self) -> None:
        if self.conn.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
            return
        with self._tx():  # several runners may open an old or new file at once: decide under the lock
            if self.conn.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
                return
            _upgrade_tables(self.conn)
            for statement in _STATEMENTS:
                self.conn.execute(statement)
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self.conn.close()

    def data_version(self) -> int:
        """Changes whenever another connection committed (SQLite's `PRAGMA data_version`)."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def _tx(self) -> _Transaction:
        return _Transaction(self.conn)

    # -- runners ------------------------------------------------------------------------------------
    def register_runner(self, runner_id: str) -> None:
        pid = os.getpid()
        self.conn.execute(
            "INSERT OR REPLACE INTO runner (runner_id, pid, host, proc_start, started_at) VALUES (?, ?, ?, ?, ?)",
            (runner_id, pid, socket.gethostname(), process_start_time(pid), now_iso()),
        )

    def unregister_runner(self, runner_id: str) -> None:
        self.conn.execute("DELETE FROM runner WHERE runner_id = ?", (runner_id,))

    def dead_runners(self) -> set[str]:
        """Runners registered on this host whose process is gone (others are assumed alive)."""
        host = socket.gethostname()
        dead = set()
        for runner_id, pid, runner_host, proc_start in self.conn.execute(
            "SELECT runner_id, pid, host, proc_start FROM runner"
        ):
            if runner_host == host and not process_alive(pid, proc_start):
                dead.add(runner_id)
        return dead

    def live_runner_ids(self) -> set[str]:
        ids = {row[0] for row in self.conn.execute("SELECT runner_id FROM runner")}
        return ids - self.dead_runners()

    def forget_runners(self, runner_ids: Iterable[str]) -> None:
        self.conn.executemany("DELETE FROM runner WHERE runner_id = ?", [(r,) for r in runner_ids])

    # -- runs -----------------------------------------------------------------------------------------
    def get_run(self, dag_id: str, run_id: str) -> RunRow | None:
        row = self.conn.execute(f"SELECT {_RUN_COLUMNS} FROM dag_run WHERE dag_id = ? AND run_id = ?",
                                (dag_id, run_id)).fetchone()
        return _run(row) if row else None

    def find_run(self, dag_id: str, logical_date: str) -> RunRow | None:
        row = self.conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM dag_run WHERE dag_id = ? AND logical_date = ? ORDER BY created_at DESC LIMIT 1",
            (dag_id, logical_date),
        ).fetchone()
        return _run(row) if row else None

    def create_run(self, run: RunRow, tasks: Sequence[tuple[str, int, int]]) -> bool:
        """Insert the run and its task instances (task_id, map_index, retries); False if a run with this id
        already exists."""
        with self._tx():
            cursor = self.conn.execute(
                f"INSERT OR IGNORE INTO dag_run ({_RUN_COLUMNS}) VALUES ({', '.join('?' * 15)})",
                (run.dag_id, run.run_id, run.logical_date, run.data_interval_start, run.data_interval_end,
                 run.run_after, run.run_type, str(run.state), json.dumps(run.conf), run.dag_file,
                 run.created_at or now_iso(), run.start_date, run.end_date, run.clear_number, run.note),
            )
            if cursor.rowcount == 0:
                return False
            self._insert_tis(run.dag_id, run.run_id, tasks)
        return True

    def _insert_tis(self, dag_id: str, run_id: str, tasks: Sequence[tuple[str, int, int]]) -> None:
        """Rows for the tasks that have none yet (a mapped task's instances come and go as it expands)."""
        present = {row[0] for row in self.conn.execute(
            "SELECT DISTINCT task_id FROM task_instance WHERE dag_id = ? AND run_id = ?", (dag_id, run_id))}
        self.conn.executemany(
            "INSERT OR IGNORE INTO task_instance (dag_id, run_id, task_id, map_index, max_tries, retries) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(dag_id, run_id, task_id, map_index, retries, retries) for task_id, map_index, retries in tasks
             if task_id not in present],
        )

    def ensure_task_instances(self, dag_id: str, run_id: str, tasks: Sequence[tuple[str, int, int]]) -> None:
        """Tasks added to the DAG since the run was created get rows (as Airflow's verify_integrity)."""
        with self._tx():
            self._insert_tis(dag_id, run_id, tasks)

    def set_retries(self, dag_id: str, run_id: str, retries: int) -> None:
        """Give every task instance of the run that has yet to start an attempt `retries` retries from
        its next attempt on (a resumed run under `--retries`)."""
        self.conn.execute(
            "UPDATE task_instance SET retries = ?, max_tries = try_number + ? WHERE dag_id = ? AND run_id = ? "
            "AND claimed_by IS NULL AND (state IS NULL OR state IN ('up_for_retry', 'up_for_reschedule'))",
            (retries, retries, dag_id, run_id))

    def set_run_state(self, dag_id: str, run_id: str, state: DagRunState, *, start: bool = False,
                      end: bool = False, note: str | None = None, unless_finished: bool = False) -> bool:
        """Set the run's state; with `unless_finished`, only if no runner has finished the run yet
        (two runners on one run: only one of them finishes it). Returns whether the row changed."""
        sets = ["state = ?", "note = ?"]
        values: list[Any] = [str(state), note]
        if start:
            sets.append("start_date = COALESCE(start_date, ?)")
            values.append(now_iso())
        if end:
            sets.append("end_date = ?")
            values.append(now_iso())
        elif state not in (DagRunState.SUCCESS, DagRunState.FAILED):
            sets.append("end_date = NULL")
        guard = " AND state NOT IN ('success', 'failed')" if unless_finished else ""
        cursor = self.conn.execute(f"UPDATE dag_run SET {', '.join(sets)} WHERE dag_id = ? AND run_id = ?{guard}",
                                   (*values, dag_id, run_id))
        return cursor.rowcount == 1

    def list_runs(self, dag_id: str | None = None) -> list[RunRow]:
        query = f"SELECT {_RUN_COLUMNS} FROM dag_run"
        args: tuple[Any, ...] = ()
        if dag_id is not None:
            query += " WHERE dag_id = ?"
            args = (dag_id,)
        query += " ORDER BY logical_date DESC, run_after DESC, created_at DESC"
        return [_run(row) for row in self.conn.execute(query, args)]

    def previous_run(self, dag_id: str, logical_date: str) -> RunRow | None:
        row = self.conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM dag_run WHERE dag_id = ? AND logical_date < ? "
            "ORDER BY logical_date DESC LIMIT 1",
            (dag_id, logical_date),
        ).fetchone()
        return _run(row) if row else None

    def previous_success(self, dag_id: str, logical_date: str) -> RunRow | None:
        row = self.conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM dag_run WHERE dag_id = ? AND logical_date < ? AND state = 'success' "
            "ORDER BY logical_date DESC LIMIT 1",
            (dag_id, logical_date),
        ).fetchone()
        return _run(row) if row else None

    def has_prior_ti(self, dag_id: str, task_id: str, logical_date: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM task_instance ti JOIN dag_run r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id "
            "WHERE ti.dag_id = ? AND ti.task_id = ? AND r.logical_date < ? LIMIT 1",
            (dag_id, task_id, logical_date),
        ).fetchone()
        return row is not None

    # -- task instances ---------------------------------------------------------------------------
    def load_tis(self, dag_id: str, run_id: str) -> dict[TIKey, TIRow]:
        rows = self.conn.execute(f"SELECT {_TI_COLUMNS} FROM task_instance WHERE dag_id = ? AND run_id = ? "
                                 "ORDER BY task_id, map_index", (dag_id, run_id))
        return {TIKey(row[0], row[1]): _ti(row) for row in rows}

    def get_ti(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> TIRow | None:
        row = self.conn.execute(
            f"SELECT {_TI_COLUMNS} FROM task_instance WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ?",
            (dag_id, run_id, task_id, map_index),
        ).fetchone()
        return _ti(row) if row else None

    def task_instances_of(self, dag_id: str, run_id: str, task_id: str) -> list[TIRow]:
        rows = self.conn.execute(
            f"SELECT {_TI_COLUMNS} FROM task_instance WHERE dag_id = ? AND run_id = ? AND task_id = ? ORDER BY map_index",
            (dag_id, run_id, task_id))
        return [_ti(row) for row in rows]

    def expand(self, dag_id: str, run_id: str, task_id: str, length: int) -> bool:
        """Expand a mapped task's placeholder instance (map_index -1, no state) into `length` instances,
        as Airflow's TaskMap.expand_mapped_task: the placeholder becomes index 0, the others are new rows
        with its retries and try number. False if the placeholder is gone or busy (someone else expanded)."""
        with self._tx():
            row = self.conn.execute(
                "SELECT try_number, max_tries, retries FROM task_instance WHERE dag_id = ? AND run_id = ? "
                "AND task_id = ? AND map_index = -1 AND state IS NULL AND claimed_by IS NULL",
                (dag_id, run_id, task_id)).fetchone()
            if row is None:
                return False
            self.conn.execute("UPDATE task_instance SET map_index = 0 WHERE dag_id = ? AND run_id = ? AND task_id = ? "
                              "AND map_index = -1", (dag_id, run_id, task_id))
            self.conn.executemany(
                "INSERT OR REPLACE INTO task_instance (dag_id, run_id, task_id, map_index, try_number, max_tries, "
                "retries) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(dag_id, run_id, task_id, index, *row) for index in range(1, length)])
        return True

    def collapse(self, dag_id: str, run_id: str, task_id: str) -> bool:
        """Undo an expansion that nothing has run from yet (all instances without state, unclaimed): one
        placeholder again, keeping the highest try number, so the task expands afresh (after a clear)."""
        with self._tx():
            rows = self.conn.execute(
                "SELECT map_index, state, claimed_by, try_number, max_tries, retries FROM task_instance "
                "WHERE dag_id = ? AND run_id = ? AND task_id = ?", (dag_id, run_id, task_id)).fetchall()
            if not rows or any(r[1] is not None or r[2] is not None for r in rows) or [r[0] for r in rows] == [-1]:
                return False
            top = max(rows, key=lambda r: r[3])
            self.conn.execute("DELETE FROM task_instance WHERE dag_id = ? AND run_id = ? AND task_id = ?",
                              (dag_id, run_id, task_id))
            self.conn.execute(
                "INSERT INTO task_instance (dag_id, run_id, task_id, map_index, try_number, max_tries, retries) "
                "VALUES (?, ?, ?, -1, ?, ?, ?)", (dag_id, run_id, task_id, top[3], top[4], top[5]))
        return True

    def start_attempt(self, dag_id: str, run_id: str, expected: TIRow, *, runner_id: str, state: TaskInstanceState,
                      new_try: bool) -> TIRow | None:
        """Claim a task instance for an attempt; the claimed row, or None if it is not ours to start.

        One compare-and-set UPDATE: the row must still be unclaimed, in the state and try number the
        caller read, and that state must be one a new attempt starts from (no state yet, or a retry or
        reschedule whose time has come). A caller deciding from a stale or reloaded row can therefore
        never start a finished or running task again.
        """
        if expected.state not in SCHEDULABLE_STATES:
            return None
        try_number = expected.try_number + 1 if new_try else expected.try_number
        start = now_iso()
        with self._tx():
            cursor = self.conn.execute(
                "UPDATE task_instance SET state = ?, try_number = ?, claimed_by = ?, start_date = ?, end_date = NULL, "
                "next_try_at = NULL, pid = NULL, proc_start = NULL, note = NULL, "
                "first_poke_at = CASE WHEN ? THEN NULL ELSE first_poke_at END "
                "WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ? AND state IS ? AND try_number = ? "
                "AND claimed_by IS NULL AND (state IS NULL OR next_try_at IS NULL OR next_try_at <= ?)",
                (str(state), try_number, runner_id, start, new_try, dag_id, run_id, expected.task_id, expected.map_index,
                 _s(expected.state), expected.try_number, time.time()),
            )
            if cursor.rowcount != 1:
                return None
            if new_try:
                # A new attempt starts without the XComs of the previous one (Airflow clears them too).
                self.conn.execute("DELETE FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ?",
                                  (dag_id, run_id, expected.task_id, expected.map_index))
                self.conn.execute(
                    "INSERT OR REPLACE INTO task_attempt (dag_id, run_id, task_id, map_index, try_number, state, "
                    "start_date, runner_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (dag_id, run_id, expected.task_id, expected.map_index, try_number, str(state), start, runner_id),
                )
        return replace(expected, state=state, try_number=try_number, claimed_by=runner_id, start_date=start,
                       end_date=None, next_try_at=None, pid=None, proc_start=None, note=None,
                       first_poke_at=None if new_try else expected.first_poke_at)

    def set_process(self, dag_id: str, run_id: str, task_id: str, runner_id: str, pid: int | None,
                    state: TaskInstanceState | None = None, *, map_index: int = -1) -> None:
        proc_start = process_start_time(pid) if pid else None
        if state is None:
            self.conn.execute(
                "UPDATE task_instance SET pid = ?, proc_start = ? WHERE dag_id = ? AND run_id = ? AND task_id = ? "
                "AND map_index = ? AND claimed_by = ?", (pid, proc_start, dag_id, run_id, task_id, map_index, runner_id))
        else:
            self.conn.execute(
                "UPDATE task_instance SET pid = ?, proc_start = ?, state = ? WHERE dag_id = ? AND run_id = ? "
                "AND task_id = ? AND map_index = ? AND claimed_by = ?",
                (pid, proc_start, str(state), dag_id, run_id, task_id, map_index, runner_id))

    def finish_attempt(self, dag_id: str, run_id: str, task_id: str, *, runner_id: str, try_number: int,
                       state: TaskInstanceState, next_try_at: float | None = None, note: str | None = None,
                       xcoms: Sequence[tuple[str, str]] = (), skip: Sequence[str] = (),
                       rendered: dict[str, Any] | None = None, attempt_state: str | None = None,
                       release: bool = True, first_poke_at: float | None = None,
                       reschedule: bool = False, assets: Sequence[AssetEventRow] = (),
                       map_index: int = -1) -> tuple[str | None, list[TIKey]]:
        """Record the end of an attempt in one transaction.

        Returns the end time (None if this runner no longer held the claim) and the task instances
        skipped: every instance of the `skip` tasks, or, when a mapped instance skips, the instances with
        its map index (Airflow's NotPreviouslySkippedDep reads a mapped parent's decision per index).

        Only the claimant may finish (`claimed_by` and try number must still match), so a runner that
        was wrongly presumed dead cannot overwrite what its successor recorded.
        """
        end = now_iso()
        skipped: list[TIKey] = []
        with self._tx():
            cursor = self.conn.execute(
                "UPDATE task_instance SET state = ?, end_date = ?, next_try_at = ?, note = ?, pid = NULL, "
                "proc_start = NULL, claimed_by = CASE WHEN ? THEN NULL ELSE claimed_by END, "
                "first_poke_at = COALESCE(?, first_poke_at), "
                "reschedule_count = reschedule_count + ? "
                "WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ? AND claimed_by = ? AND try_number = ?",
                (str(state), end, next_try_at, note, release, first_poke_at, 1 if reschedule else 0,
                 dag_id, run_id, task_id, map_index, runner_id, try_number),
            )
            if cursor.rowcount != 1:
                return None, skipped
            self.conn.execute(
                "UPDATE task_attempt SET state = ?, end_date = ?, note = ?, rendered = COALESCE(?, rendered) "
                "WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ? AND try_number = ?",
                (attempt_state or str(state), end, note, json.dumps(rendered) if rendered is not None else None,
                 dag_id, run_id, task_id, map_index, try_number),
            )
            if xcoms:
                self.conn.executemany(
                    "INSERT OR REPLACE INTO xcom (dag_id, run_id, task_id, map_index, key, value) VALUES (?, ?, ?, ?, ?, ?)",
                    [(dag_id, run_id, task_id, map_index, key, value) for key, value in xcoms],
                )
            for other in skip:
                where = ("WHERE dag_id = ? AND run_id = ? AND task_id = ? AND (state IS NULL OR state IN "
                         "('scheduled', 'up_for_retry', 'up_for_reschedule')) AND claimed_by IS NULL"
                         + (" AND map_index = ?" if map_index >= 0 else ""))
                args = (dag_id, run_id, other) + ((map_index,) if map_index >= 0 else ())
                indexes = [row[0] for row in self.conn.execute(f"SELECT map_index FROM task_instance {where}", args)]
                self.conn.execute(
                    f"UPDATE task_instance SET state = 'skipped', start_date = COALESCE(start_date, ?), end_date = ? {where}",
                    (end, end, *args))
                skipped.extend(TIKey(other, index) for index in indexes)
            if assets:
                self.conn.executemany(
                    "INSERT INTO asset_event (asset_uri, asset_name, dag_id, run_id, task_id, map_index, timestamp, "
                    "extra, alias_names) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(event.uri, event.name, dag_id, run_id, task_id, map_index, end, json.dumps(event.extra),
                      json.dumps(list(event.aliases))) for event in assets],
                )
        return end, skipped

    def force_state(self, dag_id: str, run_id: str, task_id: str, expected: TaskInstanceState | None,
                    state: TaskInstanceState, *, map_index: int = -1) -> bool:
        """Set a state decided without running (upstream_failed, skipped) if the row is unchanged."""
        end = now_iso()
        cursor = self.conn.execute(
            "UPDATE task_instance SET state = ?, start_date = COALESCE(start_date, ?), end_date = ? "
            "WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ? AND state IS ? AND claimed_by IS NULL",
            (str(state), end, end, dag_id, run_id, task_id, map_index, _s(expected)),
        )
        return cursor.rowcount == 1

    def release_interrupted(self, dag_id: str, run_id: str, ti: TIRow, note: str) -> bool:
        """An attempt whose runner died or was stopped: back to no state, not counted against retries."""
        with self._tx():
            cursor = self.conn.execute(
                "UPDATE task_instance SET state = NULL, claimed_by = NULL, pid = NULL, proc_start = NULL, "
                "max_tries = max_tries + 1, next_try_at = NULL, end_date = ?, note = ? "
                "WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ? AND try_number = ? AND claimed_by IS ?",
                (now_iso(), note, dag_id, run_id, ti.task_id, ti.map_index, ti.try_number, ti.claimed_by),
            )
            if cursor.rowcount != 1:
                return False
            self.conn.execute(
                "UPDATE task_attempt SET state = 'failed', end_date = COALESCE(end_date, ?), note = ? "
                "WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ? AND try_number = ?",
                (now_iso(), note, dag_id, run_id, ti.task_id, ti.map_index, ti.try_number),
            )
        return True

    def claimed_by_dead(self, dead: set[str]) -> list[tuple[str, str, TIRow]]:
        """Claims held by these dead runners, or by runners no longer registered at all (a runner
        registers before its first claim, and unregisters last, even when an error stopped it)."""
        marks = ", ".join("?" * len(dead))
        either = f"claimed_by IN ({marks}) OR " if dead else ""
        rows = self.conn.execute(
            f"SELECT dag_id, run_id, {_TI_COLUMNS} FROM task_instance WHERE claimed_by IS NOT NULL AND "
            f"({either}claimed_by NOT IN (SELECT runner_id FROM runner))", tuple(dead))
        return [(row[0], row[1], _ti(row[2:])) for row in rows]

    def clear(self, dag_id: str, run_id: str, *, only_failed: bool = False, task_ids: Sequence[str] | None = None) -> int:
        """Reset task instances to no state so the run executes them again (Airflow's clear)."""
        conditions = ["dag_id = ?", "run_id = ?"]
        args: list[Any] = [dag_id, run_id]
        if only_failed:
            conditions.append("state IN ('failed', 'upstream_failed')")
        if task_ids is not None:
            conditions.append(f"task_id IN ({', '.join('?' * len(task_ids))})")
            args.extend(task_ids)
        where = " AND ".join(conditions)
        with self._tx():
            busy = self.conn.execute(
                f"SELECT COUNT(*) FROM task_instance WHERE {where} AND claimed_by IS NOT NULL", args).fetchone()[0]
            if busy:
                raise RuntimeError("the run is being executed by a runner; stop it before clearing")
            cursor = self.conn.execute(
                f"UPDATE task_instance SET state = NULL, max_tries = try_number + retries, next_try_at = NULL, "
                f"first_poke_at = NULL, reschedule_count = 0, note = NULL, end_date = NULL WHERE {where}",
                args,
            )
            count = cursor.rowcount
            keys = list(self.conn.execute(
                f"SELECT task_id, map_index FROM task_instance WHERE {where} AND state IS NULL", args))
            self.conn.executemany("DELETE FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ?",
                                  [(dag_id, run_id, task_id, map_index) for task_id, map_index in keys])
            if count:
                self.conn.execute(
                    "UPDATE dag_run SET state = 'queued', end_date = NULL, clear_number = clear_number + 1 "
                    "WHERE dag_id = ? AND run_id = ?", (dag_id, run_id))
        return count

    def attempts(self, dag_id: str, run_id: str, task_id: str | None = None, map_index: int | None = None) -> list[AttemptRow]:
        query = ("SELECT task_id, map_index, try_number, state, start_date, end_date, runner_id, note, rendered "
                 "FROM task_attempt WHERE dag_id = ? AND run_id = ?")
        args: list[Any] = [dag_id, run_id]
        if task_id is not None:
            query += " AND task_id = ?"
            args.append(task_id)
        if map_index is not None:
            query += " AND map_index = ?"
            args.append(map_index)
        query += " ORDER BY task_id, map_index, try_number"
        with _readable("task_attempt"):
            return [AttemptRow(*row[:8], json.loads(row[8]) if row[8] else None) for row in self.conn.execute(query, args)]

    # -- xcom ---------------------------------------------------------------------------------------------
    def get_xcom(self, dag_id: str, run_id: str, task_id: str, key: str, map_index: int = -1) -> str | None:
        row = self.conn.execute("SELECT value FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ? "
                                "AND key = ?", (dag_id, run_id, task_id, map_index, key)).fetchone()
        return row[0] if row else None

    def get_xcoms(self, dag_id: str, run_id: str, task_id: str, key: str) -> list[tuple[int, str]]:
        """Every instance's value of one key, by map index (Airflow's XCom.get_all)."""
        return list(self.conn.execute(
            "SELECT map_index, value FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = ? AND key = ? "
            "ORDER BY map_index", (dag_id, run_id, task_id, key)))

    def set_xcom(self, dag_id: str, run_id: str, task_id: str, key: str, value: str, map_index: int = -1) -> None:
        self.conn.execute("INSERT OR REPLACE INTO xcom (dag_id, run_id, task_id, map_index, key, value) "
                          "VALUES (?, ?, ?, ?, ?, ?)", (dag_id, run_id, task_id, map_index, key, value))

    def clear_xcoms(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> None:
        self.conn.execute("DELETE FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ?",
                          (dag_id, run_id, task_id, map_index))

    def xcoms(self, dag_id: str, run_id: str) -> dict[tuple[str, int, str], str]:
        rows = self.conn.execute("SELECT task_id, map_index, key, value FROM xcom WHERE dag_id = ? AND run_id = ?",
                                 (dag_id, run_id))
        return {(task_id, map_index, key): value for task_id, map_index, key, value in rows}

    # -- state stores (context["task_state_store"], context["asset_state_store"]) -------------------------
    def task_state(self, op: str, scope: tuple[str, str, str, int], key: str | None = None,
                   value: str | None = None, expires_at: str | None = None) -> str | None:
        """get / set / delete one key, or clear every key, of one task instance's state store (values
        are JSON text). Kept across the instance's tries, as in Airflow."""
        where = "dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ?"
        if op == "get":
            row = self.conn.execute(f"SELECT value FROM task_state_store WHERE {where} AND key = ?",
                                    (*scope, key)).fetchone()
            return row[0] if row else None
        if op == "set":
            self.conn.execute("INSERT OR REPLACE INTO task_state_store (dag_id, run_id, task_id, map_index, key, value, "
                              "updated_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                              (*scope, key, value, now_iso(), expires_at))
        elif op == "delete":
            self.conn.execute(f"DELETE FROM task_state_store WHERE {where} AND key = ?", (*scope, key))
        elif op == "clear":
            self.conn.execute(f"DELETE FROM task_state_store WHERE {where}", scope)
        else:
            raise ValueError(f"unknown state store operation {op!r}")
        return None

    def asset_state(self, op: str, asset: tuple[str, str], key: str | None = None, value: str | None = None,
                    writer: tuple[str, str, str, int] | None = None) -> str | None:
        """The same for one asset's state store, shared by every task that names the asset (`asset` is
        its name and URI; reads and writes go by name, which Airflow keeps unique)."""
        name, uri = asset
        if op == "get":
            row = self.conn.execute("SELECT value FROM asset_state_store WHERE asset_name = ? AND key = ?",
                                    (name, key)).fetchone()
            return row[0] if row else None
        if op == "set":
            self.conn.execute("INSERT OR REPLACE INTO asset_state_store (asset_name, asset_uri, key, value, updated_at, "
                              "dag_id, run_id, task_id, map_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              (name, uri, key, value, now_iso(), *(writer or (None, None, None, None))))
        elif op == "delete":
            self.conn.execute("DELETE FROM asset_state_store WHERE asset_name = ? AND key = ?", (name, key))
        elif op == "clear":
            self.conn.execute("DELETE FROM asset_state_store WHERE asset_name = ?", (name,))
        else:
            raise ValueError(f"unknown state store operation {op!r}")
        return None

    # -- other DAGs (ExternalTaskSensor) ---------------------------------------------------------------
    def count_task_instances(self, dag_id: str, task_ids: Sequence[str], logical_dates: Sequence[str],
                             states: Sequence[str | None]) -> int:
        named = [s for s in states if s is not None]
        state_clause = f"ti.state IN ({', '.join('?' * len(named))})" if named else "0"
        if None in states:
            state_clause = f"({state_clause} OR ti.state IS NULL)"
        row = self.conn.execute(
            "SELECT COUNT(*) FROM task_instance ti JOIN dag_run r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id "
            f"WHERE ti.dag_id = ? AND ti.task_id IN ({', '.join('?' * len(task_ids))}) "
            f"AND r.logical_date IN ({', '.join('?' * len(logical_dates))}) AND {state_clause}",
            (dag_id, *task_ids, *logical_dates, *named),
        ).fetchone()
        return int(row[0])

    def group_task_states(self, dag_id: str, group_prefix: str, logical_dates: Sequence[str]) -> list[tuple[str, str | None]]:
        rows = self.conn.execute(
            "SELECT r.run_id, ti.state FROM task_instance ti JOIN dag_run r ON r.dag_id = ti.dag_id AND "
            f"r.run_id = ti.run_id WHERE ti.dag_id = ? AND ti.task_id LIKE ? ESCAPE '\\' "
            f"AND r.logical_date IN ({', '.join('?' * len(logical_dates))})",
            (dag_id, _like_prefix(group_prefix), *logical_dates),
        )
        return list(rows)

    def group_known(self, dag_id: str, group_id: str) -> bool | None:
        """Whether the latest run of a DAG has task instances in a task group (None: no run of it)."""
        latest = self.conn.execute("SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY created_at DESC LIMIT 1",
                                   (dag_id,)).fetchone()
        if latest is None:
            return None
        row = self.conn.execute(
            "SELECT 1 FROM task_instance WHERE dag_id = ? AND run_id = ? AND task_id LIKE ? ESCAPE '\\' LIMIT 1",
            (dag_id, latest[0], _like_prefix(group_id))).fetchone()
        return row is not None

    def count_dag_runs(self, dag_id: str, logical_dates: Sequence[str], states: Sequence[str]) -> int:
        row = self.conn.execute(
            f"SELECT COUNT(*) FROM dag_run WHERE dag_id = ? AND logical_date IN ({', '.join('?' * len(logical_dates))}) "
            f"AND state IN ({', '.join('?' * len(states))})",
            (dag_id, *logical_dates, *states),
        ).fetchone()
        return int(row[0])

    def asset_events(self) -> list[tuple[str, str, str, str, str, str]]:
        return list(self.conn.execute(
            "SELECT asset_uri, asset_name, dag_id, run_id, task_id, timestamp FROM asset_event ORDER BY id"))

    def asset_events_for(self, kind: str, name: str | None, uri: str | None) -> list[dict[str, Any]]:
        """Recorded events of an asset (by name and/or uri) or of an alias (kind "alias"), oldest first."""
        rows = self.conn.execute(
            "SELECT id, asset_uri, asset_name, dag_id, run_id, task_id, map_index, timestamp, extra, alias_names "
            "FROM asset_event ORDER BY id")
        found = []
        with _readable("asset_event"):
            for row in rows:
                aliases = json.loads(row[9])
                if kind == "alias":
                    if name not in aliases:
                        continue
                elif (name is not None and row[2] != name) or (uri is not None and row[1] != uri):
                    continue
                found.append({"id": row[0], "uri": row[1], "name": row[2], "dag_id": row[3], "run_id": row[4],
                              "task_id": row[5], "map_index": row[6], "timestamp": row[7], "extra": json.loads(row[8]),
                              "aliases": aliases})
        return found


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ".%"


def _s(state: TaskInstanceState | None) -> str | None:
    return None if state is None else str(state)


class _Transaction:
    """`BEGIN IMMEDIATE ... COMMIT`: take the write lock up front so a transaction never deadlocks."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")
