"""The cloud sensors that `cron2dag migrate` generates from cron guards, checked with the guard's CLI.

`S3KeySensor`, `GCSObjectExistenceSensor` and `WebHdfsSensor` call their cloud's API through an
Airflow connection in production. The local runner has neither the providers nor their connections;
it asks the same question the crontab asked, with the same tool and its default credentials:

| sensor | local check |
| --- | --- |
| `S3KeySensor(bucket_key="s3://b/prefix*", wildcard_match=True)` | `aws s3 ls s3://b/prefix` |
| `S3KeySensor(bucket_key="s3://b/key")` | `aws s3api head-object --bucket b --key key` |
| `GCSObjectExistenceSensor(bucket=b, object=o)` | `gsutil -q stat gs://b/o` |
| `WebHdfsSensor(filepath=p)` | `hdfs dfs -test -e p` |

Anything those commands cannot say (other connections, key patterns other than a trailing `*`,
regular expressions, check functions, globs) is refused when the DAG file loads, naming the reason.
A tool that is not installed fails the poke with a clear error. The runner pokes these sensors itself
(no task process while they wait), each check bounded by a time-out.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from migrator.runner.sdk.exceptions import AirflowException, NotSupportedByRunner
from migrator.runner.sdk.sensors import BaseSensorOperator

CHECK_TIMEOUT_S = 120.0


def _check(argv: list[str], found: int, missing: frozenset[int], what: str) -> bool:
    """Run one existence check: True when it exits `found`, False for `missing`, else an error."""
    if shutil.which(argv[0]) is None:
        raise AirflowException(
            f"the local runner checks {what} with `{' '.join(argv[:3])}`, and `{argv[0]}` is not on PATH"
        )
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=CHECK_TIMEOUT_S, check=False,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as error:
        raise AirflowException(f"`{' '.join(argv)}` did not answer within {CHECK_TIMEOUT_S:.0f} s") from error
    if done.returncode == found:
        return True
    if done.returncode in missing:
        return False
    detail = (done.stderr or done.stdout).strip().splitlines()
    raise AirflowException(f"`{' '.join(argv)}` exited with {done.returncode}" + (f": {detail[-1]}" if detail else ""))


def _default_connection(name: str, value: str | None, default: str, tool: str) -> None:
    if value not in (None, default):
        raise NotSupportedByRunner(
            f"{name}={value!r}: the local runner checks with `{tool}` and its default credentials, which "
            f"stand for the {default} connection only"
        )


class S3KeySensor(BaseSensorOperator):
    template_fields: ClassVar[Sequence[str]] = ("bucket_key", "bucket_name", "aws_conn_id", "region_name", "verify")
    runner_kind: ClassVar[str] = "sensor"

    def __init__(self, *, bucket_key: str | list[str], bucket_name: str | None = None, wildcard_match: bool = False,
                 check_fn: Any = None, verify: Any = None, deferrable: bool = False, use_regex: bool = False,
                 metadata_keys: list[str] | None = None, aws_conn_id: str | None = "aws_default",
                 region_name: str | None = None, botocore_config: dict | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _default_connection("aws_conn_id", aws_conn_id, "aws_default", "aws")
        for option, value in (("check_fn", check_fn), ("use_regex", use_regex), ("region_name", region_name),
                              ("botocore_config", botocore_config), ("verify", verify)):
            if value:
                raise NotSupportedByRunner(f"S3KeySensor({option}=...) is not supported by the local runner, "
                                           "which checks keys with the aws CLI")
        self.bucket_key = bucket_key
        self.bucket_name = bucket_name
        self.wildcard_match = wildcard_match
        self.deferrable = deferrable
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.verify = verify
        self.metadata_keys = metadata_keys

    def _locations(self) -> list[tuple[str, str]]:
        keys = [self.bucket_key] if isinstance(self.bucket_key, str) else list(self.bucket_key)
        found = []
        for key in keys:
            if self.bucket_name is None:
                if not key.startswith("s3://") or "/" not in key[5:]:
                    raise AirflowException(f"bucket_key {key!r} is not an s3://bucket/key URL and no bucket_name is set")
                bucket, _, key = key[5:].partition("/")
            else:
                if key.startswith("s3://"):
                    raise AirflowException("If bucket_name is provided, bucket_key should be relative path from root level, rather than a full s3:// url")
                bucket = self.bucket_name
            found.append((bucket, key))
        return found

    def poke(self, context: Mapping[str, Any]) -> bool:
        for bucket, key in self._locations():
            self.log.info("Poking for key : s3://%s/%s", bucket, key)
            if self.wildcard_match:
                prefix = key.removesuffix("*")
                if any(c in prefix for c in "*?["):
                    raise AirflowException(f"key pattern {key!r}: the local runner's `aws s3 ls` check understands a trailing * only")
                if not _check(["aws", "s3", "ls", f"s3://{bucket}/{prefix}"], 0, frozenset({1}), "S3 keys"):
                    return False
            elif not _check(["aws", "s3api", "head-object", "--bucket", bucket, "--key", key], 0, frozenset({254}), "S3 keys"):
                return False
        return True

    def deferred_result(self, context: Mapping[str, Any]) -> tuple[bool, Any]:
        return (True, None) if self.poke(context) else (False, None)


class GCSObjectExistenceSensor(BaseSensorOperator):
    template_fields: ClassVar[Sequence[str]] = ("bucket", "object", "impersonation_chain")
    runner_kind: ClassVar[str] = "sensor"

    def __init__(self, *, bucket: str, object: str, use_glob: bool = False,
                 google_cloud_conn_id: str = "google_cloud_default", impersonation_chain: Any = None,
                 retry: Any = None, deferrable: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _default_connection("google_cloud_conn_id", google_cloud_conn_id, "google_cloud_default", "gsutil")
        if use_glob or impersonation_chain:
            raise NotSupportedByRunner("GCSObjectExistenceSensor(use_glob/impersonation_chain) is not supported by "
                                       "the local runner, which checks objects with `gsutil stat`")
        self.bucket = bucket
        self.object = object
        self.impersonation_chain = impersonation_chain
        self.deferrable = deferrable

    def poke(self, context: Mapping[str, Any]) -> bool:
        self.log.info("Sensor checks existence of : %s, %s", self.bucket, self.object)
        return _check(["gsutil", "-q", "stat", f"gs://{self.bucket}/{self.object}"], 0, frozenset({1}), "GCS objects")

    def deferred_result(self, context: Mapping[str, Any]) -> tuple[bool, Any]:
        return (True, None) if self.poke(context) else (False, None)


class WebHdfsSensor(BaseSensorOperator):
    template_fields: ClassVar[Sequence[str]] = ("filepath", "webhdfs_conn_id")
    runner_kind: ClassVar[str] = "sensor"

    def __init__(self, *, filepath: str, webhdfs_conn_id: str = "webhdfs_default", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _default_connection("webhdfs_conn_id", webhdfs_conn_id, "webhdfs_default", "hdfs")
        self.filepath = filepath
        self.webhdfs_conn_id = webhdfs_conn_id

    def poke(self, context: Mapping[str, Any]) -> bool:
        self.log.info("Poking for file %s", self.filepath)
        return _check(["hdfs", "dfs", "-test", "-e", self.filepath], 0, frozenset({1}), "HDFS paths")
