"""Fails to import: the harness must report it as an import error naming the missing module.

(Airflow's DagBag only looks at files that mention both "airflow" and "dag": this one does.)
"""

import cron2dag_harness_no_such_module  # noqa: F401
from airflow import DAG  # noqa: F401
