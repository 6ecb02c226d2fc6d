"""Operations: what decides whether a failure is retried, noticed, and owned."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from typing import Any

from migrator.analysis import secrets
from migrator.analysis import semantics as sem
from migrator.analysis.model import UNKNOWN, FileModel, TaskRecord
from migrator.lint.finding import Violation
from migrator.lint.rule import Rule, Setting


def _constant(expr: Any) -> Any:
    """The literal value of an argument expression; UNKNOWN when it is not a literal."""
    if expr is None or expr is UNKNOWN:
        return expr
    if isinstance(expr, ast.Attribute):
        # TriggerRule.ALL_DONE -> "all_done"
        return expr.attr.lower()
    value = sem.literal(expr)
    return value if sem.is_known(value) else UNKNOWN


def _per_dag_missing(
    rule: Rule, model: FileModel, argument: str, missing: Any, noun: str, what: str | None = None
) -> Iterator[Violation]:
    """One finding at the DAG when no task sets `argument`; one per task when only some lack it."""
    for dag in model.dags:
        tasks = list(dag.task_map.values())
        if not tasks:
            continue
        values = [t.argument(argument) for t in tasks]
        lacking = [t for t, value in zip(tasks, values) if missing(value)]
        if not lacking:
            continue
        unknown = [t for t, value in zip(tasks, values) if value is UNKNOWN]
        if len(lacking) == len(tasks) and not unknown:
            ids = ", ".join(f"`{t.task_id}`" for t in lacking[:3]) + (f" and {len(lacking) - 3} more" if len(lacking) > 3 else "")
            yield rule.violation(
                dag.span, f"No task of DAG `{dag.dag_id}` {what or f'sets `{argument}`'} ({ids}); set it in `default_args`"
            )
        else:
            for task in lacking:
                yield rule.violation(task.span, f"Task `{task.task_id}` has no {noun}")


class TaskWithoutRetries(Rule):
    """## What it does
    Flags tasks with no `retries`, neither on the task nor in the `default_args` of their DAG or
    TaskGroup. When no task of a DAG has retries, one finding points at the DAG. `retries=0` written
    out is a decision and is not flagged.

    ## Why is this bad?
    Airflow does not retry by default (`[core] default_task_retries = 0`), so a network blip, a
    restarted database or a preempted worker fails the run and everything downstream of it, often in
    the middle of the night.

    ## Example
    ```python
    with DAG("etl", schedule="@daily"):
        BashOperator(task_id="extract", bash_command="extract.sh")
    ```

    Use instead:
    ```python
    with DAG("etl", schedule="@daily", default_args={"retries": 2, "retry_delay": timedelta(minutes=5)}):
        BashOperator(task_id="extract", bash_command="extract.sh")
    ```
    """

    code = "OPS001"
    name = "task-without-retries"
    family = "operations"

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        yield from _per_dag_missing(self, model, "retries", lambda value: value is None, "retries")


class LongPokeSensor(Rule):
    """## What it does
    Flags sensors in `poke` mode (the default) whose `timeout` is missing or longer than
    `max-poke-timeout` seconds (one hour by default). Sensors in `reschedule` mode or `deferrable=True`
    are not flagged.

    ## Why is this bad?
    A poking sensor holds a worker slot for its whole wait, and the default timeout is seven days.
    A few sensors waiting for a late file can take every slot and stall unrelated DAGs.

    ## Example
    ```python
    FileSensor(task_id="wait_for_export", filepath="/data/export.csv")
    ```

    Use instead:
    ```python
    FileSensor(task_id="wait_for_export", filepath="/data/export.csv", mode="reschedule", timeout=6 * 3600)
    ```
    """

    code = "OPS002"
    name = "long-poke-sensor"
    family = "operations"
    settings = (Setting("max-poke-timeout", int, 3600, "longest timeout in seconds for a sensor in poke mode"),)

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        limit = settings["max-poke-timeout"]
        for task in model.all_tasks:
            if not task.is_sensor or task.callee.endswith("Async"):
                continue  # the *Async sensors of Airflow 2 always defer
            mode = _constant(task.argument("mode"))
            deferrable = _constant(task.argument("deferrable"))
            if mode is UNKNOWN or deferrable is UNKNOWN or deferrable is True:
                continue
            if mode not in (None, "poke"):
                continue
            if mode is None and not task.callee.startswith("airflow."):
                continue  # a sensor class of its own: its default mode is whatever it sets
            timeout_expr = task.argument("timeout")
            if timeout_expr is UNKNOWN:
                continue
            if timeout_expr is None:
                yield self.violation(task.span, f"Sensor `{task.task_id}` pokes with no timeout (default 7 days), holding a worker slot")
                continue
            seconds = sem.seconds(sem.literal(timeout_expr, dict(model.assignments)))
            if seconds is not None and seconds > limit:
                yield self.violation(
                    task.span,
                    f"Sensor `{task.task_id}` pokes for up to {int(seconds)} s (more than {limit} s), holding a worker slot; "
                    "use mode=\"reschedule\" or deferrable=True",
                )


class TaskWithoutOwner(Rule):
    """## What it does
    Flags tasks whose `owner` is not set (or is Airflow's placeholder `"airflow"`), on the task or in
    `default_args`. When no task of a DAG has an owner, one finding points at the DAG.

    ## Why is this bad?
    The owner is how the UI, alerts and on-call know whom a failing task belongs to. Without one,
    every DAG belongs to "airflow", which is no one.

    ## Example
    ```python
    with DAG("etl", schedule="@daily"):
        ...
    ```

    Use instead:
    ```python
    with DAG("etl", schedule="@daily", default_args={"owner": "data-platform"}):
        ...
    ```
    """

    code = "OPS003"
    name = "task-without-owner"
    family = "operations"

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        def missing(expr: Any) -> bool:
            return expr is None or (isinstance(expr, ast.Constant) and expr.value in ("airflow", "", None))

        yield from _per_dag_missing(
            self, model, "owner", missing, "owner other than the default `airflow`",
            "has an `owner` other than Airflow's default `airflow`",
        )


SECRET_NAME = re.compile(
    r"(?:^|_)(?:password|passwd|pwd|secret|token|api_?key|apikey|access_?key|secret_?key|private_?key|auth_?token|"
    r"client_secret|credentials?|passphrase)$",
    re.IGNORECASE,
)


def _hint_lines(model: FileModel) -> set[int]:
    """Lines that may hold a secret: a stem of SECRET_NAME or a word `secrets.hint_offsets` finds
    (one `str.find` per word over the file), so that only those lines' nodes are looked at."""
    index = model.index
    if index is None:
        return set()
    return {index.line_of(offset) for offset in secrets.hint_offsets(model.source)}


def _secret_value(value: str) -> bool:
    return secrets.is_secret_value(value)


def _secret_message(secret: secrets.Secret) -> str:
    if secret.written_as == "token":
        article = "an" if secret.what[0] in "AEIOU" or secret.what.startswith("npm") else "a"
        return f"String looks like {article} {secret.what}"
    if secret.written_as == "url":
        if secret.what.startswith("password in a "):
            return "Password embedded in a URL"
        return f"Secret embedded in a URL ({secret.what})"
    return f"Secret written in a command line, {secret.what} (it also shows in `ps` and the task log)"


class HardCodedSecret(Rule):
    """## What it does
    Flags secrets written in a DAG file: string literals given to names, arguments or dict keys such
    as `password`, `token`, `api_key` or `secret_key`; credentials in URLs (`postgresql://user:pw@host`);
    strings shaped like known keys (AWS access keys, GitHub, Slack and Google tokens, webhook keys,
    private keys); and secrets written in a command (`curl -u user:pass`, `mysql -pS3cret`,
    `--password=...`, `PGPASSWORD=...`, `sshpass -p ...`, an `Authorization` header, `?token=`).
    Commands are read as the shell splits them, with the detector `cron2dag migrate` uses on
    crontabs, so `mkdir -p` or `psql -p 5432` are not passwords.
    Templates (`{{ conn.db.password }}`), `${VAR}` placeholders, stand-ins (`<password>`, `***`,
    `pkz_...`) and environment variable names are not flagged.

    ## Why is this bad?
    DAG files live in git, are shipped to every scheduler and worker, and are shown in the Airflow UI
    ("Code" tab). A secret there is readable by everyone who can see the repository or the UI, and it
    cannot be rotated without a deploy.

    ## Example
    ```python
    SnowflakeOperator(task_id="load", sql="...", password="s3cr3t!")
    ```

    Use instead:
    an Airflow connection (`snowflake_conn_id="warehouse"`) or a secrets backend, read at run time.
    """

    code = "OPS004"
    name = "hard-coded-secret"
    family = "operations"

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        reported: set[int] = set()

        def report(node: ast.AST, message: str) -> Iterator[Violation]:
            if id(node) not in reported:
                reported.add(id(node))
                yield self.violation(model.span(node), message)

        if _is_test_file(model.path):
            return  # a test's made-up credentials are not secrets anyone can steal
        lines = _hint_lines(model)
        if not lines:
            return
        nodes = [node for node, _, _ in model.index.nodes_on_lines(lines)]  # type: ignore[union-attr]
        # `Secret(deploy_type="env", secret="etl-credentials", key="password")`: names a Kubernetes
        # Secret object, whose value never appears in the file
        references = {
            id(keyword)
            for node in nodes
            if isinstance(node, ast.Call) and _names_a_kubernetes_secret(node, model)
            for keyword in node.keywords
        }
        for node in nodes:
            if isinstance(node, ast.keyword) and node.arg and SECRET_NAME.search(node.arg) and id(node) not in references:
                if self._literal_secret(node.value, node.arg):
                    yield from report(node.value, f"Hard-coded secret in argument `{node.arg}`")
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and isinstance(key.value, str) and SECRET_NAME.search(key.value):
                        if self._literal_secret(value, key.value):
                            yield from report(value, f"Hard-coded secret under key `{key.value}`")
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    name = target.id if isinstance(target, ast.Name) else target.attr if isinstance(target, ast.Attribute) else None
                    if name and SECRET_NAME.search(name) and node.value is not None and self._literal_secret(node.value, name):
                        yield from report(node.value, f"Hard-coded secret assigned to `{name}`")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) >= 10:
                found = secrets.find_secrets(node.value)
                if found:
                    yield from report(node, _secret_message(found[0]))

    @staticmethod
    def _literal_secret(expr: ast.AST, name: str) -> bool:
        return (
            isinstance(expr, ast.Constant)
            and isinstance(expr.value, str)
            and _secret_value(expr.value)
            and not _names_itself(name, expr.value)
        )


def _names_itself(name: str, value: str) -> bool:
    """`ACCESS_KEY_SECRET = "access_key_secret"`, `password_field = "password"`: the value is the
    name of a setting (or a key to look one up by), not its value."""
    words = [w for w in re.split(r"[_\W]+", name.lower()) if w]
    said = [w for w in re.split(r"[_\W]+", value.lower()) if w]
    # the value is the name, a word of it, or its last words (`_aws_config_aws_access_key = "aws-access-key"`)
    return bool(said) and (said == words[-len(said) :] or (len(said) == 1 and said[0] in words))


_TEST_FILE = re.compile(r"(?:^|/)(?:tests?|testing)/|(?:^|/)(?:test_[^/]*|[^/]*_test|conftest)\.py$")


def _is_test_file(path: str) -> bool:
    return bool(_TEST_FILE.search(path.replace("\\", "/")))


_KUBERNETES_SECRET_ARGUMENTS = frozenset({"deploy_type", "deploy_target"})


def _names_a_kubernetes_secret(call: ast.Call, model: FileModel) -> bool:
    name = sem.qualified_name(call.func, model.imports) or sem.dotted(call.func) or ""
    return name.rsplit(".", 1)[-1] == "Secret" or any(k.arg in _KUBERNETES_SECRET_ARGUMENTS for k in call.keywords)


# Trigger rules under which a leaf can run, and succeed, after an upstream task failed; the run's state
# is decided by its leaves, so it ends "success" (airflow/models/dagrun.py, _tis_for_dagrun_state).
FAILURE_HIDING = frozenset(
    {
        "all_done",
        "all_done_min_one_success",
        "all_done_setup_success",
        "one_success",
        "one_done",
        "none_skipped",
        "always",
        "all_skipped",
        "all_failed",
    }
)


class FailureHidingLeafTriggerRule(Rule):
    """## What it does
    Flags a leaf task (nothing downstream) whose trigger rule lets it run after an upstream failure:
    `all_done`, `one_success`, `one_done`, `none_skipped`, `always`, `all_skipped`, `all_failed`,
    `all_done_min_one_success`, `all_done_setup_success`. A DAG with a "watcher" leaf
    (`trigger_rule="one_failed"`) is not flagged, nor are teardown tasks, which Airflow leaves out of
    the run's state.

    ## Why is this bad?
    Airflow decides a run's state from its leaf tasks. A cleanup or notification leaf with `all_done`
    succeeds after the load failed, so the run is marked successful, no failure alert fires, and the
    missing data goes unnoticed.

    ## Example
    ```python
    load >> BashOperator(task_id="cleanup", bash_command="rm -rf /tmp/etl", trigger_rule="all_done")
    ```

    Use instead:
    ```python
    load >> BashOperator(task_id="cleanup", bash_command="rm -rf /tmp/etl").as_teardown()
    ```
    or add a watcher leaf: a task with `trigger_rule="one_failed"` that raises, downstream of every task.
    """

    code = "OPS005"
    name = "failure-hiding-leaf-trigger-rule"
    family = "operations"

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for dag in model.dags:
            if len(dag.task_map) < 2:
                continue
            leaves = [t for t in dag.task_map.values() if not dag.downstream.get(t.task_id)]
            rules = {t.task_id: _constant(t.argument("trigger_rule")) for t in leaves}
            if any(rule == "one_failed" for rule in rules.values()):
                continue
            for task in leaves:
                rule = rules[task.task_id]
                if task.teardown or not isinstance(rule, str) or rule not in FAILURE_HIDING:
                    continue
                if not dag.upstream.get(task.task_id):
                    continue
                yield self.violation(
                    _rule_span(task, model),
                    f"Leaf task `{task.task_id}` runs with trigger_rule `{rule}` after upstream failures, so "
                    f"DAG `{dag.dag_id}` ends successful and the failure goes unnoticed",
                )


def _rule_span(task: TaskRecord, model: FileModel) -> Any:
    expr = task.arguments.get("trigger_rule")
    return model.span(expr) if expr is not None else task.span



# operators whose `sql=` runs as written (the SQL providers' common operator and its older names)
_SQL_OPERATORS = ("SQLExecuteQueryOperator", "PostgresOperator", "MySqlOperator", "SnowflakeOperator",
                  "MsSqlOperator", "SqliteOperator", "TrinoOperator", "VerticaOperator", "OracleOperator")


class RetriedAppend(Rule):
    """## What it does
    Flags a task that retries (`retries` above 0, on the task or in `default_args`) and appends: a
    `bash_command` that appends to a file (`>> data.csv`, `tee -a`), loads with `bq load` or
    `mysqlimport` without replacing, or runs SQL that adds rows (`INSERT INTO`, `COPY ... FROM`,
    `LOAD DATA`) with nothing that first removes the rows of a failed try (`DELETE`, `TRUNCATE`,
    `MERGE`, `ON CONFLICT`, `INSERT OVERWRITE`). A `sql=` of the SQL operators is read the same way.
    Output kept in a log (`>> /var/log/job.log 2>&1`) is not appending data.

    ## Why is this bad?
    A retry runs the whole command again. When the first try failed after writing some rows, the
    retry writes them a second time: duplicates that no later run removes. Cron never retried, so a
    migrated job that appends was safe there and is not in Airflow.

    ## Example
    ```python
    BashOperator(task_id="prices", bash_command="fetch_prices.py >> /data/prices.csv", retries=3)
    ```

    Use instead:
    ```python
    BashOperator(task_id="prices", bash_command="fetch_prices.py >> /data/prices.csv", retries=0)
    ```
    or make the task idempotent (write the run's own partition, delete its rows before inserting).
    """

    code = "OPS006"
    name = "retried-append"
    family = "operations"

    def check(self, model: FileModel, settings: Mapping[str, Any]) -> Iterator[Violation]:
        for task in model.all_tasks:
            retries = _constant(task.argument("retries"))
            if not isinstance(retries, int) or isinstance(retries, bool) or retries <= 0:
                continue
            operator = task.callee.rsplit(".", 1)[-1]
            # here, with a retried task to judge: the shell parser behind it costs 20 ms to import
            from migrator.codegen.failures import appends, sql_adds_rows

            if operator == "BashOperator":
                command = _constant(task.argument("bash_command"))
                what = appends(command) if isinstance(command, str) else None
            elif operator in _SQL_OPERATORS:
                sql = _constant(task.argument("sql"))
                what = sql_adds_rows(sql) if isinstance(sql, str) else None
            else:
                continue
            if what:
                yield self.violation(
                    _retries_span(task, model),
                    f"Task `{task.task_id}` retries ({retries}) and {what.removeprefix('it ')}: a retry "
                    "after a partial run repeats it",
                )


def _retries_span(task: TaskRecord, model: FileModel) -> Any:
    expr = task.arguments.get("retries")
    return model.span(expr) if expr is not None else task.span
