"""The crontab parser as the linter uses it: text in, `CronTab` out, `InputError` for bad lines."""

from __future__ import annotations

from migrator.crontab.model import CronTab


def parse_crontab_text(text: str, path: str, system: bool) -> CronTab:
    """Parse a crontab; every failure is an `InputError` (a `SYN001` finding), never a crash of the
    run: a value the front end cannot convert (a 5,000-digit number in a time field) included."""
    from lark.exceptions import VisitError

    from migrator.crontab.parser import parse_crontab
    from migrator.errors import Diagnostic, InputError

    try:
        # system=None lets the parser recognise /etc/crontab-style files by their content
        return parse_crontab(text, path, system=True if system else None)
    except VisitError as error:
        cause = error.orig_exc
        if not isinstance(cause, (ValueError, OverflowError, RecursionError)):
            raise
        meta = getattr(error.obj, "meta", None)
        line = getattr(meta, "line", None) or 1
        column = getattr(meta, "column", None) or 1
        raise InputError([Diagnostic(path, f"cannot read this line: {_short(cause)}", line, column)]) from None
    except (ValueError, OverflowError, RecursionError) as error:
        raise InputError([Diagnostic(path, f"cannot read this file: {_short(error)}", 1, 1)]) from None


def _short(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error).split(';')[0]}"
