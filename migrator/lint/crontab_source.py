"""The crontab parser as the linter uses it: text in, `CronTab` out, `InputError` for bad lines."""

from __future__ import annotations

from migrator.crontab.model import CronTab


def parse_crontab_text(text: str, path: str, system: bool) -> CronTab:
    from migrator.crontab.parser import parse_crontab

    # system=None lets the parser recognise /etc/crontab-style files by their content
    return parse_crontab(text, path, system=True if system else None)
