"""Static extraction: DAGs, tasks and dependencies as Airflow would build them, without importing."""

from __future__ import annotations

import ast
import dataclasses
import textwrap

import networkx as nx

from migrator.analysis.extract import extract
from migrator.analysis.model import (
    DagModel,
    EdgeKind,
    FileModel,
    Role,
    TaskKind,
    TaskRecord,
    is_placeholder,
)


def model(source: str) -> FileModel:
    return extract("dag.py", textwrap.dedent(source))


def only(m: FileModel) -> DagModel:
    assert len(m.dags) == 1, [d.dag_id for d in m.dags]
    return m.dags[0]


def edges(dag: DagModel) -> set[tuple[str, str]]:
    return {(e.upstream, e.downstream) for e in dag.edges}


AF3 = """
    import pendulum
    from airflow.sdk import DAG, TaskGroup, chain, chain_linear, cross_downstream, dag, task, task_group, Label
    from airflow.providers.standard.operators.bash import BashOperator
"""


def test_with_dag_operators_and_bitshift_with_lists():
    dag = only(model(AF3 + """
    with DAG("etl", schedule="@daily") as d:
        a = BashOperator(task_id="a", bash_command="a")
        b = BashOperator(task_id="b", bash_command="b")
        c = BashOperator(task_id="c", bash_command="c")
        e = BashOperator(task_id="e", bash_command="e")
        a >> [b, c] >> e
        e << BashOperator(task_id="f", bash_command="f")
    """))
    assert dag.dag_id == "etl" and dag.style == "context"
    assert [t.task_id for t in dag.tasks] == ["a", "b", "c", "e", "f"]
    assert edges(dag) == {("a", "b"), ("a", "c"), ("b", "e"), ("c", "e"), ("f", "e")}
    assert all(e.kind is EdgeKind.BITSHIFT for e in dag.edges)
    assert dag.tasks[0].span.line == 7 and dag.tasks[0].callee.endswith("bash.BashOperator")


def test_dag_assignment_and_dag_argument_and_methods():
    m = model("""
    from airflow.models import DAG
    from airflow.operators.bash import BashOperator
    etl = DAG(dag_id="legacy", schedule_interval="@daily")
    a = BashOperator(task_id="a", bash_command="a", dag=etl)
    b = BashOperator(task_id="b", bash_command="b", dag=etl)
    c = BashOperator(task_id="c", bash_command="c")
    a.set_downstream(b)
    c.set_upstream([a, b])
    """)
    dag = only(m)
    assert dag.style == "assignment"
    assert [t.task_id for t in dag.tasks] == ["a", "b", "c"]  # c is bound through its dependency
    assert edges(dag) == {("a", "b"), ("a", "c"), ("b", "c")}
    assert not m.unbound_tasks


def test_dag_decorator_airflow2_and_airflow3_imports_and_taskflow_data():
    for header in ("from airflow.decorators import dag, task", "from airflow.sdk import dag, task"):
        m = model(f"""
        {header}

        @dag(schedule=None)
        def pipeline():
            @task
            def extract():
                return 1

            @task(task_id="transform_it")
            def transform(value):
                return value

            @task
            def load(a, b):
                pass

            raw = extract()
            load(transform(raw), {{"again": extract()}})

        pipeline()
        """)
        dag = only(m)
        assert dag.dag_id == "pipeline" and dag.style == "decorator"
        assert [t.task_id for t in dag.tasks] == ["extract", "transform_it", "extract__1", "load"]
        assert edges(dag) == {("extract", "transform_it"), ("transform_it", "load"), ("extract__1", "load")}
        assert {e.kind for e in dag.edges} == {EdgeKind.DATA}
        assert all(t.kind is TaskKind.TASKFLOW for t in dag.tasks)
        assert dag.tasks[0].function is not None and m.roles_of(dag.tasks[0].function) == {Role.TASK}
        assert dag.function is not None and Role.PARSE in m.roles_of(dag.function)


def test_override_partial_expand_and_output():
    dag = only(model(AF3 + """
    with DAG("mapped"):
        @task
        def add(x, y):
            return x + y

        @task
        def numbers():
            return [1, 2]

        first = add.override(task_id="first")(1, 2)
        mapped = add.partial(y=first).expand(x=numbers())
        op = BashOperator.partial(task_id="shell").expand(bash_command=["a", "b"])
        BashOperator(task_id="uses_output", bash_command=op.output)
    """))
    ids = {t.task_id: t for t in dag.tasks}
    assert set(ids) == {"first", "numbers", "add", "shell", "uses_output"}
    assert ids["add"].mapped and ids["shell"].mapped and not ids["first"].mapped
    assert edges(dag) == {("first", "add"), ("numbers", "add"), ("shell", "uses_output")}


def test_task_groups_prefix_nesting_and_group_dependencies():
    dag = only(model(AF3 + """
    with DAG("groups"):
        start = BashOperator(task_id="start", bash_command="s")
        with TaskGroup("load") as load:
            a = BashOperator(task_id="a", bash_command="a")
            with TaskGroup("inner"):
                b = BashOperator(task_id="b", bash_command="b")
            a >> b
        with TaskGroup("flat", prefix_group_id=False) as flat:
            BashOperator(task_id="c", bash_command="c")
        end = BashOperator(task_id="end", bash_command="e")
        start >> load >> flat >> end
    """))
    assert [t.task_id for t in dag.tasks] == ["start", "load.a", "load.inner.b", "c", "end"]
    assert edges(dag) == {("load.a", "load.inner.b"), ("start", "load.a"), ("load.inner.b", "c"), ("c", "end")}
    assert {t.task_id: t.group_id for t in dag.tasks}["load.inner.b"] == "load.inner"


def test_task_group_decorator_suffixes_and_returns_its_result():
    dag = only(model(AF3 + """
    @dag
    def pipe():
        @task
        def one():
            return 1

        @task_group
        def section(value):
            @task
            def inner(v):
                return v
            return inner(value)

        first = section(one())
        second = section(first)

    pipe()
    """))
    assert [t.task_id for t in dag.tasks] == ["one", "section.inner", "section__1.inner"]
    assert edges(dag) == {("one", "section.inner"), ("section.inner", "section__1.inner")}


def test_chain_chain_linear_cross_downstream_and_labels():
    dag = only(model(AF3 + """
    with DAG("chains"):
        t = [BashOperator(task_id=f"t{i}", bash_command="x") for i in range(6)]
        chain(t[0], [t[1], t[2]], [t[3], t[4]], t[5])
        x = BashOperator(task_id="x", bash_command="x")
        y = BashOperator(task_id="y", bash_command="y")
        z = BashOperator(task_id="z", bash_command="z")
        chain_linear(x, [y, z])
        cross_downstream([x, y], [z, t[0]])
        t[5] >> Label("then") >> x
    """))
    assert edges(dag) == {
        ("t0", "t1"), ("t0", "t2"), ("t1", "t3"), ("t2", "t4"), ("t3", "t5"), ("t4", "t5"),
        ("x", "y"), ("x", "z"), ("x", "t0"), ("y", "z"), ("y", "t0"), ("t5", "x"),
    }


def test_loops_over_literal_lists_constants_dicts_and_helpers():
    dag = only(model(AF3 + """
    TABLES = ["orders", "customers"]
    SOURCES = {"crm": "daily", "erp": "hourly"}

    def make(name):
        return BashOperator(task_id=f"make_{name}", bash_command=name)

    with DAG("loops"):
        start = BashOperator(task_id="start", bash_command="s")
        for table in TABLES:
            start >> BashOperator(task_id=f"load_{table}", bash_command=table)
        for source, cadence in SOURCES.items():
            BashOperator(task_id=f"{source}_{cadence}", bash_command="x")
        loaded = []
        for i in range(2):
            loaded.append(make(str(i)))
        start >> loaded
    """))
    assert [t.task_id for t in dag.tasks] == [
        "start", "load_orders", "load_customers", "crm_daily", "erp_hourly", "make_0", "make_1",
    ]
    assert edges(dag) == {("start", "load_orders"), ("start", "load_customers"), ("start", "make_0"), ("start", "make_1")}


def test_what_cannot_be_resolved_is_noted_and_ids_become_placeholders():
    m = model(AF3 + """
    with DAG("dynamic"):
        start = BashOperator(task_id="start", bash_command="s")
        for name in get_names():
            BashOperator(task_id="fixed", bash_command=name)
        BashOperator(task_id=compute_id(), bash_command="x")
        BashOperator(task_id=compute_id(), bash_command="y")
        start >> unknown_task
        other = pick_one()
        other >> start
    with DAG(dag_id_from_somewhere()):
        BashOperator(task_id="kept", bash_command="x")
    """)
    dynamic, placeholder = m.dags
    assert [t.task_id for t in dynamic.tasks] == ["start", "fixed", "<compute_id()>", "<compute_id()>#2"]
    assert [t.uncertain for t in dynamic.tasks] == [False, True, True, True]  # never duplicates
    assert not dynamic.edges
    assert placeholder.dag_id == "<dag_id_from_somewhere()>" and is_placeholder(placeholder.dag_id)
    assert [t.task_id for t in placeholder.tasks] == ["kept"]
    reasons = " ".join(u.reason for u in m.unresolved)
    assert "not a literal: analysed as `<compute_id()>`" in reasons and "cannot be resolved" in reasons


def test_if_branches_are_tagged_and_bindings_merged():
    dag = only(model(AF3 + """
    import os
    with DAG("branches"):
        if os.environ.get("FULL"):
            job = BashOperator(task_id="job", bash_command="full")
        else:
            job = BashOperator(task_id="job", bash_command="light")
        after = BashOperator(task_id="after", bash_command="x")
        job >> after
    """))
    first, second = dag.tasks[0], dag.tasks[1]
    assert first.branch != second.branch
    assert not dag.edges  # `job` is one of two tasks: no edge is guessed


def test_cross_dag_edges_and_unbound_tasks():
    m = model(AF3 + """
    with DAG("one"):
        a = BashOperator(task_id="a", bash_command="a")
    with DAG("two"):
        b = BashOperator(task_id="b", bash_command="b")
        a >> b
    floating = BashOperator(task_id="floating", bash_command="f")
    """)
    assert [(e.upstream_dag, e.upstream, e.downstream_dag, e.downstream) for e in m.cross_dag_edges] == [("one", "a", "two", "b")]
    assert [t.task_id for t in m.unbound_tasks] == ["floating"]


def test_default_args_merge_and_argument_lookup():
    m = model(AF3 + """
    BASE = {"retries": 2, "owner": "data"}
    with DAG("defaults", default_args={**BASE, "owner": "etl"}):
        with TaskGroup("g", default_args={"retries": 5}):
            a = BashOperator(task_id="a", bash_command="a")
        b = BashOperator(task_id="b", bash_command="b", retries=0)
        c = BashOperator(task_id="c", bash_command="c", **EXTRA)
    """)
    tasks = {t.task_id: t for t in only(m).tasks}
    assert ast.literal_eval(tasks["g.a"].argument("retries")) == 5
    assert ast.literal_eval(tasks["g.a"].argument("owner")) == "etl"
    assert ast.literal_eval(tasks["b"].argument("retries")) == 0
    assert tasks["b"].argument("pool") is None


def test_graph_is_a_networkx_digraph_with_records_and_evidence():
    dag = only(model(AF3 + """
    with DAG("g"):
        a = BashOperator(task_id="a", bash_command="a")
        b = BashOperator(task_id="b", bash_command="b")
        a >> b
        b << a
    """))
    graph = dag.graph
    assert isinstance(graph, nx.DiGraph)
    assert isinstance(graph.nodes["a"]["record"], TaskRecord)
    assert len(graph.edges["a", "b"]["evidence"]) == 2
    assert not dag.has_cycle()


def test_roles_follow_helpers_from_task_code_and_parse_time():
    m = model(AF3 + """
    def shared():
        return 1

    def only_in_task():
        return shared()

    CONFIG = shared()

    with DAG("roles"):
        @task
        def work():
            return only_in_task()
        work()
    """)
    assert m.roles_of(m.functions["only_in_task"]) == {Role.TASK}
    assert m.roles_of(m.functions["shared"]) == {Role.TASK, Role.PARSE}


def test_task_record_fast_constructor_sets_every_field():
    dag = only(model(AF3 + """
    with DAG("x"):
        BashOperator(task_id="a", bash_command="a")
    """))
    record = dag.tasks[0]
    assert {f.name for f in dataclasses.fields(TaskRecord)} <= set(vars(record))


def test_pathological_input_stays_bounded():
    deep = "x = " + "(" * 90 + "1" + ")" * 90 + "\n"
    assert model(deep).dags == ()
    many = AF3 + "    with DAG('big'):\n" + "".join(
        f"        t{i} = BashOperator(task_id='t{i}', bash_command='x')\n" for i in range(3000)
    )
    assert len(only(model(many)).tasks) == 3000


def test_record_spans_are_exact_when_first_read_and_count_characters():
    # spans are computed on first read: check them against the source, in an ASCII and a non-ASCII file
    body = """
    with DAG("d") as d:
        a = BashOperator(task_id="a", bash_command=TEXT)
        b = BashOperator(task_id="b", bash_command="b"); a >> b
        b << BashOperator(task_id="c", bash_command=TEXT)
    """
    for text in ('"x"', '"ünïcödé ✓"'):
        m = model(AF3 + body.replace("TEXT", text))
        dag = only(m)
        lines = m.source.splitlines()
        for record in [*dag.tasks, *dag.edges]:
            span = record.span
            assert span is record.span  # computed once, then kept
            expected = "BashOperator(" if isinstance(record, TaskRecord) else ("a >> b", "b << ")
            assert lines[span.line - 1][span.column - 1 :].startswith(expected)
        last = dag.tasks[2]
        line = lines[last.span.line - 1]
        assert line[last.span.column - 1 : last.span.end_column - 1].startswith("BashOperator(task_id=")
        assert last.span.end_column - 1 == len(line)  # characters, not UTF-8 bytes
        assert dataclasses.replace(last, task_id="z").span == last.span


def test_dags_with_computed_ids_loops_and_factories_are_analysed_with_placeholder_ids(lint):
    source = AF3 + """
    from pathlib import Path

    from airflow.providers.standard.operators.python import PythonOperator

    def build(dag_id, tables, retries=3):
        with DAG(dag_id, schedule_interval="@daily", default_args={"retries": retries}) as dag:
            for table in tables:
                PythonOperator(task_id=f"load_{table}", python_callable=print, provide_context=True)
        return dag

    with DAG(Path(__file__).stem, concurrency=2):
        for name in get_names():
            BashOperator(task_id=f"export_{name}", bash_command="x", task_concurrency=1)
    """
    m = model(source)
    by_file_name, factory = m.dags  # the factory runs after the module, as nothing calls it
    assert factory.dag_id == "<dag_id>" and by_file_name.dag_id == "<Path(__file__).stem>"
    assert [t.task_id for t in factory.tasks] == ["<f'load_{table}'>"]
    assert [t.task_id for t in by_file_name.tasks] == ["<f'export_{name}'>"]
    assert all(t.uncertain for t in [*factory.tasks, *by_file_name.tasks])
    found = lint(textwrap.dedent(source), select=("AF301", "AF304", "DAG007", "DAG003", "OPS001"))
    assert [(f.code, f.message.split(" was")[0].split(" is ")[0]) for f in found.findings] == [
        ("AF301", "`schedule_interval`"),
        ("AF304", "`provide_context` of task `<f'load_{table}'>`"),
        ("OPS001", "No task of DAG `<Path(__file__).stem>` sets `retries` (`<f'export_{name}'>`); set it in `default_args`"),
        ("AF304", "`concurrency` of DAG `<Path(__file__).stem>`"),
        ("AF304", "`task_concurrency` of task `<f'export_{name}'>`"),
    ]
