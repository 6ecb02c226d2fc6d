"""`{{ macros.* }}`: Airflow's template macros."""

from __future__ import annotations

import json
import random as _random
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import dateutil

random = _random.random


def ds_add(ds: str, days: int) -> str:
    if not days:
        return str(ds)
    return (datetime.strptime(str(ds), "%Y-%m-%d") + timedelta(days=days)).strftime("%Y-%m-%d")


def ds_format(ds: str, input_format: str, output_format: str) -> str:
    return datetime.strptime(str(ds), input_format).strftime(output_format)


def datetime_diff_for_humans(dt: Any, since: Any = None) -> str:
    import pendulum

    return pendulum.instance(dt).diff_for_humans(since)


__all__ = ["datetime", "datetime_diff_for_humans", "dateutil", "ds_add", "ds_format", "json", "random", "time", "timedelta", "uuid"]
