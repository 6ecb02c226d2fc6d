"""What one cron command touches and what it is called: the raw material of every piece of evidence.

`command_facts` reads the parsed simple commands of a line (see `shell`) and records each file, glob,
table and URL it writes, reads or merely mentions, the lock files it holds, the name of the script it
runs (the future task id), and whether it is housekeeping (log rotation, retention, backups, ...)
that must never be linked into a data pipeline.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from migrator.infer import sql
from migrator.infer.shell import (
    DATE_PLACEHOLDER,
    NO_WAIT,
    SUBST_PLACEHOLDER,
    SimpleCommand,
    basename,
    join_path,
    lock_file,
    parse_command,
)
from migrator.infer.words import SQL_CLIENTS as _SQL_CLIENTS
from migrator.infer.words import identifier, is_noise, split_words, wordset

WRITE, READ, MENTION = "write", "read", "mention"


@dataclass(frozen=True, slots=True)
class Artifact:
    """A thing a job touches. `key` is normalized so that two jobs naming the same thing agree."""

    kind: str  # "path", "table" or "url"
    key: str
    role: str  # WRITE, READ or MENTION (direction unknown)
    via: str  # how we know, for the evidence text: "redirect >", "--out", "cp target", ...
    # True for a pattern (`*.csv`, a `{date}` partition) or a directory that holds other artifacts
    pattern: bool = False
    directory: bool = False
    source: str | None = None  # `script:LINE` when a script the job runs says so


def cited(artifact: Artifact, where: str) -> Artifact:
    """The artifact as a script says it (`where` is `script:LINE`), for evidence to cite."""
    return Artifact(
        artifact.kind,
        artifact.key,
        artifact.role,
        f"{artifact.via}, in {where}",
        artifact.pattern,
        artifact.directory,
        where,
    )


@dataclass(frozen=True, slots=True)
class ScriptCall:
    """A script a job runs, for the script reader (`migrator.infer.scripts`) to look into."""

    path: str  # as the job would find it: absolute where cwd or HOME say so
    language: str | None  # "python", "shell", "sql", or None: decide from the file
    cwd: str | None = None  # the directory it runs in (`cd /srv/app && ...`); None: HOME


@dataclass(frozen=True, slots=True)
class CommandFacts:
    name: str  # what the job runs, as a readable identifier: "ingest_from_rest_api"
    name_source: str  # the word it came from: "ingest_from_rest_api.py"
    alternates: tuple[str, ...]  # further words that tell two jobs with the same name apart
    program: str  # the program of the principal command: "python", "psql", "logrotate"
    # the part of the name that says what the job works on: the script name, or for a system tool
    # (`psql`, `aws s3 cp`) what it writes or reads -- tool words are shared by unrelated jobs
    topic: str
    # the script's own directory when it says something (`/opt/etl/sales/load.py` -> "sales")
    directory: str
    artifacts: tuple[Artifact, ...]
    locks: tuple[str, ...]
    housekeeping: str | None  # why the job is housekeeping, or None
    # locks the job gives up on when they are taken (`flock -n`): they keep jobs apart, not in order
    nowait_locks: frozenset[str] = frozenset()
    workdir: str | None = None  # where its principal command runs (`cd /srv/app && ...`)
    calls: tuple[ScriptCall, ...] = ()  # the scripts it runs, to be read for evidence
    home: str = "~"  # its HOME, for paths inside its scripts


# ---------------------------------------------------------------------------------------------
# vocabularies

INTERPRETERS = wordset("""
        python python2 python3 pypy pypy3 bash sh dash zsh ksh node nodejs deno bun ruby
        perl php Rscript R julia lua tclsh groovy scala kotlin java dotnet uv poetry
        pipenv
    """)
# commands that only prepare or log around the real work
_AUXILIARY = wordset("""
        cd source . export echo printf sleep date true false : test [ [[ mkdir touch
        exit return set trap wait logger rm tee cat exec flock umask ulimit unset shift
        read sync
    """)
# scripts whose own name says nothing: the job is their first argument (`manage.py rebuild_index`)
_GENERIC_SCRIPTS = wordset("""
        run main manage cli app job jobs task tasks runner wrapper entrypoint entry etl
        cron start exec invoke console artisan do launcher launch bootstrap script
        cronjob
    """)
# tools whose first words are a subcommand worth keeping in the name (`certbot renew`)
_SUBCOMMAND_TOOLS = wordset("""
        certbot aws gsutil gcloud az docker podman kubectl helm git dbt make npm yarn
        pnpm rake mix composer systemctl service apt apt-get yum dnf brew bq hdfs hadoop
        rclone restic borg snap terraform ansible-playbook airflow celery spark-submit
        flyway alembic
    """)
_SCRIPT_EXTENSIONS = wordset("""
        py sh bash zsh ksh rb pl pm js mjs cjs ts r R jl lua php jar scala groovy kts
        sql hql ipynb ps1 bat cmd exe
    """)
_CONFIG_EXTENSIONS = wordset("""
        conf cfg ini yaml yml toml env properties cnf rc pem key crt
    """)
_LOG_EXTENSIONS = frozenset(["log", "err", "out", "pid", "lock"])
_CODE_EXTENSIONS = wordset("""
        py sh bash zsh ksh rb pl pm js mjs cjs ts php jar sql hql ipynb ps1 bat cmd
    """)
_DATA_EXTENSIONS = wordset("""
        csv tsv json jsonl ndjson parquet avro orc xml xlsx xls txt dat gz bz2 xz zst
        zip tar tgz db sqlite sqlite3 duckdb feather arrow h5 hdf5 pkl pickle npy npz
        html pdf png svg md dump bak ok done flag success marker
    """)
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_VERSION_SUFFIX = re.compile(r"[\d.]+$")  # `python3.11` is `python`
_DOTTED_NAME = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_]\w*)+")
_SIMPLE_WORD = re.compile(r"[A-Za-z][\w:-]{0,40}")

WRITE_OPTIONS = wordset("""
        out output outfile out-file output-file out-dir output-dir outdir outpath
        output-path dest destination target to save save-to write export dump into
        result results sink report-file target-dir dest-dir o
    """)
READ_OPTIONS = wordset("""
        in input infile in-file input-file in-dir input-dir indir inpath input-path src
        source from read source-dir src-dir glob pattern i
    """)
_IGNORED_OPTIONS = wordset("""
        config conf config-file settings env env-file envfile profile log log-file
        logfile log-dir logdir pidfile pid-file lock lockfile lock-file cert key cacert
        credentials secrets ssh-key identity keyfile venv virtualenv python interpreter
        cwd workdir chdir home
    """)
_SQL_TEXT_OPTIONS = frozenset(
    {"-c", "--command", "-e", "--execute", "-q", "--query", "-Q", "--sql"}
)
_SQL_FILE_OPTIONS = frozenset({"-f", "--file", "-i", "--init"})
_COPY_TOOLS = frozenset({"cp", "mv", "install", "rsync", "scp", "rclone", "azcopy", "ln", "s3cmd"})
_READ_ALL_TOOLS = wordset("""
        cat zcat gzcat bzcat xzcat head tail wc grep egrep fgrep zgrep awk gawk sed jq
        yq sort uniq cut md5sum sha1sum sha256sum csvlook csvcut csvstat xsv mlr diff
        cmp less more strings file
    """)

# -- housekeeping: jobs that keep the machine healthy rather than move data
_HOUSEKEEPING_PROGRAMS: dict[str, str] = {
    "logrotate": "log rotation",
    "savelog": "log rotation",
    "certbot": "certificate renewal",
    "certbot-auto": "certificate renewal",
    "acme.sh": "certificate renewal",
    "letsencrypt": "certificate renewal",
    "lego": "certificate renewal",
    "tmpreaper": "temporary file cleanup",
    "tmpwatch": "temporary file cleanup",
    "updatedb": "system maintenance",
    "ntpdate": "system maintenance",
    "run-parts": "system maintenance (run-parts)",
    "apt": "system updates",
    "apt-get": "system updates",
    "yum": "system updates",
    "dnf": "system updates",
    "unattended-upgrade": "system updates",
    "freshclam": "system maintenance",
    "fstrim": "system maintenance",
    "logwatch": "log monitoring",
    "pg_dump": "database backup",
    "pg_dumpall": "database backup",
    "pg_basebackup": "database backup",
    "mysqldump": "database backup",
    "mariadb-dump": "database backup",
    "mongodump": "database backup",
    "redis-cli": "cache maintenance",
    "borg": "backup",
    "borgmatic": "backup",
    "restic": "backup",
    "duplicity": "backup",
    "rdiff-backup": "backup",
    "rsnapshot": "backup",
    "tarsnap": "backup",
    "automysqlbackup": "backup",
    "vacuumdb": "database maintenance",
    "ping": "health check",
    "fping": "health check",
    "nc": "health check",
    "journalctl": "log cleanup",
    "sa-update": "system maintenance",
    "mailq": "system maintenance",
    "rkhunter": "system maintenance",
    "chkrootkit": "system maintenance",
    "aide": "system maintenance",
    "ddclient": "system maintenance",
}
# words of a script name that make it housekeeping on their own (`backup_db.sh`, `purge_tmp`)
_HOUSEKEEPING_WORDS: dict[str, str] = {
    "backup": "backup",
    "backups": "backup",
    "cleanup": "cleanup",
    "purge": "cleanup",
    "prune": "cleanup",
    "housekeeping": "cleanup",
    "housekeep": "cleanup",
    "retention": "retention cleanup",
    "logrotate": "log rotation",
    "vacuum": "database maintenance",
    "certs": "certificate renewal",
    "cert": "certificate renewal",
    "ssl": "certificate renewal",
    "letsencrypt": "certificate renewal",
    "heartbeat": "health check",
    "healthcheck": "health check",
    "healthz": "health check",
    "watchdog": "health check",
    "keepalive": "health check",
    "uptime": "health check",
}
# pairs of words that do (`check_disk`, `rotate_logs`, `health_check`)
_HOUSEKEEPING_PAIRS: tuple[tuple[frozenset[str], frozenset[str], str], ...] = (
    (frozenset({"health"}), frozenset({"check", "checks", "ping", "probe"}), "health check"),
    (
        frozenset({"check", "monitor", "watch"}),
        frozenset(
            {
                "disk",
                "disks",
                "space",
                "load",
                "memory",
                "cpu",
                "ssl",
                "cert",
                "certs",
                "uptime",
                "service",
                "services",
                "nginx",
                "apache",
                "process",
                "processes",
            }
        ),
        "system monitoring",
    ),
    (frozenset({"rotate"}), frozenset({"log", "logs"}), "log rotation"),
    (
        frozenset({"clean", "clear", "delete", "remove", "rm"}),
        frozenset({"tmp", "temp", "cache", "old", "log", "logs", "sessions"}),
        "cleanup",
    ),
)
_HEALTH_URL = re.compile(
    r"health|heartbeat|ping|status|alive|uptime|hc-ping|healthchecks|/up\b", re.IGNORECASE
)


# ---------------------------------------------------------------------------------------------
# path normalization


def _is_url(word: str) -> bool:
    return bool(_URL.match(word))


def _extension(word: str) -> str:
    base = basename(word)
    if "." not in base.strip("."):
        return ""
    return base.rsplit(".", 1)[-1]


def _looks_like_path(word: str) -> bool:
    if not word or word.startswith("-") or "\n" in word or " " in word.strip():
        return False
    if _is_url(word):
        return True
    if "/" in word:
        return not word.startswith(("+", "%")) and word not in ("/",)
    return _extension(word).lower() in _DATA_EXTENSIONS


def is_data_file(path: str) -> bool:
    """A file whose extension says it holds data (`.csv`, `.parquet`, `.xlsx`, ...)."""
    return _extension(path).lower() in _DATA_EXTENSIONS


def _is_pattern(text: str) -> bool:
    return (
        any(c in text for c in "*?[")
        or DATE_PLACEHOLDER in text
        or SUBST_PLACEHOLDER in text
        or ("$" in text)
    )


class _Paths:
    """Turns words into normalized artifact keys for one job (its HOME, user and working directory)."""

    def __init__(self, env: Mapping[str, str], user: str | None):
        home = env.get("HOME")
        self.home = home.rstrip("/") if home else (f"~{user}" if user else "~")

    def key(
        self, word: str, cwd: str | None, *, written: bool = False
    ) -> tuple[str, str, bool] | None:
        """(kind, key, directory) for a path or URL word, or None when it is not data. A file a
        job writes is data whatever its extension (`mysqldump shop > /data/shop.sql`)."""
        return _path_key(word, cwd, self.home, written)


@lru_cache(maxsize=262144)
def _path_key(
    word: str, cwd: str | None, home: str, written: bool = False
) -> tuple[str, str, bool] | None:
    word = word.strip()
    if not word or word in ("-", "/dev/stdin", "/dev/stdout", "/dev/stderr"):
        return None
    if _is_url(word):
        scheme, rest = word.split("://", 1)
        rest = rest.split("?", 1)[0].split("#", 1)[0]
        directory = rest.endswith("/")
        host, _, path = rest.partition("/")
        path = posixpath.normpath("/" + path) if path else ""
        return ("url", f"{scheme.lower()}://{host.lower()}{path.rstrip('/')}", directory)
    if word.startswith("~/") or word == "~":
        word = home + word[1:]
    directory = word.endswith(("/", "/."))
    if cwd is not None and (cwd.startswith("~/") or cwd == "~"):
        cwd = home + cwd[1:]
    path = join_path(cwd, word)
    if path.startswith("~/") and home != "~":
        path = home + path[1:]
    path = posixpath.normpath(path) if not path.startswith("~") or "/" in path else path
    if path.startswith("//"):
        path = path[1:]
    if _is_noise_path(path, written):
        return None
    return ("path", path, directory)


_NOISE_PREFIXES = (
    "/dev/",
    "/proc/",
    "/sys/",
    "/var/log/",
    "/var/lock/",
    "/run/lock/",
    "/var/run/",
    "/run/",
    "/etc/",
    "/usr/bin/",
    "/usr/sbin/",
    "/bin/",
    "/sbin/",
    "/usr/local/bin/",
    "/usr/lib/",
    "/usr/share/",
    "/lib/",
)


def _is_noise_path(path: str, written: bool = False) -> bool:
    if path in ("/", "/dev/null", "/tmp", "/var/tmp", "~", ".") or path.startswith(_NOISE_PREFIXES):
        return True
    ext = _extension(path).lower()
    if ext in _CONFIG_EXTENSIONS or ext in _LOG_EXTENSIONS:
        return True  # settings and logs: not the data a job hands on
    if ext in _CODE_EXTENSIONS and not written:
        return True  # programs or queries run (a dump the job writes to `x.sql` is data)
    parts = path.lower().split("/")
    return any(
        p in ("log", "logs", "venv", ".venv", "virtualenv", "site-packages") for p in parts[:-1]
    )


# ---------------------------------------------------------------------------------------------
# one job


def command_facts(command: str, env: Mapping[str, str], user: str | None = None) -> CommandFacts:
    commands = parse_command(command, env)
    paths = _Paths(env, user)
    collector = _Collector(paths)
    for simple in commands:
        collector.add(simple)
    principal = _principal(commands)
    name, source, alternates = _name(principal, commands)
    program = principal.program if principal else ""
    topic = name
    if (
        principal is not None
        and _script_argument(principal) is None
        and _is_tool(program)
        and source == principal.argv[0]  # not named by its query file or container service
    ):
        # `psql -c ...`, `curl ... -o x`: the tool says little, what it produces says more
        found = collector.unique()
        subject = _subject(found, alternates) or ("" if found else _path_subject(principal))
        topic = subject
        if subject and subject not in name.split("_"):
            name = f"{name}_{subject}"
    held = [lock for c in commands for lock in c.locks]
    locks = tuple(dict.fromkeys(lock_file(lock) for lock in held))
    nowait = frozenset(lock_file(lock) for lock in held if lock.startswith(NO_WAIT))
    housekeeping = _housekeeping(commands, principal, name, source)
    scripts = {
        key
        for _, key, _ in (
            paths.key(s, c.cwd) or ("", "", False) for c in commands for s in _script_words(c)
        )
        if key
    }
    artifacts = [a for a in collector.unique() if a.key not in scripts and a.key not in locks]
    if any(a.role == WRITE and a.kind != "table" for a in artifacts) or any(
        a.role == WRITE for a in artifacts if a.kind == "table"
    ):
        # a job that names its outputs explicitly takes its other arguments as inputs
        artifacts = [
            Artifact(a.kind, a.key, READ, a.via, a.pattern, a.directory) if a.role == MENTION else a
            for a in artifacts
        ]
    directory = _script_directory(source)
    return CommandFacts(
        name,
        source,
        alternates,
        program,
        topic,
        directory,
        tuple(artifacts),
        locks,
        housekeeping,
        nowait,
        principal.cwd if principal is not None else None,
        script_calls(commands, paths.home),
        paths.home,
    )


def artifacts_of(commands: Iterable[SimpleCommand], home: str) -> list[Artifact]:
    """What these commands (a line of a script, say) write, read and name."""
    collector = _Collector(_Paths({"HOME": home}, None) if home != "~" else _Paths({}, None))
    for simple in commands:
        collector.add(simple)
    return collector.unique()


def path_artifact(
    word: str, role: str, via: str, cwd: str | None, home: str, *, directory: bool = False
) -> Artifact | None:
    """The artifact a script's path string names, normalized like a cron line's, or None."""
    if not word or word.startswith("-"):
        return None
    resolved = _path_key(word, cwd, home)
    if resolved is None:
        return None
    kind, key, is_dir = resolved
    return Artifact(kind, key, role, via, _is_pattern(key), directory or is_dir)


def sql_artifacts(text: str) -> list[Artifact]:
    """Tables and files a SQL text writes and reads."""
    collector = _Collector(_Paths({}, None))
    collector._sql_text(text, None)
    return collector.unique()


_LANGUAGE_OF_INTERPRETER = {
    **{name: "python" for name in ("python", "python2", "python3", "pypy", "pypy3", "uv")},
    **{name: "shell" for name in ("sh", "bash", "dash", "zsh", "ksh")},
}
_LANGUAGE_OF_EXTENSION = {
    "py": "python",
    "sh": "shell",
    "bash": "shell",
    "sql": "sql",
    "hql": "sql",
}


def script_calls(commands: Iterable[SimpleCommand], home: str) -> tuple[ScriptCall, ...]:
    """The scripts these commands run: an interpreter's script, an executable path, a SQL file."""
    calls: dict[str, ScriptCall] = {}

    def add(word: str, cwd: str | None, language: str | None) -> None:
        path = _script_path(word, cwd, home)
        if path and path not in calls:
            calls[path] = ScriptCall(path, language, cwd)

    for simple in commands:
        if not simple.argv or simple.substitution:
            continue
        program = simple.program
        script = _script_argument(simple)
        if script is not None:
            base = _VERSION_SUFFIX.sub("", program) or program
            language = _LANGUAGE_OF_INTERPRETER.get(base) or _LANGUAGE_OF_INTERPRETER.get(program)
            if "-m" in simple.argv and language == "python":
                script = script.replace(".", "/") + ".py"  # `python -m etl.load`
            if language is not None or _extension(script) in _LANGUAGE_OF_EXTENSION:
                add(script, simple.cwd, language)
        elif program not in _AUXILIARY and (
            "/" in simple.argv[0] or _extension(program) in _LANGUAGE_OF_EXTENSION
        ):
            add(simple.argv[0], simple.cwd, None)
        if program in _SQL_CLIENTS:
            args = simple.argv[1:]
            for k, arg in enumerate(args):
                if arg in _SQL_FILE_OPTIONS and k + 1 < len(args):
                    add(args[k + 1], simple.cwd, "sql")
                elif arg.startswith("--file="):
                    add(arg.split("=", 1)[1], simple.cwd, "sql")
            for redirect in simple.redirects:
                if redirect.reads and _extension(redirect.target).lower() in ("sql", "hql"):
                    add(redirect.target, simple.cwd, "sql")
    return tuple(calls.values())


def _script_path(word: str, cwd: str | None, home: str) -> str | None:
    if not word or word.startswith("-") or _is_url(word) or "{" in word:
        return None
    if word.startswith("~/"):
        word = home + word[1:]
    path = join_path(cwd, word)
    if path.startswith("~/") and home != "~":
        path = home + path[1:]
    return posixpath.normpath(path)


# directories whose name says nothing about a job
_GENERIC_DIRECTORIES = wordset("""
        bin sbin scripts script jobs job cron crons tasks task src lib opt usr local
        home srv var app apps code repo repos current releases release etl pipelines
        pipeline tools util utils run exec www html data venv env
    """)


def _script_directory(source: str) -> str:
    parts = [p for p in source.split("/")[:-1] if p and not p.startswith(("$", "~", "{"))]
    for part in reversed(parts):
        word = part.lower()
        if word not in _GENERIC_DIRECTORIES and not word.startswith(".") and not word.isdigit():
            return identifier(part, fallback="")
    return ""


def _is_tool(program: str) -> bool:
    """A program installed on the system rather than the user's own script."""
    return "." not in program and (
        program in _SQL_CLIENTS
        or program in _COPY_TOOLS
        or program in _READ_ALL_TOOLS
        or program in _HOUSEKEEPING_PROGRAMS
        or program in _SUBCOMMAND_TOOLS
        or program
        in ("curl", "wget", "tar", "find", "rm", "tee", "hdfs", "hadoop", "echo", "touch")
    )


def _subject(artifacts: list[Artifact], alternates: tuple[str, ...]) -> str:
    """A readable word for what a tool job works on: what it writes, else what it reads."""
    for role in (WRITE, READ, MENTION):
        for artifact in artifacts:
            if artifact.role != role:
                continue
            if artifact.kind == "table":
                text = artifact.key.rsplit(".", 1)[-1]
            elif artifact.kind == "url":
                text = _url_subject(artifact.key)
            else:
                segments = [
                    s
                    for s in re.split(r"[/:]", artifact.key)
                    if s and "*" not in s and "{" not in s
                ]
                meaningful = [
                    seg
                    for seg in segments
                    if not all(is_noise(w) for w in split_words(_stem_of(seg)))
                ]
                if not meaningful:
                    continue
                text = _stem_of(meaningful[-1])
            stem = identifier(
                " ".join(w for w in split_words(text) if not is_noise(w)), fallback=""
            )
            if stem:
                return stem
    return next((a for a in alternates if not all(is_noise(w) for w in split_words(a))), "")


_HOST_FILLER = frozenset({"www", "com", "org", "net", "io", "co", "uk", "de", "localhost", "api"})


def _url_subject(url: str) -> str:
    """`https://example.com/cron/run` -> `example cron run`; `http://localhost/wp-cron.php` -> `wp cron`."""
    rest = url.split("://", 1)[-1]
    host, _, path = rest.partition("/")
    labels = [label for label in host.split(":")[0].split(".") if label not in _HOST_FILLER]
    labels = [label for label in labels if not label.replace("-", "").isdigit()][:1]
    segments = [_stem_of(seg) for seg in path.split("/") if seg and not is_noise(seg)]
    return " ".join(labels + segments[:2])


def _path_subject(simple: SimpleCommand) -> str:
    """The last segment of the first path a tool works on: `find /var/tmp ...` -> `tmp`."""
    for word in simple.argv[1:]:
        if word.startswith("/") and not _is_pattern(word):
            segments = [seg for seg in word.rstrip("/").split("/") if seg]
            if segments:
                return identifier(segments[-1], fallback="")
    return ""


def _container_service(argv: tuple[str, ...]) -> str | None:
    """`docker compose run --rm load`: the service is the job (its command is the image's)."""
    words = list(argv[1:])
    if words[:1] == ["compose"]:
        words = words[1:]
    if not words or words[0] not in ("run", "up", "start"):
        return None
    options_with_value = {"-e", "--env", "-u", "--user", "-w", "--workdir", "--name", "-v"}
    k = 1
    while k < len(words) and words[k].startswith("-"):
        k += 2 if words[k] in options_with_value else 1
    return words[k] if k < len(words) and _is_simple_word(words[k]) else None


def _script_words(simple: SimpleCommand) -> list[str]:
    words = [simple.argv[0]] if simple.argv else []
    script = _script_argument(simple)
    if script:
        words.append(script)
    return words


def _principal(commands: Iterable[SimpleCommand]) -> SimpleCommand | None:
    """The command that does the job's work: the first that is not `cd`, `echo`, `sleep`, ...

    nor a check that something exists (`hdfs dfs -test -e x/_SUCCESS && load.sh`), unless the
    check is all the job does.
    """
    fallback: SimpleCommand | None = None
    for simple in commands:
        if not simple.argv or simple.substitution:
            continue
        if fallback is None:
            fallback = simple
        program = simple.program
        if program in _AUXILIARY or (program == "flock" and len(simple.argv) <= 3):
            continue
        if _is_existence_check(simple):
            continue
        return simple
    return fallback


def _is_existence_check(simple: SimpleCommand) -> bool:
    """`hdfs dfs -test`, `gsutil stat`, `aws s3 ls`: a readiness probe, not the job's work."""
    program, args = simple.program, simple.argv[1:]
    if program in ("hdfs", "hadoop"):
        return "-test" in args
    if program == "gsutil":
        return any(word in ("stat", "ls") for word in args[:3])
    if program == "aws":
        return args[:2] == ("s3", "ls") or args[:2] == ("s3api", "head-object")
    return False


def _script_argument(simple: SimpleCommand) -> str | None:
    """The script an interpreter runs: `python -u x.py` -> `x.py`; `python -m a.b` -> `a.b`."""
    if not simple.argv:
        return None
    program = simple.program
    base = _VERSION_SUFFIX.sub("", program) or program
    if base not in INTERPRETERS and program not in INTERPRETERS:
        return None
    args = list(simple.argv[1:])
    if base in ("uv", "poetry", "pipenv") and args and args[0] == "run":
        args = args[1:]
        if args and basename(args[0]) in INTERPRETERS | {"python3"}:
            args = args[1:]
    k = 0
    while k < len(args):
        arg = args[k]
        if arg in ("-m",) and k + 1 < len(args):
            return args[k + 1]
        if arg in ("-jar", "-cp", "-classpath") and k + 1 < len(args):
            if arg == "-jar":
                return args[k + 1]
            k += 2
            continue
        if arg in ("-c", "-e", "--eval"):
            return None
        if arg.startswith("-"):
            # options with a value: `-W ignore`, `-X dev`, `-Xmx2g` (no value), `--vanilla`
            k += 2 if arg in ("-W", "-X", "-I", "-r", "--require") else 1
            continue
        return arg
    return None


def _stem_of(word: str) -> str:
    base = basename(word)
    if _is_url(word):
        return base
    if "." in base and not base.startswith("."):
        head, _, ext = base.rpartition(".")
        if (
            ext in _SCRIPT_EXTENSIONS
            or ext.lower() in _DATA_EXTENSIONS
            or ext in _CONFIG_EXTENSIONS
        ):
            return head
        if "/" not in word and _DOTTED_NAME.fullmatch(word):
            return base.rsplit(".", 1)[-1]  # a module or class path: `etl.jobs.load_sales`
    return base


def _is_simple_word(word: str) -> bool:
    return bool(_SIMPLE_WORD.fullmatch(word)) and not _looks_like_path(word)


# tools whose subcommand is the job: `rake report:export`, `make report.csv`, `npm run build`
_RUNNERS = wordset("""
        rake make mix npm yarn pnpm invoke fab flask django-admin rails drush wp
        composer artisan console
    """)
# words that pick a group of subcommands, not the job: `manage.py cron update_counts`
_DISPATCH_WORDS = wordset("""
        cron run runscript runjob exec execute command cmd task job jobs script call
    """)
# options that name the job a generic runner runs: `app.jar --job=reindex`, `wrapper --target=x`
_JOB_OPTIONS = wordset("""
        job task target command action name step cmd C
    """)


def _name(
    principal: SimpleCommand | None, commands: tuple[SimpleCommand, ...]
) -> tuple[str, str, tuple[str, ...]]:
    """(task name, the word it came from, words that tell two such jobs apart).

    The one place where a job's name is chosen from its command's words: the script it runs
    (`load_orders.py`), or for a runner shared by many jobs (`manage.py`, `artisan`, `rake`,
    `run.sh`) the subcommand that is the job (`manage.py cron update_counts` is
    `update_counts`), or for a tool (`psql`, `curl`, `find`) the tool and what it works on.
    """
    if principal is None:
        return ("job", "", ())
    argv = principal.argv
    script = _script_argument(principal)
    rest: list[str]
    if script is not None:
        source = script
        index = argv.index(script) if script in argv else 0
        rest = list(argv[index + 1 :])
    else:
        source = argv[0]
        rest = list(argv[1:])
    program = basename(source)
    if script is None and program in ("docker", "podman", "docker-compose", "podman-compose"):
        service = _container_service(argv)
        if service:
            return (identifier(service, fallback="job"), service, ())
    if script is None and program in _SQL_CLIENTS:
        sql_file = _sql_file(principal)
        if sql_file:
            # `psql -f /opt/sql/daily_sales.sql`: the query file is the job's script
            return (identifier(_stem_of(sql_file), fallback="job"), sql_file, ())
    stem = _stem_of(source)
    positional = [w for w in rest if not w.startswith("-")]
    if program in ("npm", "yarn", "pnpm") and positional[:1] == ["run"]:
        positional = positional[1:]
    words = split_words(stem)
    lead: list[str] = []
    runner = script is None and program in _RUNNERS
    generic = bool(words) and all(w in _GENERIC_SCRIPTS for w in words)
    if script is None and program in _SUBCOMMAND_TOOLS or generic or runner:
        subcommand = _subcommand(positional, rest)
        if (generic or runner) and subcommand:
            stem, lead = subcommand, []
        else:
            # keep up to two leading subcommand words: `certbot renew`, `aws s3 sync`
            for word in positional[:2]:
                if not _is_simple_word(word):
                    break
                lead.append(word)
    name = identifier("_".join([stem, *lead]), fallback="job")
    alternates = tuple(
        dict.fromkeys(
            alt
            for w in positional
            if (_is_simple_word(w) or _looks_like_path(w)) and w not in lead
            for alt in [identifier(_stem_of(w), fallback="")]
            if alt and alt != name and not alt.startswith("_") and alt not in name.split("_")
        )
    )
    return (name, source, alternates)


def _subcommand(positional: list[str], rest: list[str]) -> str | None:
    """The job a shared runner runs: its first subcommand word(s), a script path, or `--job=x`."""
    words = list(positional)
    while len(words) > 1 and words[0].lower() in _DISPATCH_WORDS and _is_simple_word(words[1]):
        words = words[1:]  # `cron update_counts`, `run import_orders`
    if words and _is_simple_word(words[0]):
        chosen = [words[0]]
        # `manage.py spark request_import`: a group word, then the job
        if len(words) > 1 and _is_simple_word(words[1]) and not _is_simple_word_list(words[:2]):
            chosen.append(words[1])
        return "_".join(chosen)
    if words and _looks_like_path(words[0]) and not _is_url(words[0]):
        return _stem_of(words[0])  # `admin/run admin/cron/hourly.sh`
    for k, word in enumerate(rest):
        if word.startswith("-"):
            option, _, value = word.lstrip("-").partition("=")
            if not value and k + 1 < len(rest) and not rest[k + 1].startswith("-"):
                value = rest[k + 1]
            if option in _JOB_OPTIONS and value and _is_simple_word(value):
                return value
    return None


def _is_simple_word_list(words: list[str]) -> bool:
    """Two words that are each a whole job name (`report:export`) rather than group + job."""
    return ":" in words[0] or "_" in words[0] or "-" in words[0]


def _sql_file(simple: SimpleCommand) -> str | None:
    args = simple.argv[1:]
    for k, arg in enumerate(args):
        if arg in _SQL_FILE_OPTIONS and k + 1 < len(args):
            return args[k + 1]
        if arg.startswith("--file="):
            return arg.split("=", 1)[1]
    for redirect in simple.redirects:
        if redirect.reads and _extension(redirect.target).lower() in ("sql", "hql"):
            return redirect.target
    return None


# ---------------------------------------------------------------------------------------------
# artifacts


class _Collector:
    def __init__(self, paths: _Paths):
        self.paths = paths
        self.found: list[Artifact] = []

    def unique(self) -> list[Artifact]:
        """One artifact per (kind, key, role); a mention is dropped when the role is known."""
        known = {(a.kind, a.key) for a in self.found if a.role != MENTION}
        seen: dict[tuple[str, str, str], Artifact] = {}
        for artifact in self.found:
            if artifact.role == MENTION and (artifact.kind, artifact.key) in known:
                continue
            seen.setdefault((artifact.kind, artifact.key, artifact.role), artifact)
        return list(seen.values())

    def word(
        self, word: str, role: str, via: str, cwd: str | None, *, directory: bool = False
    ) -> None:
        if not word or not (_looks_like_path(word) or role != MENTION):
            return
        if word.startswith("-"):
            return
        resolved = self.paths.key(word, cwd, written=role == WRITE)
        if resolved is None:
            return
        kind, key, is_dir = resolved
        if kind == "path" and not (_looks_like_path(word) or "/" in key):
            return
        self.found.append(Artifact(kind, key, role, via, _is_pattern(key), directory or is_dir))

    def table(self, name: str, role: str, via: str) -> None:
        name = sql.normalize_table(name)
        if name and not _is_pattern(name):
            self.found.append(Artifact("table", name, role, via))

    def add(self, simple: SimpleCommand) -> None:
        for redirect in simple.redirects:
            if redirect.fd == 2 and redirect.writes:
                continue  # stderr goes to logs
            if redirect.writes:
                self.word(redirect.target, WRITE, f"redirect {redirect.op}", simple.cwd)
            elif redirect.reads:
                if _extension(redirect.target).lower() in ("sql", "hql"):
                    continue  # a query script fed to a client, not data
                self.word(redirect.target, READ, "redirect <", simple.cwd)
        if not simple.argv:
            return
        program = simple.program
        args = list(simple.argv[1:])
        cwd = simple.cwd
        if program in ("source", "."):
            return  # a shell configuration (`~/.bash_profile`, `venv/bin/activate`), not data
        if program in _SQL_CLIENTS:
            self._sql_client(program, args, cwd)
        elif program in _COPY_TOOLS or (
            program in ("aws", "gsutil", "gcloud") and _copy_like(args)
        ):
            self._copy(program, args, cwd)
        elif program in ("hdfs", "hadoop") and args[:1] in (["dfs"], ["fs"]):
            self._copy(program, args[1:], cwd)
        elif program == "tee":
            for arg in args:
                if not arg.startswith("-"):
                    self.word(arg, WRITE, "tee", cwd)
        elif program in ("touch",):
            for arg in args:
                if not arg.startswith("-"):
                    self.word(arg, WRITE, "touch", cwd)
        elif program in ("test", "[", "[["):
            for k, arg in enumerate(args[:-1]):
                if arg in ("-f", "-e", "-s", "-r", "-d"):
                    self.word(args[k + 1], READ, f"test {arg}", cwd)
        elif program in ("curl", "wget"):
            self._download(program, args, cwd)
        elif program in _READ_ALL_TOOLS:
            self._read_all(program, args, cwd)
        elif program in ("tar",):
            self._tar(args, cwd)
        elif program in (
            "find",
            "rm",
            "mkdir",
            "chmod",
            "chown",
            "ls",
            "du",
            "df",
            "echo",
            "printf",
        ):
            return
        else:
            self._generic(simple, args, cwd)

    def _generic(self, simple: SimpleCommand, args: list[str], cwd: str | None) -> None:
        script = _script_argument(simple)
        skip_script = script is not None
        k = 0
        while k < len(args):
            arg = args[k]
            if skip_script and arg == script:
                skip_script = False
                k += 1
                continue
            if arg.startswith("--") and "=" in arg:
                option, value = arg.split("=", 1)
                self._option(option, value, cwd)
                k += 1
                continue
            if arg.startswith("-") and len(arg) > 1 and not arg[1:].isdigit():
                option = arg.lstrip("-").lower()
                value = args[k + 1] if k + 1 < len(args) else None
                if (
                    value is not None
                    and not value.startswith("-")
                    and (
                        option in WRITE_OPTIONS
                        or option in READ_OPTIONS
                        or option in _IGNORED_OPTIONS
                        or option in ("t", "table", "tables")
                        or _looks_like_path(value)
                    )
                ):
                    self._option(arg, value, cwd)
                    k += 2
                    continue
                k += 1
                continue
            if looks_like_sql_text(arg):
                self._sql_text(arg, cwd)
            else:
                self.word(arg, MENTION, "argument", cwd)
            k += 1

    def _option(self, written: str, value: str, cwd: str | None) -> None:
        """`written` is the option as the user wrote it (`-o`, `--out`), for the evidence text."""
        option = written.lstrip("-").lower()
        if option in _IGNORED_OPTIONS:
            return
        if option in ("t", "table", "tables", "target-table", "dest-table", "source-table"):
            role = (
                WRITE
                if option in ("target-table", "dest-table")
                else (READ if option == "source-table" else MENTION)
            )
            for name in value.split(","):
                self.table(name, role, written)
            return
        if not (_looks_like_path(value) or option.endswith("dir")):
            return  # `--target prod`, `--from yesterday`: a value, not a file
        if option in WRITE_OPTIONS or option.startswith(("out", "output", "dest")):
            self.word(value, WRITE, written, cwd, directory=option.endswith("dir"))
        elif option in READ_OPTIONS or option.startswith(("in", "input", "src", "source")):
            self.word(value, READ, written, cwd, directory=option.endswith("dir"))
        else:
            self.word(value, MENTION, written, cwd)

    def _read_all(self, program: str, args: list[str], cwd: str | None) -> None:
        k = 0
        while k < len(args):
            arg = args[k]
            if program == "sort" and arg == "-o" and k + 1 < len(args):
                self.word(args[k + 1], WRITE, "sort -o", cwd)
                k += 2
                continue
            if program in ("sed",) and arg.startswith("-i"):
                return
            if not arg.startswith("-") and _looks_like_path(arg):
                self.word(arg, READ, program, cwd)
            k += 1

    def _copy(self, program: str, args: list[str], cwd: str | None) -> None:
        if program in ("aws", "gsutil", "gcloud", "s3cmd", "rclone", "azcopy"):
            # `aws s3 cp a b`, `gsutil -m cp a b`, `gcloud storage cp a b`, `rclone copy a b`
            while args and not _is_transfer_verb(args[0]):
                args = args[1:]
            args = args[1:]
        target_dir: str | None = None
        positional: list[str] = []
        k = 0
        while k < len(args):
            arg = args[k]
            if arg in ("-t", "--target-directory") and k + 1 < len(args):
                target_dir = args[k + 1]
                k += 2
                continue
            if arg.startswith("--target-directory="):
                target_dir = arg.split("=", 1)[1]
            elif arg in (
                "-e",
                "--exclude",
                "--include",
                "--rsh",
                "-P",
                "--profile",
                "--region",
                "--storage-class",
                "--acl",
                "--sse",
                "--chown",
                "--chmod",
                "--filter",
                "--exclude-from",
                "--include-from",
                "--bwlimit",
                "--log-file",
            ):
                k += 2
                continue
            elif not arg.startswith("-"):
                positional.append(arg)
            k += 1
        via = (
            f"{program} target"
            if program not in ("aws", "gsutil", "gcloud")
            else f"{program} copy target"
        )
        if target_dir is not None:
            sources, target = positional, target_dir
            directory = True
        elif len(positional) >= 2:
            sources, target = positional[:-1], positional[-1]
            directory = (
                len(sources) > 1 or any(_is_pattern(s) for s in sources) or target.endswith("/")
            )
        else:
            for arg in positional:
                self.word(arg, MENTION, program, cwd)
            return
        for source in sources:
            self.word(source, READ, f"{program} source", cwd)
        if program == "ln":
            return
        self.word(target, WRITE, via, cwd, directory=directory)
        if directory:
            # `cp a b /dst/` also writes `/dst/a`: record the files so a reader of `/dst/a` matches
            for source in sources:
                if not _is_pattern(source) and basename(source):
                    self.word(f"{target.rstrip('/')}/{basename(source)}", WRITE, via, cwd)

    def _download(self, program: str, args: list[str], cwd: str | None) -> None:
        urls = [a for a in args if _is_url(a)]
        uploading = False
        k = 0
        while k < len(args):
            arg = args[k]
            value = args[k + 1] if k + 1 < len(args) else ""
            if (
                arg in ("-o", "--output", "-O", "--output-document")
                and value
                and not (program == "curl" and arg == "-O")
            ):
                self.word(value, WRITE, f"{program} {arg}", cwd)
                k += 2
                continue
            if arg.startswith("--output-document="):
                self.word(arg.split("=", 1)[1], WRITE, program, cwd)
            elif arg in ("-P", "--directory-prefix") and program == "wget" and value:
                self.word(value, WRITE, f"{program} {arg}", cwd, directory=True)
                k += 2
                continue
            elif arg in ("-T", "--upload-file") and value:
                self.word(value, READ, f"{program} {arg}", cwd)
                uploading = True
                k += 2
                continue
            elif arg in ("-d", "--data", "--data-binary", "--data-raw", "-F", "--form") and value:
                file = value.split("@", 1)[1] if "@" in value else ""
                if file:
                    self.word(file.split(";", 1)[0], READ, f"{program} {arg}", cwd)
                    uploading = True
                k += 2
                continue
            k += 1
        for url in urls:
            self.word(
                url,
                WRITE if uploading else READ,
                f"{program} upload" if uploading else program,
                cwd,
            )

    def _tar(self, args: list[str], cwd: str | None) -> None:
        if not args:
            return
        flags = args[0].lstrip("-")
        creating = "c" in flags
        archive: str | None = None
        directory: str | None = None
        rest: list[str] = []
        k = 1
        if "f" in flags and len(args) > 1:
            archive = args[1]
            k = 2
        while k < len(args):
            arg = args[k]
            if arg in ("-C", "--directory") and k + 1 < len(args):
                directory = args[k + 1]
                k += 2
                continue
            if arg in ("-f", "--file") and k + 1 < len(args):
                archive = args[k + 1]
                k += 2
                continue
            if not arg.startswith("-"):
                rest.append(arg)
            k += 1
        if archive:
            self.word(archive, WRITE if creating else READ, "tar archive", cwd)
        for arg in rest if creating else []:
            self.word(arg, READ, "tar source", directory or cwd)
        if not creating and directory:
            self.word(directory, WRITE, "tar -C", cwd, directory=True)

    def _sql_client(self, program: str, args: list[str], cwd: str | None) -> None:
        k = 0
        while k < len(args):
            arg = args[k]
            value = args[k + 1] if k + 1 < len(args) else None
            if (arg in _SQL_TEXT_OPTIONS) and value is not None:
                self._sql_text(value, cwd)
                k += 2
                continue
            if arg.startswith(("--command=", "--execute=", "--query=")):
                self._sql_text(arg.split("=", 1)[1], cwd)
            elif arg in _SQL_FILE_OPTIONS and value is not None:
                k += 2  # a query script, not data
                continue
            elif (
                program == "bq"
                and arg in ("load", "extract", "cp", "query")
                and not arg.startswith("-")
            ):
                self._bq(arg, args[k + 1 :], cwd)
                return
            elif not arg.startswith("-"):
                if looks_like_sql_text(arg):
                    self._sql_text(arg, cwd)
                elif program in ("sqlite3", "sqlite", "duckdb") and _looks_like_path(arg):
                    self.word(arg, MENTION, f"{program} database", cwd)
            elif arg in ("-t", "--table") and value is not None:
                self.table(value, MENTION, f"{program} {arg}")
                k += 2
                continue
            k += 1

    def _bq(self, verb: str, args: list[str], cwd: str | None) -> None:
        positional = [a for a in args if not a.startswith("-")]
        if verb == "query":
            for text in positional:
                self._sql_text(text, cwd)
        elif verb == "load" and len(positional) >= 2:
            self.table(positional[0], WRITE, "bq load")
            for uri in positional[1].split(","):
                self.word(uri, READ, "bq load source", cwd)
        elif verb == "extract" and len(positional) >= 2:
            self.table(positional[0], READ, "bq extract")
            self.word(positional[1], WRITE, "bq extract target", cwd)
        elif verb == "cp" and len(positional) >= 2:
            self.table(positional[0], READ, "bq cp")
            self.table(positional[-1], WRITE, "bq cp")

    def _sql_text(self, text: str, cwd: str | None) -> None:
        access = sql.analyze_sql(text)
        for table in access.writes:
            self.table(table, WRITE, "SQL")
        for table in access.reads:
            self.table(table, READ, "SQL")
        for file in access.file_reads:
            self.word(file, READ, "SQL file read", cwd)
        for file in access.file_writes:
            self.word(file, WRITE, "SQL file write", cwd)


def looks_like_sql_text(text: str) -> bool:
    return (
        " " in text.strip()
        and sql.looks_like_sql(text)
        and bool(re.search(r"\b(from|into|table|view|copy)\b", text, re.IGNORECASE))
    )


def _is_transfer_verb(word: str) -> bool:
    return word in ("cp", "mv", "sync", "rsync", "copy", "move", "put", "get", "copyto", "moveto")


def _copy_like(args: list[str]) -> bool:
    return any(_is_transfer_verb(a) for a in args[:3])


# ---------------------------------------------------------------------------------------------
# housekeeping


def _housekeeping(
    commands: tuple[SimpleCommand, ...], principal: SimpleCommand | None, name: str, source: str
) -> str | None:
    for simple in commands:
        if not simple.argv:
            continue
        program = simple.program
        args = simple.argv[1:]
        reason = _HOUSEKEEPING_PROGRAMS.get(program)
        if reason:
            return reason
        if program == "find" and (
            "-delete" in args or any(basename(a) in ("rm", "gzip", "shred") for a in args)
        ):
            return "retention cleanup (find -delete)"
        if program == "rm" and any(_is_pattern(a) for a in args if not a.startswith("-")):
            return "cleanup (rm of a pattern)"
        if program == "docker" and ("prune" in args):
            return "cleanup (docker prune)"
        if program in ("curl", "wget") and any(_is_url(a) and _HEALTH_URL.search(a) for a in args):
            return "health check"
        if program == "tar" and any("backup" in a.lower() for a in args):
            return "backup"
        if program in ("rsync", "rclone", "aws", "gsutil") and any(
            "backup" in a.lower() for a in args if not a.startswith("-")
        ):
            return "backup"
    words = set(split_words(basename(source))) | set(name.split("_"))
    for word in sorted(words):
        reason = _HOUSEKEEPING_WORDS.get(word)
        if reason:
            return reason
    for first, second, reason in _HOUSEKEEPING_PAIRS:
        if words & first and words & second:
            return reason
    if "archive" in words and words & {"old", "log", "logs", "tmp"}:
        return "cleanup (archive of old files)"
    if principal is not None and principal.program in ("sync",):
        return "system maintenance"
    return None
