"""The lint engine: parse and extract each file once, run the selected rules, drop what noqa and
per-file-ignores mask, cache per file, lint in parallel when it pays, and run project rules last.

Nothing here imports libcst or networkx: fixes (`migrator.lint.fixes`) and the graph checks that need
networkx load them on demand, so a pre-commit run stays fast.
"""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from migrator.errors import Diagnostic
from migrator.lint.config import LintConfig
from migrator.lint.finding import Finding, Violation
from migrator.lint.noqa import NoqaIndex, parse_noqa
from migrator.lint.project import DagRef, ParseFailure, ProjectModel
from migrator.lint.registry import Registry
from migrator.lint.rule import Rule, RuleInfo, Target
from migrator.lint.sources import DecodeError, Kind, SourceFile, decode_python, decode_text
from migrator.positions import Span

# below this many files to (re)lint, starting worker processes costs more than it saves
PARALLEL_THRESHOLD = 64
COLLECT_EVERY = 200
_LONE_CR = re.compile(r"\r(?!\n)")


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    dags: list[DagRef] = field(default_factory=list)
    noqa: NoqaIndex = field(default_factory=NoqaIndex)
    warnings: list[str] = field(default_factory=list)  # internal errors: the result is not cached
    notes: list[str] = field(default_factory=list)  # what the user should know about the file

    def to_cache(self) -> list[Any]:
        return [
            [f.to_cache() for f in self.findings],
            [d.to_cache() for d in self.dags],
            self.noqa.to_json(),
            self.warnings,
            self.notes,
        ]

    @classmethod
    def from_cache(cls, path: str, data: list[Any]) -> FileResult:
        findings, dags, noqa, warnings, notes = data
        return cls(
            path,
            [Finding.from_cache(path, f) for f in findings],
            [DagRef.from_cache(path, d) for d in dags],
            NoqaIndex.from_json(noqa),
            warnings,  # (lists fresh from the cache's JSON: nothing else holds them)
            notes,
        )


@dataclass
class LintRun:
    files: list[SourceFile]
    results: dict[str, FileResult]
    errors: list[Diagnostic]
    findings: list[Finding]
    cached: int = 0  # files answered from the cache


class Linter:
    """Lints one file at a time with a fixed rule set; cheap to build, safe to copy into workers."""

    def __init__(self, config: LintConfig, rules: Iterable[RuleInfo], registry: Registry) -> None:
        self.config = config
        self.registry = registry
        self.rules = list(rules)
        self.targets = frozenset(rule.target for rule in self.rules)
        self._by_target: dict[Target, list[tuple[Rule, dict[str, Any]]]] = {}
        self.per_file: list[tuple[str, frozenset[str]]] = [
            (pattern, frozenset(rule.code for selector in selectors for rule, _ in registry.matches(selector)))
            for pattern, selectors in config.per_file_ignores
        ]
        self._canonical: dict[str, str | None] = {}

    # -- helpers ------------------------------------------------------------------------------------

    def checks(self, target: Target) -> list[tuple[Rule, dict[str, Any]]]:
        """The rules of a target, instantiated with their settings. Their modules are imported here,
        on first use: a run that the cache answers entirely never loads the analysis."""
        if target not in self._by_target:
            self._by_target[target] = [
                (rule.load()(), self.config.rule_settings(rule)) for rule in self.rules if rule.target is target
            ]
        return self._by_target[target]

    def canonical(self, key: str) -> str | None:
        if key not in self._canonical:
            rule = self.registry.get(key)
            self._canonical[key] = rule.code if rule else None
        return self._canonical[key]

    def ignored_codes(self, path: str) -> frozenset[str]:
        if not self.per_file:
            return frozenset()
        relative = os.path.relpath(os.path.abspath(path), self.config.root).replace(os.sep, "/")
        name = os.path.basename(path)
        codes: set[str] = set()
        for pattern, ignored in self.per_file:
            if fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(name, pattern):
                codes |= ignored
        return frozenset(codes)

    def keep(self, finding: Finding, noqa: NoqaIndex, ignored: frozenset[str]) -> bool:
        if finding.code in ignored:
            return False
        lines = (finding.span.line,) if finding.span.end_line == finding.span.line else (finding.span.line, finding.span.end_line)
        return not noqa.suppresses(finding.code, lines, self.canonical)

    def run_rules(self, target: Target, model: Any, path: str, result: FileResult) -> list[Finding]:
        found: list[Finding] = []
        for rule, settings in self.checks(target):
            try:
                violations: Iterable[Violation] = list(rule.check(model, settings))
            except Exception as error:  # a bug in a rule must not cost the other rules' findings
                if os.environ.get("CRON2DAG_DEBUG"):
                    raise
                result.warnings.append(f"{path}: internal error in rule {rule.code}: {type(error).__name__}: {error}")
                continue
            for violation in violations:
                found.append(Finding(path, violation.span, rule.code, rule.name, violation.message, rule.severity, violation.fix))
        return found

    # -- one file -----------------------------------------------------------------------------------

    def lint_bytes(self, source: SourceFile, data: bytes) -> FileResult:
        try:
            if source.kind is Kind.PYTHON:
                text = decode_python(data)
            else:
                text = decode_text(data)
        except DecodeError as error:
            return self.failure(source.path, str(error), error.line, error.column, "")
        if source.kind is Kind.PYTHON:
            return self.lint_python(source.path, text)
        return self.lint_crontab(source, text)

    def failure(self, path: str, message: str, line: int, column: int, text: str) -> FileResult:
        result = FileResult(path, noqa=parse_noqa(text) if text else NoqaIndex())
        failure = ParseFailure(path, message, Span(line, column, line, column + 1))
        result.findings = sorted(self.run_rules(Target.FAILURE, failure, path, result), key=Finding.sort_key)
        return result

    def lint_python(self, path: str, text: str) -> FileResult:
        from migrator.lint.parsing import Unparsable, parse_python

        if "\r" in text:
            # a lone CR ends a line in Python: as a LF (same offsets), every "\n" count downstream is right
            text = _LONE_CR.sub("\n", text)

        try:
            parsed = parse_python(text, path)
        except Unparsable as error:
            return self.failure(path, error.message, error.line, error.column, text)
        module = parsed.module
        from migrator.analysis.extract import extract

        try:
            model = extract(path, text, module, self.config.airflow_version)
        except RecursionError:
            return self.failure(path, "cannot analyse: code nested too deeply", 1, 1, text)
        result = FileResult(path)
        if parsed.note is not None:
            result.notes.append(f"{path}: {parsed.note}")
        result.noqa = parse_noqa(text)
        result.dags = [DagRef(path, dag.dag_id, dag.span, dag.branch) for dag in model.dags]
        ignored = self.ignored_codes(path)
        findings = self.run_rules(Target.PYTHON, model, path, result)
        result.findings = sorted({f for f in findings if self.keep(f, result.noqa, ignored)}, key=Finding.sort_key)
        return result

    def lint_crontab(self, source: SourceFile, text: str) -> FileResult:
        result = FileResult(source.path, noqa=parse_noqa(text))
        if Target.CRONTAB not in self.targets and Target.FAILURE not in self.targets:
            return result
        from migrator.errors import InputError
        from migrator.lint.crontab_source import parse_crontab_text

        try:
            crontab = parse_crontab_text(text, source.path, source.system)
        except InputError as error:
            first = error.diagnostics[0]
            more = len(error.diagnostics) - 1
            message = first.message + (f" (and {more} more error{'s' if more > 1 else ''})" if more else "")
            return self.failure(source.path, message, first.line or 1, first.column or 1, text)
        ignored = self.ignored_codes(source.path)
        findings = self.run_rules(Target.CRONTAB, crontab, source.path, result)
        result.findings = sorted({f for f in findings if self.keep(f, result.noqa, ignored)}, key=Finding.sort_key)
        return result

    # -- across files -------------------------------------------------------------------------------

    def project_findings(self, results: dict[str, FileResult]) -> list[Finding]:
        if Target.PROJECT not in self.targets:
            return []
        refs = tuple(ref for path in sorted(results) for ref in sorted(results[path].dags, key=lambda r: (r.span.line, r.span.column)))
        model = ProjectModel(refs)
        found: list[Finding] = []
        for rule, settings in self.checks(Target.PROJECT):
            for path, violation in rule.check(model, settings):
                finding = Finding(path, violation.span, rule.code, rule.name, violation.message, rule.severity, violation.fix)
                result = results.get(path)
                if result is None or self.keep(finding, result.noqa, self.ignored_codes(path)):
                    found.append(finding)
        return found


def digest(data: bytes) -> str:
    from migrator.lint.cache import blake2b_hex  # with the first cache lookup: not for --no-cache

    return blake2b_hex(data, 16)


# -- parallel workers ---------------------------------------------------------------------------------

_WORKER: Linter | None = None


def _init_worker(config: LintConfig, codes: list[str]) -> None:
    global _WORKER
    from migrator.lint.registry import default_registry

    registry = default_registry()
    _WORKER = Linter(config, [registry.by_code[c] for c in codes], registry)


def _lint_chunk(items: list[tuple[SourceFile, bytes]]) -> list[FileResult]:
    assert _WORKER is not None
    return _lint_sequence(_WORKER, items)


def _lint_sequence(
    linter: Linter, items: list[tuple[SourceFile, bytes | None]], done: int = 0
) -> list[FileResult | Diagnostic]:
    """Lint files one after the other. Python's cyclic GC would otherwise run every few hundred
    allocations and rescan every AST node alive; a full collection every COLLECT_EVERY files keeps
    memory flat for less than a tenth of that cost. `done`: files this process linted before
    (in earlier chunks), so the collections keep their pace across chunks."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    results: list[FileResult] = []
    try:
        for count, (source, data) in enumerate(items, start=done + 1):
            if data is None:  # not read yet (no cache to check): read here, in the worker
                try:
                    with open(source.path, "rb") as handle:
                        data = handle.read()
                except OSError as error:
                    results.append(Diagnostic(source.path, f"cannot read: {error.strerror}"))  # type: ignore[arg-type]
                    continue
            results.append(_lint_guarded(linter, source, data))
            if count % COLLECT_EVERY == 0:
                gc.collect()
    finally:
        if enabled:
            gc.enable()
    return results


def _lint_guarded(linter: Linter, source: SourceFile, data: bytes) -> FileResult | Diagnostic:
    """One file's result; a bug the file triggers costs that file, reported, never the whole run."""
    try:
        return linter.lint_bytes(source, data)
    except Exception as error:  # reported as this file's error (exit 2)
        if os.environ.get("CRON2DAG_DEBUG"):
            raise
        try:
            detail = f"{type(error).__name__}: {error}"
        except Exception:  # noqa: BLE001  (an exception whose message cannot be made)
            detail = type(error).__name__
        return Diagnostic(source.path, f"internal error while linting: {detail} (set CRON2DAG_DEBUG=1 for the traceback)")


def _guided_chunks(items: list[Any], workers: int, smallest: int = 4) -> Iterator[list[Any]]:
    """Contiguous chunks of shrinking size (guided self-scheduling): each is a share of what is left,
    so workers start with big chunks and end on small ones, and finish within a few files of each
    other however the files' costs vary."""
    start = 0
    while start < len(items):
        size = max(smallest, -(-(len(items) - start) // (2 * workers)))
        yield items[start : start + size]
        start += size


def _chunks(items: list[Any], count: int) -> Iterator[list[Any]]:
    size = max(1, -(-len(items) // count))
    for start in range(0, len(items), size):
        yield items[start : start + size]


def lint_many(
    linter: Linter, todo: list[tuple[SourceFile, bytes | None]], jobs: int
) -> list[FileResult | Diagnostic]:
    """A result per file, in order. A file given as None (not read yet) is read by the process
    that lints it; one that cannot be read comes back as a Diagnostic."""
    import gc

    if jobs <= 1 or len(todo) < PARALLEL_THRESHOLD:
        # the objects alive now (modules, functions, the configuration) live for the whole run: frozen,
        # the periodic full collections skip them (each scanned them all, about a third of its cost)
        gc.freeze()
        try:
            return _lint_sequence(linter, todo)
        finally:
            gc.unfreeze()

    enabled = gc.isenabled()
    gc.disable()  # an import makes thousands of objects: collections while it runs are wasted work
    try:
        import migrator.analysis.extract  # noqa: F401  imported once here, inherited by forked workers

        for target in linter.targets:  # the rule modules too
            linter.checks(target)
    finally:
        if enabled:
            gc.enable()

    if hasattr(os, "fork") and sys.platform != "darwin":
        return _lint_forked(linter, todo, jobs)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    codes = [rule.code for rule in linter.rules]
    results: list[FileResult] = []
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
        initargs=(linter.config, codes),
    ) as pool:
        for chunk in pool.map(_lint_chunk, _chunks(todo, jobs * 4)):
            results.extend(chunk)
    return results


class WorkerFailed(RuntimeError):
    """A lint worker process raised or died: the run cannot be completed."""


def _lint_forked(linter: Linter, todo: list[tuple[SourceFile, bytes | None]], jobs: int) -> list[FileResult]:
    """Lint in this process and `jobs - 1` forked children. The children inherit the linter, the
    imported modules and the list of files, so nothing is sent to them but chunk numbers, which
    every process takes one at a time from a shared pipe (one that gets cheap files takes more
    chunks); each child sends its results back pickled, once. Much lighter than a
    ProcessPoolExecutor, whose import and start-up alone cost about 20 ms and which pickles every
    file's bytes to its workers."""
    import gc
    import signal

    chunks = list(_guided_chunks(todo, jobs))
    task_read, task_write = os.pipe()
    # every chunk number is written before any worker starts (far below a pipe's capacity), as
    # 4-byte messages: a worker's 4-byte read then always gets exactly one
    os.write(task_write, b"".join(index.to_bytes(4, "little") for index in range(len(chunks))))
    os.close(task_write)
    children: list[tuple[int, int]] = []  # (pid, read end of its result pipe)
    gc.freeze()  # the children's collections then skip the parent's objects (no copy-on-write)
    try:
        for _ in range(jobs - 1):
            try:
                result_read, result_write = os.pipe()
                pid = os.fork()
            except OSError:
                break  # fewer children: the processes started take every chunk
            if pid == 0:  # pragma: no cover - runs in the child, which never returns
                _forked_worker(linter, chunks, task_read, result_write, [fd for _, fd in children] + [result_read])
            os.close(result_write)
            children.append((pid, result_read))
        import pickle  # after the fork, while the children are already at work
        import select

        by_chunk = _take_chunks(linter, chunks, task_read)  # this process is a worker too
        received: dict[int, list[bytes]] = {fd: [] for _, fd in children}
        pending = set(received)
        while pending:  # read every pipe as data comes: a child blocked on a full pipe would stall
            ready, _, _ = select.select(list(pending), [], [])
            for fd in ready:
                data = os.read(fd, 1 << 20)
                if data:
                    received[fd].append(data)
                else:
                    pending.discard(fd)
        while children:
            pid, fd = children.pop(0)
            os.close(fd)
            _, status = os.waitpid(pid, 0)
            payload = b"".join(received[fd])
            if not payload:
                raise WorkerFailed(f"a lint worker exited without results (wait status {status})")
            outcome, value = pickle.loads(payload)
            if outcome != "ok":
                raise WorkerFailed(f"a lint worker failed: {value}")
            by_chunk.update(value)
    finally:
        for pid, fd in children:  # interrupted or failed: stop the children that are still running
            try:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            os.close(fd)
        os.close(task_read)
        gc.unfreeze()
    results: list[FileResult] = []
    for index in range(len(chunks)):
        results.extend(by_chunk[index])
    return results


def _take_chunks(linter: Linter, chunks: list[list[tuple[SourceFile, bytes | None]]], task_read: int) -> dict[int, list[FileResult]]:
    """Lint chunks, taking their numbers from the shared pipe until it is empty."""
    done: dict[int, list[FileResult]] = {}
    linted = 0
    while True:
        message = os.read(task_read, 4)
        if len(message) < 4:
            return done
        index = int.from_bytes(message, "little")
        done[index] = _lint_sequence(linter, chunks[index], linted)
        linted += len(chunks[index])


def _forked_worker(linter: Linter, chunks: list[list[tuple[SourceFile, bytes | None]]], task_read: int, result_write: int, inherited: list[int]) -> None:  # pragma: no cover
    """The body of a forked worker: never returns (`os._exit`, so the parent's exit handlers and
    buffered output are not run twice)."""
    import pickle
    import traceback

    code = 1
    try:
        for fd in inherited:  # the other children's result pipes
            os.close(fd)
        payload = pickle.dumps(("ok", _take_chunks(linter, chunks, task_read)), protocol=pickle.HIGHEST_PROTOCOL)
        code = 0
    except BaseException as error:  # noqa: BLE001  reported to the parent, which raises it
        detail = traceback.format_exc() if os.environ.get("CRON2DAG_DEBUG") else f"{type(error).__name__}: {error}"
        payload = pickle.dumps(("error", detail))
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(result_write, view) :]
    finally:
        os._exit(code)


def default_jobs() -> int:
    try:
        available = len(os.sched_getaffinity(0))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        available = os.cpu_count() or 1
    return max(1, min(available, 8))


def lint_files(
    linter: Linter,
    files: list[SourceFile],
    cache: Any | None = None,
    jobs: int | None = None,
    on_read: Callable[[str, bytes], None] | None = None,
) -> tuple[dict[str, FileResult], list[Diagnostic], int]:
    """Results for every file (from the cache when its content is unchanged), and read errors.
    `on_read` gets the bytes of each file with findings that was read here (for the cache lookup),
    so that the output need not read it again."""
    results: dict[str, FileResult] = {}
    errors: list[Diagnostic] = []
    todo: list[tuple[SourceFile, bytes | None]] = []
    digests: dict[str, str] = {}
    hits = 0
    if cache is None:  # nothing to look up: each file is read by the process that lints it
        todo = [(source, None) for source in files]
    else:
        import gc

        from migrator.lint.cache import blake2b_hex

        enabled = gc.isenabled()
        gc.disable()  # rebuilding cached results makes only acyclic objects: collections find nothing
        try:
            for source in files:
                try:
                    with open(source.path, "rb", buffering=0) as handle:  # one read: no buffer to fill
                        data = handle.readall()
                except OSError as error:
                    errors.append(Diagnostic(source.path, f"cannot read: {error.strerror}"))
                    continue
                key = digests[source.path] = blake2b_hex(data, 16)  # (what `digest` does, without its import)
                cached = cache.get(source.path, key)
                if cached is not None:
                    try:
                        result = results[source.path] = FileResult.from_cache(source.path, cached)
                        hits += 1
                        if on_read is not None and result.findings:
                            on_read(source.path, data)
                        continue
                    except (ValueError, TypeError, KeyError, IndexError):
                        pass  # an unreadable entry is a miss
                todo.append((source, data))
        finally:
            if enabled:
                gc.enable()
    read = {source.path: data for source, data in todo if data is not None} if on_read is not None else {}
    for result in lint_many(linter, todo, jobs if jobs is not None else default_jobs()):
        if isinstance(result, Diagnostic):  # a file that could not be read
            errors.append(result)
            continue
        results[result.path] = result
        if result.findings and result.path in read:
            on_read(result.path, read[result.path])  # type: ignore[misc]
        if cache is not None and not result.warnings:
            cache.put(result.path, digests[result.path], result.to_cache())
    return results, errors, hits
