"""cron2dag: move crontab pipelines to Airflow, lint DAG code, run DAGs locally."""

__version__ = "0.1.0"
