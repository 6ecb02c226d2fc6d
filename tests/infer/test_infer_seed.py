"""The pipeline of the orchestration overview, inferred exactly, and the JSON contract around it."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from infer_builders import seed

from migrator.crontab.parser import load_crontab
from migrator.infer import infer_pipeline

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "fixtures" / "crontabs" / "seed_pipeline.crontab"

EXPECTED = {
    ("ingest_from_rest_api", "transform_api_data"),
    ("transform_api_data", "combine_api_and_database"),
    ("ingest_from_database", "combine_api_and_database"),
    ("combine_api_and_database", "load_to_warehouse"),
}


def _edges(pipeline):
    return {(e.upstream, e.downstream) for dag in pipeline.dags for e in dag.edges}


def test_seed_file_gives_exactly_the_true_pipeline():
    pipeline = infer_pipeline(load_crontab(SEED))
    assert len(pipeline.dags) == 1
    assert _edges(pipeline) == EXPECTED
    assert ("ingest_from_database", "transform_api_data") not in _edges(pipeline)
    assert pipeline.cross_dag_edges == ()
    assert pipeline.unscheduled == ()


def test_seed_built_from_model_objects_gives_the_same_pipeline():
    assert _edges(infer_pipeline(seed())) == EXPECTED


def test_seed_dag_fields_for_codegen():
    dag = infer_pipeline(load_crontab(SEED)).dags[0]
    assert dag.dag_id == "seed_pipeline"
    assert dag.schedule == "0 0 * * *"
    assert dag.timezone == "UTC"
    order = [t.task_id for t in dag.tasks]
    assert order == [
        "ingest_from_rest_api",
        "ingest_from_database",
        "transform_api_data",
        "combine_api_and_database",
        "load_to_warehouse",
    ]
    offsets = {t.task_id: t.offset for t in dag.tasks}
    assert offsets["ingest_from_database"] == timedelta(0)
    assert offsets["transform_api_data"] == timedelta(hours=1)
    assert offsets["load_to_warehouse"] == timedelta(hours=3)


def test_every_edge_explains_itself():
    dag = infer_pipeline(load_crontab(SEED)).dags[0]
    for edge in dag.edges:
        assert 0.5 <= edge.confidence <= 1.0
        kinds = [e.kind for e in edge.evidence]
        assert kinds[0] == "time-offset"
        assert set(kinds) - {"time-offset"}, "time alone is never an edge"
    by_pair = {(e.upstream, e.downstream): e for e in dag.edges}
    kinds = {e.kind for e in by_pair[("combine_api_and_database", "load_to_warehouse")].evidence}
    assert "comment" in kinds


def test_json_contract_shape_and_lines():
    crontab = load_crontab(SEED)
    data = json.loads(json.dumps(infer_pipeline(crontab).to_json()))
    assert set(data) == {
        "source",
        "dags",
        "cross_dag_edges",
        "suggestions",
        "unscheduled",
        "diagnostics",
    }
    dag = data["dags"][0]
    assert set(dag) == {"dag_id", "schedule", "timezone", "tasks", "edges"}
    assert set(dag["tasks"][0]) == {"task_id", "line", "command", "schedule", "user"}
    assert set(dag["edges"][0]) == {"upstream", "downstream", "confidence", "evidence"}
    assert set(dag["edges"][0]["evidence"][0]) == {"kind", "detail"}
    lines = [t["line"] for t in dag["tasks"]]
    assert sorted(lines) == [2, 4, 6, 8, 10]
    text = SEED.read_text().splitlines()
    for task in dag["tasks"]:
        assert task["command"] in text[task["line"] - 1]


def test_without_comments_the_last_step_is_only_suggested():
    """The five job lines alone: the steps named for one object (`api`, `database`) are a named
    pipeline; combine >> load shares no object, only proximity and verb order: a suggestion."""
    from infer_builders import job, tab

    pipeline = infer_pipeline(
        tab(
            job("0 0 * * *", "python ingest_from_rest_api.py"),
            job("0 0 * * *", "python ingest_from_database.py"),
            job("0 1 * * *", "python transform_api_data.py"),
            job("0 2 * * *", "python combine_api_and_database.py"),
            job("0 3 * * *", "python load_to_warehouse.py"),
        )
    )
    last = ("combine_api_and_database", "load_to_warehouse")
    assert _edges(pipeline) == EXPECTED - {last}
    (suggestion,) = pipeline.suggestions
    assert (suggestion.upstream, suggestion.downstream) == last
    assert suggestion.confidence < 0.5
    assert [e.kind for e in suggestion.evidence] == ["time-offset", "name"]
    assert not any(e.flow for e in suggestion.evidence)
