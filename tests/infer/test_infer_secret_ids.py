"""Task and DAG ids never carry a secret written in a command line (issue 16).

Inference names jobs from their commands; before this, a URL password and an AWS key id became part
of the DAG id, the task id and so the file name (`curl_urlpassw0rd_api_example_com.py`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli import cli
from migrator.crontab.parser import parse_crontab
from migrator.infer import infer_pipeline

CASES = [
    ("0 1 * * * curl https://url:passw0rd@api.example.com/v1", "passw0rd"),
    ("0 1 * * * aws s3 sync /data s3://bucket/AKIAIOSFODNN7EXAMPLE/", "akiaiosfodnn7example"),
    ("0 1 * * * redis-cli -a Redispw9 BGSAVE", "redispw9"),
    ("0 1 * * * sshpass -p sshpw99 rsync -a /d/ backup@nas:/srv/", "sshpw99"),
    ("0 1 * * * mongodump --username admin --password MongoPw1 --out /b", "mongopw1"),
    ("0 1 * * * /opt/bin/export --api-key=Apikey77 reports", "apikey77"),
    ("0 1 * * * sqlplus scott/Tiger77@orcl @/opt/r.sql", "tiger77"),
]


@pytest.mark.parametrize(("line", "secret"), CASES)
def test_ids_are_named_without_the_secret(line: str, secret: str) -> None:
    pipeline = infer_pipeline(parse_crontab(line + "\n", "c.cron", system=False))
    ids = [d.dag_id for d in pipeline.dags] + [t.task_id for d in pipeline.dags for t in d.tasks]
    assert ids and not any(secret in i.lower() for i in ids), ids


def test_data_evidence_still_links_jobs_whose_commands_hold_secrets() -> None:
    text = (
        "0 1 * * * mysql -uroot -pS3cret shop -e 'select * from orders' > /data/orders.csv\n"
        "30 1 * * * python /opt/load.py --in /data/orders.csv\n"
    )
    pipeline = infer_pipeline(parse_crontab(text, "c.cron", system=False))
    (dag,) = pipeline.dags
    assert [(e.upstream, e.downstream) for e in dag.edges] == [("mysql_orders", "load")]


# a pipeline DAG (its text lists the commands) and a single-task DAG, each with a password in clear
SHOWN = (
    "0 1 * * * mysql -uetl -pS3cretPW shop -e 'select 1' > /data/raw/orders.csv\n"
    "30 1 * * * python /opt/etl/load_orders.py /data/raw/orders.csv\n"
    "0 3 * * * PGPASSWORD=zz9top psql -h db -c vacuum\n"
)


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_infer_output_masks_the_secrets_written_in_commands(
    tmp_path: Path, output_format: str
) -> None:
    crontab = tmp_path / "shop.crontab"
    crontab.write_text(SHOWN)
    result = CliRunner().invoke(cli, ["infer", "--format", output_format, str(crontab)])
    assert result.exit_code == 0, result.output
    assert "S3cretPW" not in result.output and "zz9top" not in result.output
    if output_format == "json":
        commands = [t["command"] for d in json.loads(result.output)["dags"] for t in d["tasks"]]
        assert commands == [
            "mysql -uetl -p*** shop -e 'select 1' > /data/raw/orders.csv",
            "python /opt/etl/load_orders.py /data/raw/orders.csv",
            "PGPASSWORD=*** psql -h db -c vacuum",
        ]
    else:
        assert "mysql -uetl -p*** shop -e 'select 1' > /data/raw/orders.csv" in result.output
