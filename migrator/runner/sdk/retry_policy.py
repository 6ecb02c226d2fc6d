"""Retry policies (Airflow 3.3's `airflow.sdk.definitions.retry_policy`): decide per failure whether
a task retries.

The runner asks a task's `retry_policy` when an attempt fails with retries left, with the exception
Airflow would have raised (for a plain BashOperator run by the runner itself: the same
`AirflowException("Bash command failed. The command returned a non-zero exit code N.")`). A FAIL
decision fails the task at once; RETRY may set the delay; DEFAULT leaves the task's own settings.
As in Airflow, `AirflowFailException` and `AirflowSensorTimeout` never reach the policy, and a
policy that raises counts as DEFAULT.
"""

from __future__ import annotations

import abc
import datetime
import logging
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

log = logging.getLogger(__name__)


class RetryAction(Enum):
    RETRY = "retry"
    FAIL = "fail"
    DEFAULT = "default"


@dataclass(frozen=True)
class RetryDecision:
    action: RetryAction = RetryAction.DEFAULT
    retry_delay: datetime.timedelta | None = None
    reason: str | None = None

    @classmethod
    def fail(cls, reason: str | None = None) -> RetryDecision:
        return cls(action=RetryAction.FAIL, reason=reason)

    @classmethod
    def retry(cls, delay: datetime.timedelta | None = None, reason: str | None = None) -> RetryDecision:
        return cls(action=RetryAction.RETRY, retry_delay=delay, reason=reason)

    @classmethod
    def default(cls) -> RetryDecision:
        return cls(action=RetryAction.DEFAULT)


class RetryPolicy(abc.ABC):
    @abc.abstractmethod
    def evaluate(self, exception: BaseException, try_number: int, max_tries: int,
                 context: Any = None) -> RetryDecision:
        """Decide whether and how to retry after `exception`."""


@dataclass
class RetryRule:
    exception: Any
    action: RetryAction = RetryAction.RETRY
    retry_delay: datetime.timedelta | None = None
    reason: str | None = None
    match_subclasses: bool = True
    _resolved: list[type[BaseException]] | None = field(default=None, init=False, repr=False, compare=False)

    def matches(self, exc: BaseException) -> bool:
        if self._resolved is None:
            specs = self.exception if isinstance(self.exception, list) else [self.exception]
            resolved = []
            for spec in specs:
                try:
                    resolved.append(_import_string(spec) if isinstance(spec, str) else spec)
                except (ImportError, AttributeError):
                    log.warning("Could not import exception class %r, it will not match", spec)
            self._resolved = resolved
        if self.match_subclasses:
            return isinstance(exc, tuple(self._resolved))
        return type(exc) in self._resolved


def _import_string(path: str) -> Any:
    import importlib

    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


class ExceptionRetryPolicy(RetryPolicy):
    def __init__(self, rules: list[RetryRule], default: RetryAction = RetryAction.DEFAULT) -> None:
        self.rules = rules
        self.default = default

    def evaluate(self, exception: BaseException, try_number: int, max_tries: int,
                 context: Any = None) -> RetryDecision:
        for rule in self.rules:
            if rule.matches(exception):
                return RetryDecision(rule.action, rule.retry_delay, rule.reason or f"Matched rule for {type(exception).__name__}")
        return RetryDecision(action=self.default)


def decide(task: Any, exception: BaseException, try_number: int, max_tries: int,
           context: Any = None) -> RetryDecision | None:
    """The task's policy decision for a failure it may retry, or None (no policy, or it failed)."""
    policy = getattr(task, "retry_policy", None)
    if policy is None or try_number > max_tries:
        return None
    try:
        decision = policy.evaluate(exception, try_number, max_tries, context)
    except Exception:
        log.exception("Retry policy evaluation failed, falling back to default behaviour")
        return None
    return decision if isinstance(decision, RetryDecision) else None
