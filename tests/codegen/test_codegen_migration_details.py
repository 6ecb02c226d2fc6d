"""Details real crontabs showed in the generated code: negative sensor deltas written as people
write them, the comment block above a job as its task's doc_md, MAILTO naming a local mailbox."""

from __future__ import annotations

import ast
import datetime as dt
from dataclasses import replace

from codegen_support import cross, dag, edge, entry, pipeline, task

from migrator.codegen.emit import render_dag
from migrator.codegen.plan import CodegenOptions, plan_pipeline
from migrator.codegen.targets import AIRFLOW_2, AIRFLOW_3


def _negative_link_plan():
    # the report DAG starts at 00:00 and its `report` task runs at 02:00; the upstream load runs
    # at 00:52 on weekdays: the run to wait for is 52 minutes *after* the report's logical date
    report_dag = dag(
        "report",
        [
            task("prepare", entry(1, "0 0 * * *", "prepare")),
            task("report", entry(2, "0 2 * * *", "report"), 120),
        ],
        [edge("prepare", "report")],
    )
    load_dag = dag("load", [task("load", entry(3, "52 0 * * 1-5", "load"))])
    return plan_pipeline(
        pipeline([report_dag, load_dag], [cross("load", "load", "report", "report")]),
        CodegenOptions(),
    )


def test_a_negative_sensor_delta_is_written_readably():
    plan = _negative_link_plan()
    (link,) = plan.dags[0].links
    assert link.execution_delta == -dt.timedelta(minutes=52)
    for target in (AIRFLOW_3, AIRFLOW_2):
        source = render_dag(plan.dags[0], target)
        assert "execution_delta=-timedelta(minutes=52)" in source
        assert "days=-1" not in source
        tree = ast.parse(source)
        (value,) = [
            k.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Call)
            for k in n.keywords
            if k.arg == "execution_delta"
        ]
        assert isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub)


def test_the_comment_block_above_a_job_becomes_its_doc_md():
    commented = replace(
        entry(1, "0 1 * * *", "/opt/etl/load.sh"),
        comments=("load the CRM export", "needs the 00:30 fetch"),
    )
    plan = plan_pipeline(pipeline([dag("etl", [task("load", commented)])]), CodegenOptions())
    source = render_dag(plan.dags[0], AIRFLOW_3)
    assert 'doc_md="load the CRM export\\nneeds the 00:30 fetch"' in source
    plain = plan_pipeline(
        pipeline([dag("etl", [task("load", entry(1, "0 1 * * *", "x"))])]), CodegenOptions()
    )
    assert "doc_md=" not in render_dag(plain.dags[0], AIRFLOW_3).replace("doc_md=__doc__", "")


def test_a_doc_md_carries_no_secret():
    # the command's password, an environment secret's value, and a commented-out job's password
    commented = replace(
        entry(
            1,
            "0 1 * * *",
            "mysqldump -u root -pCmdPw0rd shop > /data/shop.sql",
            env=(("DB_PASSWORD", "EnvS3cret"),),
        ),
        comments=(
            "nightly dump (was -pCmdPw0rd before; see EnvS3cret)",
            "0 1 * * * mysqldump -u root -pOldPassw0rd shop > /data/old.sql",
        ),
    )
    plan = plan_pipeline(pipeline([dag("etl", [task("dump", commented)])]), CodegenOptions())
    source = render_dag(plan.dags[0], AIRFLOW_3)
    assert "doc_md=" in source
    for value in ("CmdPw0rd", "EnvS3cret", "OldPassw0rd"):
        assert value not in source
    assert "nightly dump" in source


def test_a_local_mailbox_in_mailto_is_no_email_recipient():
    env = (("MAILTO", "root"),)
    plan = plan_pipeline(
        pipeline([dag("etl", [task("a", entry(1, "0 0 * * *", "/bin/a", env))])]), CodegenOptions()
    )
    source = render_dag(plan.dags[0], AIRFLOW_3)
    assert "SmtpNotifier" not in source and "email" not in source
    assert plan.dags[0].owner == "root"  # the account that read cron's mail answers for it
    (note,) = [n.message for n in plan.notes if "MAILTO" in n.message]
    assert note.startswith("MAILTO=root is a mailbox on the cron host")
    mixed = (("MAILTO", "root,ops@example.com"),)
    plan = plan_pipeline(
        pipeline([dag("etl", [task("a", entry(1, "0 0 * * *", "/bin/a", mixed))])]),
        CodegenOptions(),
    )
    source = render_dag(plan.dags[0], AIRFLOW_2)
    assert '"ops@example.com"' in source and '"root"' not in source
