"""Syntax: files that cannot be read as Python or as a crontab."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from migrator.lint.finding import Severity, Violation
from migrator.lint.project import ParseFailure
from migrator.lint.rule import Rule, Target


class SyntaxErrorInFile(Rule):
    """## What it does
    Reports a file that does not parse: a Python syntax error, a file that is not valid UTF-8 (or
    its declared encoding), a binary file, or a crontab line that cron would reject.

    ## Why is this bad?
    The scheduler cannot import a DAG file that does not parse, so none of its DAGs run; cron skips
    or refuses a crontab with errors. The linter reports one finding for the file instead of
    failing, and no other rule can check it until it parses.

    ## Example
    ```python
    with DAG("etl", schedule="@daily") as dag
        ...
    ```

    Use instead:
    ```python
    with DAG("etl", schedule="@daily") as dag:
        ...
    ```
    """

    code = "SYN001"
    name = "syntax-error"
    family = "syntax"
    target = Target.FAILURE
    severity = Severity.ERROR

    def check(self, model: ParseFailure, settings: Mapping[str, Any]) -> Iterator[Violation]:
        yield self.violation(model.span, model.message)
