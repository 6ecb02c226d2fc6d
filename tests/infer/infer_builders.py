"""Model objects for inference unit tests, built directly (not through the crontab parser).

`job("0 1 * * *", "python t.py", comments=["..."])` gives a CronEntry; `tab(...)` a CronTab. Field
expansion here covers what the unit tests write (numbers, ranges, steps, lists, `*`, names of
days/months, the common macros); fixture files go through the real parser instead.
"""

from __future__ import annotations

from migrator.crontab.model import (
    FIELD_BOUNDS,
    FIELD_ORDER,
    CronEntry,
    CronField,
    CronTab,
    Dialect,
    Schedule,
    Span,
)

_MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_NAMES = {
    **{d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])},
    **{
        m: i + 1
        for i, m in enumerate(
            ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        )
    },
}


def _span(line: int) -> Span:
    return Span(line, 1, line, 2)


def _values(text: str, low: int, high: int) -> frozenset[int]:
    out: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/")
            step = int(step_text)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-")
            start, end = int(_NAMES.get(a.lower(), a)), int(_NAMES.get(b.lower(), b))
        else:
            start = int(_NAMES.get(part.lower(), part))
            end = high if step > 1 else start
        out.update(range(start, end + 1, step))
    return frozenset(out)


def schedule(text: str, timezone: str | None = None, line: int = 1) -> Schedule:
    if text == "@reboot":
        return Schedule(text, "@reboot", None, timezone, _span(line))
    expression = _MACROS.get(text, text)
    fields = []
    for kind, part in zip(FIELD_ORDER, expression.split()):
        low, high = FIELD_BOUNDS[kind]
        values = _values(part, low, high)
        if kind.value == "day_of_week":
            values = frozenset(v % 7 for v in values)
        fields.append(CronField(kind, part, values, part.startswith("*"), _span(line)))
    return Schedule(
        text, text if text.startswith("@") else None, tuple(fields), timezone, _span(line)
    )


def job(
    when: str,
    command: str,
    *,
    comments: tuple[str, ...] | list[str] = (),
    env: dict[str, str] | None = None,
    timezone: str | None = None,
    user: str | None = None,
    line: int = 1,
) -> CronEntry:
    return CronEntry(
        schedule=schedule(when, timezone, line),
        user=user,
        raw_command=command,
        command=command,
        stdin=None,
        comments=tuple(comments),
        environment=tuple((env or {}).items()),
        span=Span(line, 1, line, len(command) + 1),
    )


def tab(*entries: CronEntry, path: str = "test.crontab", system: bool = False) -> CronTab:
    """A crontab of `entries`; lines are renumbered in order when they were left at 1."""
    numbered = []
    for k, entry in enumerate(entries, start=1):
        if entry.span.line == 1 and k > 1:
            line = k * 2
            entry = CronEntry(
                schedule=Schedule(
                    entry.schedule.text,
                    entry.schedule.macro,
                    entry.schedule.fields,
                    entry.schedule.timezone,
                    _span(line),
                ),
                user=entry.user,
                raw_command=entry.raw_command,
                command=entry.command,
                stdin=entry.stdin,
                comments=entry.comments,
                environment=entry.environment,
                span=Span(line, 1, line, entry.span.end_column),
                no_log=entry.no_log,
            )
        numbered.append(entry)
    return CronTab(path, system, Dialect.CRONIE, tuple(numbered), (), ())


def seed() -> CronTab:
    """The five-job pipeline of the orchestration overview, comments included."""
    return tab(
        job(
            "0 0 * * *",
            "python ingest_from_rest_api.py",
            comments=["ingest from REST API -- every night at midnight"],
            line=2,
        ),
        job(
            "0 0 * * *",
            "python ingest_from_database.py",
            comments=["ingest from database -- every night at midnight"],
            line=4,
        ),
        job(
            "0 1 * * *",
            "python transform_api_data.py",
            comments=["transform API data -- 1 AM (assumes ingestion is done by then)"],
            line=6,
        ),
        job(
            "0 2 * * *",
            "python combine_api_and_database.py",
            comments=["combine API and database data -- 2 AM (assumes transform is done)"],
            line=8,
        ),
        job(
            "0 3 * * *",
            "python load_to_warehouse.py",
            comments=["load into data warehouse -- 3 AM (assumes combine is done)"],
            line=10,
        ),
        path="seed_pipeline.crontab",
    )
