"""MkDocs hook: the rule reference (`docs/rules/`) generated from the rule registry at build time.

One page per rule, `rules/<CODE>.md`, whose text is exactly what `cron2dag rule CODE` prints (the rule's
docstring plus its metadata, `Rule.documentation()`), and an index, `rules/index.md`, listing every rule
by family as `cron2dag rules` does. The pages are made in memory on every build and never committed, as
ruff's docs generate theirs from each rule's doc comment: the command and the site cannot disagree, and
a new rule appears on the site without anyone writing its page.

`rule_pages()` and `rules_nav()` are plain functions of the registry (tested without MkDocs in
`tests/test_docs_rules.py`); the `on_config` and `on_files` functions at the end are the hook.
"""

from __future__ import annotations

from typing import Any

from migrator.lint.registry import Registry, default_registry

RULES_DIR = "rules"
NAV_TITLE = "Rules"
_FIX_MARK = {"none": "", "sometimes": "sometimes", "always": "yes"}


def rule_page_path(code: str) -> str:
    return f"{RULES_DIR}/{code}.md"


def rule_pages(registry: Registry) -> dict[str, str]:
    """Page path (relative to `docs/`) -> Markdown, for every rule and for the index."""
    pages = {rule_page_path(rule.code): rule.documentation() for rule in registry.rules}
    pages[f"{RULES_DIR}/index.md"] = _index(registry)
    return pages


def _index(registry: Registry) -> str:
    lines = [
        "# Rules",
        "",
        (
            f"The {len(registry.rules)} rules of `cron2dag lint`, by family. Each page is what "
            "`cron2dag rule CODE` prints; `cron2dag rules` lists them in a terminal. Select them with "
            "`--select`, `--ignore` or the [configuration](../configuration.md) by code (`BF001`), "
            "prefix (`BF`) or name (`current-time-in-task`)."
        ),
        "",
        "Fix: *yes* when `--fix` can always repair a finding, *sometimes* when only some findings can be.",
    ]
    family = None
    for rule in registry.rules:
        if rule.family != family:
            family = rule.family
            lines += ["", f"## {family}", "", "| code | name | what it flags | fix |", "| --- | --- | --- | --- |"]
        summary = rule.summary().replace("|", "\\|")
        lines.append(f"| [{rule.code}]({rule.code}.md) | `{rule.name}` | {summary} | "
                     f"{_FIX_MARK[str(rule.fix_availability)]} |")
    return "\n".join(lines) + "\n"


def rules_nav(registry: Registry) -> list[Any]:
    """The nav entries of the rule reference: the index, then one section per family."""
    nav: list[Any] = [f"{RULES_DIR}/index.md"]
    families: dict[str, list[Any]] = {}
    for rule in registry.rules:
        families.setdefault(rule.family, []).append({f"{rule.code} {rule.name}": rule_page_path(rule.code)})
    nav += [{family: entries} for family, entries in families.items()]
    return nav


# ---- the MkDocs hook ----------------------------------------------------------------------------------


def expand_rules_nav(nav: list[Any], registry: Registry) -> bool:
    """Replace the entry `Rules: rules/index.md`, wherever it is in `nav`, by the index and every rule
    page. Whether it was found."""
    for position, item in enumerate(nav):
        if not isinstance(item, dict):
            continue
        for title, value in item.items():
            if title == NAV_TITLE and value == f"{RULES_DIR}/index.md":
                nav[position] = {NAV_TITLE: rules_nav(registry)}
                return True
            if isinstance(value, list) and expand_rules_nav(value, registry):
                return True
    return False


def on_config(config: Any) -> Any:
    if not expand_rules_nav(config.get("nav") or [], default_registry()):
        raise ValueError(f"mkdocs.yml: no nav entry `{NAV_TITLE}: {RULES_DIR}/index.md` for the rule reference")
    return config


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    for path, content in rule_pages(default_registry()).items():
        if files.get_file_from_path(path) is not None:
            raise ValueError(f"docs/{path} exists on disk: the rule reference is generated, delete the file")
        files.append(File.generated(config, path, content=content))
    return files
