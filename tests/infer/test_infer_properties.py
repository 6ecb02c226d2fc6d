"""Invariants of inference on random crontabs (hypothesis)."""

from __future__ import annotations

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from infer_builders import job, tab

from migrator.infer import infer_pipeline
from migrator.infer.calendar import forward, timing

SCHEDULES = [
    "0 0 * * *",
    "0 1 * * *",
    "30 1 * * *",
    "0 2 * * *",
    "45 23 * * *",
    "15 0 * * *",
    "5 * * * *",
    "20 * * * *",
    "0 6 * * 1-5",
    "30 23 * * 1-5",
    "30 0 * * 2-6",
    "0 3 1 * *",
    "0 9 2 * *",
    "* * * * *",
    "*/15 * * * *",
    "@reboot",
    "0 0 30 2 *",
    "0 7 * * 0",
]
ZONES = [None, None, None, "Europe/Berlin", "America/New_York", "Asia/Tokyo"]
FILES = ["/d/a.csv", "/d/b.csv", "/d/c.parquet", "/d/{x}/*.json", "/d/out/"]
SCRIPTS = [
    "extract_orders",
    "clean_orders",
    "load_orders",
    "ingest_api",
    "transform_api",
    "report",
    "sync_users",
    "backup_db",
    "run",
    "export_sales",
]


@st.composite
def entries(draw):
    count = draw(st.integers(min_value=1, max_value=12))
    built = []
    for line in range(count):
        script = draw(st.sampled_from(SCRIPTS))
        parts = [f"python {script}.py"]
        for option in ("--in", "--out"):
            if draw(st.booleans()):
                parts.append(f"{option} {draw(st.sampled_from(FILES)).replace('{x}', 'p')}")
        if draw(st.integers(0, 4)) == 0:
            parts.insert(0, "flock /tmp/l.lock")
        comments = []
        if draw(st.integers(0, 3)) == 0:
            comments.append(f"after {draw(st.sampled_from(SCRIPTS)).replace('_', ' ')}")
        built.append(
            job(
                draw(st.sampled_from(SCHEDULES)),
                " ".join(parts),
                comments=comments,
                timezone=draw(st.sampled_from(ZONES)),
                line=2 * line + 1,
            )
        )
    return tab(*built)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries())
def test_inference_invariants(crontab):
    pipeline = infer_pipeline(crontab)
    # every entry exactly once
    lines = [t.entry.line for d in pipeline.dags for t in d.tasks] + [
        u.line for u in pipeline.unscheduled
    ]
    assert sorted(lines) == sorted(e.line for e in crontab.entries)
    ids = [t.task_id for d in pipeline.dags for t in d.tasks]
    assert len(set(ids)) == len(ids) and all(i.isidentifier() for i in ids)
    dag_ids = [d.dag_id for d in pipeline.dags]
    assert len(set(dag_ids)) == len(dag_ids) and all(i.isidentifier() for i in dag_ids)
    for dag in pipeline.dags:
        graph = nx.DiGraph([(e.upstream, e.downstream) for e in dag.edges])
        graph.add_nodes_from(t.task_id for t in dag.tasks)
        assert nx.is_directed_acyclic_graph(graph)
        assert set(nx.transitive_reduction(graph).edges) == set(graph.edges)
        assert nx.number_weakly_connected_components(graph) == 1
        order = [t.task_id for t in dag.tasks]
        for edge in dag.edges:
            assert 0.3 <= edge.confidence <= 1.0
            assert order.index(edge.upstream) < order.index(edge.downstream)
            up, down = dag.task(edge.upstream), dag.task(edge.downstream)
            # same calendar, upstream earlier in the same cycle
            a = timing(up.entry.schedule, up.entry.schedule.timezone or "UTC")
            b = timing(down.entry.schedule, down.entry.schedule.timezone or "UTC")
            assert forward(a, b) is not None
        assert dag.tasks[0].offset.total_seconds() == 0
    for link in pipeline.cross_dag_edges:
        assert link.upstream_dag != link.downstream_dag
        assert 0.5 <= link.confidence <= 1.0
    # deterministic
    assert infer_pipeline(crontab).to_json() == pipeline.to_json()
