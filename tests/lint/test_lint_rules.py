"""Every rule against its fixture: what it must flag (lines marked `# expect: CODE`) and what it must
not (every other line), plus a golden file of its messages and fixes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FIXTURES, lint_text

from migrator.lint.fixes import (
    applicable,
    apply_fixes,
    crontab_verifier,
    edits_of,
    unified_diff,
    verify_python,
)
from migrator.lint.registry import default_registry

RULES = default_registry().rules
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>[A-Z0-9, ]+)")


def fixture_of(code: str) -> Path:
    for suffix in (".py", ".crontab"):
        path = FIXTURES / "rules" / f"{code}{suffix}"
        if path.exists():
            return path
    raise AssertionError(f"rule {code} has no fixture in fixtures/lint/rules/")


def expected_lines(text: str, code: str) -> set[int]:
    lines = set()
    for number, line in enumerate(text.splitlines(), start=1):
        match = EXPECT.search(line)
        if match and code in {c.strip() for c in match.group("codes").split(",")}:
            lines.add(number)
    return lines


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_flags_exactly_the_marked_lines(rule: type) -> None:
    path = fixture_of(rule.code)
    text = path.read_text(encoding="utf-8")
    result = lint_text(text, path.name, select=(rule.code,))
    assert not result.warnings
    flagged = {f.line for f in result.findings}
    if rule.code == "SYN001":
        assert flagged == {1}
        return
    expected = expected_lines(text, rule.code)
    assert expected, f"{path.name} marks no line with `# expect: {rule.code}`"
    assert flagged == expected, f"missing {sorted(expected - flagged)}, unexpected {sorted(flagged - expected)}"


def verifier(path: Path):
    return verify_python if path.suffix == ".py" else crontab_verifier(path.name, system=False)


def render(path: Path, code: str) -> str:
    text = path.read_text(encoding="utf-8")
    result = lint_text(text, path.name, select=(code,))
    out = []
    for finding in result.findings:
        s = finding.span
        out.append(f"{s.line}:{s.column}-{s.end_line}:{s.end_column} {finding.code} {finding.name}: {finding.message}")
        if finding.fix is not None:
            out.append(f"    fix ({finding.fix.applicability}): {finding.fix.description}")
            for edit in edits_of(text, finding.fix):
                e = edit.span
                out.append(f"    edit {e.line}:{e.column}-{e.end_line}:{e.end_column} -> {edit.content!r}")
    fixes = [f.fix for f in result.findings if applicable(f.fix, unsafe=True)]
    if fixes:
        out.append("")
        outcome = apply_fixes(text, fixes, verifier(path), python=path.suffix == ".py")
        assert not outcome.rejected, outcome.rejected
        out.append(unified_diff(path.name, text, outcome.text).rstrip("\n"))
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_golden_output(rule: type, golden) -> None:
    path = fixture_of(rule.code)
    golden(FIXTURES / "golden" / f"{rule.code}.txt", render(path, rule.code))


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_metadata_and_docs(rule: type) -> None:
    doc = rule.documentation()
    for section in ("## What it does", "## Why is this bad?", "## Example"):
        assert section in doc, (rule.code, section)
    assert "Use instead" in doc, rule.code
    if rule.fix_availability != "none":
        assert "## Fix safety" in doc, rule.code
    assert rule.family in {"graph", "backfill", "parse-time", "operations", "airflow3", "crontab", "syntax"}
    for setting in rule.settings:
        assert f"`{setting.name}`" in doc


def test_fixed_files_lint_clean_for_the_fixed_rule() -> None:
    """Applying a rule's fixes removes every fixable finding of that rule."""
    for rule in RULES:
        if rule.fix_availability == "none":
            continue
        path = fixture_of(rule.code)
        text = path.read_text(encoding="utf-8")
        result = lint_text(text, path.name, select=(rule.code,))
        fixes = [f.fix for f in result.findings if applicable(f.fix, unsafe=True)]
        assert fixes, rule.code
        outcome = apply_fixes(text, fixes, verifier(path), python=path.suffix == ".py")
        assert not outcome.rejected, (rule.code, outcome.rejected)
        fixed = outcome.text
        after = lint_text(fixed, path.name, select=(rule.code,))
        assert not [f for f in after.findings if f.fix is not None], (rule.code, after.findings)
