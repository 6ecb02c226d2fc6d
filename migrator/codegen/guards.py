"""Readiness guards in cron commands, and what a sensor must wait for instead.

Cron cannot wait for data, so crontabs check for it: `[ -f X ] && cmd`, `test -e X && cmd`,
`if [ -f X ]; then cmd; fi`, `[ -f X ] || exit 0; cmd`, wait loops (`while [ ! -f X ]; do sleep N;
done; cmd`, `until ...`, a `for` loop or `timeout` that gives up), and the same with
`aws s3 ls s3://b/k`, `aws s3api head-object`, `gsutil -q stat gs://b/o`, `hdfs dfs -test -e P`.

`read_guards` recognises a guard at the start of a command and says what a sensor must wait for
(a `Signal`), whether a missing signal failed the job (`&&`, `|| exit`) or ended it quietly (`if`,
`|| exit 0`), and how much of the command the sensor replaces exactly (the rest runs after it).

Pure and target-neutral: command text and the crontab's variables in, decisions out. Precision comes
first: a check that gates a program's installation (`[ -e /usr/sbin/tool ] && /usr/sbin/tool`), a
cleanup (`[ -f X ] && rm X`), a log watch, or a guard whose absent branch still runs something (`G &&
a || alert`, `G && a; b`) is recognised but not converted, with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import PurePosixPath

from migrator.codegen.words import Refusal, WordValue, evaluate_word
from migrator.infer.shell import basename
from migrator.shelltree import AndOr, CommandList, Compound, Pipeline, Simple, parse, walk

# names that say "the writer has finished": the sensor waits for the marker, not the data
MARKER_NAMES = frozenset({"_SUCCESS", "_DONE", "DONE", "READY", "_READY", "COMPLETE", "_COMPLETE"})
MARKER_SUFFIXES = (
    ".done",
    ".ready",
    ".ok",
    ".complete",
    ".success",
    ".flag",
    ".trigger",
    ".marker",
)

_FILE_TESTS = {"-f": "is a file", "-e": "exists", "-s": "is a non-empty file", "-a": "exists"}
_TEST_PROGRAMS = frozenset({"[", "test", "[["})
_INTERPRETERS = frozenset(
    {"sh", "bash", "dash", "zsh", "ksh", "php", "perl", "ruby", "node", "source", ".", "exec"}
    | {"python", "python2", "python3", "sudo", "nohup", "nice", "env"}
)
_CLEANUPS = frozenset({"rm", "unlink", "truncate", "shred", "mv"})
# the host's own files: checking them asks how the machine is set up, not whether data arrived
_SYSTEM_DIRS = ("/etc/", "/usr/", "/bin/", "/sbin/", "/lib", "/proc/", "/sys/", "/run/", "/dev/", "/boot/")
# a flag file that turns a job on or off
_SWITCH = re.compile(r"enable|disable|lock|maintenance|pause|^stop|^off$|^on$|\.busy$")
_SLEEP = re.compile(r"^(\d+)([smh]?)$")
_SLEEP_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}
_FNMATCH = frozenset("*?[")
_TRUE_COMMANDS = frozenset({"true", ":"})


@dataclass(frozen=True)
class Signal:
    """What the job waited for: a file, an S3 key (or key prefix), a GCS object, an HDFS path."""

    kind: str  # "file", "s3", "gcs", "hdfs"
    location: WordValue  # path (file, hdfs) or key/object name (s3, gcs)
    bucket: str | None = None  # s3, gcs
    # s3: any key that starts with `location` satisfies it (`aws s3 ls` lists a prefix)
    prefix: bool = False

    @property
    def text(self) -> str:
        """The signal as the crontab wrote it (dates shown as their shell text)."""
        where = self.location.display()
        if self.kind == "s3":
            return f"s3://{self.bucket}/{where}"
        if self.kind == "gcs":
            return f"gs://{self.bucket}/{where}"
        return where

    @property
    def is_marker(self) -> bool:
        name = PurePosixPath(self.location.display().rstrip("/")).name
        return name in MARKER_NAMES or name.lower().endswith(MARKER_SUFFIXES)


@dataclass(frozen=True)
class Guard:
    signal: Signal
    check: str  # the check as written, e.g. `[ -f /data/x ]`
    # a missing signal made cron's job end successfully having done nothing (soft_fail)
    soft: bool
    # the sensor's success implies the check: the check is removed from the command
    exact: bool
    idiom: str  # "and-list", "exit", "if", "wait-loop", "deadline-loop"
    why_kept: str | None = None  # when not exact: why the check stays in the command
    poke_interval: timedelta | None = None  # a wait loop's sleep
    deadline: timedelta | None = None  # how long a wait loop waited before giving up


@dataclass(frozen=True)
class Unconverted:
    """A check that was recognised but is not turned into a sensor, and why."""

    check: str
    reason: str


@dataclass(frozen=True)
class GuardReading:
    guards: tuple[Guard, ...]  # in the order the command checks them
    command: str  # what runs after the sensors: the command less the checks they replace
    unconverted: tuple[Unconverted, ...] = ()
    checks: int = 0  # existence checks anywhere in the command (converted or not)

    @property
    def exact(self) -> bool:
        return bool(self.guards) and all(g.exact for g in self.guards)


@dataclass(frozen=True)
class _Check:
    """One recognised existence check (a simple command), before it is known to gate the job."""

    signal: Signal | None
    text: str
    refusal: str | None = None  # why no sensor can wait for it
    inexact: str | None = None  # why the sensor's success does not imply the check
    negated: bool = False


@dataclass
class _Context:
    command: str
    env: Mapping[str, str]
    cwd: str | None
    timezone: str
    offset: timedelta
    unconverted: list[Unconverted] = field(default_factory=list)


def read_guards(
    command: str,
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    timezone: str = "UTC",
    offset: timedelta = timedelta(0),
) -> GuardReading:
    """The readiness guards at the start of `command` and the command that runs after them.

    `env` is the crontab's environment for the job, `cwd` the directory it runs in (relative paths
    are resolved against it), `timezone` and `offset` place its `date` substitutions (see
    `migrator.codegen.dates`).
    """
    env = dict(env or {})
    # cron starts a job in its HOME
    context = _Context(command, env, cwd or env.get("HOME"), timezone, offset)
    tree = parse(command)
    if tree is None:
        return GuardReading((), command)
    checks = sum(1 for simple in _simple_commands(tree) if _is_check(simple))
    guards: list[Guard] = []
    remainder = command
    # one idiom after another: `if [ -f a ]; then [ -f b ] && run; fi` is two guards
    while True:
        step = _read_one(remainder, context)
        if step is None:
            break
        new_guards, rest = step
        guards.extend(new_guards)
        done = rest == remainder or not all(g.exact for g in new_guards)
        remainder = rest
        if done:
            break  # a check that stays in the command ends the reading: what follows it stays too
    return GuardReading(tuple(guards), remainder, tuple(context.unconverted), checks)


def _read_one(text: str, context: _Context) -> tuple[list[Guard], str] | None:
    tree = parse(text)
    if tree is None:
        return None
    first = tree.items[0]
    pipeline = first.pipelines[0]
    single = pipeline.commands[0] if len(pipeline.commands) == 1 and not pipeline.negated else None
    if isinstance(single, Compound):
        if single.kind == "if" and len(tree.items) == 1 and len(first.pipelines) == 1:
            return _if_guard(text, single, context)
        if single.kind in ("while", "until"):
            return _wait_loop(text, tree, single, context)
        if single.kind == "for":
            return _deadline_loop(text, tree, single, context)
        return None
    if isinstance(single, Simple) and single.argv[:1] == ("timeout",):
        found = _timeout_loop(text, tree, single, context)
        if found is not None:
            return found
    if len(first.pipelines) >= 2 and first.operators[0] == "||":
        return _exit_guard(text, tree, context)
    if first.operators and first.operators[0] == "&&":
        return _and_guards(text, tree, context)
    return None


# -- the idioms ----------------------------------------------------------------------------------


def _and_guards(text: str, tree: CommandList, context: _Context) -> tuple[list[Guard], str] | None:
    """`G1 && G2 && cmd ...`: hard guards (the job exited 1 without the signal)."""
    first = tree.items[0]
    checks: list[tuple[_Check, Pipeline]] = []
    for index, pipeline in enumerate(first.pipelines[:-1]):
        if first.operators[index] != "&&":
            break
        check = _pipeline_check(pipeline, context)
        if check is None:
            break
        checks.append((check, pipeline))
    if not checks:
        return None
    rest_index = len(checks)
    rest = first.pipelines[rest_index:]
    operators = first.operators[rest_index:]
    soft = False
    if "||" in operators:
        # `G && cmd || true`: the job succeeded without the signal; anything else in the `||`
        # branch (an alert, a fallback) ran precisely when the signal was missing
        if operators.count("||") == 1 and operators[-1] == "||" and _is_true(rest[-1]):
            soft = True
        else:
            return _refuse(
                checks, text, "the command runs something else when the check fails (`||`)", context
            )
    if len(tree.items) > 1:
        return _refuse(
            checks,
            text,
            "the command goes on after the guarded part (`;`), with or without the signal",
            context,
        )
    if any(c.negated for c, _ in checks):
        return None  # `[ ! -f lock ] && cmd` waits for nothing: a lock or "first run" check
    remainder_start = rest[0].start
    return _finish(checks, text, remainder_start, soft, "and-list", context)


def _exit_guard(text: str, tree: CommandList, context: _Context) -> tuple[list[Guard], str] | None:
    """`G || exit 0; cmd` (soft) or `G || exit [N]; cmd` (hard)."""
    first = tree.items[0]
    check = _pipeline_check(first.pipelines[0], context)
    if check is None:
        return None
    status = _exit_status(first.pipelines[1])
    if status is None:
        return None
    checks = [(check, first.pipelines[0])]
    if check.negated:
        return None
    if len(first.pipelines) > 2:
        if first.operators[1] != "&&" or "||" in first.operators[2:]:
            return _refuse(
                checks, text, "the command runs something else when the check fails (`||`)", context
            )
        start = first.pipelines[2].start
    else:
        if len(tree.items) < 2 or tree.terminators[0] == "&":
            return None
        start = tree.items[1].start
    return _finish(checks, text, start, status == 0, "exit", context)


def _if_guard(text: str, compound: Compound, context: _Context) -> tuple[list[Guard], str] | None:
    """`if G1 && G2; then BODY; fi`: soft guards (a false `if` ends with status 0)."""
    condition, body = compound.parts
    if len(condition.items) != 1:
        return None
    chain = condition.items[0]
    checks = []
    for pipeline in chain.pipelines:
        check = _pipeline_check(pipeline, context)
        if check is None:
            return None
        checks.append((check, pipeline))
    if "||" in chain.operators:
        return None
    if compound.has_else:
        return _refuse(checks, text, "its `else` branch runs when the check fails", context)
    if compound.redirects:
        return _refuse(
            checks, text, "the redirection after `fi` applies to the whole `if`", context
        )
    if text[compound.end :].strip() and not text[compound.end :].strip().startswith("#"):
        return None
    if any(c.negated for c, _ in checks):
        return None
    refused = _refusals(checks, text, context)
    if refused:
        return refused
    body_text = text[body.start : body.end]
    guards = [_guard(c, soft=True, idiom="if") for c, _ in checks]
    if not _gates_data(checks, body_text, context):
        return None
    if all(g.exact for g in guards):
        return guards, body_text
    why = next(g.why_kept for g in guards if not g.exact)
    return [_kept(g, why) for g in guards], text


def _wait_loop(
    text: str, tree: CommandList, loop: Compound, context: _Context
) -> tuple[list[Guard], str] | None:
    """`while [ ! -f X ]; do sleep N; done; cmd` or `until [ -f X ]; ...`: waits for as long as it takes."""
    found = _loop_check(loop, context)
    if found is None:
        return None
    check, pipeline, interval = found
    start = _after(tree, 0, pipeline_index=0)
    if start is None:
        return _refuse([(check, pipeline)], text, "nothing runs after the wait", context)
    return _finish([(check, pipeline)], text, start, False, "wait-loop", context, poke=interval)


def _deadline_loop(
    text: str, tree: CommandList, loop: Compound, context: _Context
) -> tuple[list[Guard], str] | None:
    """`for i in $(seq 60); do [ -f X ] && break; sleep 60; done; [ -f X ] && cmd`: waits at most 60 x 60 s."""
    if loop.redirects or loop.items is None:
        return None
    rounds = _round_count(loop.items)
    body = loop.parts[0]
    if rounds is None or len(body.items) != 2:
        return None
    test, pause = body.items
    if test.operators != ("&&",) or _argv(test.pipelines[1]) != ("break",):
        return None
    check = _pipeline_check(test.pipelines[0], context)
    interval = _sleep_of(pause)
    if check is None or interval is None or check.negated:
        return None
    deadline = interval * rounds
    after = _after(tree, 0, pipeline_index=0)
    followed = None
    if after is not None:
        step = _read_one(text[after:], context)
        if step is not None:
            guards, rest = step
            if (
                len(guards) >= 1
                and guards[0].signal == check.signal
                and guards[0].idiom in ("and-list", "exit")
            ):
                followed = guards, rest
    pair = [(check, test.pipelines[0])]
    if followed is None:
        return _refuse(
            pair, text, "after the last try the job runs whether or not the signal came", context
        )
    guards, rest = followed
    refused = _refusals(pair, text, context)
    if refused:
        return refused
    if not _gates_data(pair, rest, context):
        return None
    head = replace(guards[0], idiom="deadline-loop", poke_interval=interval, deadline=deadline)
    if not head.exact:
        return [head, *guards[1:]], text
    return [head, *guards[1:]], rest


def _timeout_loop(
    text: str, tree: CommandList, simple: Simple, context: _Context
) -> tuple[list[Guard], str] | None:
    """`timeout 3600 sh -c 'while [ ! -f X ]; do sleep 60; done' && cmd`: the wait gives up after 3600 s."""
    argv = [w.text for w in simple.words]
    if (
        len(argv) != 5
        or simple.redirects
        or basename(_unquoted(argv[2])) not in ("sh", "bash")
        or argv[3] != "-c"
    ):
        return None
    deadline = _duration(argv[1])
    script = _unquoted(argv[4])
    inner = parse(script) if deadline is not None else None
    if inner is None or len(inner.items) != 1:
        return None
    loop = inner.items[0].pipelines[0].commands[0]
    if (
        not isinstance(loop, Compound)
        or loop.kind not in ("while", "until")
        or len(inner.items[0].pipelines) != 1
    ):
        return None
    found = _loop_check(loop, context)
    if found is None:
        return None
    check, _, interval = found
    first = tree.items[0]
    pair = [(check, first.pipelines[0])]
    if len(first.pipelines) < 2 or first.operators[0] != "&&":
        return _refuse(
            pair, text, "after the time-out the job runs whether or not the signal came", context
        )
    if "||" in first.operators:
        return _refuse(
            pair, text, "the command runs something else when the wait times out (`||`)", context
        )
    if len(tree.items) > 1:
        return _refuse(
            pair,
            text,
            "the command goes on after the guarded part (`;`), with or without the signal",
            context,
        )
    return _finish(
        pair,
        text,
        first.pipelines[1].start,
        False,
        "deadline-loop",
        context,
        poke=interval,
        deadline=deadline,
    )


# -- shared steps --------------------------------------------------------------------------------


def _finish(
    checks: list[tuple[_Check, Pipeline]],
    text: str,
    remainder_start: int,
    soft: bool,
    idiom: str,
    context: _Context,
    poke: timedelta | None = None,
    deadline: timedelta | None = None,
) -> tuple[list[Guard], str] | None:
    refused = _refusals(checks, text, context)
    if refused:
        return refused
    remainder = text[remainder_start:]
    if not _gates_data(checks, remainder, context):
        return None
    guards = [
        _guard(check, soft=soft, idiom=idiom, poke=poke, deadline=deadline) for check, _ in checks
    ]
    # drop the leading checks the sensors replace exactly; from the first one that is not, the
    # checks stay in the command (for the `and` chain they can be cut one by one)
    keep_from = next((i for i, g in enumerate(guards) if not g.exact), None)
    if keep_from is None:
        return guards, remainder
    if idiom == "and-list":
        why = guards[keep_from].why_kept
        kept = [g if i < keep_from else _kept(g, why) for i, g in enumerate(guards)]
        return kept, text[checks[keep_from][1].start :]
    why = guards[keep_from].why_kept
    return [_kept(g, why) for g in guards], text


def _kept(guard: Guard, why: str | None) -> Guard:
    return guard if not guard.exact else replace(guard, exact=False, why_kept=why)


def _guard(
    check: _Check,
    *,
    soft: bool,
    idiom: str,
    poke: timedelta | None = None,
    deadline: timedelta | None = None,
) -> Guard:
    assert check.signal is not None
    return Guard(
        signal=check.signal,
        check=check.text,
        soft=soft,
        exact=check.inexact is None,
        idiom=idiom,
        why_kept=check.inexact,
        poke_interval=poke,
        deadline=deadline,
    )


def _refusals(
    checks: list[tuple[_Check, Pipeline]], text: str, context: _Context
) -> tuple[list[Guard], str] | None:
    """None when every check can become a sensor; else record why not and stop reading."""
    refused = [c for c, _ in checks if c.refusal]
    if not refused:
        return None
    for check in refused:
        context.unconverted.append(Unconverted(check.text, check.refusal or ""))
    return [], text


def _refuse(
    checks: list[tuple[_Check, Pipeline]], text: str, reason: str, context: _Context
) -> tuple[list[Guard], str]:
    for check, _ in checks:
        context.unconverted.append(Unconverted(check.text, check.refusal or reason))
    return [], text


def _gates_data(checks: list[tuple[_Check, Pipeline]], remainder: str, context: _Context) -> bool:
    """False (and recorded why) when the checks only ask whether the job can run at all."""
    for check, _ in checks:
        signal = check.signal
        if signal is None or signal.kind != "file":
            continue
        reason = _not_data(signal.location.display(), remainder, context)
        if reason is None:
            continue
        for other, _ in checks:
            context.unconverted.append(Unconverted(other.text, reason))
        return False
    return True


def _not_data(path: str, remainder: str, context: _Context) -> str | None:
    """Why a checked path is not data the job waits for (a program, a setting, a log), or None."""
    name = PurePosixPath(path).name.lower()
    if path.endswith(".log") or path.startswith("/var/log/") or "/logs/" in path:
        return "it watches a log file, not data"
    tree = parse(remainder)
    cwd = context.cwd
    for position, simple in enumerate(_simple_commands(tree) if tree is not None else ()):
        argv = [_unquoted(w) for w in simple.argv]
        if not argv:
            continue
        program = basename(argv[0])
        if program == "cd" and len(argv) == 2:
            cwd = argv[1] if argv[1].startswith("/") else cwd
            continue
        here = replace(context, cwd=cwd)
        if _same_path(argv[0], path, here) or (
            program in _INTERPRETERS and any(_same_path(a, path, here) for a in argv[1:])
        ):
            return "it checks that a program is installed, not that data is ready"
        if position == 0 and program in _CLEANUPS and any(_same_path(a, path, here) for a in argv[1:]):
            return "the command first moves or removes the file it checks (a cleanup, or a trigger it consumes)"
    if path.startswith(_SYSTEM_DIRS):
        return f"it checks the host's setup (a path under {path.split('/')[1]}/), not data"
    if _SWITCH.search(name):
        return f"it checks a switch (`{PurePosixPath(path).name}`), not data"
    return None


def _same_path(word: str, path: str, context: _Context) -> bool:
    value = evaluate_word(word, context.env, context.timezone, context.offset)
    if isinstance(value, Refusal):
        return word == path
    resolved = _resolve(value, context)
    return resolved is not None and resolved.display() == path


def _after(tree: CommandList, item: int, pipeline_index: int) -> int | None:
    """Where the command goes on after pipeline `pipeline_index` of item `item` (`;` or `&&`)."""
    chain = tree.items[item]
    if pipeline_index + 1 < len(chain.pipelines):
        if chain.operators[pipeline_index] != "&&":
            return None
        return chain.pipelines[pipeline_index + 1].start
    if item + 1 < len(tree.items) and tree.terminators[item] in (";", "\n"):
        return tree.items[item + 1].start
    return None


def _loop_check(loop: Compound, context: _Context) -> tuple[_Check, Pipeline, timedelta] | None:
    """The check of `while ! G; do sleep N; done` / `until G; do sleep N; done`, with N."""
    if loop.redirects:
        return None
    condition, body = loop.parts
    if len(condition.items) != 1 or len(condition.items[0].pipelines) != 1 or len(body.items) != 1:
        return None
    pipeline = condition.items[0].pipelines[0]
    check = _pipeline_check(pipeline, context, allow_negation=True)
    interval = _sleep_of(body.items[0])
    if check is None or interval is None:
        return None
    waits_for_presence = check.negated if loop.kind == "while" else not check.negated
    if not waits_for_presence:
        return None
    return replace(check, negated=False), pipeline, interval


def _pipeline_check(
    pipeline: Pipeline, context: _Context, allow_negation: bool = False
) -> _Check | None:
    if len(pipeline.commands) != 1 or not isinstance(pipeline.commands[0], Simple):
        return None
    check = _check(pipeline.commands[0], context)
    if check is None:
        return None
    if pipeline.negated:
        if not allow_negation and not check.negated:
            return replace(check, negated=True)
        check = replace(check, negated=not check.negated)
    return check


def _sleep_of(chain: AndOr) -> timedelta | None:
    argv = _argv(chain.pipelines[0]) if len(chain.pipelines) == 1 else None
    if argv is None or len(argv) != 2 or argv[0] != "sleep":
        return None
    return _duration(argv[1])


def _duration(word: str) -> timedelta | None:
    match = _SLEEP.match(_unquoted(word))
    if not match or int(match.group(1)) == 0:
        return None
    return timedelta(seconds=int(match.group(1)) * _SLEEP_UNITS[match.group(2)])


def _round_count(items: tuple) -> int | None:
    """How many times `for i in ...` loops: `$(seq N)`, `$(seq A B)`, `{A..B}` or a word list."""
    words = [w.text for w in items]
    if len(words) == 1:
        match = re.fullmatch(
            r"\$\(seq (\d+)(?: (\d+))?\)|`seq (\d+)(?: (\d+))?`|\{(\d+)\.\.(\d+)\}", words[0]
        )
        if match:
            numbers = [int(g) for g in match.groups() if g is not None]
            low, high = (1, numbers[0]) if len(numbers) == 1 else numbers
            return high - low + 1 if high >= low else None
    if words and all(re.fullmatch(r"[\w.-]+", w) for w in words):
        return len(words)
    return None


def _argv(pipeline: Pipeline) -> tuple[str, ...] | None:
    if len(pipeline.commands) != 1 or not isinstance(pipeline.commands[0], Simple):
        return None
    return tuple(_unquoted(w) for w in pipeline.commands[0].argv)


def _is_true(pipeline: Pipeline) -> bool:
    argv = _argv(pipeline)
    return argv is not None and (argv[:1] in (("true",), (":",)) or argv == ("exit", "0"))


def _exit_status(pipeline: Pipeline) -> int | None:
    """N for `exit N` (1, the failed check's status, for a bare `exit`); None for anything else."""
    argv = _argv(pipeline)
    if argv is None or argv[:1] != ("exit",) or len(argv) > 2:
        return None
    if len(argv) == 1:
        return 1
    return int(argv[1]) if argv[1].isdigit() else None


def _unquoted(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        return word[1:-1]
    return word


# -- the checks themselves -----------------------------------------------------------------------


def _simple_commands(tree: CommandList) -> Iterator[Simple]:
    return (command for command in walk(tree) if isinstance(command, Simple))


def _is_check(simple: Simple) -> bool:
    argv = [_unquoted(w) for w in simple.argv]
    if not argv:
        return False
    program = basename(argv[0])
    if program in _TEST_PROGRAMS:
        return any(a in _FILE_TESTS for a in argv[1:])
    if program == "aws":
        return argv[1:3] in (["s3", "ls"], ["s3api", "head-object"])
    if program == "gsutil":
        return "stat" in argv[1:3]
    if program in ("hdfs", "hadoop"):
        return "-test" in argv
    return False


def _check(simple: Simple, context: _Context) -> _Check | None:
    """The existence check `simple` makes, or None when it makes none."""
    if not simple.words:
        return None
    argv = [w.text for w in simple.words]
    text = " ".join(argv)
    program = basename(_unquoted(argv[0]))
    if program in _TEST_PROGRAMS:
        return _test_check(argv, program, text, context)
    if program == "aws":
        return _s3_check(argv, text, context)
    if program == "gsutil":
        return _gcs_check(argv, text, context)
    if program in ("hdfs", "hadoop"):
        return _hdfs_check(argv, text, context)
    return None


def _test_check(argv: list[str], program: str, text: str, context: _Context) -> _Check | None:
    operands = argv[1:]
    closing = {"[": "]", "[[": "]]"}.get(program)
    if closing:
        if not operands or operands[-1] != closing:
            return None
        operands = operands[:-1]
    negated = False
    if operands[:1] == ["!"]:
        negated, operands = True, operands[1:]
    if len(operands) != 2 or operands[0] not in _FILE_TESTS:
        return None
    test, word = operands
    value = _path_value(word, context)
    if isinstance(value, Refusal):
        return _Check(None, text, refusal=value.reason, negated=negated)
    inexact = None
    if test == "-s":
        inexact = "FileSensor waits for the file to exist, the check also wants it non-empty"
    elif value.glob:
        inexact = "the path is a pattern: FileSensor waits for any match, the check for exactly one"
    return _Check(Signal("file", value), text, inexact=inexact, negated=negated)


def _path_value(word: str, context: _Context) -> WordValue | Refusal:
    value = evaluate_word(word, context.env, context.timezone, context.offset)
    if isinstance(value, Refusal):
        return value
    resolved = _resolve(value, context)
    if resolved is None:
        return Refusal(
            "the path is relative to the job's working directory, which the crontab does not set "
            "(HOME= or --cwd)"
        )
    if not resolved.glob and _FNMATCH & set(resolved.literal_text):
        return Refusal(
            "the path contains quoted `*`, `?` or `[`, which FileSensor would read as a pattern"
        )
    return resolved


def _resolve(value: WordValue, context: _Context) -> WordValue | None:
    prefix = value.literal_prefix
    if prefix.startswith("/"):
        return value
    if not context.cwd:
        return None
    return value.with_prefix(context.cwd.rstrip("/") + "/")


def _s3_check(argv: list[str], text: str, context: _Context) -> _Check | None:
    words = [_unquoted(a) for a in argv]
    if words[1:3] == ["s3", "ls"]:
        rest = [w for w in argv[3:] if _unquoted(w) != "--recursive"]
        if len(rest) != 1 or rest[0].startswith("-"):
            return _Check(None, text, refusal=_options_refusal(rest))
        value = evaluate_word(rest[0], context.env, context.timezone, context.offset)
        if isinstance(value, Refusal):
            return _Check(None, text, refusal=value.reason)
        bucket, key = _split_url(value, "s3://")
        if bucket is None:
            return _Check(None, text, refusal="not an s3:// URL with a literal bucket name")
        if _FNMATCH & set(key.literal_text):
            return _Check(
                None,
                text,
                refusal="the key contains `*`, `?` or `[`, which S3KeySensor would read as a pattern",
            )
        return _Check(Signal("s3", key, bucket, prefix=True), text)
    if words[1:3] == ["s3api", "head-object"]:
        options = _long_options(argv[3:])
        if options is None or set(options) != {"--bucket", "--key"}:
            return _Check(None, text, refusal=_options_refusal(argv[3:]))
        bucket = evaluate_word(options["--bucket"], context.env, context.timezone, context.offset)
        key = evaluate_word(options["--key"], context.env, context.timezone, context.offset)
        if isinstance(bucket, Refusal) or isinstance(key, Refusal):
            why = bucket if isinstance(bucket, Refusal) else key
            return _Check(None, text, refusal=why.reason)  # type: ignore[union-attr]
        if bucket.literal is None:
            return _Check(None, text, refusal="the bucket name is computed")
        return _Check(Signal("s3", key, bucket.literal), text)
    return None


def _gcs_check(argv: list[str], text: str, context: _Context) -> _Check | None:
    words = [_unquoted(a) for a in argv]
    if "stat" not in words[1:3]:
        return None
    index = words.index("stat")
    if any(w not in ("-q",) for w in words[1:index]) or len(words) != index + 2:
        return _Check(None, text, refusal=_options_refusal(argv[1:]))
    value = evaluate_word(argv[index + 1], context.env, context.timezone, context.offset)
    if isinstance(value, Refusal):
        return _Check(None, text, refusal=value.reason)
    bucket, name = _split_url(value, "gs://")
    if bucket is None:
        return _Check(None, text, refusal="not a gs:// URL with a literal bucket name")
    if value.glob or _FNMATCH & set(name.literal_text):
        return _Check(None, text, refusal="gsutil stat reads `*`, `?` and `[` as wildcards")
    return _Check(Signal("gcs", name, bucket), text)


def _hdfs_check(argv: list[str], text: str, context: _Context) -> _Check | None:
    words = [_unquoted(a) for a in argv]
    if words[1:3] not in (["dfs", "-test"], ["fs", "-test"]) or len(words) != 5:
        return None
    test = words[3]
    if test not in ("-e", "-f", "-s", "-d", "-z"):
        return None
    value = evaluate_word(argv[4], context.env, context.timezone, context.offset)
    if isinstance(value, Refusal):
        return _Check(None, text, refusal=value.reason)
    prefix = value.literal_prefix
    if prefix.startswith("hdfs:///"):
        value = value.without_prefix(len("hdfs://"))
    elif "://" in prefix:
        return _Check(
            None,
            text,
            refusal="the path names a file system; WebHdfsSensor reads it from its connection",
        )
    elif not value.literal_prefix.startswith("/"):
        return _Check(
            None, text, refusal="the path is relative to the account's HDFS home directory"
        )
    if test in ("-d", "-z"):
        return _Check(None, text, refusal=f"`-test {test}` is not an existence check")
    inexact = (
        None
        if test == "-e"
        else f"WebHdfsSensor waits for the path to exist; `-test {test}` asks more"
    )
    return _Check(Signal("hdfs", value), text, inexact=inexact)


def _split_url(value: WordValue, scheme: str) -> tuple[str | None, WordValue]:
    """(bucket, the rest) of `scheme://bucket/rest`; the bucket must be literal."""
    prefix = value.literal_prefix
    if not prefix.startswith(scheme):
        return None, value
    bucket, slash, _ = prefix[len(scheme) :].partition("/")
    if not bucket or (not slash and value.literal is None):
        return None, value
    return bucket, value.without_prefix(len(scheme) + len(bucket) + len(slash))


def _long_options(words: list[str]) -> dict[str, str] | None:
    options: dict[str, str] = {}
    i = 0
    while i < len(words):
        word = _unquoted(words[i])
        if "=" in word and word.startswith("--"):
            name, _, value = words[i].partition("=")
            options[_unquoted(name)] = value
            i += 1
        elif word.startswith("--") and i + 1 < len(words):
            options[word] = words[i + 1]
            i += 2
        else:
            return None
    return options


def _options_refusal(words: list[str]) -> str:
    options = [_unquoted(w) for w in words if _unquoted(w).startswith("-")]
    if options:
        return f"its options ({' '.join(options)}) choose an account or endpoint the sensor's connection does not know"
    return "not a form of the check the sensor replaces"
