"""`cron2dag infer` and `cron2dag graph` through click, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from migrator.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SEED = str(ROOT / "fixtures" / "crontabs" / "seed_pipeline.crontab")
CORPUS = ROOT / "fixtures" / "infer"


def _run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_infer_text_is_a_readable_plan():
    result = _run("infer", str(CORPUS / "decoys_heavy.crontab"))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "DAG decoys_heavy: schedule '0 1 * * *' (UTC), 3 tasks" in out
    assert "export_orders >> enrich_orders" in out
    assert "- path: /var/exports/orders.csv: written (redirect >), then named (argument)" in out
    assert "Left independent" in out and "housekeeping: database backup" in out
    assert "Unscheduled" in out and "@reboot has no schedule" in out


def test_infer_text_marks_low_confidence_edges_for_review():
    result = _run("infer", SEED)
    assert (
        "ingest_from_database >> combine_api_and_database  (0.64, REVIEW: low confidence)"
        in result.output
    )
    assert "1 edge to review" in result.output


def test_infer_json_follows_the_contract():
    result = _run("infer", SEED, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["source"] == SEED
    assert [d["dag_id"] for d in data["dags"]] == ["seed_pipeline"]
    assert {(e["upstream"], e["downstream"]) for e in data["dags"][0]["edges"]} == {
        ("ingest_from_rest_api", "transform_api_data"),
        ("transform_api_data", "combine_api_and_database"),
        ("ingest_from_database", "combine_api_and_database"),
        ("combine_api_and_database", "load_to_warehouse"),
    }


def test_infer_with_overrides_and_system_crontab(tmp_path: Path):
    overrides = tmp_path / "o.toml"
    overrides.write_text('[dags.system_cron_d]\ndag_id = "clickstream"\n')
    result = _run(
        "infer",
        str(CORPUS / "system_cron_d.crontab"),
        "--system",
        "--overrides",
        str(overrides),
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    dag = next(d for d in data["dags"] if d["dag_id"] == "clickstream")
    assert {t["user"] for t in dag["tasks"]} == {"etl"}


def test_infer_errors_exit_2_with_a_position(tmp_path: Path):
    overrides = tmp_path / "o.toml"
    overrides.write_text("[jobs.no_such_job]\nskip = true\n")
    result = _run("infer", SEED, "--overrides", str(overrides))
    assert result.exit_code == 2
    assert f"{overrides}:1:1: unknown job 'no_such_job'" in result.output
    assert "Traceback" not in result.output
    missing = _run("infer", str(tmp_path / "nope.crontab"))
    assert missing.exit_code == 2 and "cannot read" in missing.output
    bad_zone = _run("infer", SEED, "--tz", "Mars/Olympus")
    assert bad_zone.exit_code == 2 and "not an IANA time zone name" in bad_zone.output


def test_tz_sets_the_zone_of_plain_entries():
    data = json.loads(_run("infer", SEED, "--format", "json", "--tz", "Europe/Berlin").output)
    assert data["dags"][0]["timezone"] == "Europe/Berlin"


def test_graph_mermaid_and_dot():
    mermaid = _run("graph", SEED)
    assert mermaid.exit_code == 0
    assert mermaid.output.startswith("flowchart LR")
    assert (
        "seed_pipeline__ingest_from_rest_api -->|0.84| seed_pipeline__transform_api_data"
        in mermaid.output
    )
    # what inference is unsure of is drawn dashed, and only there
    assert (
        'seed_pipeline__ingest_from_database -. "suggested 0.59" .-> '
        "seed_pipeline__transform_api_data" in mermaid.output
    )
    assert mermaid.output.count(" -. ") == 1
    dot = _run("graph", str(CORPUS / "cross_cadence.crontab"), "--format", "dot")
    assert dot.exit_code == 0
    assert dot.output.startswith("digraph pipeline {")
    assert (
        '"cross_cadence_events.compact_events" -> "cross_cadence_daily_rollup.daily_rollup" '
        '[label="cross-DAG 0.94", style=bold];'
    ) in dot.output
    assert dot.output.rstrip().endswith("}")
