"""Edge precision, recall and F1 of `cron2dag infer` over the labelled corpus in fixtures/infer/.

Usage: python benchmarks/infer_quality.py [--verbose] [DIR]

Same-calendar edges and cross-DAG links are scored separately and together (micro-averaged over
all crontabs). --verbose lists every missed and every extra edge.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from migrator.infer.corpus import Counts, score_corpus


def main(argv: list[str]) -> int:
    verbose = "--verbose" in argv
    args = [a for a in argv if not a.startswith("--")]
    directory = (
        Path(args[0]) if args else Path(__file__).resolve().parents[1] / "fixtures" / "infer"
    )
    results = score_corpus(directory)
    edges, cross = Counts(), Counts()
    print(f"{'crontab':<22} {'edges P/R':>11} {'cross P/R':>11}  tp fp fn")
    for result in results:
        edges += result.edges
        cross += result.cross
        total = result.total
        print(
            f"{result.name:<22} {result.edges.precision:5.2f}/{result.edges.recall:4.2f} "
            f"{result.cross.precision:5.2f}/{result.cross.recall:4.2f}  "
            f"{total.true_positives:2d} {total.false_positives:2d} {total.false_negatives:2d}"
        )
        if verbose:
            for line in result.missing:
                print(f"    missed: {line}")
            for line in result.extra:
                print(f"    extra:  {line}")
    overall = edges + cross
    print()
    print(f"{len(results)} crontabs, {overall.true_positives + overall.false_negatives} true edges")
    for label, counts in (
        ("same-calendar edges", edges),
        ("cross-DAG links", cross),
        ("all edges", overall),
    ):
        print(
            f"{label:<20} precision {counts.precision:.3f}  recall {counts.recall:.3f}  F1 {counts.f1:.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
