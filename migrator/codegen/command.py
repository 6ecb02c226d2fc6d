"""A cron entry's command as the `bash_command` template of a BashOperator.

What cron runs for `CMD%line1%line2` is `$SHELL -c CMD` with `line1\\nline2` on standard input
(the crontab model has already split `command` and `stdin` and turned `\\%` into `%`). The template
built here renders, in Airflow, to a command that bash runs with the same effect:

- date substitutions become logical-date expressions (`migrator.codegen.dates`), unless disabled;
- a non-POSIX `SHELL=` (zsh, ksh, ...) is honoured with `exec SHELL -c '...'`; `/bin/sh`, the
  default, runs under bash, which accepts what crontab one-liners use (see docs/migration.md);
- standard input is fed with `printf '%s' DATA | {\\nCMD\\n}`: exact bytes, no added newline;
- a command ending in `.sh`/`.bash` gets one trailing space (Airflow's documented idiom), else
  Airflow would load it as a template file and run it from a temporary script;
- every literal piece goes through `literal_template`, so Jinja syntax in the command stays text.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from datetime import timedelta

from migrator.codegen.dates import Expression, KeptDate, Literal, Segment, rewrite_dates
from migrator.codegen.jinja import TEMPLATE_EXTENSIONS, literal_template
from migrator.shellsyntax import single_quote

# Shells whose `-c` reading of a crontab line bash reproduces; any other SHELL= is called explicitly.
NATIVE_SHELLS = frozenset({"/bin/sh", "/usr/bin/sh", "/bin/bash", "/usr/bin/bash", "sh", "bash"})


@dataclass(frozen=True)
class EmbeddedCommand:
    template: str  # the bash_command value
    rewritten: tuple[Expression, ...]
    kept: tuple[KeptDate, ...]
    shell: str | None  # the SHELL the command is handed to, when it is not run by bash directly
    # the command alone (no shell or standard-input wrapping), literal text and date calls
    segments: tuple[Segment, ...] = field(default=())


def embed_command(
    command: str,
    stdin: str | None = None,
    *,
    timezone: str = "UTC",
    offset: timedelta = timedelta(0),
    rewrite: bool = True,
    shell: str | None = None,
) -> EmbeddedCommand:
    if rewrite:
        rewritten = rewrite_dates(command, timezone, offset)
        segments = list(rewritten.segments)
        kept = rewritten.kept
    else:
        segments, kept = [Literal(command)], ()
    command_segments = tuple(segments)
    foreign_shell = shell if shell and shell not in NATIVE_SHELLS else None
    if foreign_shell:
        segments = [
            Literal(f"exec {shlex.quote(foreign_shell)} -c '"),
            *_single_quoted(segments),
            Literal("'"),
        ]
    if stdin is not None:
        segments = [Literal(f"printf '%s' {single_quote(stdin)} | {{\n"), *segments, Literal("\n}")]
    segments = _merge(segments)
    if _rendered_suffix(segments).endswith(TEMPLATE_EXTENSIONS):
        segments = _merge([*segments, Literal(" ")])
    return EmbeddedCommand(
        template=to_template(segments),
        rewritten=tuple(s for s in segments if isinstance(s, Expression)),
        kept=kept,
        shell=foreign_shell,
        segments=command_segments,
    )


def to_template(segments: list[Segment]) -> str:
    parts = []
    for index, segment in enumerate(segments):
        if isinstance(segment, Expression):
            parts.append("{{ " + segment.code + " }}")
        else:
            followed = index + 1 < len(segments) and isinstance(segments[index + 1], Expression)
            parts.append(literal_template(segment.text, followed_by_template=followed))
    return "".join(parts)


def _single_quoted(segments: list[Segment]) -> list[Segment]:
    """Segments to paste between single quotes (expressions render quote-free text)."""
    return [
        s if isinstance(s, Expression) else Literal(s.text.replace("'", "'\\''")) for s in segments
    ]


def _merge(segments: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for segment in segments:
        if isinstance(segment, Literal) and merged and isinstance(merged[-1], Literal):
            merged[-1] = Literal(merged[-1].text + segment.text)
        elif not (isinstance(segment, Literal) and not segment.text and merged):
            merged.append(segment)
    return merged


def _rendered_suffix(segments: list[Segment]) -> str:
    """The end of the rendered command, as far as it is known without rendering."""
    if not segments:
        return ""
    last = segments[-1]
    if isinstance(last, Literal):
        return last.text
    return last.suffix
