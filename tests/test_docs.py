"""Every console example in the docs runs, and prints what the docs say it prints.

What is an example
    A fenced block opened with ```` ```console ```` in `docs/**/*.md` or `README.md`. Each line that
    starts with `$ ` is a command (a command line ending in `\\` continues on the next line); the lines
    after it, up to the next `$ ` line or the end of the block, are its exact output, stdout and stderr
    interleaved as a terminal shows them. A line that is only `...` (indentation allowed) stands for any
    number of output lines, none included. A block that must not run is fenced ```` ```text ```` (or
    ```` ```bash ````, ```` ```toml ````, ...). In `docs/`, a console block without a `$ ` line is an
    error; in `README.md` such blocks are the Quickstart's commands, which `tests/test_readme.py` and
    `.ci/run` check instead.

How a page runs
    All blocks of one page run in order, in one `bash` process, in a fresh scratch directory that holds
    a copy of the repository's `fixtures/`; shell state (the working directory, exported variables)
    carries from one command to the next. The environment is the test's own with: `cron2dag` and
    `python` of the test's interpreter first on `PATH`; `CRON2DAG_HOME=<scratch>/.cron2dag` (the runner's
    default, made explicit); `COLUMNS=80` (tables are drawn for an 80-column terminal); `TZ=UTC`;
    `TMPDIR=/tmp`; `NO_COLOR=1`; UTF-8 output; `PYTHONUNBUFFERED=1` (stdout and stderr interleave in the
    order they are written); `CRON2DAG_DEBUG` unset. Standard input is empty. Exit codes are not
    compared: show one with `; echo "exit $?"` when it matters.

Normalisation, applied to the documented and to the actual output alike before they are compared, so
write real values in the docs:
    1. The scratch directory's absolute path becomes `$PWD` (actual output only; write `$PWD` in the
       docs where a command prints the absolute path of something in the current directory).
    2. A wall-clock timestamp, an ISO 8601 date-time with fractional seconds
       (`2026-11-22T01:15:35.223Z`, `2026-11-22 01:15:35.223456+00:00`), becomes `<timestamp>`.
       Logical dates and run ids have whole seconds and are compared as written: give `run` a
       `--date`, `explain` a `--from`, and so on, so that they do not depend on today's date.
    3. A duration, digits with an optional fraction followed by `s` or `ms` (`0.01s`, `12.5 s`,
       `3ms`), together with the blanks before it, becomes one blank and `<duration>`; a right-aligned
       table cell and a duration in prose normalise alike.
    4. A runner id, `runner <pid>-<hex>`, becomes `runner <id>`; a process id in `pid <n>` becomes
       `pid <n>`.
    5. Trailing blanks at the end of each line, and blank lines at the end of the output, are dropped.

To rewrite the documented output of the examples that disagree, run the test with
`CRON2DAG_UPDATE_DOCS=1` and review the diff: it rewrites only commands whose documented output has no
`...` line (the elisions stay the author's), with rule 1 applied and every other value as printed.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGE_TIMEOUT = 600  # seconds for all the examples of one page, however slow the machine
SEPARATOR = "\x1e"
FENCE = re.compile(r"^```console[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@dataclass
class Command:
    text: str  # what is run (continuation lines joined as the shell joins them)
    expected: list[str]  # documented output lines
    line: int  # 1-based line of the `$ ` in the page
    first_output_line: int  # 1-based line of the first expected output line


@dataclass
class Page:
    path: Path
    commands: list[Command] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.relative_to(ROOT).as_posix()


def pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md")) + [ROOT / "README.md"]


def parse_page(path: Path, text: str | None = None) -> Page:
    """The page's commands, read from `text` (default: the file's content)."""
    text = path.read_text(encoding="utf-8") if text is None else text
    page = Page(path)
    for match in FENCE.finditer(text):
        first_line = text.count("\n", 0, match.start(1)) + 1
        lines = match.group(1).splitlines()
        if not any(line.startswith("$ ") for line in lines):
            if path.parent == DOCS or DOCS in path.parents:
                page.errors.append(f"{page.name}:{first_line - 1}: a console block without a `$ ` command "
                                   "(fence it as ```text if it must not run)")
            continue
        if not lines[0].startswith("$ "):
            page.errors.append(f"{page.name}:{first_line}: output before the first `$ ` command")
        index = 0
        while index < len(lines):
            if not lines[index].startswith("$ "):
                index += 1
                continue
            start = index
            parts = [lines[index][2:]]
            while parts[-1].endswith("\\") and index + 1 < len(lines):
                index += 1
                parts.append(lines[index])
            index += 1
            output_start = index
            while index < len(lines) and not lines[index].startswith("$ "):
                index += 1
            page.commands.append(Command("\n".join(parts), lines[output_start:index], first_line + start,
                                         first_line + output_start))
    return page


@cache
def parsed(path: Path) -> Page:
    return parse_page(path)


def environment(scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CRON2DAG_DEBUG", "VIRTUAL_ENV", "PYTHONPATH")}
    interpreter_bin = Path(sys.executable).parent
    env.update({
        "PATH": f"{interpreter_bin}{os.pathsep}{env.get('PATH', '')}",
        "CRON2DAG_HOME": str(scratch / ".cron2dag"),
        "COLUMNS": "80",
        "LINES": "50",
        "TZ": "UTC",
        "TMPDIR": "/tmp",
        "NO_COLOR": "1",
        "TERM": "dumb",
        "LC_ALL": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def run_page(page: Page, scratch: Path) -> list[str]:
    """Run the page's commands in `scratch`; one output text per command (stdout and stderr merged)."""
    shutil.copytree(ROOT / "fixtures", scratch / "fixtures")
    script = ["exec 2>&1 </dev/null", f"cd {shlex_quote(str(scratch))}"]
    for command in page.commands:
        script.append(command.text)
        script.append(f"printf '{SEPARATOR}%s{SEPARATOR}' \"$?\"")
    (scratch.parent / "examples.sh").write_text("\n".join(script) + "\n", encoding="utf-8")
    try:
        done = subprocess.run(["bash", str(scratch.parent / "examples.sh")], cwd=scratch, env=environment(scratch),
                              stdout=subprocess.PIPE, timeout=PAGE_TIMEOUT, check=False)
        output = done.stdout.decode("utf-8", errors="replace")
    except subprocess.TimeoutExpired as expired:
        output = (expired.stdout or b"").decode("utf-8", errors="replace") + "\n[timed out]"
    pieces = re.split(f"{SEPARATOR}-?\\d+{SEPARATOR}", output)
    outputs = pieces[: len(page.commands)]
    return outputs + ["[the page's script stopped before this command ran]"] * (len(page.commands) - len(outputs))


def shlex_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}\.\d+(?:Z|[+-]\d{2}:?\d{2})?")
_DURATION = re.compile(r"[ \t]*\b\d+(?:\.\d+)?[ ]?m?s\b")
_RUNNER_ID = re.compile(r"\brunner \d+-[0-9a-f]+\b")
_PID = re.compile(r"\bpid \d+\b")


def normalise(lines: list[str], scratch: Path | None = None) -> list[str]:
    text = "\n".join(lines)
    if scratch is not None:
        for path in {str(scratch.resolve()), str(scratch)}:
            text = text.replace(path, "$PWD")
    text = _TIMESTAMP.sub("<timestamp>", text)
    text = _DURATION.sub(" <duration>", text)
    text = _RUNNER_ID.sub("runner <id>", text)
    text = _PID.sub("pid <n>", text)
    result = [line.rstrip() for line in text.split("\n")]
    while result and not result[-1]:
        result.pop()
    return result


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether `actual` is `expected` with each `...` line standing for any run of lines."""
    memo: dict[tuple[int, int], bool] = {}

    def match(i: int, j: int) -> bool:
        key = (i, j)
        if key not in memo:
            if i == len(expected):
                memo[key] = j == len(actual)
            elif expected[i].strip() == "...":
                memo[key] = any(match(i + 1, k) for k in range(j, len(actual) + 1))
            else:
                memo[key] = j < len(actual) and expected[i] == actual[j] and match(i + 1, j + 1)
        return memo[key]

    return match(0, 0)


def examples_pages() -> list[Path]:
    return [p for p in pages() if parsed(p).commands or parsed(p).errors]


@pytest.mark.parametrize("path", examples_pages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_console_examples_print_what_the_docs_say(path: Path, tmp_path: Path) -> None:
    page = parsed(path)
    assert not page.errors, "\n".join(page.errors)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    outputs = run_page(page, scratch)
    failures = []
    for command, output in zip(page.commands, outputs):
        expected = normalise(command.expected)
        actual = normalise(output.split("\n"), scratch)
        if not matches(expected, actual):
            diff = "\n".join(difflib.unified_diff(expected, actual, "documented", "printed", lineterm=""))
            failures.append(f"{page.name}:{command.line}: $ {command.text}\n{diff}")
    if failures and os.environ.get("CRON2DAG_UPDATE_DOCS") == "1":
        rewrite(page, outputs, scratch)
    assert not failures, "\n\n".join(failures)


def rewrite(page: Page, outputs: list[str], scratch: Path) -> None:
    """Replace the documented output of the commands without `...` lines by what they printed."""
    lines = page.path.read_text(encoding="utf-8").split("\n")
    for command, output in sorted(zip(page.commands, outputs), key=lambda pair: -pair[0].line):
        if any(line.strip() == "..." for line in command.expected):
            continue
        printed = output.replace(str(scratch.resolve()), "$PWD").replace(str(scratch), "$PWD")
        new = [line.rstrip() for line in printed.split("\n")]
        while new and not new[-1]:
            new.pop()
        start = command.first_output_line - 1
        lines[start:start + len(command.expected)] = new
    page.path.write_text("\n".join(lines), encoding="utf-8")


# ---- the harness itself --------------------------------------------------------------------------------


def test_an_elision_stands_for_any_run_of_lines_and_nothing_else() -> None:
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert matches(["a", "...", "d"], ["a", "d"])
    assert matches(["  ...", "d"], ["x", "d"])
    assert not matches(["a", "...", "d"], ["a", "b", "c"])
    assert not matches(["a", "b"], ["a", "b", "c"])
    assert not matches(["a", "c"], ["a", "b"])


def test_normalisation_keeps_logical_dates_and_hides_what_varies(tmp_path: Path) -> None:
    printed = [
        f"[2026-11-22T01:15:35.223Z] wrote {tmp_path}/dags/etl.py (runner 19401-5cc2e712, pid 77)",
        "run manual__2025-01-08T00:00:00+00:00 │    0.02s │ ",
        "  ingest success (try 1, 12.50s)",
        "",
    ]
    assert normalise(printed, tmp_path) == [
        "[<timestamp>] wrote $PWD/dags/etl.py (runner <id>, pid <n>)",
        "run manual__2025-01-08T00:00:00+00:00 │ <duration> │",
        "  ingest success (try 1, <duration>)",
    ]
    assert normalise(["logical date 2025-01-09T00:00:00+00:00"]) != normalise(["logical date 2025-01-08T00:00:00+00:00"])


def test_a_page_is_read_into_commands_and_their_output(tmp_path: Path) -> None:
    page_path = DOCS / "example-for-the-harness.md"
    text = (
        "Intro\n\n```console\n$ echo one \\\n  two\none two\n$ true\n```\n\n```text\n$ not run\n```\n"
        "\n```console\nno command here\n```\n"
    )
    page = parse_page(page_path, text)
    assert [(c.text, c.expected, c.line) for c in page.commands] == [
        ("echo one \\\n  two", ["one two"], 4),
        ("true", [], 7),
    ]
    assert page.errors == [
        (
            "docs/example-for-the-harness.md:14: a console block without a `$ ` command (fence it as "
            "```text if it must not run)"
        )
    ]
    outputs = run_page_in(page, tmp_path)
    assert [normalise(o.split("\n")) for o in outputs] == [["one two"], []]


def run_page_in(page: Page, tmp_path: Path) -> list[str]:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    return run_page(page, scratch)


GUIDE_PAGES = ("quickstart", "crontabs", "inference", "migration", "linting", "running", "contracts", "ci")


@pytest.mark.parametrize("name", GUIDE_PAGES)
def test_every_guide_page_shows_commands_that_run(name: str) -> None:
    page = parsed(DOCS / f"{name}.md")
    assert page.commands and not page.errors
    assert any(command.text.startswith("cron2dag ") for command in page.commands)


def _keys(value: object, path: str = "") -> set[str]:
    """Every key path of a JSON value (`entries[].schedule.text`), placeholders ("...") left out."""
    if isinstance(value, dict):
        found = set()
        for key, item in value.items():
            if key != "...":
                found |= {f"{path}.{key}".lstrip(".")} | _keys(item, f"{path}.{key}")
        return found
    if isinstance(value, list):
        return set().union(*(_keys(item, f"{path}[]") for item in value)) if value else set()
    return set()


@pytest.mark.parametrize(("section", "inputs"), [
    ("## `parse`", ["fixtures/crontabs/etc/cron.d/warehouse", "fixtures/infer/weekday_reports.crontab"]),
    ("## `infer`", ["fixtures/infer/cross_cadence.crontab", "fixtures/infer/decoys_heavy.crontab",
                    "fixtures/crontabs/seed_pipeline.crontab",
                    "fixtures/infer/real_scripts/rss_feed.crontab --scripts-root fixtures/infer/real_scripts/rss_feed"]),
])
def test_the_json_shown_in_contracts_has_the_fields_the_command_prints(section: str, inputs: list[str]) -> None:
    """The abridged JSON of docs/contracts.md (a ```json block, not run) names only fields that exist
    (`inputs` together have every optional part: warnings, cross-DAG links, unscheduled entries,
    suggestions, evidence read from scripts; an input may carry options after the file)."""
    import json

    from click.testing import CliRunner

    from migrator.cli import cli

    text = (DOCS / "contracts.md").read_text(encoding="utf-8").split(section, 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```json\n(.*?)```", text, re.DOTALL)
    assert block, f"contracts.md {section} shows its JSON"
    documented = json.loads(block.group(1))
    command = section.strip("#` ")
    actual_keys: set[str] = set()
    for path in inputs:
        words = [str(ROOT / w) if w.startswith("fixtures/") else w for w in path.split()]
        printed = CliRunner().invoke(cli, [command, *words, "--format", "json"])
        assert printed.exit_code == 0, printed.output
        actual = json.loads(printed.stdout)
        assert set(documented) == set(actual), path
        actual_keys |= _keys(actual)
    assert _keys(documented) <= actual_keys, sorted(_keys(documented) - actual_keys)
