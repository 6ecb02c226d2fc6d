"""What a SQL file (`psql -f load.sql`, `mysql db < f.sql`) writes and reads, with line numbers.

The whole file is one unit, as the client runs it: a table one statement creates and a later one
reads is the file's own, neither input nor output (`migrator.infer.sql` drops it from reads).
Comments are blanked first so that a commented-out `INSERT` counts for nothing.
"""

from __future__ import annotations

import re
from dataclasses import replace

from migrator.infer.facts import Artifact, sql_artifacts

_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def read_sql(text: str, cite: str) -> list[Artifact]:
    code = _COMMENTS.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    found = []
    for artifact in sql_artifacts(code):
        line = _line_of(code, artifact.key)
        where = f"{cite}:{line}"
        found.append(replace(artifact, via=f"{artifact.via}, in {where}", source=where))
    return found


def _line_of(code: str, key: str) -> int:
    """The line a table (or file) is first named on; 1 when it cannot be found as written."""
    quoted = [rf"[\"`\[]?{re.escape(part)}[\"`\]]?" for part in key.split(".")]
    for pattern in (r"\s*\.\s*".join(quoted), quoted[-1]):
        match = re.search(rf"(?<![\w.]){pattern}(?![\w])", code, re.IGNORECASE)
        if match:
            return code.count("\n", 0, match.start()) + 1
    return 1
