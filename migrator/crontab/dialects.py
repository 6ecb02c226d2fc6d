"""Which cron's reading of a crontab to follow: its own module, as every command's `--dialect` option
names it and should not load the whole crontab model to do so."""

from __future__ import annotations

from migrator.compat import StrEnum


class Dialect(StrEnum):
    """Which cron implementation's reading of the file to follow (docs/crontabs.md, "Dialects")."""

    CRONIE = "cronie"
    DEBIAN = "debian"
    VIXIE = "vixie"


# cronie is the cron of Fedora, RHEL, Amazon Linux, Arch and SUSE and the most permissive reader
# (CRON_TZ, `~` random ranges, the `-` prefix); `--dialect debian` or `vixie` reads files more strictly.
DEFAULT_DIALECT = Dialect.CRONIE
