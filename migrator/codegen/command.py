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
- every literal piece goes through `literal_template`, so Jinja syntax in the command stays text;
- a secret written in the command (`secrets.find_command_secrets`) becomes `{{ var.value.NAME }}` in
  place of its characters: with the Variable holding the value, the rendered command is cron's.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from migrator.codegen.dates import Expression, KeptDate, Literal, Segment, rewrite_dates
from migrator.codegen.jinja import TEMPLATE_EXTENSIONS, literal_template, variable_code
from migrator.shellsyntax import single_quote

# Shells whose `-c` reading of a crontab line bash reproduces; any other SHELL= is called explicitly.
NATIVE_SHELLS = frozenset({"/bin/sh", "/usr/bin/sh", "/bin/bash", "/usr/bin/bash", "sh", "bash"})


@dataclass(frozen=True)
class SecretSpan:
    """Characters `start:end` of a command that are a secret, read from Airflow Variable `variable`."""

    start: int
    end: int
    variable: str


@dataclass(frozen=True)
class EmbeddedCommand:
    template: str  # the bash_command value
    rewritten: tuple[Expression, ...]  # date expressions
    kept: tuple[KeptDate, ...]
    shell: str | None  # the SHELL the command is handed to, when it is not run by bash directly
    # the command alone (no shell or standard-input wrapping): literal text, date calls and
    # secrets (expressions marked `secret`, reading Variables)
    segments: tuple[Segment, ...] = field(default=())
    # secrets that could not be replaced (they overlap a rewritten date call): left as written
    unplaced: tuple[SecretSpan, ...] = ()


def embed_command(
    command: str,
    stdin: str | None = None,
    *,
    timezone: str = "UTC",
    offset: timedelta = timedelta(0),
    rewrite: bool = True,
    shell: str | None = None,
    secrets: Sequence[SecretSpan] = (),
) -> EmbeddedCommand:
    if rewrite:
        rewritten = rewrite_dates(command, timezone, offset)
        segments = list(rewritten.segments)
        kept = rewritten.kept
    else:
        segments, kept = [Literal(command)], ()
    dates = tuple(s for s in segments if isinstance(s, Expression))
    segments, unplaced = _with_secrets(segments, secrets)
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
        rewritten=dates,
        kept=kept,
        shell=foreign_shell,
        segments=command_segments,
        unplaced=unplaced,
    )


def _with_secrets(
    segments: list[Segment], secrets: Sequence[SecretSpan]
) -> tuple[list[Segment], tuple[SecretSpan, ...]]:
    """`segments` (which cover the command in order) with each secret's characters, where they lie
    inside one literal segment, replaced by the expression that reads its Variable."""
    if not secrets:
        return segments, ()
    pending = sorted(secrets, key=lambda s: s.start)
    out: list[Segment] = []
    placed: set[SecretSpan] = set()
    position = 0
    for segment in segments:
        if isinstance(segment, Expression):
            out.append(segment)
            position += len(segment.original)
            continue
        text, cursor = segment.text, 0
        for secret in pending:
            start, end = secret.start - position, secret.end - position
            if start < cursor or end > len(text) or start >= end:
                continue
            out.append(Literal(text[cursor:start]))
            out.append(
                Expression(variable_code(secret.variable), text[start:end], suffix="", secret=True)
            )
            placed.add(secret)
            cursor = end
        out.append(Literal(text[cursor:]))
        position += len(text)
    return out, tuple(s for s in pending if s not in placed)


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
    """Segments to paste between single quotes: quotes in literal text and in secrets' values are
    written `'\\''` (date expressions render quote-free text)."""
    out: list[Segment] = []
    for segment in segments:
        if isinstance(segment, Literal):
            out.append(Literal(segment.text.replace("'", "'\\''")))
        elif segment.secret:
            code = segment.code + """ | replace("'", "'\\\\''")"""
            out.append(Expression(code, segment.original, segment.suffix, secret=True))
        else:
            out.append(segment)
    return out


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
