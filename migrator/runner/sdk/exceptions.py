"""Exceptions a DAG file or a task can raise, with Airflow's names and meanings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class AirflowException(Exception):
    """Base of Airflow's exceptions: a task raising it fails (and may be retried)."""


class AirflowSkipException(AirflowException):
    """Raised by a task to end in state `skipped`."""


class AirflowFailException(AirflowException):
    """Raised by a task to fail at once, without retrying."""


class AirflowSensorTimeout(AirflowException):
    """A sensor waited longer than its `timeout` (fails without retrying)."""


class AirflowTaskTimeout(AirflowException):
    """A task ran longer than its `execution_timeout`."""


class AirflowRescheduleException(AirflowException):
    def __init__(self, reschedule_date: Any) -> None:
        super().__init__()
        self.reschedule_date = reschedule_date


class DownstreamTasksSkipped(AirflowException):
    """Raised by skip/branch logic: the task succeeds and these downstream tasks are skipped."""

    def __init__(self, *, tasks: Sequence[str | tuple[str, int]]) -> None:
        super().__init__()
        self.tasks = tasks


class ParamValidationError(AirflowException):
    pass


class AirflowNotFoundException(AirflowException):
    pass


class DuplicateTaskIdFound(AirflowException):
    pass


class TaskAlreadyInTaskGroup(AirflowException):
    pass


class NotSupportedByRunner(Exception):
    """A feature of the Airflow API outside the local runner's subset (reported at its file:line)."""


for _cls in (AirflowException, AirflowSkipException, AirflowFailException, AirflowSensorTimeout, AirflowTaskTimeout,
             AirflowRescheduleException, DownstreamTasksSkipped, ParamValidationError, AirflowNotFoundException,
             DuplicateTaskIdFound, TaskAlreadyInTaskGroup):
    _cls.__module__ = "airflow.exceptions"  # tracebacks read as they would in Airflow
