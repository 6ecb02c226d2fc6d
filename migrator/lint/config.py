"""`[tool.cron2dag.lint]` in pyproject.toml, validated when the rule set is built.

```toml
[tool.cron2dag.lint]
select = ["ALL"]                      # codes, prefixes ("BF"), names ("current-time-in-task")
ignore = ["OPS003"]
extend-select = []
per-file-ignores = {"dags/legacy/*.py" = ["AF3"]}
airflow-version = 3                   # 2 or 3: which rules apply, and Airflow 2's catchup default
exclude = ["dags/vendor/*"]           # glob patterns, relative to this file
extend-exclude = []

[tool.cron2dag.lint.operations]       # one table per rule family for its settings
max-poke-timeout = 7200
```

An unknown key or a bad value is an error (exit 2) naming the file, line and what was expected.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from migrator.compat import tomllib
from migrator.errors import Diagnostic, InputError
from migrator.lint.registry import Registry, UnknownSelector
from migrator.lint.rule import RuleInfo

LIST_KEYS = ("select", "ignore", "extend-select", "extend-ignore", "exclude", "extend-exclude")
KNOWN_KEYS = (*LIST_KEYS, "per-file-ignores", "airflow-version")
AIRFLOW_VERSIONS = (2, 3)


ALWAYS_REPORTED = ("SYN001",)  # unless ignored explicitly


@dataclass(frozen=True)
class LintConfig:
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    airflow_version: int = 3
    exclude: tuple[str, ...] = ()
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # family -> name -> value
    root: str = "."  # directory patterns are relative to (the config file's, else the working directory)
    source: str | None = None  # the pyproject.toml read, if any

    def with_overrides(
        self,
        select: Iterable[str] | None = None,
        extend_select: Iterable[str] = (),
        ignore: Iterable[str] = (),
        airflow_version: int | None = None,
    ) -> LintConfig:
        return LintConfig(
            select=tuple(select) if select is not None else self.select,
            ignore=self.ignore + tuple(ignore),
            extend_select=self.extend_select + tuple(extend_select),
            per_file_ignores=self.per_file_ignores,
            airflow_version=airflow_version or self.airflow_version,
            exclude=self.exclude,
            settings=self.settings,
            root=self.root,
            source=self.source,
        )

    def rules(self, registry: Registry) -> list[RuleInfo]:
        chosen = registry.select([*self.select, *self.extend_select], self.ignore)
        # as in ruff, a file that cannot be read is reported whatever the selection (`--select BF`
        # must not call a broken file clean); only an explicit ignore turns that off
        for code in ALWAYS_REPORTED:
            rule = registry.get(code)
            if rule is not None and rule not in chosen and not any(
                rule is matched for selector in self.ignore for matched, _ in registry.matches(selector)
            ):
                chosen.append(rule)
        return [rule for rule in chosen if self.airflow_version in rule.airflow_versions]

    def rule_settings(self, rule: RuleInfo) -> dict[str, Any]:
        given = self.settings.get(rule.family, {})
        return {s.name: given.get(s.name, s.default) for s in rule.settings}

    def fingerprint(self, rule_codes: Iterable[str]) -> str:
        """What the cache key must change with: everything that can change a file's findings."""
        data = {
            "rules": sorted(rule_codes),
            "per_file_ignores": [list(p) for p in self.per_file_ignores],
            "airflow": self.airflow_version,
            "settings": {k: dict(v) for k, v in sorted(self.settings.items())},
            "root": os.path.abspath(self.root),
        }
        import json

        from migrator.lint.cache import blake2b_hex  # only with the cache

        return blake2b_hex(json.dumps(data, sort_keys=True, default=str).encode(), 8)


def find_pyproject(start: str) -> str | None:
    """The nearest pyproject.toml at or above `start` that has a `[tool.cron2dag]` table."""
    directory = os.path.abspath(start)
    while True:
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(candidate):
            try:
                with open(candidate, "rb") as handle:
                    text = handle.read()
            except OSError:
                text = b""
            if b"tool.cron2dag" in text:
                return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _line_of(text: str, key: str, after: str | None = None) -> int | None:
    lines = text.splitlines()
    start = 0
    if after:
        for index, line in enumerate(lines):
            if line.strip().startswith("[") and after in line.replace(" ", ""):
                start = index
                break
    for index in range(start, len(lines)):
        stripped = lines[index].strip()
        if stripped.startswith((key, f'"{key}"')) and "=" in stripped:
            return index + 1
    return None


def load_config(path: str | None, registry: Registry, cwd: str = ".") -> LintConfig:
    """Read and validate the config at `path` (or the nearest pyproject.toml from `cwd`)."""
    if path is None:
        path = find_pyproject(cwd)
        if path is None:
            return LintConfig(root=os.path.abspath(cwd))
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise InputError.at(path, f"cannot read config: {error.strerror}") from None
    text = raw.decode("utf-8", errors="replace")
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        position = re.search(r"\(at line (\d+), column (\d+)\)", str(error))
        line, column = (int(position.group(1)), int(position.group(2))) if position else (None, None)
        if position is None and "(at end of document)" in str(error):  # an unclosed table or array
            lines = text.splitlines() or [""]
            line, column = len(lines), len(lines[-1]) + 1
        message = re.sub(r" \(at (line \d+, column \d+|end of document)\)$", "", str(error))
        raise InputError.at(path, f"invalid TOML: {message}", line, column) from None
    table = document.get("tool", {}).get("cron2dag", {}).get("lint", {})
    return parse_table(table, registry, path, text)


def parse_table(table: Mapping[str, Any], registry: Registry, path: str, text: str = "") -> LintConfig:
    problems: list[Diagnostic] = []
    section = "tool.cron2dag.lint"

    def problem(key: str, message: str, subsection: str | None = None) -> None:
        problems.append(Diagnostic(path, message, _line_of(text, key, subsection or section) if text else None, 1))

    families = {rule.family: rule for rule in registry.rules}
    settings: dict[str, dict[str, Any]] = {}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key in families and isinstance(value, dict):
            known = {s.name: s for rule in registry.rules if rule.family == key for s in rule.settings}
            for name, setting_value in value.items():
                if name not in known:
                    expected = ", ".join(sorted(known)) or "none"
                    problem(name, f"[{section}.{key}] unknown setting `{name}` (settings of this family: {expected})", f"{section}.{key}")
                    continue
                try:
                    settings.setdefault(key, {})[name] = known[name].validate(setting_value)
                except ValueError as error:
                    problem(name, f"[{section}.{key}] `{name}`: {error}", f"{section}.{key}")
            continue
        if key not in KNOWN_KEYS:
            expected = ", ".join([*KNOWN_KEYS, *(f"[{section}.{f}]" for f in sorted(families) if any(r.settings for r in registry.rules if r.family == f))])
            problem(key, f"[{section}] unknown key `{key}` (expected one of: {expected})")
            continue
        values[key] = value
    for key in LIST_KEYS:
        if key in values:
            value = values[key]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problem(key, f"[{section}] `{key}` must be a list of strings, got {value!r}")
                values.pop(key)
                continue
            if key in ("select", "ignore", "extend-select", "extend-ignore"):
                for selector in value:
                    try:
                        registry.validate(selector)
                    except UnknownSelector:
                        problem(key, f"[{section}] `{key}`: unknown rule or prefix `{selector}` (see `cron2dag rules`)")
    per_file: list[tuple[str, tuple[str, ...]]] = []
    if "per-file-ignores" in values:
        value = values["per-file-ignores"]
        if not isinstance(value, dict):
            problem("per-file-ignores", f"[{section}] `per-file-ignores` must be a table of pattern = [codes]")
        else:
            for pattern, codes in value.items():
                if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
                    problem("per-file-ignores", f"[{section}] per-file-ignores `{pattern}` must be a list of strings")
                    continue
                for selector in codes:
                    try:
                        registry.validate(selector)
                    except UnknownSelector:
                        problem("per-file-ignores", f"[{section}] per-file-ignores `{pattern}`: unknown rule or prefix `{selector}`")
                per_file.append((pattern, tuple(codes)))
    airflow_version = 3
    if "airflow-version" in values:
        parsed = parse_airflow_version(values["airflow-version"])
        if parsed is None:
            problem("airflow-version", f"[{section}] `airflow-version` must be 2 or 3, got {values['airflow-version']!r}")
        else:
            airflow_version = parsed
    if problems:
        raise InputError(problems)
    return LintConfig(
        select=tuple(values.get("select", ("ALL",))),
        ignore=tuple(values.get("ignore", ())) + tuple(values.get("extend-ignore", ())),
        extend_select=tuple(values.get("extend-select", ())),
        per_file_ignores=tuple(per_file),
        airflow_version=airflow_version,
        exclude=tuple(values.get("exclude", ())) + tuple(values.get("extend-exclude", ())),
        settings=settings,
        root=os.path.dirname(os.path.abspath(path)),
        source=path,
    )


def parse_airflow_version(value: Any) -> int | None:
    """2, 3, "2", "3", "2.10", "3.0.1" -> the major version; None when it is neither 2 nor 3."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        major = value
    elif isinstance(value, (str, float)):
        text = str(value).strip()
        head = text.split(".", 1)[0]
        if not head.isdigit():
            return None
        major = int(head)
    else:
        return None
    return major if major in AIRFLOW_VERSIONS else None
