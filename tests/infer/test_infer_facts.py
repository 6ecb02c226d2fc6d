"""What a command writes, reads and mentions; what it is called; whether it is housekeeping."""

from __future__ import annotations

import pytest

from migrator.infer.facts import MENTION, READ, WRITE, command_facts


def _io(command: str, env: dict[str, str] | None = None) -> set[tuple[str, str, str]]:
    return {(a.role, a.kind, a.key) for a in command_facts(command, env or {}).artifacts}


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("extract.sh > /data/raw.csv", {(WRITE, "path", "/data/raw.csv")}),
        ("load.sh < /data/raw.csv", {(READ, "path", "/data/raw.csv")}),
        (
            "python t.py --in /data/a.csv --output=/data/b.parquet",
            {(READ, "path", "/data/a.csv"), (WRITE, "path", "/data/b.parquet")},
        ),
        ("report | tee -a /srv/r.txt", {(WRITE, "path", "/srv/r.txt")}),
        ("cp /a/x.csv /b/y.csv", {(READ, "path", "/a/x.csv"), (WRITE, "path", "/b/y.csv")}),
        (
            "mv /a/x.csv /b/",
            {(READ, "path", "/a/x.csv"), (WRITE, "path", "/b"), (WRITE, "path", "/b/x.csv")},
        ),
        (
            'psql -c "\\copy staging.orders FROM /data/orders.csv CSV"',
            {(WRITE, "table", "staging.orders"), (READ, "path", "/data/orders.csv")},
        ),
        (
            "mysql shop -e \"LOAD DATA LOCAL INFILE '/data/in/p.csv' INTO TABLE staging_p\"",
            {(WRITE, "table", "staging_p"), (READ, "path", "/data/in/p.csv")},
        ),
        (
            "mysql shop -e \"SELECT * INTO OUTFILE '/data/out/o.csv' FROM orders\"",
            {(READ, "table", "orders"), (WRITE, "path", "/data/out/o.csv")},
        ),
        (
            "hive -e \"LOAD DATA INPATH '/landing/events' INTO TABLE raw.events\"",
            {(WRITE, "table", "raw.events"), (READ, "path", "/landing/events")},
        ),
        (
            "psql -c 'INSERT INTO mart.daily SELECT * FROM staging.orders JOIN dim.c ON true'",
            {
                (WRITE, "table", "mart.daily"),
                (READ, "table", "staging.orders"),
                (READ, "table", "dim.c"),
            },
        ),
        (
            "curl -s https://api.example.com/v1/orders -o /data/raw/orders.json",
            {
                (READ, "url", "https://api.example.com/v1/orders"),
                (WRITE, "path", "/data/raw/orders.json"),
            },
        ),
        (
            "aws s3 cp /data/out/r.csv s3://bucket/reports/",
            {
                (READ, "path", "/data/out/r.csv"),
                (WRITE, "url", "s3://bucket/reports"),
                (WRITE, "url", "s3://bucket/reports/r.csv"),
            },
        ),
        ("test -f /data/done/ingest.ok && run.sh", {(READ, "path", "/data/done/ingest.ok")}),
        ("touch /data/done/ingest.ok", {(WRITE, "path", "/data/done/ingest.ok")}),
        ("Rscript model.R /data/features.parquet", {(MENTION, "path", "/data/features.parquet")}),
        (
            "bq load raw.events gs://landing/e/*.json",
            {(WRITE, "table", "raw.events"), (READ, "url", "gs://landing/e/*.json")},
        ),
    ],
)
def test_artifacts(command: str, expected: set[tuple[str, str, str]]):
    assert _io(command) == expected


def test_logs_configs_and_devices_are_not_data():
    assert _io("job --config /etc/job.yaml >> /var/log/job.log 2>&1 > /dev/null") == set()
    assert _io("job > /home/u/logs/job.out 2> /tmp/err.txt") == set()


def test_paths_are_normalized_with_cwd_home_and_variables():
    env = {"HOME": "/home/etl", "D": "/srv/data"}
    assert _io("cd $D && ./t.sh --out ./clean/x.csv", env) == {
        (WRITE, "path", "/srv/data/clean/x.csv")
    }
    assert _io("t.sh --out ~/x.csv", env) == {(WRITE, "path", "/home/etl/x.csv")}
    assert _io("t.sh --out /data//a/../b.csv", env) == {(WRITE, "path", "/data/b.csv")}


def test_explicit_output_turns_other_mentions_into_inputs():
    assert _io("score.py /data/features.parquet --out /data/scores.csv") == {
        (READ, "path", "/data/features.parquet"),
        (WRITE, "path", "/data/scores.csv"),
    }


@pytest.mark.parametrize(
    ("command", "name"),
    [
        ("python ingest_from_rest_api.py", "ingest_from_rest_api"),
        ("cd /opt && /opt/venv/bin/python3 -u jobs/load-Sales.py --x", "load_sales"),
        ("python -m etl.jobs.load_sales --date x", "load_sales"),
        ("$R transform --in /a", "transform"),
        ("php /var/www/artisan schedule:run", "schedule_run"),
        ("python manage.py rebuild_index", "rebuild_index"),
        ("java -jar /opt/jobs/SalesLoader.jar", "sales_loader"),
        ("certbot renew --quiet", "certbot_renew"),
        ("psql -c 'REFRESH MATERIALIZED VIEW mart.kpis'", "psql_kpis"),
        ("/opt/2fa/bin/class", "class_"),
    ],
)
def test_names_come_from_the_script(command: str, name: str):
    assert command_facts(command, {"R": "/opt/run.sh"}).name == name


@pytest.mark.parametrize(
    "command",
    [
        "/usr/sbin/logrotate /etc/logrotate.conf",
        "find /data/tmp -type f -mtime +7 -delete",
        "pg_dump warehouse | gzip > /backups/wh.sql.gz",
        "/usr/bin/certbot renew -q",
        "curl -fsS https://hc-ping.com/abc > /dev/null",
        "/opt/bin/backup_db.sh",
        "docker system prune -af",
        "run-parts /etc/cron.daily",
        "/usr/local/bin/check_disk_space.sh",
        "tar czf /backup/x.tgz /data",
    ],
)
def test_housekeeping_is_recognised(command: str):
    assert command_facts(command, {}).housekeeping


@pytest.mark.parametrize(
    "command",
    [
        "python account_health.py",
        "python snapshot_positions.py",
        "python clean_orders.py",
        "python renew_subscriptions.py",
    ],
)
def test_pipeline_steps_are_not_mistaken_for_housekeeping(command: str):
    assert command_facts(command, {}).housekeeping is None


def test_a_dump_written_to_a_sql_file_is_data_but_a_query_file_run_is_not():
    dump = command_facts("mysqldump -u root shop > /data/shop.sql", {}, None)
    assert [(a.key, a.role) for a in dump.artifacts] == [("/data/shop.sql", WRITE)]
    assert dump.name == "mysqldump_shop"
    query = command_facts("psql -f /opt/sql/daily_sales.sql", {}, None)
    assert not any(a.key.endswith(".sql") for a in query.artifacts)


@pytest.mark.parametrize(
    "command, name",
    [
        # a guarded job is named by the work behind the guard, not by `if`, `until` or the probe
        ("if [ -f /data/in/_SUCCESS ]; then /opt/bin/report.sh; fi", "report"),
        ("until [ -f /data/x.done ]; do sleep 60; done; /opt/restore.sh", "restore"),
        ("while [ ! -f /data/x.done ]; do sleep 60; done; python /opt/sessions.py", "sessions"),
        ("for f in /data/in/*.csv; do /opt/load_csv.sh $f; done", "load_csv"),
        ("hdfs dfs -test -e /data/x/_SUCCESS && /opt/run_etl.sh", "run_etl"),
        ("gsutil -q stat gs://analytics/part-0 && python load_events.py", "load_events"),
        ("aws s3 ls s3://b/k/_SUCCESS && /opt/load_orders.sh", "load_orders"),
        # a probe that is the whole job keeps its own name
        ("hdfs dfs -test -e /data/x", "hdfs_dfs_x"),
    ],
)
def test_a_guarded_job_is_named_by_its_work(command: str, name: str) -> None:
    assert command_facts(command, {}).name == name
