"""Read a cron command the way `/bin/sh` would split it: lists, pipelines, redirections, wrappers.

This is not a shell. It recovers what inference needs from one command line: the simple commands it
runs (with `sh -c '...'`, `flock`, `sudo`, `nice`, ... unwrapped), their redirections, the directory
an earlier `cd` moved to, lock files, and variables expanded from the crontab's environment and from
assignments earlier on the line. Command substitutions become placeholders: `$(date +%F)` is
`{date}` (a date partition), anything else `{subst}`; both match any value when paths are compared.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

DATE_PLACEHOLDER = "{date}"
SUBST_PLACEHOLDER = "{subst}"

_CONTROL = frozenset({";", "&&", "||", "|", "|&", "&", "(", ")", "{", "}", "\n"})
# reserved words that open or close a compound command (`if [ -f x ]; then run.sh; fi`): at a
# command's first word they are shell syntax, not a program, so the command is what follows them
_RESERVED = frozenset({"if", "then", "else", "elif", "fi", "while", "until", "do", "done", "!", "time"})
# `for x in a b; do`, `case $x in`: their words up to the next separator are no command at all
_RESERVED_HEADERS = frozenset({"for", "select", "case", "esac"})
_REDIRECT = re.compile(r"^(?:&>>?|>>?|>\||<>?|<<<?|>&|<&)$")
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)
_VARIABLE = re.compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=+?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)


@dataclass(frozen=True, slots=True)
class Redirect:
    op: str  # ">", ">>", "<", "&>", ...
    fd: int | None  # explicit descriptor written before the operator (`2>`), else None
    target: str

    @property
    def writes(self) -> bool:
        return ">" in self.op and not self.target.startswith("&") and self.op not in (">&", "<&")

    @property
    def reads(self) -> bool:
        return self.op in ("<", "<>")


@dataclass(frozen=True, slots=True)
class SimpleCommand:
    argv: tuple[str, ...]
    redirects: tuple[Redirect, ...] = ()
    # working directory set by an earlier `cd` on the same line; None means cron's (the user's HOME)
    cwd: str | None = None
    # lock files of the `flock`/`lockrun`/`setlock` wrappers around this command
    locks: tuple[str, ...] = ()
    # wrappers peeled off the front (`nice`, `sudo`, `timeout`, ...), outermost first
    wrappers: tuple[str, ...] = ()
    # True for commands that only fed a `$(...)` substitution
    substitution: bool = False

    @property
    def program(self) -> str:
        return basename(self.argv[0]) if self.argv else ""


@dataclass
class _Context:
    env: dict[str, str]
    cwd: str | None = None
    substitutions: list[str] = field(default_factory=list)
    # `flock -n 9 || exit 1; cmd`: a lock taken with no command of its own holds for the rest of the line
    held_locks: tuple[str, ...] = ()


@lru_cache(maxsize=262144)
def basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def expand(text: str, env: Mapping[str, str]) -> str:
    """Expand `$NAME`, `${NAME}` and `${NAME:-default}` from `env`; unknown names stay as written."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        op, default = match.group(2), match.group(3)
        value = env.get(name)
        if op in (":-", "-", ":=", "="):
            if value is None or (op.startswith(":") and value == ""):
                return expand(default or "", env)
            return value
        return match.group(0) if value is None else value

    if "$" not in text:
        return text
    return _VARIABLE.sub(replace, text)


def _replace_substitutions(text: str, ctx: _Context) -> str:
    """Swap `$(...)` and backquoted commands for placeholders, remembering their text."""
    if "$(" not in text and "`" not in text:
        return text
    if "'" not in text and "\\" not in text and "`" not in text and "$((" not in text:
        # the common case, `$(date +%F)` without nesting or quoting: one regular expression
        flat = _FLAT_SUBSTITUTION.sub(lambda m: _placeholder(m.group(1), ctx), text)
        if "$(" not in flat:
            return flat
    out: list[str] = []
    i, n = 0, len(text)
    quote: str | None = None
    while i < n:
        ch = text[i]
        if ch == "\\" and quote != "'" and i + 1 < n:
            out.append(text[i : i + 2])
            i += 2
            continue
        if quote == "'":
            out.append(ch)
            if ch == "'":
                quote = None
            i += 1
            continue
        if ch in "'\"":
            quote = None if quote == ch else (ch if quote is None else quote)
            out.append(ch)
            i += 1
            continue
        if ch == "$" and text.startswith("$((", i):
            end = text.find("))", i)
            end = n if end < 0 else end + 2
            out.append(SUBST_PLACEHOLDER)
            i = end
            continue
        if ch == "$" and i + 1 < n and text[i + 1] == "(":
            depth, j = 1, i + 2
            while j < n and depth:
                if text[j] == "(":
                    depth += 1
                elif text[j] == ")":
                    depth -= 1
                j += 1
            inner = text[i + 2 : j - 1 if depth == 0 else j]
            out.append(_placeholder(inner, ctx))
            i = j
            continue
        if ch == "`":
            j = text.find("`", i + 1)
            j = n if j < 0 else j
            out.append(_placeholder(text[i + 1 : j], ctx))
            i = j + 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


_FLAT_SUBSTITUTION = re.compile(r"\$\(([^()]*)\)")


def _is_date(inner: str) -> bool:
    head = inner.strip().split(None, 1)
    return bool(head) and basename(head[0]) in ("date", "gdate")


def _placeholder(inner: str, ctx: _Context) -> str:
    ctx.substitutions.append(inner)
    return DATE_PLACEHOLDER if _is_date(inner) else SUBST_PLACEHOLDER


def split_comment(command: str) -> tuple[str, str | None]:
    """(code, trailing comment): `cmd  # note` -> ("cmd", "note"). `#` counts at a word start only."""
    if "#" not in command:
        return (command, None)
    quote: str | None = None
    i = 0
    while i < len(command):
        ch = command[i]
        if ch == "\\" and quote != "'":
            i += 2
            continue
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or command[i - 1] in " \t;&|("):
            return (command[:i].rstrip(), command[i + 1 :].strip() or None)
        i += 1
    return (command, None)


_TOKEN = re.compile(
    r"""\s+
    |(?P<op>&&|\|\||;;|\|&|&>>|&>|>>|>&|<&|>\||<<<|<<|<>|[;|&()<>])
    |(?P<word>(?:[^\s;&|()<>'"\\]+|'[^']*'|"(?:[^"\\]|\\.)*"|\\.)+)
    |(?P<bad>.)""",
    re.VERBOSE | re.DOTALL,
)
_QUOTED = re.compile(r"""'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)""", re.DOTALL)
_DQ_ESCAPE = re.compile(r"""\\([$`"\\\n])""")


def _unquote(word: str) -> str:
    if "'" not in word and '"' not in word and "\\" not in word:
        return word

    def replace(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return match.group(1)
        if match.group(2) is not None:
            return _DQ_ESCAPE.sub(r"\1", match.group(2))
        return "" if match.group(3) == "\n" else match.group(3)

    return _QUOTED.sub(replace, word)


def tokenize(text: str) -> list[str]:
    """Shell words (quotes removed) and operators, as POSIX sh splits them.

    A regular expression rather than `shlex`: the same words for cron lines, several times faster,
    which matters for crontabs with thousands of entries. Unbalanced quotes fall back to blanks.
    """
    tokens: list[str] = []
    for match in _TOKEN.finditer(text):
        if match.group("bad") is not None:
            return shlex_fallback(text)
        if match.group("op") is not None:
            tokens.append(match.group("op"))
        elif match.group("word") is not None:
            tokens.append(_unquote(match.group("word")))
    return tokens


def shlex_fallback(text: str) -> list[str]:
    """Splitting for lines the shell itself would reject (an unclosed quote)."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:
        return text.replace(";", " ; ").split()


def parse_command(command: str, env: Mapping[str, str] | None = None) -> tuple[SimpleCommand, ...]:
    """The simple commands of one cron command, in order, wrappers peeled off."""
    return _parse(command, _Context(env=dict(env or {})))


def parse_script_line(
    line: str, env: Mapping[str, str], cwd: str | None
) -> tuple[tuple[SimpleCommand, ...], dict[str, str], str | None]:
    """One line of a shell script: its commands, and the variables and directory it leaves.

    A script's lines share what a cron line keeps to itself: `X=/data` and `cd /srv/app` hold
    for the lines after them.
    """
    ctx = _Context(env=dict(env), cwd=cwd)
    return _parse(line, ctx), ctx.env, ctx.cwd


def _parse(command: str, ctx: _Context) -> tuple[SimpleCommand, ...]:
    found: list[SimpleCommand] = []
    _parse_into(command, ctx, found, locks=(), wrappers=(), depth=0)
    found = _resolve_fd_locks(found)
    # what fed `$(...)` was run too: its reads are the job's reads (`date` reads nothing)
    for inner in ctx.substitutions:
        if _is_date(inner):
            continue
        sub_ctx = _Context(env=dict(ctx.env), cwd=ctx.cwd)
        inner_found: list[SimpleCommand] = []
        _parse_into(inner, sub_ctx, inner_found, locks=(), wrappers=(), depth=1)
        found.extend(
            SimpleCommand(c.argv, c.redirects, c.cwd, c.locks, c.wrappers, True)
            for c in inner_found
        )
    return tuple(found)


def _parse_into(
    text: str,
    ctx: _Context,
    found: list[SimpleCommand],
    *,
    locks: tuple[str, ...],
    wrappers: tuple[str, ...],
    depth: int,
) -> None:
    if depth > 4:  # `sh -c "sh -c '...'"` nesting deeper than this is not worth following
        return
    text = split_comment(text)[0]
    text = _replace_substitutions(expand(text, ctx.env), ctx)
    tokens = tokenize(text)
    words: list[str] = []
    redirects: list[Redirect] = []
    assignments: list[tuple[str, str]] = []
    i = 0

    def flush() -> None:
        if words or redirects:
            _finish(list(words), list(redirects), assignments, ctx, found, locks, wrappers, depth)
        elif assignments:  # `X=1; cmd $X`: a bare assignment sets a shell variable
            for name, value in assignments:
                ctx.env[name] = value
        words.clear()
        redirects.clear()
        assignments.clear()

    while i < len(tokens):
        token = tokens[i]
        if token in _CONTROL or token in (";;",):
            flush()
            i += 1
            continue
        if _REDIRECT.match(token):
            fd: int | None = None
            if words and len(words[-1]) == 1 and words[-1] in "0123456789":
                fd = int(words.pop())
            target = tokens[i + 1] if i + 1 < len(tokens) else ""
            if token in (">&", "<&") and target and not target.isdigit() and target != "-":
                token = ">" if token == ">&" else "<"  # `>&file` is `>file 2>&1`
            redirects.append(Redirect(token, fd, expand(target, ctx.env)))
            i += 2
            continue
        if not words and not redirects and not assignments and token in _RESERVED:
            i += 1
            continue
        if not words and not redirects and not assignments and token in _RESERVED_HEADERS:
            while i < len(tokens) and tokens[i] not in _CONTROL:
                i += 1
            continue
        if not words:
            match = _ASSIGNMENT.match(token)
            if match:
                assignments.append((match.group(1), expand(match.group(2), ctx.env)))
                i += 1
                continue
        words.append(expand(token, ctx.env) if "$" in token else token)
        i += 1
    flush()


def _finish(
    words: list[str],
    redirects: list[Redirect],
    assignments: list[tuple[str, str]],
    ctx: _Context,
    found: list[SimpleCommand],
    locks: tuple[str, ...],
    wrappers: tuple[str, ...],
    depth: int,
) -> None:
    if assignments:
        local_env = dict(ctx.env)
        local_env.update(assignments)
        words = [expand(w, local_env) for w in words]
    locks = locks + tuple(lock for lock in ctx.held_locks if lock not in locks)
    if not words:
        found.append(SimpleCommand((), tuple(redirects), ctx.cwd, locks, wrappers))
        return
    program = basename(words[0])
    if program == "cd":
        target = next((w for w in words[1:] if not w.startswith("-")), None)
        if target is not None:
            ctx.cwd = join_path(ctx.cwd, target)
        return
    if program == "export":
        for word in words[1:]:
            match = _ASSIGNMENT.match(word)
            if match:
                ctx.env[match.group(1)] = match.group(2)
        return
    unwrapped = _unwrap(words, redirects)
    if unwrapped is None:
        found.append(SimpleCommand(tuple(words), tuple(redirects), ctx.cwd, locks, wrappers))
        return
    name, rest, lock, inline = unwrapped
    new_locks = locks + ((lock,) if lock else ())
    new_wrappers = wrappers + (name,)
    if inline is not None:
        _parse_into(inline, ctx, found, locks=new_locks, wrappers=new_wrappers, depth=depth + 1)
        if redirects:  # `sh -c '...' > out`: the outer redirections belong to the whole inner list
            found.append(SimpleCommand((), tuple(redirects), ctx.cwd, new_locks, new_wrappers))
        return
    if not rest:
        if lock:
            ctx.held_locks = ctx.held_locks + (lock,)
        found.append(SimpleCommand(tuple(words), tuple(redirects), ctx.cwd, new_locks, wrappers))
        return
    _finish(rest, redirects, [], ctx, found, new_locks, new_wrappers, depth)


def join_path(cwd: str | None, path: str) -> str:
    if path.startswith(("/", "~", "$", "{")) or "://" in path:
        return path
    base = cwd if cwd is not None else "~"
    while path.startswith("./"):
        path = path[2:]
    return f"{base.rstrip('/')}/{path}" if path not in ("", ".") else base


# wrapper -> (options that take a value, fixed positional words before the command)
_WRAPPERS: dict[str, tuple[frozenset[str], int]] = {
    "nice": (frozenset({"-n", "--adjustment"}), 0),
    "ionice": (frozenset({"-c", "-n", "-p", "--class", "--classdata"}), 0),
    "timeout": (frozenset({"-s", "-k", "--signal", "--kill-after"}), 1),
    "sudo": (
        frozenset({"-u", "-g", "-h", "-p", "-C", "-D", "-U", "-r", "-t", "--user", "--group"}),
        0,
    ),
    "nohup": (frozenset(), 0),
    "exec": (frozenset({"-a"}), 0),
    "time": (frozenset({"-f", "-o", "--format", "--output"}), 0),
    "chronic": (frozenset(), 0),
    "cronic": (frozenset(), 0),
    "run-one": (frozenset(), 0),
    "run-this-one": (frozenset(), 0),
    "stdbuf": (frozenset({"-i", "-o", "-e"}), 0),
    "env": (frozenset({"-u", "-C", "-S", "--unset", "--chdir"}), 0),
    "xvfb-run": (frozenset({"-a", "-s", "-n", "-e", "-f"}), 0),
    "caffeinate": (frozenset(), 0),
    "unbuffer": (frozenset(), 0),
    "command": (frozenset(), 0),
    "builtin": (frozenset(), 0),
    "chpst": (frozenset({"-u", "-U", "-e", "-l", "-L", "-n"}), 0),
    # `sshpass -p secret rsync ...`: the password feeder in front of an ssh, scp or rsync
    "sshpass": (frozenset({"-p", "-f", "-d", "-P"}), 0),
}
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh"})
_LOCKERS = frozenset(
    {"flock", "setlock", "lockrun", "lckdo", "with-lock-ex", "solo"}
    | {"run-with-lockfile", "run-with-lockfile.sh"}
)
# lockers that give up when the lock is taken unless told to wait; the others wait unless told not to
_GIVE_UP_BY_DEFAULT = frozenset({"lockrun", "lckdo", "solo"})
_WAIT_OPTIONS = frozenset({"--wait", "-w"})
_NO_WAIT_OPTIONS = frozenset({"-n", "--nb", "--nonblock", "--nonblocking"})
# a lock the job gives up on when another job holds it (`flock -n`): it excludes, it does not order
NO_WAIT = "nowait:"


def lock_file(lock: str) -> str:
    """The file of a lock as `SimpleCommand.locks` records it (without the NO_WAIT marker)."""
    return lock.removeprefix(NO_WAIT)


def _unwrap(
    words: list[str], redirects: list[Redirect]
) -> tuple[str, list[str], str | None, str | None] | None:
    """(wrapper, remaining argv, lock file, inline script) when `words` starts with a wrapper."""
    program = basename(words[0])
    args = words[1:]
    if program in _SHELLS:
        for k, arg in enumerate(args):
            if arg.startswith("-") and "c" in arg[1:] and not arg.startswith("--"):
                return (program, [], None, args[k + 1] if k + 1 < len(args) else "")
            if not arg.startswith("-"):
                return None  # `bash script.sh args`: the script is the job
        return None
    if program in ("su", "runuser"):
        for k, arg in enumerate(args):
            if arg in ("-c", "--command") and k + 1 < len(args):
                return (program, [], None, args[k + 1])
        return None
    if program in _LOCKERS:
        return _unwrap_lock(program, args, redirects)
    if program in _CONTAINER_HOSTS:
        return _unwrap_exec(program, args)
    if program == "bundle" and args[:1] == ["exec"] and len(args) > 1:
        return ("bundle exec", args[1:], None, None)
    if program in ("ssh",):
        positional = [a for a in args if not a.startswith("-")]
        if len(positional) >= 2:
            return (program, [], None, " ".join(positional[1:]))
        return None
    spec = _WRAPPERS.get(program)
    if spec is None:
        return None
    with_value, fixed = spec
    k = 0
    while k < len(args):
        arg = args[k]
        if arg == "--":
            k += 1
            break
        if program == "env" and _ASSIGNMENT.match(arg):
            k += 1
            continue
        if program == "nice" and re.fullmatch(r"-\d+", arg):
            k += 1
            continue
        if arg.startswith("-") and len(arg) > 1:
            k += 2 if arg in with_value else 1
            continue
        break
    rest = args[k + fixed :]
    if program == "env":
        assigned = dict(m.groups() for a in args[:k] if (m := _ASSIGNMENT.match(a)))
        rest = [expand(w, assigned) for w in rest]
    return (program, rest, None, None)


_CONTAINER_HOSTS = frozenset({"docker", "podman", "docker-compose", "podman-compose", "kubectl"})
# options of `docker exec`, `docker compose exec` and `kubectl exec` that take a value
_EXEC_WITH_VALUE = frozenset(
    {"-e", "--env", "--env-file", "-u", "--user", "-w", "--workdir", "--detach-keys", "--index"}
    | {"-c", "--container", "-n", "--namespace", "--context", "--kubeconfig", "-f", "--filename"}
)

# options of the container tool itself, before its `exec`
_HOST_WITH_VALUE = frozenset(
    {"-f", "--file", "-p", "--project-name", "--project-directory", "--env-file", "--profile"}
    | {"-H", "--host", "--context", "-n", "--namespace", "--kubeconfig", "-c", "--config"}
)


def _unwrap_exec(program: str, args: list[str]) -> tuple[str, list[str], None, None] | None:
    """`docker exec etl python /app/load.py`: the job is the command run in the container."""
    sub = args
    if program in ("docker", "podman") and sub[:1] in (["compose"], ["container"]):
        sub = sub[1:]
    sub = sub[_options_end(sub, _HOST_WITH_VALUE) :]  # `compose -f x.yml exec`
    if sub[:1] != ["exec"]:
        return None
    sub = sub[1:]
    if program == "kubectl" and "--" in sub:
        rest = sub[sub.index("--") + 1 :]
        return (f"{program} exec", rest, None, None) if rest else None
    rest = sub[_options_end(sub, _EXEC_WITH_VALUE) + 1 :]  # after the container, service or pod
    return (f"{program} exec", rest, None, None) if rest else None


def _options_end(words: list[str], with_value: frozenset[str]) -> int:
    """Index of the first word after the leading options (those in `with_value` take the next word)."""
    k = 0
    while k < len(words) and words[k].startswith("-") and len(words[k]) > 1:
        k += 2 if words[k] in with_value else 1
    return k


def _unwrap_lock(
    program: str, args: list[str], redirects: list[Redirect]
) -> tuple[str, list[str], str | None, str | None]:
    with_value = {
        "-w",
        "--wait",
        "--timeout",
        "-E",
        "--conflict-exit-code",
        "-s",
        "--sleeptime",
        "-L",
        "--lockfile",
        "-t",
        "-r",
        "--retries",
    }
    lock: str | None = None
    waits = program not in _GIVE_UP_BY_DEFAULT
    k = 0
    while k < len(args):
        arg = args[k]
        if arg == "--":
            k += 1
            break
        if arg in _NO_WAIT_OPTIONS or (
            arg in ("-w", "--wait", "--timeout") and args[k + 1 : k + 2] == ["0"]
        ):
            waits = False
        elif arg in _WAIT_OPTIONS and program in _GIVE_UP_BY_DEFAULT:
            waits = True
            k += 1  # a flag here, not flock's `--wait SECONDS`
            continue
        if arg.startswith("--lockfile="):
            lock = arg.split("=", 1)[1]
            k += 1
            continue
        if arg in ("-L", "--lockfile") and k + 1 < len(args):
            lock = args[k + 1]
            k += 2
            continue
        if arg in ("-c", "--command") and k + 1 < len(args):
            return (program, [], lock, args[k + 1])
        if arg.startswith("-") and len(arg) > 1:
            k += 2 if arg in with_value else 1
            continue
        if lock is None:
            lock = arg
            k += 1
            continue
        break
    rest = args[k:]
    if lock is not None and lock.isascii() and lock.isdigit() and len(lock) <= 6:
        # `flock -n 9` with `9>/var/lock/x` somewhere on the line: resolved once the line is read
        lock = f"fd:{lock}"
    if lock is not None and not waits:
        lock = NO_WAIT + lock
    if rest and rest[0] in ("-c", "--command") and len(rest) > 1:
        return (program, [], lock, rest[1])
    if program.startswith("run-with-lockfile"):
        # mySociety's `run-with-lockfile [-n] FILE COMMAND`: the command is run by /bin/sh
        return (program, [], lock, " ".join(rest))
    return (program, rest, lock, None)


def _resolve_fd_locks(found: list[SimpleCommand]) -> list[SimpleCommand]:
    if not any(lock_file(lock).startswith("fd:") for c in found for lock in c.locks):
        return found
    files = {r.fd: r.target for c in found for r in c.redirects if r.fd is not None and r.fd > 2}

    def resolve(lock: str) -> str:
        marker = NO_WAIT if lock.startswith(NO_WAIT) else ""
        path = lock_file(lock)
        return marker + files.get(int(path[3:]), path) if path.startswith("fd:") else lock

    resolved: list[SimpleCommand] = []
    for c in found:
        locks = tuple(resolve(lock) for lock in c.locks)
        locks = tuple(lock for lock in locks if not lock_file(lock).startswith("fd:"))
        # the descriptor's file is the lock, not data the job writes
        files_held = {lock_file(lock) for lock in locks}
        redirects = tuple(r for r in c.redirects if r.target not in files_held)
        resolved.append(SimpleCommand(c.argv, redirects, c.cwd, locks, c.wrappers, c.substitution))
    return resolved
