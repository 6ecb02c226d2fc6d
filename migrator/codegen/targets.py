"""Where each Airflow name the generated code uses lives, per Airflow major version.

Airflow 3: the `airflow.sdk` authoring API and the standard provider (installed with Airflow 3).
Airflow 2: the core modules that every 2.x release since 2.4 ships (no provider needed).
Sensors for cloud guards come from their providers on both (amazon, google, apache-hdfs): a DAG
imports one only when its crontab had such a guard.
This table is the whole Airflow surface of generated DAGs; the local runner implements the same.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    version: int
    dag: tuple[str, str]
    cron_timetable: tuple[str, str]
    bash_operator: tuple[str, str]
    time_sensor: tuple[str, str]
    # extra keyword arguments that make the time sensor free its worker slot while it waits
    time_sensor_kwargs: tuple[tuple[str, object], ...]
    external_task_sensor: tuple[str, str]
    # Airflow 3 deprecates `email=` on tasks in favour of the SMTP provider's notifier
    smtp_notifier: tuple[str, str] | None
    # readiness sensors, by the kind of signal they wait for (see `guards.Signal.kind`)
    sensors: dict[str, tuple[str, str]]
    # sensors that can defer (wait in the triggerer); the others wait in reschedule mode
    deferrable_sensors: frozenset[str]
    # Deadline Alerts (Airflow 3.1+): DeadlineAlert, DeadlineReference, AsyncCallback
    deadline_alert: tuple[tuple[str, str], tuple[str, str], tuple[str, str]] | None
    # retry policies (Airflow 3.3+): RetryPolicy, RetryDecision
    retry_policy: tuple[tuple[str, str], tuple[str, str]] | None


# the same module paths on Airflow 2 and 3 (each provider supports both)
_PROVIDER_SENSORS = {
    "s3": ("airflow.providers.amazon.aws.sensors.s3", "S3KeySensor"),
    "gcs": ("airflow.providers.google.cloud.sensors.gcs", "GCSObjectExistenceSensor"),
    "hdfs": ("airflow.providers.apache.hdfs.sensors.web_hdfs", "WebHdfsSensor"),
}

AIRFLOW_3 = Target(
    version=3,
    dag=("airflow.sdk", "DAG"),
    cron_timetable=("airflow.sdk", "CronTriggerTimetable"),
    bash_operator=("airflow.providers.standard.operators.bash", "BashOperator"),
    time_sensor=("airflow.providers.standard.sensors.time_delta", "TimeDeltaSensor"),
    time_sensor_kwargs=(("deferrable", True),),
    external_task_sensor=("airflow.providers.standard.sensors.external_task", "ExternalTaskSensor"),
    smtp_notifier=("airflow.providers.smtp.notifications.smtp", "SmtpNotifier"),
    sensors={
        "file": ("airflow.providers.standard.sensors.filesystem", "FileSensor"),
        **_PROVIDER_SENSORS,
    },
    deferrable_sensors=frozenset({"file", "s3", "gcs"}),
    deadline_alert=(
        ("airflow.sdk", "DeadlineAlert"),
        ("airflow.sdk", "DeadlineReference"),
        ("airflow.sdk", "AsyncCallback"),
    ),
    retry_policy=(("airflow.sdk", "RetryPolicy"), ("airflow.sdk", "RetryDecision")),
)

AIRFLOW_2 = Target(
    version=2,
    dag=("airflow", "DAG"),
    cron_timetable=("airflow.timetables.trigger", "CronTriggerTimetable"),
    bash_operator=("airflow.operators.bash", "BashOperator"),
    time_sensor=("airflow.sensors.time_delta", "TimeDeltaSensorAsync"),
    time_sensor_kwargs=(),
    external_task_sensor=("airflow.sensors.external_task", "ExternalTaskSensor"),
    smtp_notifier=None,
    sensors={"file": ("airflow.sensors.filesystem", "FileSensor"), **_PROVIDER_SENSORS},
    deferrable_sensors=frozenset({"file", "s3", "gcs"}),
    deadline_alert=None,
    retry_policy=None,
)

TARGETS = {3: AIRFLOW_3, 2: AIRFLOW_2}
