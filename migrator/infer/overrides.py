"""User corrections to an inferred pipeline, read from a TOML file.

```toml
skip = ["healthcheck"]                  # jobs to leave out (reported as unscheduled)

[jobs.transform_api_data]               # a job by its inferred task id, or "line:12"
task_id = "transform_api"               # rename the task
dag_id = "nightly_etl"                  # set the id of the DAG this job ends up in
after = ["ingest_from_database"]        # pin edges: run after these jobs
not_after = ["ingest_from_rest_api"]    # remove inferred edges from these jobs
skip = true                             # leave the job out

[dags.seed_pipeline]                    # a DAG by its inferred id
dag_id = "nightly_etl"                  # rename it
```

`load_overrides` checks the file's shape (unknown keys, wrong types, invalid ids); whether the jobs it
names exist is checked against the crontab by `resolve_overrides`. Both report `file:line:col`.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from migrator.compat import tomllib
from migrator.errors import Diagnostic, InputError

_JOB_KEYS = frozenset({"task_id", "dag_id", "after", "not_after", "skip"})
_DAG_KEYS = frozenset({"dag_id"})
_TOP_KEYS = frozenset({"skip", "jobs", "dags"})
_LINE_REF = re.compile(r"^line[: ]\s*(\d+)$")


@dataclass(frozen=True)
class Ref:
    """A job named in the file, with where it was written."""

    text: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class JobOverride:
    ref: Ref
    task_id: str | None = None
    dag_id: str | None = None
    skip: bool = False
    after: tuple[Ref, ...] = ()
    not_after: tuple[Ref, ...] = ()


@dataclass(frozen=True)
class DagOverride:
    ref: Ref
    dag_id: str


@dataclass(frozen=True)
class Overrides:
    path: str
    jobs: tuple[JobOverride, ...] = ()
    dags: tuple[DagOverride, ...] = ()

    def error(self, message: str, at: Ref | None = None) -> InputError:
        return InputError.at(self.path, message, at.line if at else None, at.column if at else None)


def is_identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def load_overrides(path: str | Path) -> Overrides:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError.at(
            str(path), f"cannot read overrides: {error.strerror or error}"
        ) from None
    return parse_overrides(text, str(path))


def parse_overrides(text: str, path: str) -> Overrides:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line, column = _toml_position(error)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        raise InputError.at(path, f"invalid TOML: {message}", line, column) from None
    locate = _Locator(text)
    problems: list[Diagnostic] = []

    def problem(message: str, at: tuple[int | None, int | None]) -> None:
        problems.append(Diagnostic(path, message, at[0], at[1]))

    for key in data:
        if key not in _TOP_KEYS:
            problem(
                f"unknown key '{key}': expected one of {', '.join(sorted(_TOP_KEYS))}",
                locate.key(None, key),
            )
    jobs: list[JobOverride] = []
    skip = data.get("skip", [])
    if not _is_string_list(skip):
        problem("'skip' must be a list of job names", locate.key(None, "skip"))
        skip = []
    for name in skip:
        jobs.append(JobOverride(Ref(name, *locate.string(None, "skip", name)), skip=True))
    tables = data.get("jobs", {})
    if not isinstance(tables, dict):
        problem("'jobs' must be a table of [jobs.<task id>] tables", locate.key(None, "jobs"))
        tables = {}
    for name, body in tables.items():
        at = locate.table("jobs", name)
        ref = Ref(name, *at)
        if not isinstance(body, dict):
            problem(f"[jobs.{name}] must be a table", at)
            continue
        for key in body:
            if key not in _JOB_KEYS:
                problem(
                    f"unknown key '{key}' in [jobs.{name}]: expected one of "
                    f"{', '.join(sorted(_JOB_KEYS))}",
                    locate.key(("jobs", name), key),
                )
        values: dict[str, Any] = {}
        for key in ("task_id", "dag_id"):
            if key in body:
                value = body[key]
                if not isinstance(value, str) or not is_identifier(value):
                    problem(
                        f"{key} must be a valid Python identifier, got {value!r}",
                        locate.key(("jobs", name), key),
                    )
                else:
                    values[key] = value
        for key in ("after", "not_after"):
            if key in body:
                value = body[key]
                if isinstance(value, str):
                    value = [value]
                if not _is_string_list(value):
                    problem(f"{key} must be a list of job names", locate.key(("jobs", name), key))
                    continue
                values[key] = tuple(Ref(v, *locate.string(("jobs", name), key, v)) for v in value)
        if "skip" in body:
            if not isinstance(body["skip"], bool):
                problem("skip must be true or false", locate.key(("jobs", name), "skip"))
            else:
                values["skip"] = body["skip"]
        jobs.append(JobOverride(ref, **values))
    dags: list[DagOverride] = []
    dag_tables = data.get("dags", {})
    if not isinstance(dag_tables, dict):
        problem("'dags' must be a table of [dags.<dag id>] tables", locate.key(None, "dags"))
        dag_tables = {}
    for name, body in dag_tables.items():
        at = locate.table("dags", name)
        if not isinstance(body, dict):
            problem(f"[dags.{name}] must be a table", at)
            continue
        for key in body:
            if key not in _DAG_KEYS:
                problem(
                    f"unknown key '{key}' in [dags.{name}]: expected dag_id",
                    locate.key(("dags", name), key),
                )
        value = body.get("dag_id")
        if value is None:
            problem(f"[dags.{name}] needs dag_id", at)
        elif not isinstance(value, str) or not is_identifier(value):
            problem(
                f"dag_id must be a valid Python identifier, got {value!r}",
                locate.key(("dags", name), "dag_id"),
            )
        else:
            dags.append(DagOverride(Ref(name, *at), value))
    if problems:
        raise InputError(problems)
    return Overrides(path, tuple(jobs), tuple(dags))


def resolve_job(overrides: Overrides, ref: Ref, ids: Sequence[str], lines: Sequence[int]) -> int:
    """The index of the job `ref` names: an inferred task id or `line:N`."""
    match = _LINE_REF.match(ref.text.strip())
    if match:
        line = int(match.group(1))
        if line in lines:
            return lines.index(line)
        raise overrides.error(f"no cron entry starts on line {line}", ref)
    if ref.text in ids:
        return list(ids).index(ref.text)
    hint = get_close_matches(ref.text, ids, n=1)
    suggestion = (
        f"; did you mean '{hint[0]}'?" if hint else f"; known jobs: {', '.join(sorted(ids)[:8])}"
    )
    raise overrides.error(f"unknown job '{ref.text}'{suggestion}", ref)


def _is_string_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _toml_position(error: Exception) -> tuple[int | None, int | None]:
    line = getattr(error, "lineno", None)
    column = getattr(error, "colno", None)
    if line is None:
        match = re.search(r"at line (\d+), column (\d+)", str(error))
        if match:
            line, column = int(match.group(1)), int(match.group(2))
    return (line, column)


class _Locator:
    """Where tables, keys and strings sit in the TOML text, for error positions."""

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.headers: list[tuple[int, tuple[str, str] | None]] = []
        header = re.compile(
            r"^\s*\[\s*(jobs|dags)\s*\.\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_:-]+)\s*\]"
        )
        for number, line in enumerate(self.lines, start=1):
            match = header.match(line)
            if match:
                self.headers.append((number, (match.group(1), match.group(2).strip("\"'"))))
            elif line.lstrip().startswith("["):
                self.headers.append((number, None))

    def table(self, kind: str, name: str) -> tuple[int | None, int | None]:
        for number, found in self.headers:
            if found == (kind, name):
                return (number, self.lines[number - 1].index("[") + 1)
        # dotted keys (`jobs.x.skip = true`) or inline tables: point at the first mention
        for number, line in enumerate(self.lines, start=1):
            if name in line and not line.lstrip().startswith("#"):
                return (number, line.index(name) + 1)
        return (None, None)

    def _section(self, table: tuple[str, str] | None) -> range:
        if table is None:
            end = self.headers[0][0] - 1 if self.headers else len(self.lines)
            return range(1, end + 1)
        for k, (number, found) in enumerate(self.headers):
            if found == table:
                end = self.headers[k + 1][0] - 1 if k + 1 < len(self.headers) else len(self.lines)
                return range(number + 1, end + 1)
        return range(1, len(self.lines) + 1)

    def key(self, table: tuple[str, str] | None, key: str) -> tuple[int | None, int | None]:
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number in self._section(table):
            line = self.lines[number - 1]
            if pattern.match(line):
                return (number, len(line) - len(line.lstrip()) + 1)
        if table:
            return self.table(*table)
        # a top-level table (`[edges]`, `[[edges.pin]]`) rather than a key
        header = re.compile(rf"^\s*\[\[?\s*[\"']?{re.escape(key)}[\"']?\s*[.\]]")
        for number, line in enumerate(self.lines, start=1):
            if header.match(line):
                return (number, len(line) - len(line.lstrip()) + 1)
        return (None, None)

    def string(
        self, table: tuple[str, str] | None, key: str, value: str
    ) -> tuple[int | None, int | None]:
        start, _ = self.key(table, key)
        if start is None:
            return (None, None)
        for number in range(start, len(self.lines) + 1):
            line = self.lines[number - 1]
            for quote in ('"', "'"):
                column = line.find(f"{quote}{value}{quote}")
                if column >= 0:
                    return (number, column + 1)
            if number > start and re.match(r"^\s*([A-Za-z_\"'].*=|\[)", line):
                break
        return (start, 1)


def refs_in(overrides: Overrides) -> Iterable[Ref]:
    for job in overrides.jobs:
        yield job.ref
        yield from job.after
        yield from job.not_after
