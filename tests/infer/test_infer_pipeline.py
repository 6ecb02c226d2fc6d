"""Inference rules on small crontabs built from model objects."""

from __future__ import annotations

from infer_builders import job, tab

from migrator.infer import infer_pipeline
from migrator.infer.model import Pipeline


def edges(pipeline: Pipeline) -> set[tuple[str, str]]:
    return {(e.upstream, e.downstream) for dag in pipeline.dags for e in dag.edges}


def suggested(pipeline: Pipeline) -> set[tuple[str, str]]:
    return {(s.upstream, s.downstream) for s in pipeline.suggestions}


def cross(pipeline: Pipeline) -> set[tuple[str, str]]:
    return {(e.upstream, e.downstream) for e in pipeline.cross_dag_edges}


def test_time_alone_is_not_evidence():
    pipeline = infer_pipeline(
        tab(job("0 1 * * *", "/opt/a/alpha.sh"), job("0 2 * * *", "/opt/b/beta.sh"))
    )
    assert edges(pipeline) == set()
    assert [len(d.tasks) for d in pipeline.dags] == [1, 1]
    assert all(d.tasks[0].note for d in pipeline.dags)


def test_files_written_then_read_make_a_chain_and_its_reduction():
    pipeline = infer_pipeline(
        tab(
            job("0 1 * * *", "extract.sh --out /d/raw.csv"),
            job("0 2 * * *", "clean.sh --in /d/raw.csv --out /d/clean.csv"),
            job("0 3 * * *", "report.sh --in /d/clean.csv --in /d/raw.csv"),
        )
    )
    assert edges(pipeline) == {
        ("extract", "clean"),
        ("clean", "report"),
    }  # extract >> report is implied


def test_reading_before_the_writer_fires_is_not_an_edge():
    pipeline = infer_pipeline(
        tab(job("0 5 * * *", "build.sh --out /d/x.csv"), job("0 1 * * *", "ship.sh --in /d/x.csv"))
    )
    assert edges(pipeline) == set()


def test_midnight_crossing_chain():
    pipeline = infer_pipeline(
        tab(
            job("30 23 * * *", "snap --out /d/u.json"),
            job("15 0 * * *", "rate --in /d/u.json --out /d/r.json"),
            job("0 1 * * *", "bill --in /d/r.json"),
        )
    )
    assert edges(pipeline) == {("snap", "rate"), ("rate", "bill")}
    (dag,) = pipeline.dags
    assert [t.task_id for t in dag.tasks] == ["snap", "rate", "bill"]
    assert dag.schedule == "30 23 * * *"
    assert [int(t.offset.total_seconds() // 60) for t in dag.tasks] == [0, 45, 90]


def test_cron_tz_entries_are_ordered_by_instant():
    pipeline = infer_pipeline(
        tab(
            job("0 6 * * *", "load.sh --in /x/us.csv"),  # UTC
            job(
                "0 22 * * *", "export.sh --out /x/us.csv", timezone="America/New_York"
            ),  # 03:00 UTC
        )
    )
    assert edges(pipeline) == {("export", "load")}
    (dag,) = pipeline.dags
    assert dag.timezone == "America/New_York"
    assert dag.tasks[0].task_id == "export"


def test_decoys_stay_independent():
    pipeline = infer_pipeline(
        tab(
            job("0 1 * * *", "export_orders.sh > /var/exports/orders.csv"),
            job("10 1 * * *", "mysqldump shop | gzip > /backup/shop.sql.gz"),
            job("20 1 * * *", "enrich_orders.py /var/exports/orders.csv /var/exports/enriched.csv"),
            job("30 1 * * *", "find /var/exports -name '*.csv' -mtime +7 -delete"),
            job("* * * * *", "/opt/heartbeat.sh"),
            job("40 1 * * *", "/usr/sbin/logrotate /etc/logrotate.d/shop"),
            job("@reboot", "/opt/start_worker.sh"),
        )
    )
    assert edges(pipeline) == {("export_orders", "enrich_orders")}
    assert cross(pipeline) == set()
    notes = {d.tasks[0].task_id: d.tasks[0].note for d in pipeline.dags if len(d.tasks) == 1}
    assert "housekeeping" in notes["mysqldump_shop"]
    assert "housekeeping" in notes["find_exports"]
    assert "monitor" in notes["heartbeat"] or "housekeeping" in notes["heartbeat"]
    assert [u.reason for u in pipeline.unscheduled] == ["@reboot has no schedule"]


def test_different_cadences_become_cross_dag_edges():
    pipeline = infer_pipeline(
        tab(
            job("0 2 * * *", "load_sales.py --out /d/sales.parquet"),
            job("0 6 * * 0", "weekly_report.py --in /d/sales.parquet"),
            job("0 * * * *", "poll.py --in /d/sales.parquet"),  # finer than its producer: no link
        )
    )
    assert edges(pipeline) == set()
    assert cross(pipeline) == {("load_sales", "weekly_report")}
    (link,) = pipeline.cross_dag_edges
    assert link.upstream_dag == "load_sales" and link.downstream_dag == "weekly_report"


def test_shared_lock_serialises_in_time_order():
    pipeline = infer_pipeline(
        tab(
            job("0 2 * * *", "flock /var/lock/ix.lock reindex"),
            job("0 3 * * *", "flock /var/lock/ix.lock synonyms"),
            job("30 3 * * *", "flock /var/lock/ix.lock warm"),
        )
    )
    assert edges(pipeline) == {("reindex", "synonyms"), ("synonyms", "warm")}


def test_name_words_link_to_the_latest_earlier_bearer_but_not_siblings():
    pipeline = infer_pipeline(
        tab(
            job("0 0 * * *", "python fetch_orders.py"),
            job("0 0 * * *", "python fetch_refunds.py"),
            job("30 0 * * *", "python clean_orders.py"),
            job("0 1 * * *", "python net_revenue_from_orders_and_refunds.py"),
            job("30 1 * * *", "python refresh_orders_dashboard.py"),
        )
    )
    assert edges(pipeline) == {
        ("fetch_orders", "clean_orders"),
        ("clean_orders", "net_revenue_from_orders_and_refunds"),
        ("fetch_refunds", "net_revenue_from_orders_and_refunds"),
        ("clean_orders", "refresh_orders_dashboard"),
    }


def test_a_shared_word_adds_no_downstream_to_a_job_whose_outputs_are_all_read_elsewhere():
    # enrich's only output goes to score; export merely shares "leads" with it. A name edge
    # enrich >> export would also swallow enrich >> score in the transitive reduction.
    pipeline = infer_pipeline(
        tab(
            job("0 2 * * *", "/opt/g/enrich_leads.sh --out /x/enrichment.csv"),
            job("0 7 * * *", "/opt/us/export_leads.sh --out /x/leads.csv"),
            job("30 7 * * *", "/opt/us/score_leads.sh --in /x/enrichment.csv --in /x/leads.csv"),
        )
    )
    assert edges(pipeline) == {
        ("enrich_leads", "score_leads"),
        ("export_leads", "score_leads"),
    }


def test_one_script_run_on_different_arguments_is_not_a_chain():
    pipeline = infer_pipeline(
        tab(
            job("0 1 * * *", "python /opt/jobs/partner_report.py --partner acme"),
            job("0 2 * * *", "python /opt/jobs/partner_report.py --partner globex"),
            job("0 3 * * *", "/usr/local/bin/meltano run tap-github target-postgres"),
            job("0 4 * * *", "/usr/local/bin/meltano run tap-jira target-postgres"),
            # ... unless the arguments are different steps
            job("0 5 * * *", "/opt/etl/orders.sh extract"),
            job("0 6 * * *", "/opt/etl/orders.sh load"),
        )
    )
    assert edges(pipeline) == {("orders_extract", "orders_load")}


def test_a_reader_on_another_calendar_does_not_account_for_an_output():
    # the weekly score reads enrich's file (a cross-DAG link); within the daily cycle the shared
    # word still suggests enrich to the later export (a suggestion: words are not data flow)
    pipeline = infer_pipeline(
        tab(
            job("0 2 * * *", "/opt/g/enrich_leads.sh --out /x/enrichment.csv"),
            job("0 3 * * *", "/opt/us/export_leads.sh --out /x/leads.csv"),
            job("0 6 * * 1", "/opt/us/weekly_score.sh --in /x/enrichment.csv"),
        )
    )
    assert edges(pipeline) == set()
    (suggestion,) = pipeline.suggestions
    assert (suggestion.upstream, suggestion.downstream) == ("enrich_leads", "export_leads")
    assert any(e.kind == "name" and '"leads"' in e.detail for e in suggestion.evidence)
    assert ("enrich_leads", "weekly_score") in cross(pipeline)


def test_time_proximity_suggests_steps_of_one_application_only():
    # nothing but time and verb order: the seed's combine >> load without its comments is
    # suggested, never applied ...
    same = infer_pipeline(
        tab(
            job("0 2 * * *", "python combine_api_and_database.py"),
            job("0 3 * * *", "python load_to_warehouse.py"),
        )
    )
    assert edges(same) == set()
    assert suggested(same) == {("combine_api_and_database", "load_to_warehouse")}
    # ... but scripts of different applications are not a pipeline because one fires first
    apart = infer_pipeline(
        tab(
            job("0 1 * * *", "/opt/crm/bin/import_leads.sh"),
            job("20 1 * * *", "/opt/billing/bin/compute_usage.py"),
            job("40 1 * * *", "/opt/search/bin/build_sitemap.sh"),
            job("0 2 * * *", "/opt/marketing/bin/send_newsletter.py"),
        )
    )
    assert edges(apart) == set() and suggested(apart) == set()


def test_comments_name_jobs_and_before_turns_them_around():
    pipeline = infer_pipeline(
        tab(
            job("0 1 * * *", "/srv/bin/import_catalog"),
            job("30 1 * * *", "/srv/bin/import_prices", comments=["after the catalog import"]),
            job("0 2 * * *", "/srv/bin/publish_feed"),
            job(
                "0 0 * * *",
                "/srv/bin/warm_caches",
                comments=["must finish before the feed is published"],
            ),
        )
    )
    assert edges(pipeline) == {("import_catalog", "import_prices"), ("warm_caches", "publish_feed")}


def test_a_comment_saying_independent_wins():
    pipeline = infer_pipeline(
        tab(
            job("0 1 * * *", "sales_extract.sh --out /d/sales.csv"),
            job(
                "0 2 * * *",
                "sales_audit.sh /d/sales.csv",
                comments=["independent of the load; runs on its own"],
            ),
        )
    )
    assert edges(pipeline) == set()


def test_task_ids_are_unique_valid_and_stable():
    entries = [
        job("0 1 * * *", "/opt/etl/sales/extract.py"),
        job("0 1 * * *", "/opt/etl/hr/extract.py"),
        job("0 2 * * *", "python run.py"),
        job("0 3 * * *", "python run.py"),
        job("0 4 * * *", "/opt/bin/2fa-check"),
        job("0 5 * * *", "import.sh"),
    ]
    first = [t.task_id for d in infer_pipeline(tab(*entries)).dags for t in d.tasks]
    again = [t.task_id for d in infer_pipeline(tab(*entries)).dags for t in d.tasks]
    assert first == again
    assert len(set(first)) == len(first) == 6
    assert all(i.isidentifier() for i in first)
    assert {"extract_sales", "extract_hr", "import_", "job_2fa_check"} <= set(first)


def test_accented_script_names_keep_their_letters_in_task_ids():
    pipeline = infer_pipeline(tab(job("0 1 * * *", "/opt/données/ingérer_ventes.py")))
    assert pipeline.dags[0].tasks[0].task_id == "ingerer_ventes"


def test_one_wrapper_run_with_different_steps_is_named_by_each_step():
    # each later step also names the earlier step's output, so no step word is unique to one job
    pipeline = infer_pipeline(
        tab(
            job("0 1 * * *", "/opt/etl/run_step.sh --step extract --out /d/extract.json"),
            job("0 2 * * *", "/opt/etl/run_step.sh --step transform --in /d/extract.json"),
            job("0 3 * * *", "/opt/etl/run_step.sh --step load --in /d/transform.json"),
        )
    )
    ids = [t.task_id for d in pipeline.dags for t in d.tasks]
    assert ids == ["run_step_extract", "run_step_transform", "run_step_load"]


def test_every_entry_appears_exactly_once():
    crontab = tab(
        job("0 1 * * *", "a.sh --out /d/a"),
        job("@reboot", "b.sh"),
        job("0 0 30 2 *", "c.sh"),
        job("0 2 * * *", "d.sh --in /d/a"),
        job("*/5 * * * *", "e.sh"),
    )
    pipeline = infer_pipeline(crontab)
    lines = [t.entry.line for d in pipeline.dags for t in d.tasks] + [
        u.line for u in pipeline.unscheduled
    ]
    assert sorted(lines) == sorted(e.line for e in crontab.entries)
    reasons = {u.line: u.reason for u in pipeline.unscheduled}
    assert "never fires" in reasons[crontab.entries[2].line]


def test_several_pipelines_get_distinct_dag_ids():
    pipeline = infer_pipeline(
        tab(
            job("0 1 * * *", "extract_sales.py --out /d/s.csv"),
            job("0 2 * * *", "load_sales.py --in /d/s.csv"),
            job("0 1 * * *", "extract_hr.py --out /d/h.csv"),
            job("0 2 * * *", "load_hr.py --in /d/h.csv"),
            path="/etc/cron.d/etl",
        )
    )
    assert sorted(d.dag_id for d in pipeline.dags) == ["etl_hr", "etl_sales"]


def test_unorderable_data_flows_are_reported():
    pipeline = infer_pipeline(
        tab(
            job("0 3 * * *", "export.sh --out /x/sales.csv", timezone="Europe/Berlin"),
            job("30 1 * * *", "merge.sh --in /x/sales.csv"),  # between 02:00 and 01:00 UTC
            job("0 5 * * *", "a.sh --out /x/a.csv"),
            job("0 5 * * *", "b.sh --in /x/a.csv"),  # same instant
        )
    )
    assert edges(pipeline) == set()
    notes = "\n".join(pipeline.diagnostics)
    assert (
        "merge uses what export (line 1) writes (/x/sales.csv), but daylight saving time" in notes
    )
    assert (
        "b uses what a (line 6) writes (/x/a.csv), but cron starts both at the same instant"
        in notes
    )


def test_jobs_run_in_a_container_are_named_and_linked_by_what_they_run():
    pipeline = infer_pipeline(
        tab(
            job("0 1 * * *", "sudo -u etl docker exec etl python /app/extract_accounts.py"),
            job("0 2 * * *", "docker exec etl python /app/dedupe_accounts.py --in /s/a.csv"),
            job(
                "0 3 * * *", "kubectl exec -n etl deploy/w -- python /app/sync_crm.py --in /s/b.csv"
            ),
        )
    )
    ids = [t.task_id for dag in pipeline.dags for t in dag.tasks]
    assert sorted(ids) == ["dedupe_accounts", "extract_accounts", "sync_crm"]
    assert ("extract_accounts", "dedupe_accounts") in edges(pipeline)


def test_a_pattern_reader_matches_writers_of_its_extension_only():
    pipeline = infer_pipeline(
        tab(
            job("0 1 * * *", "dump_json.sh > /d/in/a.json"),
            job("5 1 * * *", "dump_csv.sh > /d/in/b_$(date +%F).csv"),
            job("0 3 * * *", "merge_all.py --in '/d/in/*.csv' --out /d/out/all.parquet"),
        )
    )
    assert edges(pipeline) == {("dump_csv", "merge_all")}


def test_each_block_sees_the_variables_assigned_above_it():
    from migrator.crontab.parser import parse_crontab

    text = (
        "DATA=/a\n"
        "0 1 * * * extract.sh --out $DATA/raw.csv\n"
        "0 2 * * * load.sh --in $DATA/raw.csv\n"
        "DATA=/b\n"
        "API_TOKEN=s3cr3tvalue\n"
        "0 3 * * * report.sh --in $DATA/raw.csv --token $API_TOKEN\n"
        "CRON_TZ=UTC\n"
        "DATA=/a\n"
        "0 4 * * * summary.sh --in $DATA/raw.csv\n"
    )
    pipeline = infer_pipeline(parse_crontab(text, "vars.crontab"))
    assert edges(pipeline) == {("extract", "load"), ("extract", "summary")}
    report = next(t for d in pipeline.dags for t in d.tasks if t.task_id.startswith("report"))
    assert "s3cr3t" not in report.task_id
    assert not any(
        e.upstream == "extract" and e.downstream == "report" for e in pipeline.suggestions
    )


def test_a_secret_in_a_comment_is_not_quoted_in_evidence():
    from migrator.crontab.parser import parse_crontab
    from migrator.infer.render import render_json

    text = (
        "0 1 * * * /opt/etl/extract_orders.sh\n"
        "# load the orders after extract_orders is done\n"
        "# 0 2 * * * mysql -u root -pOldPassw0rd shop < /d/x.sql\n"
        "0 2 * * * /opt/etl/load_orders.sh\n"
    )
    shown = render_json(infer_pipeline(parse_crontab(text, "c.crontab")))
    assert "comment above load_orders" in shown
    assert "OldPas" not in shown  # not even its start (the quote is cut at 80 characters)


def test_a_housekeeping_job_follows_only_the_housekeeping_file_it_uses_exactly():
    pipeline = infer_pipeline(
        tab(
            job("0 1 * * *", "/opt/etl/export.sh --out /data/orders.csv"),
            job("0 2 * * *", "mysqldump shop | gzip > /var/backups/shop.sql.gz"),
            job("30 2 * * *", "curl -fsS -T /var/backups/shop.sql.gz https://files.example.com/"),
            job("0 3 * * *", "tar czf /var/backups/data.tgz /data/orders.csv"),
            job("0 4 * * *", "find /var/backups -name '*.gz' -mtime +7 -delete"),
        )
    )
    # the dump is shipped once written; the backup of the pipeline's data and the cleanup of
    # the backups directory wait for nobody
    assert edges(pipeline) == {("mysqldump_shop", "curl_shop")}
