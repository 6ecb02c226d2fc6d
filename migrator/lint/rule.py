"""The anatomy of a rule (STYLE.md, "In this project" 1-2).

A rule is a small class: `code`, a kebab-case `name` for the pattern it flags, its family, fix
availability, severity, the settings it reads, and a docstring in ruff's sections (What it does / Why is
this bad? / Example / Use instead / Fix safety). `check` receives the extracted model and the rule's
resolved settings and yields `Violation`s; it never reads files, config or noqa comments.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from migrator.compat import StrEnum
from migrator.lint.finding import Fix, FixAvailability, Severity, Violation
from migrator.positions import Span


class Target(StrEnum):
    PYTHON = "python"  # gets a `migrator.analysis.model.FileModel`
    CRONTAB = "crontab"  # gets a `migrator.crontab.model.CronTab`
    PROJECT = "project"  # gets a `migrator.lint.project.ProjectModel` (facts from every file linted)
    FAILURE = "failure"  # gets a `migrator.lint.project.ParseFailure` (a file that does not parse)


@dataclass(frozen=True)
class Setting:
    """One configurable value: `[tool.cron2dag.lint.<family>] <name> = value`."""

    name: str
    type: type
    default: Any
    help: str

    def validate(self, value: Any) -> Any:
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if self.type is tuple and isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        if not isinstance(value, self.type) or (self.type is int and isinstance(value, bool)):
            raise ValueError(f"expected {self.type_name}, got {value!r}")
        return value

    @property
    def type_name(self) -> str:
        return {int: "an integer", float: "a number", bool: "true or false", str: "a string",
                tuple: "a list of strings"}.get(self.type, self.type.__name__)


_CODE = re.compile(r"^[A-Z]+[0-9]{3}$")
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    family: ClassVar[str]
    target: ClassVar[Target] = Target.PYTHON
    severity: ClassVar[Severity] = Severity.WARNING
    fix_availability: ClassVar[FixAvailability] = FixAvailability.NONE
    settings: ClassVar[tuple[Setting, ...]] = ()
    aliases: ClassVar[tuple[str, ...]] = ()  # former codes or names that keep selecting this rule
    airflow_versions: ClassVar[frozenset[int]] = frozenset({2, 3})

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if getattr(cls, "__abstractmethods__", None) or cls.__dict__.get("abstract", False):
            return
        for attribute in ("code", "name", "family"):
            if not isinstance(getattr(cls, attribute, None), str):
                raise TypeError(f"rule {cls.__name__} has no {attribute}")
        if not _CODE.match(cls.code):
            raise TypeError(f"rule {cls.__name__}: code {cls.code!r} is not LETTERS + 3 digits")
        if not _NAME.match(cls.name):
            raise TypeError(f"rule {cls.__name__}: name {cls.name!r} is not kebab-case")
        if not (cls.__doc__ or "").strip().startswith("## What it does"):
            raise TypeError(f"rule {cls.__name__}: docstring must start with '## What it does'")

    def check(self, model: Any, settings: Mapping[str, Any]) -> Iterator[Violation]:
        raise NotImplementedError

    @classmethod
    def load(cls) -> type[Rule]:
        """The class itself (a catalog entry imports it; see `RuleInfo`)."""
        return cls

    def violation(self, span: Span, message: str, fix: Fix | None = None) -> Violation:
        return Violation(span, message, fix)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {s.name: s.default for s in cls.settings}

    @classmethod
    def documentation(cls) -> str:
        """What `cron2dag rule CODE` prints: the docstring plus metadata that cannot drift from it."""
        from inspect import cleandoc  # (inspect costs more to import than the whole rule registry)

        doc = cleandoc(cls.__doc__ or "")
        fix = {
            FixAvailability.NONE: "Fix is not available.",
            FixAvailability.SOMETIMES: "Fix is sometimes available.",
            FixAvailability.ALWAYS: "Fix is always available.",
        }[cls.fix_availability]
        header = [f"# {cls.name} ({cls.code})", "", f"Family: {cls.family}. Severity: {cls.severity}. {fix}"]
        if cls.target is Target.CRONTAB:
            header.append("Applies to crontab files.")
        if cls.airflow_versions != frozenset({2, 3}):
            header.append("Applies when the target Airflow version is " + " or ".join(map(str, sorted(cls.airflow_versions))) + ".")
        if cls.aliases:
            header.append("Also selected by: " + ", ".join(cls.aliases) + ".")
        parts = ["\n".join(header), doc]
        if cls.settings:
            lines = ["## Settings", ""]
            for s in cls.settings:
                default = str(s.default).lower() if isinstance(s.default, bool) else repr(s.default)
                lines.append(f"- `{s.name}` ({s.type_name}, default {default}): {s.help}")
            lines.append(f"\nSet in `pyproject.toml` under `[tool.cron2dag.lint.{cls.family}]`.")
            parts.append("\n".join(lines))
        return "\n\n".join(parts) + "\n"

    @classmethod
    def summary(cls) -> str:
        """The first sentence under "What it does", without its asides in parentheses (cutting at the
        first parenthesis left "Flags a `start_date`", which says nothing)."""
        from inspect import cleandoc

        doc = cleandoc(cls.__doc__ or "").splitlines()
        body = " ".join(line.strip() for line in doc[1:] if line.strip() and not line.startswith("#"))
        text = re.sub(r" \([^()]*\)", "", re.split(r"\. |: ", body, maxsplit=1)[0]).rstrip(".,")
        return text[:1].upper() + text[1:] if text else cls.name


class RuleInfo(Protocol):
    """What the registry, the configuration and the output formats read of a rule: a `Rule` class, or
    the catalog's entry for one (`migrator.lint.catalog.RuleEntry`), which imports the class only when
    `load()` is called."""

    code: str
    name: str
    family: str
    target: Target
    severity: Severity
    fix_availability: FixAvailability
    settings: tuple[Setting, ...]
    aliases: tuple[str, ...]
    airflow_versions: frozenset[int]

    def load(self) -> type[Rule]: ...

    def documentation(self) -> str: ...

    def summary(self) -> str: ...
