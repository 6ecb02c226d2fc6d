"""The rule reference of the docs site is generated from the rule registry (docs/hooks/rule_pages.py).

These tests run without MkDocs: they check the pure functions the hook calls. `.ci/run` builds the site
with `mkdocs build --strict`, which runs the hook itself.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from migrator.cli import cli
from migrator.lint.registry import default_registry

ROOT = Path(__file__).resolve().parents[1]


def load_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rule_pages", ROOT / "docs" / "hooks" / "rule_pages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hook = load_hook()
REGISTRY = default_registry()
PAGES = hook.rule_pages(REGISTRY)


@pytest.mark.parametrize("code", [rule.code for rule in REGISTRY.rules])
def test_a_rule_page_is_what_cron2dag_rule_prints(code: str) -> None:
    printed = CliRunner().invoke(cli, ["rule", code])
    assert printed.exit_code == 0, printed.output
    assert PAGES[f"rules/{code}.md"] == printed.output
    page = PAGES[f"rules/{code}.md"]
    for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead"):
        assert section in page, f"{code}: the docstring has no '{section}'"


def test_the_index_links_every_rule_once_and_nothing_else() -> None:
    index = PAGES["rules/index.md"]
    linked = re.findall(r"\]\(([A-Z]+[0-9]{3})\.md\)", index)
    assert linked == [rule.code for rule in REGISTRY.rules]
    assert set(PAGES) == {f"rules/{code}.md" for code in linked} | {"rules/index.md"}


def test_the_nav_lists_the_index_then_every_rule_page_by_family() -> None:
    nav = hook.rules_nav(REGISTRY)
    assert nav[0] == "rules/index.md"
    families = [next(iter(section)) for section in nav[1:]]
    assert families == list(dict.fromkeys(rule.family for rule in REGISTRY.rules))
    pages = [path for section in nav[1:] for entries in section.values() for entry in entries
             for path in entry.values()]
    assert pages == [f"rules/{rule.code}.md" for rule in REGISTRY.rules]


def test_the_rules_entry_is_expanded_wherever_it_sits_in_the_nav() -> None:
    nav = [{"Home": "index.md"}, {"Reference": [{"Configuration": "configuration.md"}, {"Rules": "rules/index.md"}]}]
    assert hook.expand_rules_nav(nav, REGISTRY)
    assert nav[1]["Reference"][1] == {"Rules": hook.rules_nav(REGISTRY)}
    assert not hook.expand_rules_nav([{"Home": "index.md"}], REGISTRY)


def test_mkdocs_yml_has_the_entry_the_hook_expands() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s+- Rules: rules/index\.md$", config, re.MULTILINE)
    assert "docs/hooks/rule_pages.py" in config
    assert not (ROOT / "docs" / "rules").exists(), "rule pages are generated; do not commit docs/rules/"


def test_every_page_on_disk_is_in_the_nav() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    in_nav = set(re.findall(r":\s+([\w/-]+\.md)\s*$", config, re.MULTILINE))
    on_disk = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert on_disk - in_nav == set(), "pages missing from the nav of mkdocs.yml"
    assert in_nav - on_disk == {"rules/index.md"}, "nav entries without a page"
