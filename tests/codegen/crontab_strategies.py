"""Hypothesis strategies for whole crontab files, shaped like real ones (shared by the fuzzers).

A file mixes environment lines, comment blocks and jobs whose commands write and read the same paths
(so inference finds edges, waits and cross-DAG links), long script names (long ids), date
substitutions, `%` input, quotes, Jinja braces and odd characters, and secrets in command lines.
"""

from __future__ import annotations

from hypothesis import strategies as st

WORDS = ["orders", "load", "extract", "report", "users", "api", "daily", "sync", "warehouse"]
SCHEDULES = [
    "0 1 * * *",
    "15 1 * * *",
    "30 1 * * *",
    "0 2 * * *",
    "45 2 * * *",
    "0 3 * * 1",
    "30 3 * * 1",
    "0 4 1 * *",
    "*/15 * * * *",
    "5 * * * *",
    "0 6 * * 1-5",
    "15 4 */2 * 1",
    "@daily",
    "@weekly",
    "@reboot",
]
PATHS = ["/data/orders.csv", "/data/users/", "/srv/out/report.parquet", "/tmp/x.json"]
ODD_TEXT = st.text(
    alphabet=st.sampled_from(list("ab {}%#'\"\\$`|&;<>()*?~=\t\r\x1b\u2028é\U0001f600")),
    max_size=12,
)
SECRETS = [
    "curl -fsS -u admin:S3cr3tPass https://api.example.com/v1/push",
    "curl -s https://report:hunter2go@files.example.org/export.csv -o /data/orders.csv",
    "mysqldump -uroot -pTopS3cret shop > /data/orders.csv",
    "PGPASSWORD=pg-pass-123 psql -h db -U etl -c 'select 1'",
    (
        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCY"
        " aws s3 cp /data/users/ s3://bucket/users/ --recursive"
    ),
    "sshpass -p 'r00t pw' rsync -a /data/users/ backup@host:/srv/",
    "curl -H 'Authorization: Bearer abcdef0123456789abcdef' https://hooks.example.com/x",
    "wget --password=w3tpass --user=bob https://example.com/f -O /tmp/x.json",
]


@st.composite
def script_names(draw) -> str:
    count = draw(st.integers(1, 12))
    return "_".join(draw(st.lists(st.sampled_from(WORDS), min_size=count, max_size=count)))


@st.composite
def commands(draw) -> str:
    kind = draw(st.integers(0, 9))
    if kind <= 4:
        parts = [f"/opt/etl/{draw(script_names())}.py"]
        if draw(st.booleans()):
            parts.append(f"--in {draw(st.sampled_from(PATHS))}")
        if draw(st.booleans()):
            parts.append(f"--out {draw(st.sampled_from(PATHS))}")
        if draw(st.booleans()):
            parts.append("--date $(date +\\%F)")
        if draw(st.integers(0, 5)) == 0:
            parts.append(draw(ODD_TEXT).replace("\r", "").replace("%", "\\%"))
        return " ".join(parts)
    if kind <= 6:
        return draw(st.sampled_from(SECRETS))
    if kind == 7:
        return (
            f"cat {draw(st.sampled_from(PATHS))} | mail -s '{draw(script_names())}' ops%line one%"
        )
    return f"echo {draw(ODD_TEXT)}"


@st.composite
def crontab_texts(draw) -> str:
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append("MAILTO=ops@example.com")
    if draw(st.integers(0, 4)) == 0:
        lines.append("SHELL=/bin/zsh")
    if draw(st.integers(0, 4)) == 0:
        lines.append("CRON_TZ=Europe/Paris")
    if draw(st.integers(0, 4)) == 0:
        lines.append("DB_PASSWORD=env-secret-value")
    for _ in range(draw(st.integers(1, 10))):
        if draw(st.integers(0, 3)) == 0:
            lines.append(f"# {draw(script_names()).replace('_', ' ')}")
        lines.append(f"{draw(st.sampled_from(SCHEDULES))} {draw(commands())}")
    return "\n".join(lines) + "\n"
