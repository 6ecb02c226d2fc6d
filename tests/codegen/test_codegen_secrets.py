"""Secrets written in command lines move to Airflow Variables (issue 16).

No value reaches a generated file (its name, ids, comments or code); each `bash_command` renders, with
the Variables holding the values, to exactly the command cron ran; the summary lists every secret,
the Variable it went to and the DAGs that read it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from codegen_support import airflow_render
from fuzz_profiles import fuzz_examples
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.codegen.command import SecretSpan, embed_command
from migrator.codegen.migrate import migrate
from migrator.codegen.plan import CodegenOptions, plan_pipeline
from migrator.codegen.summary import render_summary
from migrator.crontab.parser import parse_crontab
from migrator.crontab.secrets import find_command_secrets
from migrator.infer import infer_pipeline

CRONTAB = r"""MAILTO=ops@example.com
DB_PASSWORD=envsecret
0 2 * * * mysqldump -u root -p'Swm@2026!' shop > /data/shop.sql
30 2 * * * gzip -c /data/shop.sql | curl -fsS -u admin:S3cr3tPass -T - https://backup.example.com/up
0 3 * * * PGPASSWORD=pg-pass-123 pg_dump -h db -U etl dw > /data/dw.sql
15 3 * * * mysql -u root -p'Swm@2026!' shop -e 'optimize table orders'
0 4 * * 1 curl https://url:passw0rd@api.example.com/v1/export -o /data/export_$(date +\%F).csv
*/5 * * * * curl -H "Authorization: Bearer abcdef0123456789" https://hc.example.com/ping
0 6 * * * aws s3 sync /data s3://bucket/AKIAIOSFODNN7EXAMPLE/
0 5 * * * mysqldump -p"quoted"'inpieces' db > /data/db.sql
"""
VALUES = [
    "envsecret",
    "Swm@2026!",
    "S3cr3tPass",
    "pg-pass-123",
    "passw0rd",
    "abcdef0123456789",
    "AKIAIOSFODNN7EXAMPLE",
    "quotedinpieces",
    "inpieces",
]


def _migrate(tmp_path: Path, airflow: int = 3):
    pipeline = infer_pipeline(parse_crontab(CRONTAB, "sec.cron", system=False))
    return migrate([pipeline], tmp_path / str(airflow), CodegenOptions(airflow=airflow))


def test_no_secret_value_reaches_a_generated_file(tmp_path: Path) -> None:
    for airflow in (3, 2):
        result = _migrate(tmp_path, airflow)
        for file in result.files:
            text = file.path.name + file.path.read_text(encoding="utf-8")
            for value in VALUES:
                if value == "quotedinpieces":
                    continue  # left in bash_command (see the next test)
                if value == "inpieces":
                    assert text.count(value) == (1 if "mysqldump_db" in file.path.name else 0)
                    continue
                assert value not in text, (value, file.path.name)
                assert value.lower() not in file.dag.dag_id


def test_a_secret_quoted_in_pieces_stays_with_a_note_and_out_of_the_comment(tmp_path: Path) -> None:
    result = _migrate(tmp_path)
    (module,) = [f for f in result.files if f.dag.dag_id == "mysqldump_db"]
    text = module.path.read_text(encoding="utf-8")
    assert "# sec.cron:10: 0 5 * * * mysqldump *** db > /data/db.sql" in text
    (command_line,) = [line for line in text.split("\n") if "bash_command=" in line]
    assert "inpieces" in command_line
    notes = [n.message for n in result.notes if n.line == 10]
    assert any("stays in bash_command" in n for n in notes)


def test_each_command_renders_to_what_cron_ran_when_the_variables_hold_the_values(
    tmp_path: Path,
) -> None:
    crontab = parse_crontab(CRONTAB, "sec.cron", system=False)
    pipeline = infer_pipeline(crontab)
    plan = plan_pipeline(pipeline, CodegenOptions(rewrite_dates=False))
    variables = {"DB_PASSWORD": "envsecret"}
    for entry in crontab.entries:
        for secret in find_command_secrets(entry.command):
            for listed, _readers in plan.secrets:
                if entry.line in listed.lines and listed.name == secret.what:
                    variables[listed.variable] = secret.value
    by_line = {t.line: t for d in plan.dags for t in d.tasks}
    for entry in crontab.entries:
        rendered = airflow_render(by_line[entry.line].command.template, variables=variables)
        assert rendered == entry.command


def test_the_summary_lists_every_secret_where_it_went_and_who_reads_it(tmp_path: Path) -> None:
    result = _migrate(tmp_path)
    summary = render_summary(result, tmp_path)
    section = summary.split("Secrets kept out of the DAG files", 1)[1].split("Notes:", 1)[0]
    expected = [
        "DB_PASSWORD: read from Variable 'DB_PASSWORD' by",
        (
            "sec.cron:3,6: password of mysqldump (-p): read from Variable 'mysql_root_password' "
            "by mysqldump_shop, mysql_root (airflow variables set mysql_root_password ...)"
        ),
        "sec.cron:4: password of curl -u admin: read from Variable 'backup_example_com_admin_pa",
        "sec.cron:5: PGPASSWORD set in the command: read from Variable 'PGPASSWORD' by pg_dump_dw",
        "sec.cron:7: password in a https URL: read from Variable 'api_example_com_url_password'",
        "sec.cron:8: Authorization header: read from Variable 'hc_example_com_authorization'",
        "sec.cron:9: AWS access key id: read from Variable 'aws_access_key_id'",
    ]
    for line in expected:
        assert line in section, section
    assert not any(value in summary for value in VALUES if value != "inpieces")


def test_the_same_value_is_one_variable_and_another_value_gets_its_own(tmp_path: Path) -> None:
    text = (
        "0 1 * * * mysqldump -uroot -pFirstPw a > /d/a.sql\n"
        "0 2 * * * mysqldump -uroot -pSecondPw b > /d/b.sql\n"
        "0 3 * * * mysql -uroot -pFirstPw a -e 'select 1'\n"
        "DB_PASSWORD=one\n0 4 * * * /opt/a.sh\nDB_PASSWORD=two\n0 5 * * * /opt/b.sh\n"
    )
    plan = plan_pipeline(
        infer_pipeline(parse_crontab(text, "c.cron", system=False)), CodegenOptions()
    )
    variables = {s.variable: s.lines for s, _ in plan.secrets}
    assert variables == {
        "mysql_root_password": (1, 3),
        "mysql_root_password_2": (2,),
        "DB_PASSWORD": (),
        "DB_PASSWORD_2": (),
    }


# ---- property: any secret in any quoting renders back ---------------------------------------------

_SECRET_CHARS = st.text(
    alphabet=st.sampled_from(list("aZ09!@#%^&*()-_=+[]{};:,.<>/?|~`$\"' \\é{}")),
    min_size=1,
    max_size=16,
)


def _quoted(value: str, style: int) -> str:
    if style == 0 and value.isalnum():
        return value
    if style == 1 and "'" not in value:
        return f"'{value}'"
    return "'" + value.replace("'", "'\\''") + "'"


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(150))
@given(
    _SECRET_CHARS,
    st.integers(0, 2),
    st.sampled_from(
        [
            "mysqldump -u root -p{} shop > /d/s.sql",
            "curl -u admin:{} https://x.example.com/f.sh",
            "PGPASSWORD={} pg_dump dw",
            "sshpass -p {} rsync -a /d/ h:/b/",
            "redis-cli -a {} BGSAVE && echo {{{{ done }}}}",
            "sh -c 'mysql -pLit3ral db' # {}",
        ]
    ),
    st.sampled_from([None, "/bin/zsh"]),
)
def test_embedded_secrets_render_back_to_the_cron_command(
    value: str, style: int, shape: str, shell: str | None
) -> None:
    command = shape.format(_quoted(value, style))
    found = find_command_secrets(command)
    spans = [SecretSpan(s.start, s.end, f"v{i}") for i, s in enumerate(found) if s.movable]
    variables = {f"v{i}": s.value for i, s in enumerate(found)}
    embedded = embed_command(command, shell=shell, secrets=spans, rewrite=False)
    plain = embed_command(command, shell=shell, rewrite=False)
    assert airflow_render(embedded.template, variables=variables) == airflow_render(plain.template)
    for secret in found:
        elsewhere = command[: secret.start] + command[secret.end :]
        if secret.movable and len(secret.value) >= 4 and secret.value not in elsewhere:
            assert secret.value not in embedded.template
