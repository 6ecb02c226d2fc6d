"""Hand-built crontab and pipeline models for codegen tests (no parser or inference needed)."""

from __future__ import annotations

import datetime as dt
import re

from migrator.crontab.model import (
    FIELD_BOUNDS,
    FIELD_ORDER,
    CronEntry,
    CronField,
    FieldKind,
    Schedule,
    Span,
)
from migrator.infer.model import (
    CrossDagEdge,
    Edge,
    Evidence,
    Pipeline,
    PipelineDag,
    PipelineTask,
    Unscheduled,
)

MACROS = {
    "@daily": "0 0 * * *",
    "@hourly": "0 * * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
}


def expand(text: str, kind: FieldKind) -> frozenset[int]:
    low, high = FIELD_BOUNDS[kind]
    values: set[int] = set()
    for part in text.split(","):
        match = re.fullmatch(r"(\*|\d+)(?:-(\d+))?(?:/(\d+))?", part)
        assert match, part
        start_text, end_text, step_text = match.groups()
        if start_text == "*":
            start, end = low, high
        else:
            start = int(start_text)
            end = int(end_text) if end_text else (high if step_text else start)
        values.update(range(start, end + 1, int(step_text or 1)))
    if kind is FieldKind.DAY_OF_WEEK:
        values = {v % 7 for v in values}
    return frozenset(values)


def span(line: int) -> Span:
    return Span(line, 1, line, 80)


def schedule(text: str, line: int = 1, timezone: str | None = None) -> Schedule:
    if text == "@reboot":
        return Schedule(text, text, None, timezone, span(line))
    expression = MACROS.get(text, text)
    fields = tuple(
        CronField(kind, part, expand(part, kind), part.startswith("*"), span(line))
        for kind, part in zip(FIELD_ORDER, expression.split())
    )
    return Schedule(text, text if text.startswith("@") else None, fields, timezone, span(line))


def entry(
    line: int,
    when: str,
    command: str,
    env: tuple[tuple[str, str], ...] = (),
    stdin: str | None = None,
    user: str | None = None,
) -> CronEntry:
    return CronEntry(
        schedule=schedule(when, line),
        user=user,
        raw_command=command if stdin is None else command + "%" + stdin.replace("\n", "%"),
        command=command,
        stdin=stdin,
        comments=(),
        environment=env,
        span=span(line),
    )


def task(task_id: str, cron_entry: CronEntry, offset_minutes: int = 0) -> PipelineTask:
    return PipelineTask(task_id, cron_entry, dt.timedelta(minutes=offset_minutes))


def edge(upstream: str, downstream: str) -> Edge:
    return Edge(upstream, downstream, 0.9, (Evidence("time-offset", "test"),))


def dag(
    dag_id: str,
    tasks: list[PipelineTask],
    edges: list[Edge] = (),  # type: ignore[assignment]
    schedule_text: str | None = None,
    timezone: str = "UTC",
) -> PipelineDag:
    first = tasks[0].entry.schedule
    expression = schedule_text or MACROS.get(first.text, first.text)
    return PipelineDag(dag_id, expression, timezone, tuple(tasks), tuple(edges))


def cross(up_dag: str, up: str, down_dag: str, down: str) -> CrossDagEdge:
    return CrossDagEdge(up_dag, up, down_dag, down, 0.8, (Evidence("path", "test"),))


def pipeline(
    dags: list[PipelineDag], cross_edges: list[CrossDagEdge] = (), source: str = "etl.crontab"
) -> Pipeline:  # type: ignore[assignment]
    return Pipeline(source, tuple(dags), tuple(cross_edges), ())


def seed_pipeline() -> Pipeline:
    """ingest 00:00 -> transform 01:00 -> load 02:00; pull_ftp 00:30 feeds transform; weekly report."""
    env = (
        ("PATH", "/usr/local/bin:/usr/bin:/bin"),
        ("DB_PASSWORD", "hunter2"),
        ("MAILTO", "ops@example.com"),
    )
    ingest = task("ingest", entry(4, "0 0 * * *", "/opt/etl/ingest.sh", env))
    pull = task(
        "pull_ftp", entry(5, "30 0 * * *", "/opt/etl/pull_ftp.sh --day $(date +%F)", env), 30
    )
    transform = task(
        "transform", entry(6, "0 1 * * *", "python3 /opt/etl/transform.py {{ not jinja }}", env), 60
    )
    load = task(
        "load", entry(7, "0 2 * * *", "/opt/etl/load.sh $(date -d yesterday +%Y%m%d)", env), 120
    )
    report = task("weekly_report", entry(9, "0 6 * * 0", "/opt/etl/report.sh", env))
    daily = dag(
        "etl",
        [ingest, pull, transform, load],
        [edge("ingest", "transform"), edge("pull_ftp", "transform"), edge("transform", "load")],
    )
    weekly = dag("weekly_report", [report])
    return pipeline([daily, weekly], [cross("etl", "load", "weekly_report", "weekly_report")])


def airflow_render(
    template: str, logical_date=None, variables: dict[str, str] | None = None
) -> str:
    """Render one templated field the way Airflow 3's `Templater.render_template` does.

    Same environment as `create_template_env` (sandboxed, StrictUndefined, the `do` extension, no
    `keep_trailing_newline`), and a value ending in a template extension is loaded as a file, which
    fails here as it fails in Airflow without a matching template file.
    """
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    if template.endswith((".sh", ".bash")):
        raise jinja2.TemplateNotFound(template)
    env = SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.do"], cache_size=0
    )

    class _Values:
        def __getattr__(self, key: str) -> str:
            return (variables or {})[key]

    context = {"logical_date": logical_date, "var": {"value": _Values()}}
    return env.from_string(template).render(**context)


def edge_case_pipeline() -> Pipeline:
    """Everything awkward at once: AND day fields, secrets, stdin, SHELL, HOME, MAILTO, users."""
    base = (
        ("SHELL", "/bin/bash"),
        ("HOME", "/srv/etl"),
        ("API_TOKEN", "abc123"),
        ("MAILTO", "data@example.com"),
    )
    guard = task(
        "odd_monday_export",
        entry(
            3,
            "15 4 */2 * 1",
            "/srv/etl/export.sh --since $(date -d '7 days ago' +%Y%m%d)",
            base,
            user="etl",
        ),
    )
    mail = task(
        "mail_report",
        entry(
            4,
            "45 4 */2 * 1",
            "mail -s 'report 100%' ops@example.com",
            base + (("MAILTO", "boss@example.com, ops@example.com"),),
            stdin="Export done.\nBye",
            user="etl",
        ),
        30,
    )
    zsh = task(
        "zsh_cleanup",
        entry(
            5,
            "15 4 */2 * 1",
            "print -l /tmp/*(.mh+24) | xargs rm -f; echo {{ literally }}",
            base + (("SHELL", "/bin/zsh"),),
            user="root",
        ),
    )
    long_a = "a_task_with_an_unusually_long_identifier_for_the_edge_layout"
    long_b = "another_task_with_an_unusually_long_identifier_downstream"
    la = task(long_a, entry(7, "15 4 */2 * 1", "echo $(date +%s) `date`", base, user="etl"), 0)
    lb = task(long_b, entry(8, "30 4 */2 * 1", "echo done", base, user="etl"), 15)
    weekly = dag(
        "odd_mondays",
        [guard, zsh, la, mail, lb],
        [edge("odd_monday_export", "mail_report"), edge(long_a, long_b)],
        schedule_text="15 4 */2 * 1",
        timezone="Europe/Paris",
    )
    return Pipeline(
        "/etc/cron.d/odd mondays", (weekly,), (), (Unscheduled(1, "@reboot has no schedule"),)
    )


def echo_seed_pipeline(out_variable: str = "CRON2DAG_SEED_OUT") -> Pipeline:
    """The seed pipeline's calendar with commands that append their name and rendered date to a file."""

    def job(name: str, when: str, line: int, date: str = "$(date +%F)") -> CronEntry:
        command = f'echo "{name} {date}" >> "${out_variable}"'
        return entry(line, when, command, (("DB_PASSWORD", "hunter2"),))

    rest = task("ingest_from_rest_api", job("ingest_from_rest_api", "0 0 * * *", 2))
    database = task("ingest_from_database", job("ingest_from_database", "0 0 * * *", 4))
    late = task(
        "pull_partner_drop", job("pull_partner_drop", "30 0 * * *", 5, "`date -u +%Y%m%d`"), 30
    )
    transform = task("transform_api_data", job("transform_api_data", "0 1 * * *", 6), 60)
    combine = task("combine_api_and_database", job("combine_api_and_database", "0 2 * * *", 8), 120)
    load = task(
        "load_to_warehouse",
        entry(
            10,
            "0 3 * * *",
            f'echo "load_to_warehouse $(date -d yesterday +%F) ${{DB_PASSWORD:+secret-set}}" >> "${out_variable}"',
            (("DB_PASSWORD", "hunter2"),),
        ),
        180,
    )
    report = task("weekly_report", job("weekly_report", "0 6 * * 0", 12))
    daily = dag(
        "seed_pipeline",
        [rest, database, late, transform, combine, load],
        [
            edge("ingest_from_rest_api", "transform_api_data"),
            edge("transform_api_data", "combine_api_and_database"),
            edge("ingest_from_database", "combine_api_and_database"),
            edge("pull_partner_drop", "combine_api_and_database"),
            edge("combine_api_and_database", "load_to_warehouse"),
        ],
    )
    weekly = dag("weekly_report", [report])
    return pipeline(
        [daily, weekly],
        [cross("seed_pipeline", "load_to_warehouse", "weekly_report", "weekly_report")],
        source="seed_echo.crontab",
    )


READINESS_CRONTAB = "fixtures/crontabs/readiness.crontab"


def readiness_pipeline() -> Pipeline:
    """The fixture crontab with one job per readiness guard idiom, parsed and inferred."""
    from pathlib import Path

    from migrator.crontab.parser import load_crontab
    from migrator.infer import infer_pipeline

    root = Path(__file__).resolve().parents[2]
    crontab = load_crontab(root / READINESS_CRONTAB)
    pipeline = infer_pipeline(crontab)
    # goldens name the source as the repository does, wherever the tests run
    return Pipeline(READINESS_CRONTAB, pipeline.dags, pipeline.cross_dag_edges, pipeline.unscheduled,
                    pipeline.diagnostics)
