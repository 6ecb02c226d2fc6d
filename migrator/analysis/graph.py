"""Graph checks shared by the migrator (inferred pipelines) and the linter (DAG files).

A DAG is a `networkx.DiGraph`: nodes are task ids with a `record` attribute, edges may carry
`evidence`. These functions are pure and never mutate their input.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

import networkx as nx


def cycles(graph: nx.DiGraph) -> list[list[Hashable]]:
    """One cycle per strongly connected knot, as a node path that returns to its start.

    Enumerating every simple cycle is exponential; one witness per knot is what a user needs to fix it.
    """
    found: list[list[Hashable]] = []
    for component in nx.strongly_connected_components(graph):
        if len(component) == 1:
            (node,) = component
            if graph.has_edge(node, node):
                found.append([node, node])
            continue
        sub = graph.subgraph(component)
        start = min(component, key=str)
        edges = nx.find_cycle(sub, source=start)
        path = [u for u, _ in edges]
        found.append(path + [path[0]])
    return sorted(found, key=lambda p: [str(n) for n in p])


def is_acyclic(graph: nx.DiGraph) -> bool:
    return nx.is_directed_acyclic_graph(graph)


def transitive_reduction(graph: nx.DiGraph) -> nx.DiGraph:
    """The transitive reduction, keeping node and edge attributes. The graph must be acyclic."""
    reduced = nx.transitive_reduction(graph)
    reduced.add_nodes_from(graph.nodes(data=True))
    reduced.add_edges_from((u, v, graph.edges[u, v]) for u, v in reduced.edges)
    return reduced


def redundant_edges(graph: nx.DiGraph) -> list[tuple[Hashable, Hashable]]:
    """Edges implied by longer paths (what the transitive reduction removes), in a stable order."""
    reduced = nx.transitive_reduction(graph)
    return sorted((e for e in graph.edges if not reduced.has_edge(*e)), key=lambda e: (str(e[0]), str(e[1])))


def stable_topological_order(
    graph: nx.DiGraph, key: Callable[[Hashable], object] = str
) -> list[Hashable]:
    """Topological order that breaks ties by `key`, so output never depends on insertion order."""
    return list(nx.lexicographical_topological_sort(graph, key=key))


def roots(graph: nx.DiGraph) -> list[Hashable]:
    return sorted((n for n in graph if graph.in_degree(n) == 0), key=str)


def leaves(graph: nx.DiGraph) -> list[Hashable]:
    return sorted((n for n in graph if graph.out_degree(n) == 0), key=str)


def weakly_connected_groups(graph: nx.DiGraph) -> list[set[Hashable]]:
    return sorted((set(c) for c in nx.weakly_connected_components(graph)), key=lambda c: min(map(str, c)))


def subgraph_of(graph: nx.DiGraph, nodes: Iterable[Hashable]) -> nx.DiGraph:
    return graph.subgraph(nodes).copy()
