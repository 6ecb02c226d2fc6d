"""The rule catalog: what selection, configuration and output need to know of every rule, without
importing the rule modules (and the analysis behind them) until a file has to be linted.

A warm run (every file answered by the cache) then costs the catalog, not the ~50 ms of imports the
rules pull in. The data is `rules/catalog.py`, written from the rule classes by

    python -m migrator.lint.catalog          # rewrite rules/catalog.py
    python -m migrator.lint.catalog --check  # exit 1 if it no longer matches the rules

and `tests/lint/test_lint_catalog.py` fails when a rule changes without it.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from migrator.lint.finding import FixAvailability, Severity
from migrator.lint.rule import Rule, Setting, Target

SETTING_TYPES: dict[str, type] = {"int": int, "float": float, "bool": bool, "str": str, "tuple": tuple}
CATALOG_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "rules", "catalog.py")


@dataclass(frozen=True, eq=False)
class RuleEntry:
    """A rule as the catalog lists it. It answers what the rule class would (code, name, settings,
    documentation...); `load()` imports the class itself, for linting. Identity is equality: one
    registry holds one entry per rule."""

    module: str
    class_name: str
    code: str
    name: str
    family: str
    target: Target
    severity: Severity
    fix_availability: FixAvailability
    aliases: tuple[str, ...]
    airflow_versions: frozenset[int]
    settings: tuple[Setting, ...]

    def load(self) -> type[Rule]:
        rule: type[Rule] = getattr(importlib.import_module(self.module), self.class_name)
        return rule

    def defaults(self) -> dict[str, Any]:
        return {s.name: s.default for s in self.settings}

    def documentation(self) -> str:
        return self.load().documentation()

    def summary(self) -> str:
        return self.load().summary()

    def __repr__(self) -> str:
        return f"<rule {self.code} {self.name}>"


def entries(rows: Iterable[tuple[Any, ...]]) -> list[RuleEntry]:
    """Catalog rows (as `rules/catalog.py` holds them) as entries."""
    found = []
    for module, class_name, code, name, family, target, severity, fix, aliases, versions, settings in rows:
        found.append(RuleEntry(
            module, class_name, code, name, family, Target(target), Severity(severity), FixAvailability(fix),
            tuple(aliases), frozenset(versions),
            tuple(Setting(s_name, SETTING_TYPES[s_type], default, help_text) for s_name, s_type, default, help_text in settings),
        ))
    return found


def row(rule: type[Rule]) -> tuple[Any, ...]:
    """One rule class as a catalog row: plain literals only."""
    settings = []
    for setting in rule.settings:
        type_name = next((name for name, kind in SETTING_TYPES.items() if kind is setting.type), None)
        if type_name is None:
            raise ValueError(f"{rule.code}: setting {setting.name} has a type the catalog cannot hold: {setting.type}")
        settings.append((setting.name, type_name, setting.default, setting.help))
    return (
        rule.__module__, rule.__qualname__, rule.code, rule.name, rule.family, str(rule.target),
        str(rule.severity), str(rule.fix_availability), tuple(rule.aliases), tuple(sorted(rule.airflow_versions)),
        tuple(settings),
    )


def render(rules: Iterable[type[Rule]]) -> str:
    """The text of `rules/catalog.py` for these rule classes, in registry order."""
    lines = [
        '"""Every rule\'s metadata, so that a run answered from the cache imports no rule module.',
        "",
        "Written by `python -m migrator.lint.catalog` from the rule classes; do not edit by hand.",
        '"""',
        "",
        "# module, class, code, name, family, target, severity, fix availability, aliases,",
        "# Airflow versions, settings (name, type, default, help)",
        "RULES = (",
    ]
    lines += [f"    {row(rule)!r}," for rule in rules]
    lines.append(")")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    from migrator.lint.registry import rule_classes

    text = render(rule_classes())
    current = ""
    if os.path.exists(CATALOG_PATH):
        with open(CATALOG_PATH, encoding="utf-8") as handle:
            current = handle.read()
    if "--check" in argv:
        if text != current:
            print(f"{CATALOG_PATH} is out of date: run python -m migrator.lint.catalog", file=sys.stderr)
            return 1
        return 0
    if text != current:
        with open(CATALOG_PATH, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"wrote {CATALOG_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
