"""Which format a crontab file is in, from its content: system (a user column) or user.

A system crontab (/etc/crontab, cron.d) has a user name between the schedule and the command;
a user crontab does not. Files copied out of their directory (`deploy/crontab`,
`conf/crontab.ugly`) lose the path that tells them apart, so the content decides: read as a
user crontab, is the first word of every command a user name and the rest a command?

A word is taken for a user name when it could be an account name and is not a program a
crontab commonly runs (`python`, `php`, `cd`, `flock`, ...). Then, in order:

1. `root` among the first words, or every first word a well-known service account
   (`www-data`, `postgres`, `ubuntu`, ...): a system crontab, as cron.d files are;
2. one or two distinct first words over all jobs, each followed by something that starts a
   command (a path, `cd`, a known program, a variable): a system crontab, said in a warning,
   because a user name nobody can check is a guess;
3. anything else: a user crontab.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# what getpwnam() can find: lowercase POSIX-ish names, Samba machine accounts end in `$`
_ACCOUNT = re.compile(r"[a-z_][a-z0-9_.-]{0,31}\$?")

# Accounts that exist on most servers; a file whose jobs all run as them is a system crontab
WELL_KNOWN_ACCOUNTS = _wordset("""
    root www-data www nginx apache httpd nobody daemon postgres mysql redis mongodb ubuntu
    debian centos ec2-user admin pi app deploy deployer jenkins gitlab-runner odoo elasticsearch
    solr tomcat postfix nagios zabbix prometheus grafana vagrant
""")

# Programs, shell words and wrappers that start cron commands: never a user name
_PROGRAMS = _wordset("""
    python python2 python3 pypy pypy3 bash sh dash zsh ksh csh tcsh fish node nodejs deno bun
    ruby perl php java rscript julia lua go dotnet uv poetry pipenv npm npx yarn pnpm cd source
    exec eval export env sudo su runuser nice ionice timeout nohup time flock setlock lockrun
    chronic cronic run-one test true false sleep echo printf cat tee find rm mv cp rsync scp ssh
    curl wget tar gzip gunzip zip unzip make rake bundle composer docker podman kubectl helm git
    svn aws gsutil gcloud az psql mysql mysqldump pg_dump sqlite3 redis-cli mongo mongodump
    certbot logrotate systemctl service apt apt-get yum dnf touch mkdir chmod chown ln ls date
    kill pkill killall awk sed grep xargs cron crontab at mail sendmail ping nc wall logger sync
    run-parts savelog ansible-playbook airflow dbt spark-submit hadoop hdfs run-with-lockfile
    run-with-lockfile.sh lckdo solo setuidgid chpst xvfb-run
    if while until for case select function
""")
_SCRIPT_SUFFIX = re.compile(r"\.(sh|bash|py|pl|rb|php|js|jar|r)$", re.IGNORECASE)
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True)
class Verdict:
    system: bool
    # said to the user when the content, not the path, made it a system crontab on a guess
    warning: str | None = None


def possible_account(word: str) -> bool:
    """Could `word` be the name of an account cron can run a job as?"""
    return bool(_ACCOUNT.fullmatch(word)) and word not in _PROGRAMS


def impossible_account(word: str) -> str | None:
    """Why cron cannot find a user of that name (it then skips the line), or None."""
    if "=" in word:
        return "it is a variable assignment, not a user name"
    if "/" in word or word.startswith(("$", "~", ".", "-")) or "$" in word[:-1]:
        return "it is not a user name"
    if word in _PROGRAMS:
        return "it is a program, not a user name"
    return None


def _starts_command(word: str) -> bool:
    return (
        word.startswith(("/", "~/", "./", "../", "$", "(", "[", "{", '"', "'", "`"))
        or word in _PROGRAMS
        or word in (".", "[[")
        or bool(_ASSIGNMENT.match(word))
        or "/" in word
        or bool(_SCRIPT_SUFFIX.search(word))
    )


def _account_word(word: str) -> bool:
    return possible_account(word) and not _SCRIPT_SUFFIX.search(word)


def detect(commands: Sequence[str]) -> Verdict:
    """The verdict for the raw commands of a file's job lines, read as a user crontab."""
    pairs = []
    for command in commands:
        words = command.split(None, 2)
        if len(words) >= 2 and _ASSIGNMENT.match(words[0]):
            # `PATH=$X cmd`: a command with its environment, or a user cron cannot find (it
            # skips the line): the other lines decide
            continue
        if len(words) < 2 or not _account_word(words[0]):
            return Verdict(False)
        pairs.append((words[0], words[1]))
    if not pairs:
        return Verdict(False)
    users = sorted({user for user, _ in pairs})
    if "root" in users or all(user in WELL_KNOWN_ACCOUNTS for user in users):
        return Verdict(True)
    commands_after = sum(_starts_command(rest) for _, rest in pairs)
    if len(users) <= 2 and (
        commands_after == len(pairs) or (len(pairs) >= 3 and 3 * commands_after >= 2 * len(pairs))
    ):
        names = " and ".join(f"'{user}'" for user in users)
        return Verdict(
            True,
            f"read as a system crontab (a user column): every job starts with the user name "
            f"{names}, then a command; pass --user if {names} "
            f"{'are commands' if len(users) > 1 else 'is a command'}",
        )
    return Verdict(False)
