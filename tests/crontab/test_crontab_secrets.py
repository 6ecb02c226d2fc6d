"""Secrets in command lines: where each program takes one, and the look-alikes that are not (issue 16).

Each case is a minimal reproduction of a pattern seen in real public crontabs (passwords after
`mysqldump -p`, `curl -u`, `sshpass -p`, `redis-cli -a`, `PGPASSWORD=`, tokens in headers and URLs),
written for this test.
"""

from __future__ import annotations

import pytest
from fuzz_profiles import fuzz_examples
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.crontab.secrets import (
    SecretNames,
    find_command_secrets,
    is_secret_name,
    mask_secrets,
    without_command_secrets,
)
from migrator.secrets import could_hold_secret, hint_offsets, is_placeholder

FOUND = [
    # (command, the secret values in order, the label of the first)
    ("mysqldump -uroot -pTopS3cret shop > /backup/shop.sql", ["TopS3cret"], "mysql_root_password"),
    ('mysqldump -u root -p"Swm@2026!" swm', ["Swm@2026!"], "mysql_root_password"),
    # Jinja syntax inside a password is part of it; only a value that is all template is a slot
    ("mysqldump -u root -p'S w@$x!\"q{{ y }}' shop", ['S w@$x!"q{{ y }}'], "mysql_root_password"),
    ("mysql -u etl -p'pa ss' -e 'select 1'", ["pa ss"], "mysql_etl_password"),
    ("mysql --user=etl --password=S3cret warehouse", ["S3cret"], "mysql_etl_password"),
    ("mysql -u clientcheck -pclientcheck clientcheck", ["clientcheck"], "mysql_password"),
    (
        "curl -fsS -u admin:S3cret https://api.example.com/v1",
        ["S3cret"],
        "api_example_com_admin_password",
    ),
    ("curl --user=bob:hunter2 https://x.example.org/f", ["hunter2"], "x_example_org_bob_password"),
    ("curl -ualice:pw123 https://y.example.org/", ["pw123"], "y_example_org_alice_password"),
    (
        "curl https://report:hunter2go@files.example.org/export.csv",
        ["hunter2go"],
        "files_example_org_report_password",
    ),
    (
        "psql postgresql://etl:pg-secret@db.internal:5432/dw -c 'vacuum'",
        ["pg-secret"],
        "db_internal_etl_password",
    ),
    ("PGPASSWORD=pg-pass-123 psql -h db -U etl", ["pg-pass-123"], "PGPASSWORD"),
    ("PGPASSWORD='$@nJose420' psql -U postgres -c 'SELECT 1'", ["$@nJose420"], "PGPASSWORD"),
    ("export API_TOKEN=tok_123; /opt/push.sh", ["tok_123"], "API_TOKEN"),
    ("env MYSQL_PWD=s3cret mysqldump shop", ["s3cret"], "MYSQL_PWD"),
    (
        "sshpass -p 'r00t pw' rsync -a /data/ backup@nas.example.com:/srv/",
        ["r00t pw"],
        "ssh_nas_example_com_password",
    ),
    ("sshpass -p admin ssh -p 2222 root@10.0.0.5 uptime", ["admin"], "ssh_password"),
    ("redis-cli -a yourpassword BGSAVE", ["yourpassword"], "redis_password"),
    ("mongodump --username admin --password 'M0ngo!' --out /b", ["M0ngo!"], "mongo_admin_password"),
    (
        "wget --user=partner --password='MDrock$' http://www.example.com/run.php",
        ["MDrock$"],
        "wget_partner_password",
    ),
    (
        'curl -X POST -H "Authorization: Bearer abc.def-123" https://hooks.example.com/x',
        ["abc.def-123"],
        "hooks_example_com_authorization",
    ),
    ("curl -H 'X-Cron-Token: t0ken' http://10.0.0.2:9000/run", ["t0ken"], "x_cron_token"),
    (
        'curl "https://api.dynu.com/nic/update?hostname=h&password=dynuPass"',
        ["dynuPass"],
        "api_dynu_com_password",
    ),
    ("curl 'https://api.example.com/w.json?key=k3y&lang=en'", ["k3y"], "api_example_com_key"),
    ("aws s3 ls --profile x AKIAIOSFODNN7EXAMPLE", ["AKIAIOSFODNN7EXAMPLE"], "aws_access_key_id"),
    (
        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG aws s3 ls",
        ["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG"],
        "AWS_ACCESS_KEY_ID",
    ),
    (
        "curl -d 'text=hi' https://hooks.slack.com/services/T0001/B0002/abcdEFGH1234",
        ["T0001/B0002/abcdEFGH1234"],
        "slack_webhook",
    ),
    ("sqlplus scott/tiger@orcl @/opt/report.sql", ["tiger"], "oracle_scott_password"),
    ("sh -c 'mysqldump -pInner5ecret db > /b/db.sql'", ["Inner5ecret"], "mysql_password"),
    ("flock -n /tmp/l.lock mysqldump -pLocked1 db", ["Locked1"], "mysql_password"),
    ("sudo -u backup mysqldump -pSudoPw db", ["SudoPw"], "mysql_password"),
    ("echo $(mysql -N -pSub5ecret -e 'select 1')", ["Sub5ecret"], "mysql_password"),
    (
        "docker run --rm -e POSTGRES_PASSWORD=dockpw postgres:16 pg_dumpall",
        ["dockpw"],
        "POSTGRES_PASSWORD",
    ),
    ("smbclient //nas/share -U backup%SmbPw1 -c 'put x'", ["SmbPw1"], "smb_backup_password"),
    ("7z a -pZipPw /b/a.7z /data", ["ZipPw"], "7z_password"),
    (
        'psql "host=db dbname=dw user=etl password=ConnPw" -c "select 1"',
        ["ConnPw"],
        "postgres_password",
    ),
    ("kubectl --token=eyJhbGciOiJIUzI1NiJ9x get pods", ["eyJhbGciOiJIUzI1NiJ9x"], "kubectl_token"),
    # a command line given as an option's value is written in this one too
    (
        "python3 /opt/run_task.py --command 'users create --username etl --password CmdPw1'",
        ["CmdPw1"],
        "users_etl_password",
    ),
    # a line continuation (multi-line commands of DAG files) joins the words around it
    ("mysqldump -u etl \\\n  -pContPw1 shop", ["ContPw1"], "mysql_etl_password"),
]

NOT_SECRETS = [
    "mkdir -p /data/out && cp -p a b",
    "ssh -p 22 backup@host.example.com 'df -h'",
    "psql -p 5432 -U etl -h db -c 'vacuum'",
    "pg_dump -p 5432 -U etl --password dw > /b/dw.sql",
    "scp -P 2222 /data/x backup@host:/srv/",
    "rsync -p -a /data/ host:/srv/",
    "docker run -p 8080:80 nginx",
    "mysqldump -u root -p shop > /b/shop.sql",  # -p alone: mysql prompts
    "mysqldump -u {{ db_user }} -p'{{ db_password }}' shop",  # a templated crontab: filled in on deploy
    "mysql -u root -p -P 3306 shop",
    "mongodump --username admin --password --out /b",
    "mysqldump -uroot -p$MYSQL_PWD shop",
    'redis-cli -a "$REDIS_PASSWORD" BGSAVE',
    "PGPASSWORD=$DB_PASSWORD pg_dump dw",
    'curl -H "Authorization: Bearer $TOKEN" https://api.example.com/x',
    'curl -H "Authorization: $(cat /etc/token)" https://api.example.com/x',
    'curl -H "Content-Type: application/json" -d \'{"a": 1}\' https://api.example.com/x',
    "curl -u alice https://example.com/",  # no password: curl prompts
    "wget --user=bob https://example.com/f",
    "wget -q -O - https://example.com/wp-cron.php?doing_wp_cron",
    "git clone git@github.com:org/repo.git /srv/repo",
    "curl https://user@example.com/x ssh://git@host.example.com:22/r",
    "curl http://host:8080/path@v1",
    "restic backup --password-file=/etc/restic.pw /data",
    "vault login -method=userpass username=x --token-file /etc/t",
    "sudo -u postgres psql -c 'select 1'",
    "KEYBOARD=us TOKEN_FILE=/etc/token /opt/run.sh",
    "sort -u /data/a > /data/b; tar -cpf /b/x.tar /data",
    "curl 'https://api.example.com/search?keyword=x&page=2&key='",
    "echo 3f786850e387550fdab836ed7e6dc881de23001b > /tmp/sha",
    "aws s3 cp s3://bucket/key /data/key",
    "run-with-lockfile -n /var/lock/x.lock /opt/job",
    # stand-ins: an example cut short, a slot in brackets
    "export PIKZELS_API_KEY=pkz_... && /opt/thumbs.sh",
    "curl 'https://stats.example.com/?module=API&token_auth=[TOKEN]'",
    "app --description 'use --password X'",  # only options named for a command hold one
]


@pytest.mark.parametrize(("command", "values", "label"), FOUND)
def test_secrets_are_found_with_a_secret_free_label(
    command: str, values: list[str], label: str
) -> None:
    found = find_command_secrets(command)
    assert [s.value for s in found] == values
    assert found[0].label == label
    for secret in found:
        assert command[secret.start : secret.end] == secret.value and secret.movable
        for value in values:
            assert value.lower() not in secret.label.lower() or value.lower() in ("password",)


@pytest.mark.parametrize("command", NOT_SECRETS)
def test_look_alikes_are_not_secrets(command: str) -> None:
    assert find_command_secrets(command) == ()


@pytest.mark.parametrize(("command", "values", "label"), FOUND)
def test_the_linters_cheap_tests_keep_every_secret_the_detector_finds(
    command: str, values: list[str], label: str
) -> None:
    """OPS004 reads only strings `could_hold_secret` passes, on lines `hint_offsets` names: neither
    may drop a secret of the detector both share."""
    assert could_hold_secret(command)
    hinted = {command.count("\n", 0, offset) for offset in hint_offsets(command)}
    for secret in find_command_secrets(command):
        assert command.count("\n", 0, secret.start) in hinted


@pytest.mark.parametrize(
    ("value", "placeholder"),
    [
        ("***", True),
        ("<password>", True),
        ("[TOKEN]", True),
        ("pkz_...", True),
        ("{{ conn.db.password }}", True),
        ("{{ db_user }}:{{ db_password }}", True),
        ('S w@$x!"q{{ y }}', False),  # braces inside a real password: Jinja syntax, not a slot
        ("%(password)s", True),
        ("S3cret", False),
        ("x9.Pw-_", False),
    ],
)
def test_stand_ins_for_a_secret(value: str, placeholder: bool) -> None:
    assert is_placeholder(value) is placeholder


def test_a_value_quoted_in_pieces_is_found_but_not_movable() -> None:
    (secret,) = find_command_secrets("mysqldump -p\"ab\"'cd' db")
    assert secret.value == "abcd" and not secret.movable
    assert (secret.start, secret.end) == (10, 20)  # the whole word, to keep it out of names


def test_without_command_secrets_keeps_the_shape_for_inference() -> None:
    command = "curl -u admin:S3cret 'https://api.example.com/x?token=t0k' > /data/out.json"
    assert without_command_secrets(command) == (
        "curl -u admin: 'https://api.example.com/x?token=' > /data/out.json"
    )
    assert without_command_secrets("sshpass -p s3cr3t rsync -a /d/ h:/b/") == (
        "sshpass -p '' rsync -a /d/ h:/b/"
    )
    assert without_command_secrets("mysqldump -p\"ab\"'cd' db") == "mysqldump '' db"


def test_mask_secrets_hides_every_occurrence_also_written_with_cron_escapes() -> None:
    text = r"mysql -pab%c db && mysqldump -pab\%c db"
    assert mask_secrets(text, ["ab%c"]) == "mysql -p*** db && mysqldump -p*** db"


def test_secret_names_are_one_per_secret_and_unique_without_case() -> None:
    names = SecretNames()
    assert names.name("a", "mysql_password") == "mysql_password"
    assert names.name("b", "mysql_password") == "mysql_password_2"
    assert names.name("a", "mysql_password") == "mysql_password"
    assert names.name("a", "redis_password") == "redis_password"  # same value, another service
    assert names.name("c", "MYSQL_PASSWORD") == "MYSQL_PASSWORD_3"


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("DB_PASSWORD", True),
        ("PGPASSWORD", True),
        ("API_KEY", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("SSHPASS", True),
        ("MYSQL_PWD", True),
        ("PWD", False),
        ("KEYBOARD", False),
        ("MONKEY_HOME", False),
        ("PATH", False),
    ],
)
def test_secret_environment_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(100))
@given(st.text(max_size=120))
def test_the_detector_never_crashes_and_spans_hold_the_values(command: str) -> None:
    for secret in find_command_secrets(command):
        assert 0 <= secret.start <= secret.end <= len(command)
        if secret.movable:
            assert command[secret.start : secret.end] == secret.value
        assert secret.value not in secret.label or len(secret.value) < 3
