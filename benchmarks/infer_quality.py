"""Edge precision, recall, F1 and confidence calibration of `cron2dag infer` on labelled crontabs.

Usage: python benchmarks/infer_quality.py [--verbose] [DIR ...]

Without DIR it scores each labelled set under fixtures/infer/: the original corpus, the held-out
set, the real-pattern set (reproductions of what real public crontabs do) and the set with
script trees. For each set it prints per-crontab precision/recall, then micro-averaged
precision, recall and F1 (same-calendar edges and cross-DAG links), the share of jobs the labels
leave alone that inference left alone too, format detection, and a calibration table: per
confidence band, how many applied edges and how many suggestions were right. --verbose lists
every missed and every extra edge.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from migrator.infer.corpus import CaseResult, Counts, calibration, score_corpus

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "infer"
DEFAULT_SETS = [
    FIXTURES,
    FIXTURES / "heldout",
    FIXTURES / "real_patterns",
    FIXTURES / "real_scripts",
]


def report(directory: Path, verbose: bool) -> None:
    results = score_corpus(directory)
    print(f"== {directory}")
    print(f"{'crontab':<34} {'edges P/R':>11} {'cross P/R':>11}  tp fp fn  alone")
    edges, cross = Counts(), Counts()
    for result in results:
        edges += result.edges
        cross += result.cross
        total = result.total
        print(
            f"{result.name[:34]:<34} {result.edges.precision:5.2f}/{result.edges.recall:4.2f} "
            f"{result.cross.precision:5.2f}/{result.cross.recall:4.2f}  "
            f"{total.true_positives:2d} {total.false_positives:2d} {total.false_negatives:2d}"
            f"  {result.alone_kept}/{result.alone_expected}"
            + ("" if result.format_right in (None, True) else "  FORMAT WRONG")
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
    print(_alone(results))
    formats = [r.format_right for r in results if r.format_right is not None]
    if formats:
        print(f"format detection     {sum(formats)}/{len(formats)} right")
    print("calibration          band      edges right/all   suggestions right/all")
    for band, right, total_edges, offered_right, offered in calibration(results):
        print(
            f"                     {band:<9} {right:5d}/{total_edges:<5d}      "
            f"{offered_right:5d}/{offered:<5d}"
        )
    print()


def _alone(results: list[CaseResult]) -> str:
    expected = sum(r.alone_expected for r in results)
    kept = sum(r.alone_kept for r in results)
    share = kept / expected if expected else 1.0
    return f"independent jobs     {kept}/{expected} left independent ({share:.3f})"


def main(argv: list[str]) -> int:
    verbose = "--verbose" in argv
    args = [Path(a) for a in argv if not a.startswith("--")]
    for directory in args or [d for d in DEFAULT_SETS if d.is_dir()]:
        report(directory, verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
