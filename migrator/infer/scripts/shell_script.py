"""What a shell script reads and writes, line by line, through the cron-line reader (`shell`).

Variables and `cd` carry from one line to the next, as in the shell; `source`/`.` files are read
for the variables they set; scripts the script calls are handed back to the reader to follow.
Control words (`if`, `for`, `then`) are dropped so the commands after them are read; heredoc
bodies are skipped (they are another program's input).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from migrator.infer.facts import Artifact, ScriptCall, artifacts_of, cited, script_calls
from migrator.infer.shell import parse_script_line, split_comment

# words that open or close a compound command: what follows them is a command of its own
_CONTROL_WORDS = re.compile(
    r"^\s*(?:if|then|else|elif|fi|do|done|while|until|esac|\{|\})\s+|^\s*(?:fi|done|esac|\}|else)\s*$"
)
_FOR_LOOP = re.compile(r"^\s*for\s+(\w+)\s+in\s+(.*?)\s*;?\s*(?:do\b.*)?$")
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")
_FUNCTION = re.compile(r"^\s*(?:function\s+)?[A-Za-z_][\w-]*\s*\(\)\s*\{?\s*$")
# `$(dirname "$0")`, `$(cd "$(dirname "$0")" && pwd)`: the script's own directory
_DIRNAME = r"\$\(dirname\s+\"?\$(?:0|\{?BASH_SOURCE(?:\[0\])?\}?)\"?\)"
_OWN_DIRECTORY = re.compile(
    rf"\$\(cd\s+\"?{_DIRNAME}\"?\s*(?:&&|;)\s*pwd\s*\)|{_DIRNAME}|`dirname\s+\"?\$0\"?`"
)


@dataclass(frozen=True)
class ShellReading:
    artifacts: list[Artifact]
    calls: list[ScriptCall]  # scripts it runs (or sources), to follow
    sourced: list[ScriptCall]  # files it sources: read for their variables


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each command line: continuations joined, heredocs skipped."""
    lines = text.splitlines()
    k = 0
    while k < len(lines):
        number = k + 1
        line = lines[k]
        while line.endswith("\\") and k + 1 < len(lines):
            k += 1
            line = line[:-1] + " " + lines[k]
        k += 1
        heredoc = _HEREDOC.search(line)
        if heredoc:
            terminator = heredoc.group(2)
            while k < len(lines) and lines[k].strip() != terminator:
                k += 1
            k += 1
            line = line[: heredoc.start()]
        yield number, line


def read_shell(
    text: str,
    script_path: str,
    cite: str,
    env: dict[str, str],
    cwd: str | None,
    home: str,
    variables_of: Callable[[ScriptCall, dict[str, str]], dict[str, str]],
) -> ShellReading:
    """Read `text`, the shell script the crontab knows as `script_path` (cited as `cite`).

    `variables_of(call, env)` reads a sourced file and returns the variables it leaves.
    """
    env = dict(env)
    env.setdefault("HOME", home)
    env["0"] = script_path
    own_directory = posixpath.dirname(script_path)
    artifacts: list[Artifact] = []
    calls: list[ScriptCall] = []
    sourced: list[ScriptCall] = []
    for number, raw in logical_lines(text):
        line = split_comment(raw)[0]
        if not line.strip() or _FUNCTION.match(line):
            continue
        line = _OWN_DIRECTORY.sub(own_directory, line)
        loop = _FOR_LOOP.match(line)
        if loop:
            # `for f in /data/in/*.csv; do`: the loop variable stands for any of them
            env[loop.group(1)] = loop.group(2).split()[0] if loop.group(2).split() else ""
            continue
        while True:
            stripped = _CONTROL_WORDS.sub("", line, count=1)
            if stripped == line:
                break
            line = stripped
        commands, env, cwd = parse_script_line(line, env, cwd)
        for simple in commands:
            if simple.program in ("source", ".") and len(simple.argv) > 1:
                (call,) = script_calls([replace(simple, argv=("sh", simple.argv[1]))], home) or (
                    None,
                )
                if call is not None:
                    sourced.append(call)
                    env.update(variables_of(call, env))
        where = f"{cite}:{number}"
        for artifact in artifacts_of(
            [c for c in commands if c.program not in ("source", ".")], home
        ):
            artifacts.append(cited(artifact, where))
        calls.extend(script_calls(commands, home))
    return ShellReading(artifacts, calls, sourced)


def variables_set(text: str, env: dict[str, str]) -> dict[str, str]:
    """The variables a sourced file (`.env`, `config.sh`) leaves, without running anything."""
    env = dict(env)
    for _, raw in logical_lines(text):
        line = split_comment(raw)[0].strip()
        line = line.removeprefix("export ")
        match = re.fullmatch(r"([A-Za-z_]\w*)=(.*)", line)
        if match:
            _, env, _ = parse_script_line(line, env, None)
    return env
