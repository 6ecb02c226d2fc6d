"""When a failed attempt is retried: Airflow's `TaskInstance.next_retry_datetime`, as a pure function."""

from __future__ import annotations

import datetime
import hashlib
import math

from migrator.runner.config import max_task_retry_delay

MAX_RETRY_DELAY = max_task_retry_delay()  # [core] max_task_retry_delay


def retry_delay(
    *,
    retry_delay: datetime.timedelta,
    retry_exponential_backoff: float,
    max_retry_delay: datetime.timedelta | None,
    try_number: int,
    dag_id: str,
    task_id: str,
    logical_date: object,
) -> datetime.timedelta:
    """The wait after attempt `try_number` failed.

    With a backoff multiplier m (True means 2.0), the wait is `retry_delay * m**(try_number-1)` seconds
    rounded up, plus a deterministic jitter of up to the same amount (a hash of dag, task, logical date
    and try), capped at MAX_RETRY_DELAY and then at `max_retry_delay`.
    """
    delay = retry_delay
    multiplier = retry_exponential_backoff if retry_exponential_backoff != 0 else 1.0
    if multiplier != 1.0 and multiplier > 0:
        try:
            min_backoff = math.ceil(delay.total_seconds() * (multiplier ** (try_number - 1)))
        except OverflowError:
            min_backoff = MAX_RETRY_DELAY
        min_backoff = max(min_backoff, 1)
        ti_hash = int(hashlib.sha1(f"{dag_id}#{task_id}#{logical_date}#{try_number}".encode()).hexdigest(), 16)
        modded_hash = min_backoff + ti_hash % min_backoff
        delay = datetime.timedelta(seconds=min(modded_hash, MAX_RETRY_DELAY))
        if max_retry_delay:
            delay = min(max_retry_delay, delay)
    return delay
