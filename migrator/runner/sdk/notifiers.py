"""Notifiers: callables for `on_*_callback` that render templated fields and then `notify(context)`.

`SmtpNotifier` (what generated DAGs use for a crontab's MAILTO) is built in: the local runner does not
send e-mail; it writes the rendered message (recipients and subject) to the task's log instead. Being
built in, it runs inside the runner and does not take a task off the runner's fast paths.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar


class BaseNotifier:
    template_fields: ClassVar[Sequence[str]] = ()
    template_ext: ClassVar[Sequence[str]] = ()
    runner_native: ClassVar[bool] = False  # True: trusted runner code, may run in the runner process
    render_template_as_native_obj: bool | None = None
    _dag: Any = None

    def __init__(self, context: Mapping[str, Any] | None = None) -> None:
        self.context = dict(context or {})

    def notify(self, context: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    def prepare_template(self) -> None:
        return None

    def __call__(self, *args: Any) -> Any:
        from migrator.runner.templating import rendered_fields

        if len(args) == 1:
            context = dict(args[0])
        else:
            context = {"dag": args[0], "task_list": args[1], "blocking_task_list": args[2], "blocking_tis": args[3]}
        context.update((name, getattr(self, name)) for name in self.template_fields)
        notifier = copy.copy(self)
        notifier._dag = context.get("dag")
        for name, value in rendered_fields(notifier, context).items():
            setattr(notifier, name, value)
        return notifier.notify(context)


class SmtpNotifier(BaseNotifier):
    template_fields: ClassVar[Sequence[str]] = (
        "from_email", "to", "subject", "html_content", "files", "cc", "bcc", "mime_subtype", "mime_charset",
        "custom_headers", "smtp_conn_id",
    )
    runner_native: ClassVar[bool] = True

    def __init__(self, to: str | Iterable[str], from_email: str | None = None, subject: str | None = None,
                 html_content: str | None = None, files: list[str] | None = None, cc: str | Iterable[str] | None = None,
                 bcc: str | Iterable[str] | None = None, mime_subtype: str = "mixed", mime_charset: str = "utf-8",
                 custom_headers: dict[str, Any] | None = None, smtp_conn_id: str | None = None,
                 auth_type: str = "basic", *, template: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.to, self.from_email, self.subject, self.html_content = to, from_email, subject, html_content
        self.files, self.cc, self.bcc = files, cc, bcc
        self.mime_subtype, self.mime_charset, self.custom_headers = mime_subtype, mime_charset, custom_headers
        self.smtp_conn_id = smtp_conn_id or "smtp_default"
        self.auth_type = auth_type

    def notify(self, context: Mapping[str, Any]) -> str:
        recipients = [self.to] if isinstance(self.to, str) else list(self.to)
        ti = context.get("ti")
        subject = self.subject or (
            f"DAG {getattr(ti, 'dag_id', '?')} - Task {getattr(ti, 'task_id', '?')} - "
            f"Run ID {getattr(ti, 'run_id', '?')} in State {context.get('reason') or getattr(ti, 'state', '?')}"
        )
        message = f"SmtpNotifier: e-mail to {', '.join(recipients)} not sent (the local runner sends no e-mail): {subject}"
        print(message, flush=True)
        return message


def is_native(callback: Any) -> bool:
    return bool(getattr(callback, "runner_native", False)) and type(callback).notify is not BaseNotifier.notify
