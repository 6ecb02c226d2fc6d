import networkx as nx

from migrator.analysis.graph import cycles, redundant_edges, stable_topological_order, transitive_reduction


def test_cycles_reports_one_path_per_knot_and_self_loops():
    g = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a"), ("d", "d"), ("e", "f")])
    found = cycles(g)
    assert ["d", "d"] in found
    knot = next(p for p in found if len(p) == 4)
    assert knot[0] == knot[-1] == "a"
    assert set(knot) == {"a", "b", "c"}
    assert len(found) == 2


def test_transitive_reduction_keeps_attributes_and_drops_implied_edges():
    g = nx.DiGraph()
    g.add_node("a", record="A")
    g.add_edge("a", "b", evidence=["x"])
    g.add_edge("b", "c", evidence=["y"])
    g.add_edge("a", "c", evidence=["z"])
    reduced = transitive_reduction(g)
    assert set(reduced.edges) == {("a", "b"), ("b", "c")}
    assert reduced.nodes["a"]["record"] == "A"
    assert reduced.edges["a", "b"]["evidence"] == ["x"]
    assert redundant_edges(g) == [("a", "c")]


def test_topological_order_is_independent_of_insertion_order():
    one = nx.DiGraph([("z", "m"), ("a", "m")])
    two = nx.DiGraph([("a", "m"), ("z", "m")])
    assert stable_topological_order(one) == stable_topological_order(two) == ["a", "z", "m"]
