"""The `cron2dag` command group.

Commands live next to the code they drive (`migrator/<area>/commands.py`) and are imported only when
invoked, so `cron2dag lint` in a pre-commit hook does not pay for libcst, Jinja or the runner.
Commands stay thin: parse options, call one function, format the result. Errors are exceptions from
`migrator.errors`; this module turns them into `path:line:col: message` on stderr and an exit code.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from migrator import __version__
from migrator.errors import Cron2DagError

# command name -> "module:attribute"; see DESIGN.md for what each does.
COMMANDS: dict[str, str] = {
    "parse": "migrator.crontab.commands:parse_command",
    "explain": "migrator.crontab.commands:explain_command",
    "infer": "migrator.infer.commands:infer_command",
    "graph": "migrator.infer.commands:graph_command",
    "migrate": "migrator.codegen.commands:migrate_command",
    "lint": "migrator.lint.commands:lint_command",
    "rule": "migrator.lint.commands:rule_command",
    "rules": "migrator.lint.commands:rules_command",
    "run": "migrator.runner.commands:run_command",
    "backfill": "migrator.runner.commands:backfill_command",
    "runs": "migrator.runner.commands:runs_command",
    "logs": "migrator.runner.commands:logs_command",
    "clear": "migrator.runner.commands:clear_command",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use (the pattern from click's docs)."""

    def __init__(self, *args: Any, lazy_subcommands: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_subcommands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.lazy_subcommands.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Cron2DagError as error:
            click.echo(error.render(), err=True)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            # Ctrl-C before a command installs its own handler (loading a DAG file, parsing): the
            # conventional 128 + SIGINT, as the runner uses once it runs tasks, not click's "Aborted!" 1.
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:
            # the reader went away (`cron2dag lint dags | head`): stop quietly, as other CLI tools do;
            # stdout goes to devnull so the interpreter's final flush does not fail again
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(1)
        except Exception as error:
            # A bug in cron2dag, not in the input: keep it to one line unless asked for the traceback.
            if os.environ.get("CRON2DAG_DEBUG"):
                raise
            click.echo(
                f"cron2dag: internal error: {type(error).__name__}: {error} "
                "(set CRON2DAG_DEBUG=1 for the traceback)",
                err=True,
            )
            ctx.exit(2)


@click.group(cls=LazyGroup, lazy_subcommands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cron2dag")
def cli() -> None:
    """Move crontab pipelines to Apache Airflow, lint DAG code, and run DAGs locally."""


_ends_process = False  # set by `main`: under click's test runner, commands run inside the caller


def end_process(code: int) -> None:
    """End the process at once with `code`, its output flushed, when `main` runs the command.

    A command that leaves a large heap (`lint`: every finding and the parsed cache) would otherwise
    spend a tenth of a cached run freeing it object by object at exit; mypy ends the same way. Only
    for commands that hold no resource that needs closing. Elsewhere (click's test runner) this
    returns, and the command exits as usual."""
    if not _ends_process or sys.gettrace() is not None or sys.getprofile() is not None:
        return  # (a tracer or profiler, coverage or cProfile, writes its data at exit)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away: as `LazyGroup.invoke` ends then
        code = 1
    os._exit(code)


def main(argv: list[str] | None = None) -> None:
    global _ends_process
    _ends_process = True
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="cron2dag")
