"""Format detection from content (system crontab with a user column, or user crontab) and user
names cron cannot find. The crontabs are reproductions of what public deploy repositories do:
system-format files kept outside /etc/cron.d, whose jobs run as an application account."""

from __future__ import annotations

import pytest

from migrator.crontab.format import detect, impossible_account
from migrator.crontab.parser import parse_crontab

APP_ACCOUNT = """\
MAILTO=cron-site@example.org
# nightly update of the member data
37 2 * * * twfy /data/vhost/site/scripts/dailyupdate
23 4 * * Sun twfy run-with-lockfile -n /data/vhost/site/update.lock /data/vhost/site/scripts/compact || echo "stalled?"
13 6 * * * twfy ~/parser/scripts/morningupdate
"""

WEB_SERVER = """\
*/5 * * * * www-data cd /var/www/app && php artisan queue:restart
0 3 * * * www-data /var/www/app/bin/cleanup
"""


def test_an_application_account_makes_a_system_crontab_and_says_so():
    crontab = parse_crontab(APP_ACCOUNT, "deploy/crontab")
    assert crontab.system
    assert {e.user for e in crontab.entries} == {"twfy"}
    assert crontab.entries[0].command == "/data/vhost/site/scripts/dailyupdate"
    (warning,) = [w for w in crontab.warnings if "system crontab" in w.message]
    assert "'twfy'" in warning.message and "--user" in warning.message


def test_well_known_service_accounts_need_no_root_and_no_warning():
    crontab = parse_crontab(WEB_SERVER, "conf/crontab")
    assert crontab.system
    assert {e.user for e in crontab.entries} == {"www-data"}
    assert not [w for w in crontab.warnings if "system crontab" in w.message]


def test_a_single_job_under_an_account_is_a_system_crontab():
    crontab = parse_crontab("0 2 * * * postgres /usr/local/bin/pg_backup_and_purge\n", "x")
    assert crontab.system and crontab.entries[0].user == "postgres"


@pytest.mark.parametrize(
    "text",
    [
        "0 0 * * * python /opt/x.py\n5 0 * * * python /opt/y.py\n",
        "* * * * * php artisan schedule:run\n",
        "0 5 * * * backup.sh /srv/data\n",
        "0 1 * * * cd /srv/app && make report\n",
        # three different first words are commands, not three accounts
        "0 1 * * * fetch /a\n0 2 * * * clean /b\n0 3 * * * publish /c\n",
        "0 1 * * * hostname web-1.example.org\n",
        # shell compound commands: a wait loop is no account named `until`
        "0 2 * * * until aws s3 ls s3://d/e/ >/dev/null; do sleep 1; done; echo synced\n",
        "0 4 * * * while [ ! -f /d/db.sql.gz ]; do sleep 60; done; /srv/etl/bin/restore.sh\n",
        "30 3 * * * if [ -e /d/load.done ]; then python3 bin/report.py; fi\n",
    ],
)
def test_commands_are_not_taken_for_user_names(text: str):
    crontab = parse_crontab(text, "somewhere.txt")
    assert not crontab.system
    assert all(e.user is None for e in crontab.entries)


def test_the_user_flag_still_wins():
    crontab = parse_crontab(APP_ACCOUNT, "deploy/crontab", system=False)
    assert not crontab.system
    assert crontab.entries[0].command.startswith("twfy ")


@pytest.mark.parametrize("user", ["PATH=$X", "$VV", "env", "/usr/bin/env", "python3"])
def test_cron_skips_lines_whose_user_cannot_exist(user: str):
    text = f"0 1 * * * root /bin/first\n0 2 * * * {user} /bin/second\n"
    crontab = parse_crontab(text, "/etc/cron.d/app")
    assert [e.command for e in crontab.entries] == ["/bin/first"]
    (warning,) = [w for w in crontab.warnings if "skips this line" in w.message]
    assert warning.line == 2 and warning.column == 11
    assert f"'{user}'" in warning.message


def test_detection_on_raw_commands():
    assert detect(["deploy /srv/app/bin/sync"]).system
    assert detect(["zulip cd /home/zulip/current && ./manage.py digest"]).system
    assert not detect(["python x.py"]).system
    assert not detect([]).system
    assert impossible_account("www-data") is None
    assert impossible_account("nobody") is None
    assert impossible_account("machine$") is None
