"""Variables and Connections, from the environment as Airflow's env-var secrets backend reads them.

`Variable.get("x")` reads `AIRFLOW_VAR_X`; connection `c` reads `AIRFLOW_CONN_C` (a URI or JSON).
The runner has no metadata database of its own for these: the environment is the local store.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from migrator.runner.sdk.exceptions import AirflowNotFoundException

_MISSING = object()


class Variable:
    @staticmethod
    def get(key: str, default: Any = _MISSING, deserialize_json: bool = False, **kwargs: Any) -> Any:
        value = os.environ.get(f"AIRFLOW_VAR_{key.upper()}")
        if value is None:
            if default is not _MISSING:
                return default
            raise KeyError(f"Variable {key} does not exist (set AIRFLOW_VAR_{key.upper()} to define it locally)")
        return json.loads(value) if deserialize_json else value

    @staticmethod
    def set(key: str, value: Any, serialize_json: bool = False, **kwargs: Any) -> None:
        os.environ[f"AIRFLOW_VAR_{key.upper()}"] = json.dumps(value) if serialize_json else str(value)


class VariableAccessor:
    """`{{ var.value.name }}` / `{{ var.json.name }}` / `{{ var.value.get('name', default) }}`."""

    def __init__(self, deserialize_json: bool) -> None:
        self._json = deserialize_json

    def __getattr__(self, key: str) -> Any:
        return Variable.get(key, deserialize_json=self._json)

    def get(self, key: str, default: Any = _MISSING) -> Any:
        return Variable.get(key, default, deserialize_json=self._json)


class Connection:
    def __init__(self, conn_id: str | None = None, conn_type: str | None = None, host: str | None = None,
                 login: str | None = None, password: str | None = None, schema: str | None = None,
                 port: int | None = None, extra: str | dict | None = None, uri: str | None = None, **kwargs: Any) -> None:
        self.conn_id = conn_id
        self.conn_type, self.host, self.login, self.password = conn_type, host, login, password
        self.schema, self.port = schema, port
        self.extra = json.dumps(extra) if isinstance(extra, dict) else extra
        if uri:
            self._parse_uri(uri)

    def _parse_uri(self, uri: str) -> None:
        parts = urlsplit(uri)
        self.conn_type = parts.scheme.replace("-", "_")
        self.host = unquote(parts.hostname) if parts.hostname else None
        self.login = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.port = parts.port
        self.schema = parts.path[1:] if parts.path else None
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if "__extra__" in query:
            self.extra = query["__extra__"]
        elif query:
            self.extra = json.dumps(query)

    @property
    def extra_dejson(self) -> dict[str, Any]:
        if not self.extra:
            return {}
        try:
            return json.loads(self.extra)
        except ValueError:
            return {}

    def get_uri(self) -> str:
        return f"{self.conn_type}://{self.host or ''}"

    @classmethod
    def get(cls, conn_id: str) -> Connection:
        value = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
        if value is None:
            raise AirflowNotFoundException(
                f"The conn_id `{conn_id}` isn't defined (set AIRFLOW_CONN_{conn_id.upper()} to define it locally)"
            )
        if value.lstrip().startswith("{"):
            data = json.loads(value)
            return cls(conn_id=conn_id, **{k: v for k, v in data.items() if k != "conn_id"})
        return cls(conn_id=conn_id, uri=value)

    get_connection_from_secrets = get


class ConnectionAccessor:
    def __getattr__(self, conn_id: str) -> Connection:
        return Connection.get(conn_id)

    def get(self, conn_id: str, default: Any = None) -> Any:
        try:
            return Connection.get(conn_id)
        except AirflowNotFoundException:
            return default


def fs_connection_path(conn_id: str) -> str:
    """Base path of a File (path) connection; `fs_default` without a definition means no prefix."""
    try:
        return Connection.get(conn_id).extra_dejson.get("path", "")
    except AirflowNotFoundException:
        if conn_id == "fs_default":
            return ""
        raise
