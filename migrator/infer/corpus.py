"""Scoring inference against a labelled corpus: crontabs with their true edges written down.

Each `NAME.crontab` has a sidecar `NAME.expected.toml`:

```toml
edges = [["extract_orders.py", "clean_orders.py"]]        # same-calendar dependencies
cross_dag_edges = [["daily_kpis", "weekly_report"]]        # links between calendars
system = true            # optional: read it as a system crontab (--system)
format = "system"        # optional: the format detection must find ("system" or "user")
scripts_root = "scripts" # optional: read the jobs' scripts there (--scripts-root), relative
```

A job is named by a piece of its command line that no other entry contains, or `line:N`, so the
labels do not depend on the task ids inference chooses. Expected edges are compared after
transitive reduction, like inference's output.

Besides precision and recall, a case reports how many of the jobs the labels leave alone
inference left alone too (a wrong edge changes what cron did; a missing one does not), and every
applied edge and suggestion with its confidence and whether it was right, for calibration.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from migrator.compat import tomllib
from migrator.crontab.model import CronTab
from migrator.crontab.parser import load_crontab
from migrator.errors import InputError
from migrator.infer.model import Pipeline
from migrator.infer.pipeline import infer_pipeline
from migrator.infer.scripts import ScriptReader

Pair = tuple[int, int]  # (upstream line, downstream line)


@dataclass(frozen=True)
class Counts:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.true_positives + other.true_positives,
            self.false_positives + other.false_positives,
            self.false_negatives + other.false_negatives,
        )

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Scored:
    """One link inference offered, for the calibration table."""

    confidence: float
    right: bool
    applied: bool  # an edge or cross-DAG edge; False: a suggestion


@dataclass(frozen=True)
class CaseResult:
    name: str
    edges: Counts
    cross: Counts
    missing: tuple[str, ...]  # expected edges not inferred, readable
    extra: tuple[str, ...]  # inferred edges not expected, readable
    alone_expected: int = 0  # jobs the labels link to no other job
    alone_kept: int = 0  # ... that inference left without any edge too
    format_right: bool | None = None  # None: the labels do not say which format it is
    scored: tuple[Scored, ...] = ()

    @property
    def total(self) -> Counts:
        return self.edges + self.cross


def _resolve(label: str, crontab: CronTab, expected_path: Path) -> int:
    if label.startswith("line:"):
        line = int(label[5:])
        if any(e.line == line for e in crontab.entries):
            return line
        raise InputError.at(str(expected_path), f"no entry on line {line}")
    hits = [e.line for e in crontab.entries if label in e.raw_command]
    if len(hits) != 1:
        raise InputError.at(
            str(expected_path), f"label {label!r} matches {len(hits)} entries, expected exactly 1"
        )
    return hits[0]


def _labels(crontab_path: Path) -> tuple[Path, dict[str, object]]:
    expected_path = crontab_path.with_name(crontab_path.name.replace(".crontab", ".expected.toml"))
    return expected_path, tomllib.loads(expected_path.read_text(encoding="utf-8"))


def load_case(crontab_path: Path) -> tuple[CronTab, set[Pair], set[Pair]]:
    expected_path, data = _labels(crontab_path)
    crontab = load_crontab(crontab_path, system=data.get("system"))
    edges = {
        (_resolve(a, crontab, expected_path), _resolve(b, crontab, expected_path))
        for a, b in data.get("edges", [])
    }
    cross = {
        (_resolve(a, crontab, expected_path), _resolve(b, crontab, expected_path))
        for a, b in data.get("cross_dag_edges", [])
    }
    graph = nx.DiGraph(list(edges))
    reduced = set(nx.transitive_reduction(graph).edges) if edges else set()
    return crontab, reduced, cross


def inferred_pairs(pipeline: Pipeline) -> tuple[set[Pair], set[Pair]]:
    line_of = {(dag.dag_id, t.task_id): t.entry.line for dag in pipeline.dags for t in dag.tasks}
    edges = {
        (line_of[(dag.dag_id, e.upstream)], line_of[(dag.dag_id, e.downstream)])
        for dag in pipeline.dags
        for e in dag.edges
    }
    cross = {
        (line_of[(e.upstream_dag, e.upstream)], line_of[(e.downstream_dag, e.downstream)])
        for e in pipeline.cross_dag_edges
    }
    return edges, cross


def _count(found: set[Pair], wanted: set[Pair]) -> Counts:
    return Counts(len(found & wanted), len(found - wanted), len(wanted - found))


def score_case(crontab_path: Path) -> CaseResult:
    crontab, wanted, wanted_cross = load_case(crontab_path)
    expected_path, data = _labels(crontab_path)
    scripts = None
    if "scripts_root" in data:
        root = expected_path.parent / str(data["scripts_root"])
        scripts = ScriptReader(root, use_machine=False)
    pipeline = infer_pipeline(crontab, scripts=scripts)
    found, found_cross = inferred_pairs(pipeline)
    name_of = {t.entry.line: t.task_id for dag in pipeline.dags for t in dag.tasks}

    def show(pairs: set[Pair], tag: str = "") -> tuple[str, ...]:
        return tuple(
            f"{tag}{name_of.get(a, a)} (line {a}) >> {name_of.get(b, b)} (line {b})"
            for a, b in sorted(pairs)
        )

    every = wanted | wanted_cross
    linked_wanted = {line for pair in every for line in pair}
    linked_found = {line for pair in found | found_cross for line in pair}
    alone = [line for line in name_of if line not in linked_wanted]
    format_right = None
    if "format" in data:
        detected = "system" if any(e.user is not None for e in crontab.entries) else "user"
        format_right = detected == data["format"]
    return CaseResult(
        name=crontab_path.stem,
        edges=_count(found, wanted),
        cross=_count(found_cross, wanted_cross),
        missing=show(wanted - found) + show(wanted_cross - found_cross, "cross: "),
        extra=show(found - wanted) + show(found_cross - wanted_cross, "cross: "),
        alone_expected=len(alone),
        alone_kept=sum(1 for line in alone if line not in linked_found),
        format_right=format_right,
        scored=_scored(pipeline, every),
    )


def _scored(pipeline: Pipeline, wanted: set[Pair]) -> tuple[Scored, ...]:
    line_of = {(dag.dag_id, t.task_id): t.entry.line for dag in pipeline.dags for t in dag.tasks}
    out = [
        Scored(
            e.confidence,
            (line_of[(dag.dag_id, e.upstream)], line_of[(dag.dag_id, e.downstream)]) in wanted,
            True,
        )
        for dag in pipeline.dags
        for e in dag.edges
    ]
    for link, applied in [(e, True) for e in pipeline.cross_dag_edges] + [
        (s, False) for s in pipeline.suggestions
    ]:
        pair = (
            line_of[(link.upstream_dag, link.upstream)],
            line_of[(link.downstream_dag, link.downstream)],
        )
        out.append(Scored(link.confidence, pair in wanted, applied))
    return tuple(out)


# confidence bands of the calibration table: [low, high)
BANDS: tuple[tuple[float, float], ...] = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01))


def calibration(results: list[CaseResult]) -> list[tuple[str, int, int, int, int]]:
    """Per band: (label, edges right, edges, suggestions right, suggestions)."""
    rows = []
    for low, high in BANDS:
        inside = [s for r in results for s in r.scored if low <= s.confidence < high]
        edges = [s for s in inside if s.applied]
        offered = [s for s in inside if not s.applied]
        rows.append(
            (
                f"{low:.1f}-{min(high, 1.0):.1f}",
                sum(s.right for s in edges),
                len(edges),
                sum(s.right for s in offered),
                len(offered),
            )
        )
    return rows


def score_corpus(directory: Path) -> list[CaseResult]:
    return [score_case(path) for path in sorted(directory.glob("*.crontab"))]
