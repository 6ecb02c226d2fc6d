"""One loader for IANA time zones named by users: in CRON_TZ= and TZ= lines, --tz and --timezone.

`zoneinfo.ZoneInfo(name)` reads a file named after the zone, so arbitrary text reaches the file
system: a 300-character name fails with "File name too long" (OSError), `America` is a directory
(IsADirectoryError), `../x` and `''` are ValueErrors, `utc` a KeyError. Every caller that takes a name
from input goes through `find_zone`, which answers None for all of them.
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# IANA names are far shorter (the longest is about 30 characters); anything longer is not a zone
MAX_ZONE_NAME = 255


@lru_cache(maxsize=256)
def find_zone(name: str) -> ZoneInfo | None:
    """The IANA time zone called `name`, or None when `name` is not one (whatever the text)."""
    if not name or len(name) > MAX_ZONE_NAME:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def is_zone_name(name: str) -> bool:
    return find_zone(name) is not None


def zone_problem(name: str) -> str:
    """Why `name` is not a time zone, for an error message (the name is shortened when long)."""
    shown = name if len(name) <= 60 else name[:57] + "..."
    return f"{shown!r} is not an IANA time zone name (like UTC or Europe/Paris)"
