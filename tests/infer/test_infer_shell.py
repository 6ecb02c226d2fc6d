"""Reading cron command lines: words, lists, redirections, wrappers, variables, substitutions."""

from __future__ import annotations

import pytest

from migrator.infer.shell import (
    DATE_PLACEHOLDER,
    NO_WAIT,
    lock_file,
    parse_command,
    split_comment,
    tokenize,
)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("a>>b; c 2>/dev/null &", ["a", ">>", "b", ";", "c", "2", ">", "/dev/null", "&"]),
        ("x && y || z | w", ["x", "&&", "y", "||", "z", "|", "w"]),
        ('echo \'a b\' "c \\"d\\"" e\\ f', ["echo", "a b", 'c "d"', "e f"]),
        ("cmd >out 2>&1", ["cmd", ">", "out", "2", ">&", "1"]),
        ('echo "unclosed', ["echo", '"unclosed']),
    ],
)
def test_tokenize(text: str, tokens: list[str]):
    assert tokenize(text) == tokens


def test_trailing_shell_comment_is_split_off_but_hash_inside_words_is_not():
    assert split_comment("python t.py  # after ingest") == ("python t.py", "after ingest")
    assert split_comment('echo "a # b" x#y') == ('echo "a # b" x#y', None)


def test_cd_sets_the_directory_of_later_commands():
    (command,) = parse_command("cd /opt/etl && python load.py")
    assert command.argv == ("python", "load.py")
    assert command.cwd == "/opt/etl"


def test_crontab_and_line_variables_are_expanded():
    (command,) = parse_command(
        "D=/data; export E=/e; cp $D/a ${E}/b ${MISSING:-/x}", {"HOME": "/h"}
    )
    assert command.argv == ("cp", "/data/a", "/e/b", "/x")
    (command,) = parse_command("$R ingest --out $OUT/x", {"R": "/opt/run.sh", "OUT": "/srv"})
    assert command.argv == ("/opt/run.sh", "ingest", "--out", "/srv/x")


def test_date_substitutions_become_partitions():
    commands = parse_command("load --day $(date +%F) --out /d/`date -d yesterday +%Y%m%d`.csv")
    assert commands[0].argv == (
        "load",
        "--day",
        DATE_PLACEHOLDER,
        "--out",
        f"/d/{DATE_PLACEHOLDER}.csv",
    )


def test_other_substitutions_are_read_too():
    commands = parse_command("process $(cat /data/list.txt)")
    assert any(c.substitution and c.argv[:1] == ("cat",) for c in commands)


@pytest.mark.parametrize(
    ("text", "argv", "wrappers"),
    [
        (
            "sudo -u etl nice -n 10 timeout 2h python3 x.py",
            ("python3", "x.py"),
            ("sudo", "nice", "timeout"),
        ),
        ("/usr/bin/env PY=1 ionice -c3 run.sh", ("run.sh",), ("env", "ionice")),
        ("bash -lc 'cd /a && ./b.sh'", ("./b.sh",), ("bash",)),
        ("su - etl -c 'python y.py'", ("python", "y.py"), ("su",)),
        ("chronic run-one /opt/x", ("/opt/x",), ("chronic", "run-one")),
        (
            "sudo -u etl docker exec -it -e X=1 etl python /app/load.py --in /d/a.csv",
            ("python", "/app/load.py", "--in", "/d/a.csv"),
            ("sudo", "docker exec"),
        ),
        (
            "docker compose -f /srv/dc.yml exec -T web php artisan export:orders",
            ("php", "artisan", "export:orders"),
            ("docker exec",),
        ),
        (
            "kubectl exec -n etl deploy/worker -c app -- python /app/x.py",
            ("python", "/app/x.py"),
            ("kubectl exec",),
        ),
        (
            "docker-compose exec db sh -c 'psql -f /q.sql'",
            ("psql", "-f", "/q.sql"),
            ("docker-compose exec", "sh"),
        ),
    ],
)
def test_wrappers_are_peeled_off(text: str, argv: tuple[str, ...], wrappers: tuple[str, ...]):
    command = [c for c in parse_command(text) if c.argv][-1]
    assert command.argv == argv
    assert command.wrappers == wrappers


def test_container_tools_that_do_not_exec_are_the_job():
    (command,) = parse_command("docker run --rm -v /d:/d etl:latest python x.py")
    assert command.argv[0] == "docker" and command.wrappers == ()
    (command,) = parse_command("docker system prune -af")
    assert command.argv[:2] == ("docker", "system")


@pytest.mark.parametrize(
    "text",
    [
        "flock -n /tmp/etl.lock python y.py",
        "flock -w 600 /tmp/etl.lock -c 'python y.py'",
        "/usr/bin/flock --timeout 60 /tmp/etl.lock python y.py",
        "lockrun --lockfile=/tmp/etl.lock -- python y.py",
        "( flock -n 9 || exit 1; python y.py ) 9>/tmp/etl.lock",
    ],
)
def test_lock_files_are_recorded(text: str):
    commands = [c for c in parse_command(text) if c.argv and c.argv[0] == "python"]
    assert [lock_file(lock) for lock in commands[0].locks] == ["/tmp/etl.lock"]
    # the descriptor's file is a lock, not output
    assert all(r.target != "/tmp/etl.lock" for c in parse_command(text) for r in c.redirects)


@pytest.mark.parametrize(
    ("text", "waits"),
    [
        ("flock /tmp/etl.lock python y.py", True),
        ("flock -x /tmp/etl.lock python y.py", True),
        ("flock -w 600 /tmp/etl.lock python y.py", True),
        ("flock -n /tmp/etl.lock python y.py", False),
        ("flock --nonblock /tmp/etl.lock python y.py", False),
        ("flock -w 0 /tmp/etl.lock python y.py", False),
        ("lockrun --lockfile=/tmp/etl.lock -- python y.py", False),
        ("lockrun --wait --lockfile=/tmp/etl.lock -- python y.py", True),
        ("setlock -n /tmp/etl.lock python y.py", False),
        ("run-with-lockfile /tmp/etl.lock 'python y.py'", True),
        ("/x/run-with-lockfile.sh -n /tmp/etl.lock 'python y.py --all'", False),
    ],
)
def test_a_lock_records_whether_the_job_waits_for_it(text: str, waits: bool):
    (command,) = [c for c in parse_command(text) if c.argv and c.argv[0] == "python"]
    (lock,) = command.locks
    assert lock_file(lock) == "/tmp/etl.lock"
    assert lock.startswith(NO_WAIT) is not waits


def test_run_with_lockfile_runs_its_command_through_the_shell():
    (command,) = parse_command('run-with-lockfile -n /l/x.lock "cd /srv/app && bin/rails db:prune"')
    assert command.argv == ("bin/rails", "db:prune")
    assert command.cwd == "/srv/app"


def test_redirections_keep_their_descriptor():
    (command,) = parse_command("job > /data/out.csv 2>> /var/log/err.log < /data/in.csv")
    ops = [(r.op, r.fd, r.target) for r in command.redirects]
    assert ops == [
        (">", None, "/data/out.csv"),
        (">>", 2, "/var/log/err.log"),
        ("<", None, "/data/in.csv"),
    ]
