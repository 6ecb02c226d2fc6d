"""Secrets in comment lines: comments above a job reach its doc_md and inference's evidence text."""

from __future__ import annotations

import pytest

from migrator.crontab.secrets import find_comment_secrets


@pytest.mark.parametrize(
    ("comment", "values"),
    [
        ("0 1 * * * mysqldump -u root -pOldPassw0rd shop", ["OldPassw0rd"]),
        ("*/5 * * * * root curl -u admin:hunter22 https://x.example/y", ["hunter22"]),
        ("@daily root mysql -pX1y2z3w4 db", ["X1y2z3w4"]),
        ("mysql -pInline9 db", ["Inline9"]),
        ("mkdir -p /srv/x before the load", []),
        ("runs at 0 1 every day, after the extract", []),
    ],
)
def test_a_commented_out_job_or_command_gives_its_secrets(comment, values):
    assert [s.value for s in find_comment_secrets(comment)] == values
