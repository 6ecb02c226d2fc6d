"""Parse-time cost: code that runs every time the scheduler parses the file (every 30 s by default)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from typing import Any

from migrator.analysis import semantics as sem
from migrator.analysis.model import CallSite, FileModel, Role
from migrator.lint.finding import Violation
from migrator.lint.rule import Rule, Setting

PARSE_ROLES = frozenset({Role.MODULE, Role.PARSE})
VARIABLE_NAMES = frozenset({"get", "get_variable_from_secrets"})
CONNECTION_NAMES = frozenset({"get_connection", "get", "get_connection_from_secrets"})


def is_airflow_file(model: FileModel) -> bool:
    """Whether the scheduler runs this file's module-level code: it defines a DAG or imports Airflow
    (a DAG file, or a helper module DAG files import). A `setup.py` or a script that pre-commit
    passes along with the DAGs is not parsed by the scheduler, so its file reads cost nothing there."""
    return bool(model.dags) or any(q == "airflow" or q.startswith("airflow.") for q in model.imports.values())


def parse_time_calls(model: FileModel, names: frozenset[str]) -> Iterator[CallSite]:
    """Calls named one of `names` that run while the file is parsed: module level, `@dag`/`@task_group`
    bodies, helpers they call, and operator arguments."""
    if not is_airflow_file(model):
        return
    for site in model.find_calls(names):
        if site.in_task_argument is not None or site.roles & PARSE_ROLES:
            yield site


def _where(site: CallSite) -> str:
    if site.in_task_argument is not None:
        task_id, argument = site.in_task_argument
        return f"in argument `{argument}` of task `{task_id}`"
    if Role.MODULE in site.roles:
        return "at module level"
    return "in code that runs while the file is parsed"


def _shown(site: CallSite) -> str:
    func = site.node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
        inner = sem.dotted(func.value.func) or "..."
        return f"{inner}(...).{func.attr}()"
    return (sem.dotted(func) or (site.qualname or "call").rsplit(".", 1)[-1]) + "()"


class VariableGetAtParseTime(Rule):
    """## What it does
    Flags `Variable.get(...)` that runs when the file is parsed: at module level, in a `@dag` body, in
    a helper called from there, or in an operator argument.

    ## Why is this bad?
    The scheduler parses every DAG file every 30 seconds by default. Each `Variable.get` is a query to
    the metadata database (or a call to a secrets backend), so a handful of them in a few hundred files
    becomes a steady load, slows parsing, and can time out the file.

    ## Example
    ```python
    bucket = Variable.get("bucket")
    BashOperator(task_id="sync", bash_command=f"sync.sh {bucket}")
    ```

    Use instead:
    ```python
    BashOperator(task_id="sync", bash_command="sync.sh {{ var.value.bucket }}")
    ```
    """

    code = "PT001"
    name = "variable-get-at-parse-time"
    family = "parse-time"

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for site in parse_time_calls(model, VARIABLE_NAMES):
            name = site.qualname or ""
            if name.startswith("airflow.") and name.endswith(("Variable.get", "Variable.get_variable_from_secrets")):
                yield self.violation(model.span(site.node), f"`{_shown(site)}` {_where(site)} queries Airflow on every parse")


class ConnectionLookupAtParseTime(Rule):
    """## What it does
    Flags connection lookups that run when the file is parsed: `BaseHook.get_connection(...)`,
    `Connection.get(...)`, `Connection.get_connection_from_secrets(...)`.

    ## Why is this bad?
    Like `Variable.get`, each lookup hits the metadata database or the secrets backend on every parse;
    it also makes the DAG file fail to import whenever the backend is slow or the connection is
    missing, taking every DAG in the file down with it.

    ## Example
    ```python
    conn = BaseHook.get_connection("warehouse")
    BashOperator(task_id="load", bash_command=f"load.sh {conn.host}")
    ```

    Use instead:
    ```python
    BashOperator(task_id="load", bash_command="load.sh {{ conn.warehouse.host }}")
    ```
    """

    code = "PT002"
    name = "connection-lookup-at-parse-time"
    family = "parse-time"

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for site in parse_time_calls(model, CONNECTION_NAMES):
            name = site.qualname or ""
            if name.startswith("airflow.") and name.endswith(
                ("Hook.get_connection", "Connection.get", "Connection.get_connection_from_secrets")
            ):
                yield self.violation(model.span(site.node), f"`{_shown(site)}` {_where(site)} looks up a connection on every parse")


NETWORK_PREFIXES = ("requests.", "httpx.", "urllib3.", "aiohttp.")
# an HTTP library's client or session object: making one sends nothing (its requests do)
HTTP_CLIENT_CLASSES = ("Client", "AsyncClient", "Session", "ClientSession", "PoolManager", "Limits", "Timeout")
NETWORK_CALLS = frozenset(
    {
        "urllib.request.urlopen",
        "urllib.request.urlretrieve",
        "http.client.HTTPConnection",
        "http.client.HTTPSConnection",
        "socket.create_connection",
        "socket.getaddrinfo",
        "boto3.client",
        "boto3.resource",
        "smtplib.SMTP",
        "ftplib.FTP",
        "paramiko.SSHClient",
    }
)
NETWORK_NAMES = frozenset(
    {name.rsplit(".", 1)[-1] for name in NETWORK_CALLS}
    | {"get", "post", "put", "delete", "patch", "head", "options", "request", "stream", "Session", "Client",
       "AsyncClient", "PoolManager", "urlopen"}
)
REQUESTS_SAFE = frozenset({"requests.exceptions", "requests.adapters", "httpx.Timeout", "httpx.Limits"})


class NetworkCallAtParseTime(Rule):
    """## What it does
    Flags network calls that run when the file is parsed: `requests`/`httpx`/`urllib` requests, raw
    sockets, SMTP/FTP/SSH clients, and cloud SDK clients (`boto3.client`, `google.cloud.*.Client`).

    ## Why is this bad?
    Parsing must be fast and must not depend on other systems. A slow endpoint stalls the DAG
    processor (files time out after 30 s by default), an unreachable one makes every DAG in the file
    disappear, and the call is repeated on every parse.

    ## Example
    ```python
    tables = requests.get("https://catalog/api/tables").json()
    for table in tables:
        BashOperator(task_id=f"load_{table}", bash_command=f"load.sh {table}")
    ```

    Use instead:
    dynamic task mapping, which asks at run time:
    ```python
    @task
    def list_tables():
        return requests.get("https://catalog/api/tables").json()

    load.expand(table=list_tables())
    ```
    """

    code = "PT003"
    name = "network-call-at-parse-time"
    family = "parse-time"

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for site in parse_time_calls(model, NETWORK_NAMES):
            name = site.qualname or ""
            network = name in NETWORK_CALLS or (
                name.startswith(NETWORK_PREFIXES)
                and not name.startswith(tuple(REQUESTS_SAFE))
                and not name.endswith(HTTP_CLIENT_CLASSES)
            ) or (name.startswith("google.cloud.") and name.endswith("Client"))
            if network:
                yield self.violation(model.span(site.node), f"`{_shown(site)}` {_where(site)} makes a network call on every parse")


DATABASE_CALLS = frozenset(
    {
        "psycopg2.connect",
        "psycopg.connect",
        "pymysql.connect",
        "MySQLdb.connect",
        "mysql.connector.connect",
        "sqlite3.connect",
        "snowflake.connector.connect",
        "cx_Oracle.connect",
        "oracledb.connect",
        "pyodbc.connect",
        "pymssql.connect",
        "pandas.read_sql",
        "pandas.read_sql_query",
        "pandas.read_sql_table",
        "redis.Redis",
        "pymongo.MongoClient",
    }
)
HOOK_QUERY_METHODS = frozenset(
    {"get_records", "get_first", "get_pandas_df", "get_df", "run", "get_conn", "get_sqlalchemy_engine", "execute", "test_connection"}
)
DATABASE_NAMES = frozenset({name.rsplit(".", 1)[-1] for name in DATABASE_CALLS}) | HOOK_QUERY_METHODS


class DatabaseQueryAtParseTime(Rule):
    """## What it does
    Flags database access that runs when the file is parsed: driver `connect()` calls,
    `pandas.read_sql`, and queries through a hook (`PostgresHook(...).get_records(...)`,
    `hook.run(...)`).

    ## Why is this bad?
    A query on every parse loads the database, slows the DAG processor, and makes the DAG vanish from
    the UI whenever the database is unreachable. Hooks are meant to be used inside tasks.

    ## Example
    ```python
    customers = PostgresHook("crm").get_records("SELECT id FROM customers")
    ```

    Use instead:
    ```python
    @task
    def customers():
        return PostgresHook("crm").get_records("SELECT id FROM customers")
    ```
    """

    code = "PT004"
    name = "database-query-at-parse-time"
    family = "parse-time"

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for site in parse_time_calls(model, DATABASE_NAMES):
            name = site.qualname or ""
            if name in DATABASE_CALLS or self._hook_query(site, model):
                yield self.violation(model.span(site.node), f"`{_shown(site)}` {_where(site)} queries a database on every parse")

    @staticmethod
    def _hook_query(site: CallSite, model: FileModel) -> bool:
        func = site.node.func
        if not isinstance(func, ast.Attribute) or func.attr not in HOOK_QUERY_METHODS:
            return False
        owner = func.value
        if isinstance(owner, ast.Name) and owner.id in model.assignments:
            owner = model.assignments[owner.id]
        if isinstance(owner, ast.Call):
            return (sem.qualified_name(owner.func, model.imports) or "").endswith("Hook")
        return False


FILE_READ_CALLS = frozenset(
    {
        "pandas.read_csv",
        "pandas.read_parquet",
        "pandas.read_excel",
        "pandas.read_json",
        "pandas.read_table",
        "numpy.load",
        "numpy.loadtxt",
        "numpy.genfromtxt",
    }
)


FILE_READ_NAMES = frozenset({name.rsplit(".", 1)[-1] for name in FILE_READ_CALLS}) | {"open", "read_text", "read_bytes"}


class FileReadAtParseTime(Rule):
    """## What it does
    Flags file reads that run when the file is parsed and reach outside the DAG bundle or load data:
    `open(...)` or `Path(...).read_text()` of an absolute path (`/etc/...`, a network mount),
    `pandas.read_csv(...)` and similar. Reading a configuration file shipped next to the DAG file
    (a relative path, or one built from `__file__`), as Airflow's documentation on dynamic DAGs does,
    is not flagged.

    ## Why is this bad?
    The read is repeated on every parse, on every scheduler and DAG processor, and the file must exist
    on all of them: a missing or slow (network-mounted) file makes the DAGs disappear, and parsing data
    with pandas on every parse costs seconds. Configuration that shapes the DAG belongs in the DAG
    bundle, next to the DAG file.

    ## Example
    ```python
    with open("/etc/etl/tables.txt") as f:
        tables = f.read().split()
    ```

    Use instead:
    ```python
    TABLES = ["orders", "customers"]
    ```
    """

    code = "PT005"
    name = "file-read-at-parse-time"
    family = "parse-time"

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for site in parse_time_calls(model, FILE_READ_NAMES):
            if self._reads(site, model):
                yield self.violation(model.span(site.node), f"`{_shown(site)}` {_where(site)} reads a file on every parse")

    @staticmethod
    def _reads(site: CallSite, model: FileModel) -> bool:
        name = site.qualname or ""
        node = site.node
        if name in FILE_READ_CALLS:
            return True
        if name in ("open", "io.open", "codecs.open"):
            mode = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"), None)
            if mode is not None and not (
                isinstance(mode, ast.Constant) and isinstance(mode.value, str) and "r" in mode.value and "+" not in mode.value
            ):
                return False
            return _outside_the_bundle(node.args[0] if node.args else None, model)
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("read_text", "read_bytes"):
            owner = node.func.value
            if isinstance(owner, ast.Call) and (sem.qualified_name(owner.func, model.imports) or "").endswith("Path"):
                return _outside_the_bundle(owner.args[0] if owner.args else None, model)
            if isinstance(owner, ast.Name):
                return _outside_the_bundle(model.assignments.get(owner.id), model)
        return False


def _outside_the_bundle(path: ast.AST | None, model: FileModel) -> bool:
    """A path known to be absolute and not built from `__file__`: outside what is deployed with the
    DAG file. A relative path, one built from `__file__`, or one not known here, is not."""
    if path is None:
        return False
    if any(isinstance(node, ast.Name) and node.id == "__file__" for node in ast.walk(path)):
        return False
    if isinstance(path, ast.Name) and path.id in model.assignments:
        return _outside_the_bundle(model.assignments[path.id], model)
    text = sem.literal(path, dict(model.assignments))
    if not isinstance(text, str):
        return False
    return text.startswith(("/", "~")) or bool(re.match(r"[A-Za-z]:[\\/]", text))


class ManyDagsInFile(Rule):
    """## What it does
    Flags a file that defines more DAGs than `max-dags` (10 by default).

    ## Why is this bad?
    A file is parsed as a unit: one slow or broken DAG delays or hides all the others, the file's
    parse time grows with every DAG, and any change to it re-serialises every DAG it holds. Generating
    many DAGs from one file is also hard to review.

    ## Example
    ```python
    for customer in CUSTOMERS:  # 200 customers
        with DAG(f"export_{customer}", schedule="@daily"):
            ...
    ```

    Use instead:
    one DAG with a mapped task per customer, or one generated file per DAG.
    """

    code = "PT006"
    name = "many-dags-in-file"
    family = "parse-time"
    settings = (Setting("max-dags", int, 10, "most DAGs one file may define"),)

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        limit = settings["max-dags"]
        if len(model.dags) > limit:
            extra = model.dags[limit]
            yield self.violation(
                extra.span,
                f"File defines {len(model.dags)} DAGs (more than {limit}): DAG `{extra.dag_id}` is number {limit + 1}",
            )
