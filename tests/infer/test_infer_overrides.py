"""Overrides: pin and remove edges, rename tasks and DAGs, set DAG ids, skip jobs; clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from infer_builders import seed

from migrator.errors import InputError
from migrator.infer import infer_pipeline, load_overrides
from migrator.infer.overrides import parse_overrides


def _edges(pipeline):
    return {(e.upstream, e.downstream) for dag in pipeline.dags for e in dag.edges}


def _run(text: str):
    return infer_pipeline(seed(), parse_overrides(text, "o.toml"))


def test_pin_and_remove_edges():
    pipeline = _run(
        """
[jobs.transform_api_data]
after = ["ingest_from_database"]
not_after = ["ingest_from_rest_api"]
"""
    )
    found = _edges(pipeline)
    assert ("ingest_from_database", "transform_api_data") in found
    assert ("ingest_from_rest_api", "transform_api_data") not in found
    # nothing else ties ingest_from_rest_api to the others now: it is a DAG of its own
    assert [len(d.tasks) for d in pipeline.dags] == [1, 4]
    dag = pipeline.dags[1]
    pinned = next(
        e
        for e in dag.edges
        if (e.upstream, e.downstream) == ("ingest_from_database", "transform_api_data")
    )
    assert pinned.confidence == 1.0
    assert pinned.evidence[0].kind == "override"
    assert "o.toml:3" in pinned.evidence[0].detail


def test_rename_task_and_dag_and_skip():
    pipeline = _run(
        """
skip = ["load_to_warehouse"]

[jobs.transform_api_data]
task_id = "transform_api"

[dags.seed_pipeline]
dag_id = "nightly_etl"
"""
    )
    (dag,) = pipeline.dags
    assert dag.dag_id == "nightly_etl"
    assert "transform_api" in {t.task_id for t in dag.tasks}
    assert "load_to_warehouse" not in {t.task_id for t in dag.tasks}
    (skipped,) = pipeline.unscheduled
    assert skipped.line == 10 and "skipped by overrides" in skipped.reason


def test_dag_id_set_through_a_job_and_jobs_by_line():
    pipeline = _run(
        """
[jobs."line:6"]
dag_id = "etl_nightly"
"""
    )
    assert pipeline.dags[0].dag_id == "etl_nightly"


def test_pin_across_calendars_is_a_cross_dag_edge():
    from infer_builders import job, tab

    crontab = tab(
        job("0 1 * * *", "python daily_load.py"), job("0 6 * * 1", "python monday_report.py")
    )
    pipeline = infer_pipeline(
        crontab, parse_overrides('[jobs.monday_report]\nafter = ["daily_load"]\n', "o.toml")
    )
    assert {(e.upstream, e.downstream) for e in pipeline.cross_dag_edges} == {
        ("daily_load", "monday_report")
    }


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        (
            '[jobs.transfrom_api_data]\ntask_id = "x"\n',
            "unknown job 'transfrom_api_data'; did you mean 'transform_api_data'?",
            1,
            1,
        ),
        ('[jobs.transform_api_data]\nafter = ["nope"]\n', "unknown job 'nope'", 2, 10),
        ('skip = ["line:3"]\n', "no cron entry starts on line 3", 1, 9),
        ('[dags.nope]\ndag_id = "x"\n', "unknown DAG 'nope'", 1, 1),
        (
            '[jobs.ingest_from_rest_api]\nafter = ["load_to_warehouse"]\n',
            "pinned edges make a cycle",
            2,
            10,
        ),
        ('[jobs.transform_api_data]\ntask_id = "load_to_warehouse"\n', "already used", 1, 1),
    ],
)
def test_errors_name_the_place(text: str, message: str, line: int, column: int):
    with pytest.raises(InputError) as caught:
        _run(text)
    (diagnostic,) = caught.value.diagnostics
    assert message in diagnostic.message
    assert (diagnostic.path, diagnostic.line, diagnostic.column) == ("o.toml", line, column)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ('[jobs.a]\ntaskid = "x"\n', "unknown key 'taskid' in [jobs.a]", 2),
        ('[jobs.a]\ntask_id = "not valid"\n', "task_id must be a valid Python identifier", 2),
        ('[jobs.a]\nskip = "yes"\n', "skip must be true or false", 2),
        ("colour = 1\n", "unknown key 'colour'", 1),
        ("skip = []\n\n[edges]\npin = 1\n", "unknown key 'edges'", 3),
        ('# pins\n[[edges.pin]]\nupstream = "a"\n', "unknown key 'edges'", 2),
        ("[jobs.a\n", "invalid TOML", 1),
        ("[dags.x]\n", "needs dag_id", 1),
    ],
)
def test_file_shape_errors(text: str, message: str, line: int):
    with pytest.raises(InputError) as caught:
        parse_overrides(text, "o.toml")
    diagnostic = caught.value.diagnostics[0]
    assert message in diagnostic.message
    assert diagnostic.line == line


def test_load_overrides_reads_a_file(tmp_path: Path):
    path = tmp_path / "overrides.toml"
    path.write_text('[jobs.transform_api_data]\ntask_id = "t"\n')
    overrides = load_overrides(path)
    assert overrides.jobs[0].task_id == "t"
    with pytest.raises(InputError, match="cannot read overrides"):
        load_overrides(tmp_path / "missing.toml")
