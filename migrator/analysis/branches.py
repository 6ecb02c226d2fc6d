"""Whether two pieces of code can run in the same import of a file.

The extractor tags what it sees with the side of every enclosing `if`/`try`/`match` it was on. Two
things on different sides of one statement never coexist, so they cannot collide or form a cycle.
"""

from __future__ import annotations

Branch = tuple[tuple[int, int], ...]


def compatible(first: Branch, second: Branch) -> bool:
    sides = dict(first)
    return all(sides.get(statement, side) == side for statement, side in second)
