"""Suggestions: what inference is unsure of is shown, never applied unless the user accepts it;
names from scripts and subcommands; comments count only for the words their order words govern."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from infer_builders import job, tab

from migrator.cli import cli
from migrator.infer import infer_pipeline
from migrator.infer.comments import read_comment
from migrator.infer.facts import command_facts
from migrator.infer.overrides import parse_overrides

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "crontabs" / "seed_pipeline.crontab"

WORDS_ONLY = tab(
    job("0 1 * * *", "/opt/shop/bin/fetch_orders.sh"),
    job("0 2 * * *", "/opt/reports/bin/orders_report.py"),
)


def test_shared_words_and_time_are_a_suggestion_not_an_edge():
    pipeline = infer_pipeline(WORDS_ONLY)
    assert all(not d.edges for d in pipeline.dags) and len(pipeline.dags) == 2
    (suggestion,) = pipeline.suggestions
    assert (suggestion.upstream, suggestion.downstream) == ("fetch_orders", "orders_report")
    assert (
        suggestion.upstream_dag == "fetch_orders" and suggestion.downstream_dag == "orders_report"
    )
    assert 0.35 <= suggestion.confidence < 0.7
    assert not any(e.flow for e in suggestion.evidence)
    data = pipeline.to_json()
    assert data["suggestions"][0]["upstream"] == "fetch_orders"
    keys = list(data)  # DESIGN.md's order: the suggestions follow the cross-DAG edges
    assert keys.index("suggestions") == keys.index("cross_dag_edges") + 1


def test_accepting_a_suggestion_in_the_overrides_file_applies_it_with_its_evidence():
    overrides = parse_overrides('[jobs.orders_report]\nafter = ["fetch_orders"]\n', "o.toml")
    pipeline = infer_pipeline(WORDS_ONLY, overrides)
    assert pipeline.suggestions == ()
    (edge,) = pipeline.cross_dag_edges or [e for d in pipeline.dags for e in d.edges]
    assert edge.confidence == 1.0
    kinds = [e.kind for e in edge.evidence]
    assert kinds[0] == "override" and "name" in kinds
    dropped = infer_pipeline(
        WORDS_ONLY, parse_overrides('[jobs.orders_report]\nnot_after = ["fetch_orders"]\n', "o")
    )
    assert dropped.suggestions == () and not any(d.edges for d in dropped.dags)


def test_migrate_never_applies_a_suggestion(tmp_path: Path):
    crontab = tmp_path / "words.crontab"
    crontab.write_text(
        "0 1 * * * /opt/shop/bin/fetch_orders.sh\n0 2 * * * /opt/reports/bin/orders_report.py\n"
    )
    runner = CliRunner()
    data = json.loads(runner.invoke(cli, ["infer", str(crontab), "--format", "json"]).output)
    assert len(data["suggestions"]) == 1
    done = runner.invoke(cli, ["migrate", str(crontab), "-o", str(tmp_path / "dags")])
    assert done.exit_code == 0, done.output
    written = "\n".join(p.read_text() for p in (tmp_path / "dags").glob("*.py"))
    assert ">>" not in written and "ExternalTaskSensor" not in written
    graph = runner.invoke(cli, ["graph", str(crontab), "--format", "dot"]).output
    assert "style=dashed" in graph and 'label="suggested' in graph


def test_a_frequent_producer_and_a_housekeeping_name_do_not_hide_flow():
    pipeline = infer_pipeline(
        tab(
            job("*/5 * * * *", "/opt/m/collect.py --out /data/m/raw/"),
            job("15 * * * *", "/opt/m/rollup.py --in /data/m/raw/ --out /data/m/h.parquet"),
            job("0 6 * * *", "/opt/f/health_check.sh /data/f/feed.xml"),
            job(
                "30 6 * * *",
                "/opt/f/publish.sh /data/f/feed.xml",
                comments=["needs health_check to have passed"],
            ),
        )
    )
    assert {(e.upstream, e.downstream) for e in pipeline.cross_dag_edges} == {("collect", "rollup")}
    edges = {(e.upstream, e.downstream) for d in pipeline.dags for e in d.edges}
    assert edges == {("health_check", "publish")}


@pytest.mark.parametrize(
    ("comment", "stated"),
    [
        ("assumes ingestion is done by then", {"ingestion"}),
        ("runs after the 00:30 conversion and the customer load", {"conversion", "load"}),
        ("do not block to wait for the lock. The full listens and stats dumps run", set()),
        ("Once a day on all servers", set()),
        ("Dump user feedback before we generate recommendations", {"recommendations"}),
    ],
)
def test_order_words_govern_only_what_follows_them_in_their_clause(comment, stated):
    from migrator.infer.words import stem

    clues = read_comment(comment, frozenset())
    assert {stem(w) for w in stated} <= clues.stated
    if not stated:
        assert not (clues.stated & {stem("stats"), stem("servers")})


@pytest.mark.parametrize(
    ("command", "name"),
    [
        ("/srv/venv/bin/python /srv/app/manage.py cron update_counts", "update_counts"),
        ("cd /var/www && php artisan reports:export --x", "reports_export"),
        (
            "cd /srv/b && RAILS_ENV=production bundle exec rake report:export_report",
            "report_export_report",
        ),
        ("$HOME/mb/admin/run admin/cron/hourly.sh", "hourly"),
        ("perl /data/x/bin/cron-wrapper --target=download_video", "download_video"),
        ("psql -f /opt/sql/daily_sales.sql warehouse", "daily_sales"),
        ("docker compose run --rm load", "load"),
        ("java -jar /opt/app/app.jar --job=reindex", "reindex"),
        ("find /var/tmp -mtime +7 -delete", "find_tmp"),
        ("npm run build", "build"),
        ("cd /h/p; source env/bin/activate; make ygainers.csv; python y.py", "ygainers"),
    ],
)
def test_a_job_is_named_by_its_script_or_subcommand_not_its_runner(command, name):
    assert command_facts(command, {}).name == name


def test_configuration_is_not_data():
    for command in (
        "source ~/.bash_profile && cd /srv/app && python sync.py --config /srv/app/config/sync.yml",
        ". /srv/app/.env && /srv/app/venv/bin/python /srv/app/bin/rebuild.py",
        "cd /srv/app; source env/bin/activate; python send.py --from yesterday --target prod",
    ):
        assert command_facts(command, {}).artifacts == (), command


def test_the_seed_suggestion_is_shown_in_the_text_plan():
    output = CliRunner().invoke(cli, ["infer", str(SEED)]).output
    assert "Suggestions (not applied" in output
    assert "seed_pipeline.ingest_from_database >> seed_pipeline.transform_api_data" in output


def test_many_shared_words_are_one_reason_not_a_confident_suggestion():
    # seen in a public crontab: a weekly sync and a daily check of one API share four words of
    # their names (example, admin, ad, insights) and nothing else; each word used to add up to 0.91
    pipeline = infer_pipeline(
        tab(
            job(
                "0 6 * * 1", 'curl -X POST "https://api.example.com/admin/ad-insights/a1/sync?w=1"'
            ),
            job(
                "0 9 * * *", 'curl "https://api.example.com/admin/ad-insights/a1/anomalies?s=high"'
            ),
        )
    )
    assert not pipeline.cross_dag_edges and all(not d.edges for d in pipeline.dags)
    (suggestion,) = pipeline.suggestions
    assert len([e for e in suggestion.evidence if e.kind == "name"]) >= 3
    assert suggestion.confidence < 0.5
