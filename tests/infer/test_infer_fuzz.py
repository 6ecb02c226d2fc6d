"""Arbitrary command text never crashes evidence extraction (cron hands the shell anything)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.infer.comments import read_comment
from migrator.infer.facts import command_facts

SHELLISH = st.text(
    alphabet=st.sampled_from(list("ab/._-*?[]{}$()`'\"\\|&;<>#=~ \t0123456789%:@,!")), max_size=80
)
WORDS = st.lists(
    st.sampled_from(
        [
            "cd",
            "/d",
            "&&",
            "|",
            ">",
            ">>",
            "<",
            "2>&1",
            "flock",
            "-n",
            "sh",
            "-c",
            "'x",
            '"y',
            "$(date",
            ")",
            "`",
            "--out",
            "--in=",
            "psql",
            "\\copy",
            "FROM",
            "INSERT INTO",
            "cp",
            "tee",
            "sudo",
            "-u",
            "curl",
            "-o",
            "s3://b/",
            "find",
            "-delete",
            "$X",
            "${Y:-/z}",
            "9>",
            "exit",
            "(",
            "bash",
            "-lc",
        ]
    ),
    max_size=14,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(SHELLISH, WORDS),
    st.dictionaries(st.sampled_from(["X", "Y", "HOME"]), SHELLISH, max_size=2),
)
def test_command_facts_never_crash(command: str, env: dict[str, str]):
    facts = command_facts(command, env, None)
    assert facts.name.isidentifier()
    for artifact in facts.artifacts:
        assert artifact.role in ("write", "read", "mention")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_read_comment_never_crashes(text: str):
    read_comment(text, frozenset({"own"}))
