"""The few Airflow settings that change what the runner does, read as Airflow reads them from the
environment (`AIRFLOW__SECTION__KEY`), with Airflow 3's defaults."""

from __future__ import annotations

import os


def _int(section: str, key: str, default: int) -> int:
    value = os.environ.get(f"AIRFLOW__{section.upper()}__{key.upper()}")
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def parallelism() -> int:
    """[core] parallelism: task instances running at once in one runner."""
    return max(1, _int("core", "parallelism", 32))


def max_active_tasks_per_dag() -> int:
    return _int("core", "max_active_tasks_per_dag", 16)


def max_active_runs_per_dag() -> int:
    return _int("core", "max_active_runs_per_dag", 16)


def default_task_retries() -> int:
    return _int("core", "default_task_retries", 0)


def default_task_retry_delay() -> int:
    return _int("core", "default_task_retry_delay", 300)


def max_task_retry_delay() -> int:
    return _int("core", "max_task_retry_delay", 24 * 60 * 60)


def sensor_default_timeout() -> int:
    return _int("sensors", "default_timeout", 60 * 60 * 24 * 7)


def socket_cleanup_timeout() -> float:
    """[workers] socket_cleanup_timeout: how long output is still read after a task process exited."""
    value = os.environ.get("AIRFLOW__WORKERS__SOCKET_CLEANUP_TIMEOUT")
    try:
        return float(value) if value is not None else 60.0
    except ValueError:
        return 60.0


def dagbag_import_timeout() -> float:
    """[core] dagbag_import_timeout: how long importing a DAG file may take (seconds)."""
    value = os.environ.get("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT")
    try:
        return max(0.1, float(value)) if value is not None else 30.0
    except ValueError:
        return 30.0
