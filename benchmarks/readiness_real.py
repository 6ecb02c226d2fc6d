"""What `migrate` would make of the readiness guards and failure types in real crontabs.

Usage: CRON2DAG_REAL_CRONTABS=DIR_OR_FILE[:DIR_OR_FILE...] python benchmarks/readiness_real.py [--all]

Real material stays outside the repository, so the crontabs come from the paths in the environment
variable (a directory is read recursively, every file in it). For each job whose command holds a
file or cloud check, it prints the sensors migrate would generate and the checks it leaves in the
command, with the reason; for each job whose failure class is not `other`, the class and why
(`--all` prints the `other` ones too). A person judges each line; the totals at the end are the counts
to judge against.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from migrator.codegen.failures import classify
from migrator.codegen.guards import read_guards
from migrator.crontab.parser import load_crontab
from migrator.errors import Cron2DagError

VARIABLE = "CRON2DAG_REAL_CRONTABS"


def crontab_files(spec: str) -> Iterator[Path]:
    for part in filter(None, spec.split(os.pathsep)):
        root = Path(part)
        if root.is_dir():
            yield from sorted(p for p in root.rglob("*") if p.is_file())
        else:
            yield root


def main(argv: list[str]) -> int:
    spec = os.environ.get(VARIABLE)
    if not spec:
        print(
            f"set {VARIABLE} to the crontabs to read (files or directories, {os.pathsep}-separated)"
        )
        return 2
    show_other = "--all" in argv
    totals: Counter[str] = Counter()
    classes: Counter[str] = Counter()
    for path in crontab_files(spec):
        try:
            crontab = load_crontab(path)
        except Cron2DagError as error:
            print(f"skipped {path}: {error}")
            totals["files skipped"] += 1
            continue
        totals["files"] += 1
        for entry in crontab.entries:
            totals["jobs"] += 1
            env = dict(entry.environment)
            reading = read_guards(entry.command, env=env, timezone="UTC")
            failure = classify(entry.command, entry.stdin, env)
            classes[failure.failure.value] += 1
            totals["jobs with a check"] += bool(reading.checks)
            totals["sensors"] += len(reading.guards)
            totals["sensors replacing their check exactly"] += sum(g.exact for g in reading.guards)
            totals["soft sensors"] += sum(g.soft for g in reading.guards)
            totals["checks left in the command"] += len(reading.unconverted)
            interesting = reading.guards or reading.unconverted or failure.failure.value != "other"
            if not (interesting or show_other):
                continue
            print(f"{path.name}:{entry.line}: {entry.command[:120]}")
            for guard in reading.guards:
                mode = "soft" if guard.soft else "hard"
                kept = "" if guard.exact else f" (check kept: {guard.why_kept})"
                print(
                    f"    sensor  {guard.signal.kind} {guard.signal.text} [{mode}, {guard.idiom}]{kept}"
                )
            for left in reading.unconverted:
                print(f"    left    {left.check}: {left.reason}")
            print(f"    retries {failure.failure.value}: {failure.why}")
    print()
    for name, count in totals.items():
        print(f"{name}: {count}")
    print(
        "failure classes: " + ", ".join(f"{name} {count}" for name, count in classes.most_common())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
