"""Output formats: text (with a caret snippet), json (DESIGN.md's contract), sarif 2.1.0, github."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterable

from migrator import __version__
from migrator.lint.finding import Applicability, Finding, Severity
from migrator.lint.rule import RuleInfo

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

Reader = Callable[[str], "str | None"]


def render_text(findings: list[Finding], read: Reader, show_source: bool = True, unsafe: bool = False) -> str:
    out: list[str] = []
    append = out.append
    path, lines = None, None  # findings come sorted by path: each file is split once
    for finding in findings:
        span, fix = finding.span, finding.fix
        marker = " [*]" if fix is not None and (unsafe or fix.applicability is Applicability.SAFE) else ""
        append(f"{finding.path}:{span.line}:{span.column}: {finding.code}{marker} {finding.message}\n")
        if show_source:
            if finding.path != path:
                path = finding.path
                lines = source_lines(path, read(path))
            snippet = _snippet(finding, lines)
            if snippet:
                append(snippet)
                append("\n")  # a blank line after each snippet
    return "".join(out)


def _width(text: str) -> int:
    """Terminal columns: wide (CJK) characters take two, combining marks none, so the carets stay
    under the code they point at."""
    if text.isascii():
        return len(text)
    import unicodedata

    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text
    )


_PYTHON_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def source_lines(path: str, source: str | None) -> list[str] | None:
    """A file's lines as its positions count them: Python ends a line at LF, CRLF or a lone CR;
    cron at LF only. (Not `splitlines()`, which also breaks at form feeds, U+2028 and others.)"""
    if source is None:
        return None
    if path.endswith(".py"):
        return _PYTHON_LINE_BREAK.split(source) if "\r" in source else source.split("\n")
    return [line[:-1] if line.endswith("\r") else line for line in source.split("\n")]


SNIPPET_WIDTH = 160  # characters of a long line shown around a finding


def _snippet(finding: Finding, lines: list[str] | None) -> str:
    if lines is None:
        return ""
    number = finding.span.line
    if not 0 < number <= len(lines):
        return ""
    text = lines[number - 1].expandtabs(1)
    start = max(finding.span.column - 1, 0)
    end = finding.span.end_column - 1 if finding.span.end_line == number else len(text)
    end = max(min(end, len(text)), start + 1)
    if len(text) > SNIPPET_WIDTH:  # a minified or generated line: show the part the finding is in
        first = max(start - SNIPPET_WIDTH // 4, 0)
        last = min(first + SNIPPET_WIDTH, len(text))
        shown = ("..." if first else "") + text[first:last] + ("..." if last < len(text) else "")
        offset = first - (3 if first else 0)
        text, start, end = shown, start - offset, min(end, last) - offset
    pad = " " * len(str(number))
    if text.isascii():  # (nearly always) one column per character
        under = f"{' ' * start}{'^' * max(end - start, 1)}"
    else:
        under = f"{' ' * _width(text[:start])}{'^' * max(_width(text[start:end]), 1)}"
    help_line = f"{pad} = help: {finding.fix.description}\n" if finding.fix is not None else ""
    return f"{pad} |\n{number} | {text}\n{pad} | {under} {finding.code}\n{help_line}"


def render_summary(findings: list[Finding], fixed: int = 0, unsafe: bool = False, unreadable: int = 0) -> str:
    if unreadable and not findings and not fixed:
        paths = "path" if unreadable == 1 else "paths"
        return f"No problems in what could be read; {unreadable} {paths} could not be linted.\n"
    if not findings and not fixed:
        return "All checks passed!\n"
    count = len(findings)
    noun = "problem" if count + fixed == 1 else "problems"
    if fixed:
        text = f"Found {count + fixed} {noun} ({fixed} fixed, {count} remaining).\n"
    else:
        text = f"Found {count} {noun}.\n"
    kinds = Counter([f.fix.applicability for f in findings if f.fix is not None])
    safe, hidden = kinds[Applicability.SAFE], kinds[Applicability.UNSAFE]
    if unsafe:
        safe, hidden = safe + hidden, 0
    if safe:
        text += f"[*] {safe} fixable with the `--fix` option.\n"
    if hidden:
        text += f"{hidden} hidden fix{'es' if hidden > 1 else ''} can be enabled with the `--unsafe-fixes` option.\n"
    return text


def render_json(findings: list[Finding]) -> str:
    from migrator.lint.jsontext import dumps_indented  # not needed by the text format

    return dumps_indented([f.to_json() for f in findings]) + "\n"


def render_statistics(findings: list[Finding], as_json: bool = False) -> str:
    counts = Counter((f.code, f.name) for f in findings)
    fixable = {f.code for f in findings if f.fix is not None}
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
    if as_json:
        import json

        return json.dumps(
            [{"code": code, "name": name, "count": n, "fixable": code in fixable} for (code, name), n in rows], indent=2
        ) + "\n"
    return "".join(f"{n}\t{code}\t[{'*' if code in fixable else ' '}] {name}\n" for (code, name), n in rows)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(findings: list[Finding]) -> str:
    """GitHub Actions workflow commands: one annotation per finding."""
    out = []
    for f in findings:
        level = "error" if f.severity is Severity.ERROR else "warning"
        properties = ",".join(
            [
                f"title={_escape_property(f'cron2dag ({f.code})')}",
                f"file={_escape_property(f.path)}",
                f"line={f.span.line}",
                f"col={f.span.column}",
                f"endLine={f.span.end_line}",
                f"endColumn={f.span.end_column}",
            ]
        )
        out.append(f"::{level} {properties}::{_escape_data(f'{f.path}:{f.line}:{f.column}: {f.code} {f.message}')}")
    return "\n".join(out) + ("\n" if out else "")


def _uri(path: str, root: str) -> str:
    """A URI reference, percent-encoded: a space or `#` in a path would otherwise break it."""
    from pathlib import Path
    from urllib.parse import quote

    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute, root)
    if relative.startswith(".."):
        return Path(absolute).as_uri()
    return quote(relative.replace(os.sep, "/"))


def _directory_uri(directory: str) -> str:
    from pathlib import Path

    uri = Path(directory).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def render_sarif(findings: list[Finding], rules: Iterable[RuleInfo], root: str) -> str:
    """A SARIF 2.1.0 log with one run; rules are listed so viewers can show their documentation."""
    root = os.path.abspath(root)
    rule_list = sorted({r.code: r for r in rules}.values(), key=lambda r: r.code)
    index = {rule.code: i for i, rule in enumerate(rule_list)}
    results = []
    for f in findings:
        uri = _uri(f.path, root)
        location = {"uri": uri}
        if not uri.startswith("file://"):
            location["uriBaseId"] = "%SRCROOT%"
        result: dict = {
            "ruleId": f.code,
            "level": "error" if f.severity is Severity.ERROR else "warning",
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": location,
                        "region": {
                            "startLine": f.span.line,
                            "startColumn": f.span.column,
                            "endLine": f.span.end_line,
                            "endColumn": f.span.end_column,
                        },
                    }
                }
            ],
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        if f.fix is not None and f.fix.edits:
            result["fixes"] = [
                {
                    "description": {"text": f.fix.description},
                    "artifactChanges": [
                        {
                            "artifactLocation": location,
                            "replacements": [
                                {
                                    "deletedRegion": {
                                        "startLine": e.span.line,
                                        "startColumn": e.span.column,
                                        "endLine": e.span.end_line,
                                        "endColumn": e.span.end_column,
                                    },
                                    "insertedContent": {"text": e.content},
                                }
                                for e in f.fix.edits
                            ],
                        }
                    ],
                }
            ]
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "cron2dag",
                        "version": __version__,
                        "rules": [
                            {
                                "id": rule.code,
                                "name": rule.name,
                                "shortDescription": {"text": rule.summary()},
                                "fullDescription": {"text": rule.documentation()},
                                "help": {"text": rule.documentation(), "markdown": rule.documentation()},
                                "defaultConfiguration": {"level": "error" if rule.severity is Severity.ERROR else "warning"},
                                "properties": {"family": rule.family, "fix": str(rule.fix_availability)},
                            }
                            for rule in rule_list
                        ],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": _directory_uri(root)}},
                "results": results,
            }
        ],
    }
    from migrator.lint.jsontext import dumps_indented

    return dumps_indented(log) + "\n"
