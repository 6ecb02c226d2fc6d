"""How a job fails, and so whether retrying it helps: retry classes from the command line.

"Retries are useful only when failures are transient. Retrying a bad SQL statement five times is
comedy." Cron never retried; an orchestrator can, and should do so by failure type:

- `append`: the job adds to something (`>> data.csv`, `tee -a`, `INSERT` with no `DELETE`, `COPY ...
  FROM`, `LOAD DATA`, `bq load` without `--replace`, `mysqlimport` without `--delete`). A retry after
  a partial run adds the rows again: never retried, whatever else the job does.
- `sql`: the job runs SQL (psql, mysql, bq, snowsql, hive, dbt, ...). A bad statement fails the same
  way every time: not retried, unless the crontab already retries it (`cmd || cmd`, a `for` loop
  that breaks on success, the `retry` tool): then as often as it did.
- `transfer`: the job moves data over the network (curl, wget, rsync, scp, sftp, `aws s3 cp/sync`,
  `gsutil cp`, rclone, or a script whose name says it pulls data, like `fetch_*` or an API ingest). Failures are often
  transient: retried more often, with exponential backoff.
- `other`: nothing says how it fails: the default retries.

Output redirected to a log (`>> /var/log/x.log 2>&1`) is not appending data. Pure and target-neutral.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from migrator.infer.shell import Redirect, SimpleCommand, basename, parse_command
from migrator.infer.words import SQL_CLIENTS as _SQL_CLIENTS
from migrator.shelltree import AndOr, Compound, Pipeline, Simple, parse, walk


class FailureClass(StrEnum):
    APPEND = "append"
    SQL = "sql"
    TRANSFER = "transfer"
    OTHER = "other"


@dataclass(frozen=True)
class RetryIdiom:
    """The crontab retrying a command itself: how many extra tries, after what pause."""

    retries: int
    delay: timedelta | None
    text: str


@dataclass(frozen=True)
class Classification:
    failure: FailureClass
    why: str  # what in the command decided, for the comment above the task
    idiom: RetryIdiom | None = None
    # exit codes of this command that mean the same failure on every attempt (a usage error, a
    # program that is not there); only those the command's own program documents, plus bash's
    permanent_exit_codes: tuple[int, ...] = ()


# bash: 126 the program cannot be executed, 127 it is not found
SHELL_PERMANENT = (126, 127)
# exit codes that each tool documents as a usage or configuration error
_PERMANENT_BY_PROGRAM: dict[str, tuple[int, ...]] = {
    "curl": (2, 3),  # failed to initialise, malformed URL
    "wget": (2,),  # parse error (options)
    "rsync": (1,),  # syntax or usage error
    "rclone": (1, 7),  # syntax or usage error, fatal error
    "aws": (252, 253),  # invalid command syntax, invalid configuration
}
_TRANSFER_PROGRAMS = frozenset(
    {
        "curl",
        "wget",
        "rsync",
        "scp",
        "sftp",
        "ftp",
        "lftp",
        "rclone",
        "azcopy",
        "s3cmd",
        "smbclient",
    }
)
_CLOUD_COPY = {"aws": ("s3", {"cp", "sync", "mv"}), "gsutil": (None, {"cp", "rsync", "mv"})}
# a script named for a network pull: `fetch_orders.py`, `download_rates.sh`, `ingest_from_rest_api.py`
# (`api` alone is not enough: `transform_api_data.py` transforms what an API gave)
_PULL_NAME = re.compile(r"(?:^|[_\-.])(fetch|download|scrape|crawl)", re.IGNORECASE)
_API_PULL_NAME = re.compile(
    r"(?=.*(?:^|[_\-.])(?:rest_?)?api(?:[_\-.]|s?$))(?=.*(?:^|[_\-.])(?:pull|get|ingest|sync|import|extract)(?:[_\-.]|$))",
    re.IGNORECASE,
)
_LOG_TARGET = re.compile(
    r"(?:^/dev/null$|^/var/log/|(?:^|/)logs?/|\.(?:log|err|out)$|(?:^|[/_.\-])log(?:[_.\-]|$))"
)
_SQL_TEXT_OPTIONS = frozenset(
    {"-c", "--command", "-e", "--execute", "-q", "--query", "-Q", "--sql"}
)
_TRANSFORM_TOOLS = {"dbt": frozenset({"run", "build", "seed", "snapshot"})}
_INSERT = re.compile(r"\binsert\s+into\b", re.IGNORECASE)
_COPY_FROM = re.compile(r"\\?\bcopy\s+\S+(?:\s*\([^)]*\))?\s+from\b", re.IGNORECASE)
_LOAD_DATA = re.compile(r"\bload\s+data\b(?![^;]*\boverwrite\b)", re.IGNORECASE)
_RESETS = re.compile(
    r"\b(?:delete\s+from|truncate|merge\s+into|on\s+conflict|on\s+duplicate\s+key|replace\s+into|"
    r"insert\s+overwrite|drop\s+table|create\s+or\s+replace)\b",
    re.IGNORECASE,
)


def classify(
    command: str, stdin: str | None = None, env: Mapping[str, str] | None = None
) -> Classification:
    """The failure class of one cron command (see the module docstring)."""
    simples = _simple_commands(command, env)
    appended = _appends(simples, stdin)
    if appended:
        return Classification(FailureClass.APPEND, appended)
    idiom = retry_idiom(command)
    sql = _sql_program(simples)
    if sql:
        return Classification(FailureClass.SQL, sql, idiom, _permanent(simples))
    transfer = _transfer(simples)
    if transfer:
        return Classification(FailureClass.TRANSFER, transfer, idiom, _permanent(simples))
    return Classification(
        FailureClass.OTHER, "nothing in the command says how it fails", idiom, SHELL_PERMANENT
    )


def appends(command: str, stdin: str | None = None) -> str | None:
    """What in `command` appends to data (a retry would repeat it), or None."""
    if stdin is None and not _MAY_APPEND.search(command):
        return None  # nothing below could find anything: spare the shell parse
    return _appends(_simple_commands(command, None), stdin)


# Without quotes, escapes, `$` or backquotes the shell's words are pieces of the text as written, so
# `_appends` can only answer for a command holding one of these: an append redirection, a program it
# knows (`tee`, `bq`, `mysqlimport`), or a word its SQL patterns need
_MAY_APPEND = re.compile(r"['\"\\$`]|>>|tee|bq|mysqlimport|insert|copy|load", re.IGNORECASE)


def _simple_commands(command: str, env: Mapping[str, str] | None) -> list[SimpleCommand]:
    """The simple commands the line runs, wrappers (`sudo`, `flock`, `sh -c`) peeled off.

    `parse_command` reads lists and pipelines; the tree supplies what sits inside `if`, `for` and
    `while` bodies, and the redirections written after a compound command (`done >> out`).
    """
    tree = parse(command)
    if tree is None:
        return [c for c in parse_command(command, env) if c.argv or c.redirects]
    found: list[SimpleCommand] = []
    for node in walk(tree):
        if isinstance(node, Simple):
            found.extend(
                c
                for c in parse_command(command[node.start : node.end], env)
                if c.argv or c.redirects
            )
        elif node.redirects:
            targets = tuple(
                Redirect(r.op.text.lstrip("0123456789"), _fd(r.op.text), r.target.text)
                for r in node.redirects
            )
            found.append(SimpleCommand((), targets))
    return found


def _fd(operator: str) -> int | None:
    digits = operator[: len(operator) - len(operator.lstrip("0123456789"))]
    return int(digits) if digits else None


def _appends(simples: list[SimpleCommand], stdin: str | None) -> str | None:
    for simple in simples:
        merged = any(r.op in (">&",) and r.fd == 2 and r.target == "1" for r in simple.redirects)
        for redirect in simple.redirects:
            if redirect.op not in (">>", "&>>") or redirect.fd == 2:
                continue
            if _LOG_TARGET.search(redirect.target) or (merged and redirect.op == ">>"):
                continue  # the job's output kept in a log, not data
            return f"it appends to `{redirect.target}` (`>>`)"
        program = simple.program
        args = list(simple.argv[1:])
        if program == "tee" and {"-a", "--append"} & set(args):
            target = next((a for a in args if not a.startswith("-")), None)
            if target and not _LOG_TARGET.search(target):
                return f"it appends to `{target}` (`tee -a`)"
        if (
            program == "bq"
            and args[:1] == ["load"]
            and "--replace" not in args
            and not any(a.startswith("--replace") for a in args)
        ):
            return "`bq load` appends to its table unless given --replace"
        if program == "mysqlimport" and not {"-d", "--delete"} & set(args):
            return "`mysqlimport` appends to its tables unless given --delete"
    stdin_sql = "\n" + stdin if stdin and _sql_program(simples) else ""
    return sql_adds_rows(" ".join(_sql_texts(simples)) + stdin_sql)


def sql_adds_rows(sql: str) -> str | None:
    """What in `sql` adds rows with nothing that removes a failed try's rows first, or None."""
    if not sql.strip() or _RESETS.search(sql):
        return None
    for pattern, what in (
        (_INSERT, "INSERT INTO"),
        (_COPY_FROM, "COPY ... FROM"),
        (_LOAD_DATA, "LOAD DATA"),
    ):
        if pattern.search(sql):
            return f"its SQL adds rows ({what}) without deleting the ones a failed try left"
    return None


def _sql_texts(simples: list[SimpleCommand]) -> list[str]:
    texts = []
    clients = [s for s in simples if s.program in _SQL_CLIENTS]
    for simple in clients:
        args = list(simple.argv[1:])
        for k, arg in enumerate(args):
            if arg in _SQL_TEXT_OPTIONS and k + 1 < len(args):
                texts.append(args[k + 1])
            elif arg.startswith(("--command=", "--execute=", "--query=")):
                texts.append(arg.split("=", 1)[1])
        if simple.program == "bq" and args[:1] == ["query"]:
            texts.extend(a for a in args[1:] if not a.startswith("-"))
    if clients:  # `echo "INSERT ..." | psql`
        for simple in simples:
            if simple.program in ("echo", "printf"):
                texts.extend(simple.argv[1:])
    return texts


def _sql_program(simples: list[SimpleCommand]) -> str | None:
    for simple in simples:
        if simple.program in _SQL_CLIENTS:
            return (
                f"`{simple.program}` runs SQL: a failing statement fails the same way on every try"
            )
        verbs = _TRANSFORM_TOOLS.get(simple.program)
        if verbs and verbs & set(simple.argv[1:2]):
            return f"`{simple.program} {simple.argv[1]}` runs SQL transforms: a failing model fails the same way on every try"
    return None


def _transfer(simples: list[SimpleCommand]) -> str | None:
    for simple in simples:
        program = simple.program
        args = list(simple.argv[1:])
        if program in _TRANSFER_PROGRAMS:
            return f"`{program}` moves data over the network, where failures are often transient"
        cloud = _CLOUD_COPY.get(program)
        if cloud and (cloud[0] is None or args[:1] == [cloud[0]]):
            rest = args[1:] if cloud[0] else args
            verb = next((a for a in rest if not a.startswith("-")), None)
            if verb in cloud[1]:
                return f"`{program} {' '.join(args[: 2 if cloud[0] else 1])}` moves data over the network, where failures are often transient"
        if program in ("python", "python3", "node", "ruby", "perl", "php", "bash", "sh"):
            script = next((a for a in args if not a.startswith("-")), None)
            if script and _pull_name(basename(script).rsplit(".", 1)[0]):
                return f"`{basename(script)}` pulls over the network, by its name: failures are often transient"
        elif _pull_name(program.rsplit(".", 1)[0]) and "/" in simple.argv[0]:
            return f"`{program}` pulls over the network, by its name: failures are often transient"
    return None


def _pull_name(name: str) -> bool:
    return bool(_PULL_NAME.search(name) or _API_PULL_NAME.match(name))


def _permanent(simples: list[SimpleCommand]) -> tuple[int, ...]:
    """Exit codes that cannot change on a retry; a tool's own only when it alone decides the status."""
    programs = [s.program for s in simples if s.argv and not s.substitution]
    codes = set(SHELL_PERMANENT)
    if len(programs) == 1:
        codes.update(_PERMANENT_BY_PROGRAM.get(programs[0], ()))
    return tuple(sorted(codes))


# -- the crontab's own retries ------------------------------------------------------------------


def retry_idiom(command: str) -> RetryIdiom | None:
    """`cmd || cmd`, `cmd || { sleep N; cmd; }`, `for i in 1 2 3; do cmd && break; sleep N; done`, `retry ...`."""
    tree = parse(command)
    if tree is None:
        return None
    for chain in tree.items:
        found = (
            _or_retry(chain, command) or _loop_retry(chain, command) or _retry_tool(chain, command)
        )
        if found:
            return found
    return None


def _or_retry(chain: AndOr, text: str) -> RetryIdiom | None:
    if "||" not in chain.operators:
        return None
    index = chain.operators.index("||")
    first = text[chain.pipelines[index].start : chain.pipelines[index].end].strip()
    if index > 0 and chain.operators[index - 1] == "&&":
        first = text[chain.pipelines[0].start : chain.pipelines[index].end].strip()
    retries, delay = 0, None
    for pipeline in chain.pipelines[index + 1 :]:
        attempt = text[pipeline.start : pipeline.end].strip()
        command = pipeline.commands[0] if len(pipeline.commands) == 1 else None
        if isinstance(command, Compound) and command.kind in ("brace", "subshell"):
            body = command.parts[0]
            pause = _sleep(body.items[0]) if body.items else None
            rest = (
                text[body.items[1].start : body.end].strip().rstrip(";").strip()
                if len(body.items) == 2
                else None
            )
            if pause is not None and rest == first:
                retries, delay = retries + 1, pause
                continue
        if attempt == first:
            retries += 1
            continue
        break
    if not retries:
        return None
    return RetryIdiom(retries, delay, text[chain.start : chain.end])


def _loop_retry(chain: AndOr, text: str) -> RetryIdiom | None:
    command = chain.pipelines[0].commands[0] if len(chain.pipelines) == 1 else None
    if not isinstance(command, Compound) or command.kind != "for" or command.items is None:
        return None
    body = command.parts[0]
    if not body.items or body.items[0].operators != ("&&",):
        return None
    tries = body.items[0].pipelines
    if _words(tries[-1]) != ["break"]:
        return None
    delay = _sleep(body.items[1]) if len(body.items) == 2 else None
    count = len(command.items)
    if count < 2 or (len(body.items) == 2 and delay is None):
        return None
    return RetryIdiom(count - 1, delay, text[chain.start : chain.end])


def _retry_tool(chain: AndOr, text: str) -> RetryIdiom | None:
    words = _words(chain.pipelines[0]) if chain.pipelines else None
    if not words or basename(words[0]) != "retry":
        return None
    retries = None
    for k, word in enumerate(words[1:-1], start=1):
        if word in ("-t", "--tries", "--times") and words[k + 1].isdigit():
            retries = int(words[k + 1]) - 1
        elif word.startswith("--tries=") and word[8:].isdigit():
            retries = int(word[8:]) - 1
    if not retries or retries < 1:
        return None
    return RetryIdiom(retries, None, text[chain.start : chain.end])


def _words(pipeline: Pipeline) -> list[str] | None:
    if len(pipeline.commands) != 1 or not isinstance(pipeline.commands[0], Simple):
        return None
    return [w.text for w in pipeline.commands[0].words]


def _sleep(chain: AndOr) -> timedelta | None:
    words = _words(chain.pipelines[0]) if len(chain.pipelines) == 1 else None
    if not words or len(words) != 2 or words[0] != "sleep" or not words[1].isdigit():
        return None
    return timedelta(seconds=int(words[1]))
