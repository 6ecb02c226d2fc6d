"""What a SQL file (`psql -f load.sql`, `mysql db < f.sql`) writes and reads, with line numbers.

The whole file is one unit, as the client runs it: a table one statement creates and a later one
reads is the file's own, neither input nor output (`migrator.infer.sql` drops it from reads).
Comments are blanked first so that a commented-out `INSERT` counts for nothing.
"""

from __future__ import annotations

import re

from migrator.infer.facts import Artifact, cited, sql_artifacts

_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def read_sql(text: str, cite: str) -> list[Artifact]:
    code = _COMMENTS.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    found = []
    for artifact in sql_artifacts(code):
        line = _line_of(code, artifact.key)
        where = f"{cite}:{line}"
        found.append(cited(artifact, where))
    return found


def _line_of(code: str, key: str) -> int:
    """The line a table (or file) is first named on; 1 when it cannot be found as written."""
    lowered = code.lower()
    for name in (key, key.rsplit(".", 1)[-1]):
        start = 0
        while (at := lowered.find(name, start)) >= 0:
            before = lowered[at - 1] if at else " "
            after = lowered[at + len(name)] if at + len(name) < len(lowered) else " "
            if not (before.isalnum() or before in "_.") and not (after.isalnum() or after == "_"):
                return code.count("\n", 0, at) + 1
            start = at + 1
    return 1
