"""One registry maps codes, names, prefixes and aliases to rules (STYLE.md, "In this project" 3)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from functools import lru_cache

from migrator.lint.rule import Rule, RuleInfo

# One module per family, imported in this order (which is also the order of `cron2dag rules`).
RULE_MODULES = (
    "rules.graph",
    "rules.backfill",
    "rules.parse_time",
    "rules.operations",
    "rules.airflow3",
    "rules.crontab",
    "rules.syntax",
)


class UnknownSelector(ValueError):
    pass


class Registry:
    def __init__(self, rules: Iterable[RuleInfo]) -> None:
        self.rules: tuple[RuleInfo, ...] = tuple(rules)
        self.by_code: dict[str, RuleInfo] = {}
        self.by_name: dict[str, RuleInfo] = {}
        self.aliases: dict[str, RuleInfo] = {}
        for rule in self.rules:
            for table, key in ((self.by_code, rule.code), (self.by_name, rule.name)):
                if key in table:
                    raise ValueError(f"two rules claim {key!r}: {table[key].__name__} and {rule.__name__}")
                table[key] = rule
        for rule in self.rules:
            for alias in rule.aliases:
                if alias in self.by_code or alias in self.by_name or alias in self.aliases:
                    raise ValueError(f"alias {alias!r} of {rule.code} is already taken")
                self.aliases[alias] = rule

    def get(self, key: str) -> RuleInfo | None:
        """A rule by code, name or alias (case-insensitive for codes)."""
        return self.by_code.get(key.upper()) or self.by_name.get(key.lower()) or self.aliases.get(key) or self.aliases.get(key.upper())

    def matches(self, selector: str) -> list[tuple[RuleInfo, int]]:
        """Rules a selector picks, each with how specific the match is (higher wins)."""
        selector = selector.strip()
        if selector.upper() == "ALL":
            return [(rule, 0) for rule in self.rules]
        exact = self.get(selector)
        if exact is not None:
            return [(exact, 100)]
        prefix = selector.upper()
        found = [(rule, len(prefix)) for rule in self.rules if rule.code.startswith(prefix)]
        if not found:
            found = [(rule, len(prefix)) for rule in self.rules if any(a.upper().startswith(prefix) for a in rule.aliases)]
        if not found:
            raise UnknownSelector(selector)
        return found

    def validate(self, selector: str) -> None:
        self.matches(selector)

    def select(self, select: Iterable[str], ignore: Iterable[str] = ()) -> list[RuleInfo]:
        """ruff's resolution: for each rule the most specific selector decides; ignore wins ties."""
        best: dict[str, tuple[int, bool]] = {}
        for selectors, enabled in ((list(select), True), (list(ignore), False)):
            for selector in selectors:
                for rule, specificity in self.matches(selector):
                    current = best.get(rule.code)
                    if current is None or specificity > current[0] or (specificity == current[0] and not enabled):
                        best[rule.code] = (specificity, enabled)
        return [rule for rule in self.rules if best.get(rule.code, (0, False))[1]]


def _rules_in(module_name: str) -> list[type[Rule]]:
    module = importlib.import_module(module_name)
    found = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, Rule) and value is not Rule
        and value.__module__ == module.__name__ and "code" in value.__dict__
    ]
    return sorted(found, key=lambda rule: rule.code)


def rule_classes() -> list[type[Rule]]:
    """Every rule class, imported from its module, in registry order (what the catalog is made of)."""
    rules: list[type[Rule]] = []
    for module_name in RULE_MODULES:
        rules.extend(_rules_in(module_name))
    return rules


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The rules as the catalog lists them: a rule module is imported when its rule first lints a file."""
    from migrator.lint.catalog import entries
    from rules.catalog import RULES

    return Registry(entries(RULES))
