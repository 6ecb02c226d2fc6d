"""XCom values as JSON text, with tags for the few non-JSON types tasks commonly return.

Airflow 3 stores XComs as JSON through its serde; a value it cannot serialise fails the task, and so
does one this codec cannot. Tuples, sets, dates, datetimes and timedeltas survive a round trip.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import Any

_TAG = "__cron2dag_xcom__"


class XComEncodeError(TypeError):
    pass


def _to_jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_to_jsonable(item) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise XComEncodeError("XCom dictionaries must have string keys")
        return {key: _to_jsonable(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return {_TAG: "tuple", "value": [_to_jsonable(item) for item in value]}
    if isinstance(value, (set, frozenset)):
        return {_TAG: "set", "value": [_to_jsonable(item) for item in sorted(value, key=repr)]}
    if isinstance(value, datetime.datetime):
        return {_TAG: "datetime", "value": value.isoformat()}
    if isinstance(value, datetime.date):
        return {_TAG: "date", "value": value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {_TAG: "timedelta", "value": value.total_seconds()}
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [_to_jsonable(item) for item in value]  # a mapped task's values, a zip/map/concat result
    raise XComEncodeError(f"XCom value of type {type(value).__name__} is not serializable: {value!r:.200}")


def _from_jsonable(value: Any) -> Any:
    if isinstance(value, list):
        return [_from_jsonable(item) for item in value]
    if isinstance(value, dict):
        tag = value.get(_TAG)
        if tag is None:
            return {key: _from_jsonable(item) for key, item in value.items()}
        payload = value["value"]
        if tag == "tuple":
            return tuple(_from_jsonable(item) for item in payload)
        if tag == "set":
            return {_from_jsonable(item) for item in payload}
        if tag == "datetime":
            import pendulum

            return pendulum.parse(payload)
        if tag == "date":
            return datetime.date.fromisoformat(payload)
        if tag == "timedelta":
            return datetime.timedelta(seconds=payload)
    return value


def encode(value: Any) -> str:
    return json.dumps(_to_jsonable(value), ensure_ascii=False, allow_nan=True)


def decode(text: str) -> Any:
    return _from_jsonable(json.loads(text))


def plain(text: str) -> Any:
    """The stored value as plain JSON data (tuples as lists ...), for comparisons and `--format json`."""
    def strip(value: Any) -> Any:
        if isinstance(value, list):
            return [strip(item) for item in value]
        if isinstance(value, dict):
            if _TAG in value:
                inner = value["value"]
                return [strip(item) for item in inner] if isinstance(inner, list) else inner
            return {key: strip(item) for key, item in value.items()}
        return value

    return strip(json.loads(text))
