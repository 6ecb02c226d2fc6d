"""One lint run, end to end: discover, lint (cached, parallel), fix, project rules."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from migrator.errors import Diagnostic
from migrator.lint.config import LintConfig
from migrator.lint.engine import FileResult, Linter, lint_files
from migrator.lint.finding import Finding
from migrator.lint.registry import Registry, default_registry
from migrator.lint.sources import (
    DecodeError,
    Kind,
    SourceFile,
    decode_python,
    decode_text,
    discover,
    python_encoding,
)

if TYPE_CHECKING:
    from migrator.lint.cache import Cache

MAX_FIX_ROUNDS = 10


@dataclass
class LintOutcome:
    findings: list[Finding]
    errors: list[Diagnostic]
    warnings: list[str]
    files: int
    cached: int
    fixed: int = 0
    diffs: list[str] = field(default_factory=list)
    rules: list = field(default_factory=list)


class SourceReader:
    """Reads and decodes files once, for snippets and fixes."""

    def __init__(self) -> None:
        self.texts: dict[str, str | None] = {}
        self.read: dict[str, bytes] = {}  # bytes the linter already read, decoded when first asked for

    def keep(self, path: str, data: bytes) -> None:
        self.read[path] = data

    def __call__(self, path: str) -> str | None:
        if path not in self.texts:
            try:
                data = self.read.pop(path, None)
                if data is None:
                    with open(path, "rb") as handle:
                        data = handle.read()
                self.texts[path] = decode_python(data) if path.endswith(".py") else decode_text(data)
            except (OSError, DecodeError):
                self.texts[path] = None
        return self.texts[path]


def lint_paths(
    paths: list[str],
    config: LintConfig,
    *,
    registry: Registry | None = None,
    fix: bool = False,
    unsafe_fixes: bool = False,
    diff: bool = False,
    use_cache: bool = True,
    cache_dir: str | None = None,
    jobs: int | None = None,
    reader: SourceReader | None = None,
    force_exclude: bool = False,
) -> LintOutcome:
    registry = registry or default_registry()
    rules = config.rules(registry)
    linter = Linter(config, rules, registry)
    files, errors = discover(paths or ["."], config.root, config.exclude, force_exclude)
    cache = None
    if use_cache:
        from migrator.lint.cache import Cache  # json and tempfile: not needed by a --no-cache run

        directory = cache_dir or os.path.join(config.root, ".cron2dag_cache")
        cache = Cache(directory, config.fingerprint(rule.code for rule in rules))
    results, read_errors, hits = lint_files(linter, files, cache, jobs, reader.keep if reader is not None else None)
    errors.extend(read_errors)
    fixed = 0
    diffs: list[str] = []
    if fix or diff:
        fixed, diffs = _fix(linter, files, results, unsafe_fixes, write=fix and not diff, cache=cache, reader=reader)
    findings: list[Finding] = []
    warnings: list[str] = []
    if not files and not errors:
        warnings.append("No Python files or crontabs found under the given paths")
    for path in sorted(results):
        findings.extend(results[path].findings)
        warnings.extend(results[path].warnings)
        warnings.extend(results[path].notes)
    project = linter.project_findings(results)
    if project or fix or diff:
        # each file's findings are sorted, and the files are in path order: only findings placed by
        # the project rules, or messages a refused fix changed, can be out of place
        findings.extend(project)
        findings.sort(key=Finding.sort_key)
    if cache is not None:
        cache.save()
    return LintOutcome(findings, errors, warnings, len(files), hits, fixed, diffs, rules)


def _fix(
    linter: Linter,
    files: list[SourceFile],
    results: dict[str, FileResult],
    unsafe: bool,
    write: bool,
    cache: Cache | None,
    reader: SourceReader | None,
) -> tuple[int, list[str]]:
    from migrator.lint.engine import digest
    from migrator.lint.fixes import applicable, unified_diff

    by_path = {f.path: f for f in files}
    fixed = 0
    diffs: list[str] = []
    for path in sorted(results):
        result = results[path]
        if not any(applicable(f.fix, unsafe) for f in result.findings):
            continue
        source = by_path[path]
        try:
            with open(path, "rb") as handle:
                data = handle.read()
            original = decode_python(data) if source.kind is Kind.PYTHON else decode_text(data)
        except (OSError, DecodeError):
            continue
        # written back as read: in the encoding its coding cookie declares, with its BOM if it had one
        encoding = python_encoding(data) if source.kind is Kind.PYTHON else "utf-8"
        text, current, applied = _fix_file(linter, source, original, result, unsafe, encoding)
        if write:
            results[path] = current  # the findings left, refused fixes saying why
        if text == original:
            continue
        fixed += applied
        if write:
            bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
            new_data = bom + text.encode(encoding)
            with open(path, "wb") as handle:
                handle.write(new_data)
            if reader is not None:
                reader.texts[path] = text
            if cache is not None and not current.warnings:
                cache.put(path, digest(new_data), current.to_cache())
        else:
            diffs.append(unified_diff(path, original, text))
    return fixed, diffs


def _fix_file(
    linter: Linter, source: SourceFile, original: str, result: FileResult, unsafe: bool, encoding: str
) -> tuple[str, FileResult, int]:
    """Fix one file in rounds (a fix can make another possible), re-linting after each. Returns the
    fixed text, its findings, and how many fixes were applied. A finding whose fix was refused (it
    could not be placed, or the result would not compile or would change other code) says why and
    no longer offers the fix."""
    from dataclasses import replace

    from migrator.lint.fixes import applicable, apply_fixes, crontab_verifier, verify_python

    python = source.kind is Kind.PYTHON
    verify = verify_python if python else crontab_verifier(source.path, source.system)
    text = original
    current = result
    applied = 0
    refused: dict = {}
    for _ in range(MAX_FIX_ROUNDS):
        fixes = [f.fix for f in current.findings if applicable(f.fix, unsafe) and f.fix not in refused]
        if not fixes:
            break
        outcome = apply_fixes(text, fixes, verify, python=python)  # type: ignore[arg-type]
        refused.update(outcome.rejected)
        if not outcome.applied:
            continue
        try:
            relinted = linter.lint_bytes(source, outcome.text.encode(encoding))
        except UnicodeEncodeError:  # a fix wrote what the file's encoding cannot hold
            for fix in outcome.applied:
                refused[fix] = f"the file's encoding ({encoding}) cannot hold the result"
            continue
        text, current = outcome.text, relinted
        applied += len(outcome.applied)
    if refused:
        current = replace(current, findings=[
            replace(f, fix=None, message=f"{f.message} (fix not applied: {refused[f.fix]})") if f.fix in refused else f
            for f in current.findings
        ])
    return text, current, applied
