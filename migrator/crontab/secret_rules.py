"""Where programs take secrets on a command line: the rules of `secrets.find_command_secrets`.

Each rule knows one program's options (`mysql -p`, `curl -u`, `sshpass -p`, `redis-cli -a`, ...) or
one written form any program may hold (`user:password@` in a URL, a token header, `?token=`, an
assignment to a secret-named variable, a provider's documented token format). A value that is a
reference (`$X`, `$(...)`) or a placeholder for a prompt (`-p` alone) is not a secret. Each secret
gets a label for the variable it moves to, made of words that say where it was used, never of it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from migrator.shellsyntax import SpannedWord, spanned_commands

_SECRET_WORDS = ("PASSWORD", "PASSWD", "TOKEN", "SECRET", "CREDENTIAL", "APIKEY", "PASSPHRASE")
_SECRET_PARTS = frozenset({"PASS", "PWD", "PW", "AUTH", "KEY", "SSHPASS"})


def is_secret_name(name: str) -> bool:
    """Whether an environment variable's name says it holds a secret (`DB_PASSWORD`, `API_KEY`).

    `KEY` counts as a whole word only (`AWS_SECRET_ACCESS_KEY`, not `KEYBOARD` or `MONKEY`); `PWD` is
    the shell's working directory.
    """
    upper = name.upper()
    if upper == "PWD":
        return False
    parts = re.split(r"[^A-Z0-9]+", upper)
    return any(word in upper for word in _SECRET_WORDS) or any(p in _SECRET_PARTS for p in parts)


@dataclass(frozen=True)
class CommandSecret:
    """A secret written in a command line."""

    value: str  # what the program receives
    start: int  # where it is written in the command (end exclusive)
    end: int
    what: str  # for people: "password of mysqldump (-p)", "Authorization header", ...
    # a name for the variable it moves to: lower-case words, never containing the value
    label: str
    # `command[start:end] == value`: those characters can be replaced by a reference that renders
    # the value (False when the value is quoted in pieces or escaped)
    movable: bool = True
    whole_word: bool = False  # the value is a whole word of the command (`sshpass -p VALUE`)


# -- values ---------------------------------------------------------------------------------------

# values that stand for "ask me" or for nothing: not secrets
_NOT_VALUES = frozenset({"", "-", "*", "**", "***", "****", "xxx", "xxxx"})


def _is_literal_value(value: str) -> bool:
    return value.strip("*x ") != "" and value not in _NOT_VALUES


def _is_file_like(value: str) -> bool:
    return value.startswith(("/", "~/", "./", "../", "@", "file:", "env:"))


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# -- programs ---------------------------------------------------------------------------------------

_MYSQL = _words(
    "mysql mysqldump mysqladmin mysqlimport mysqlcheck mysqlshow mysqlpump mysqlslap "
    "mysqlbinlog mysqlsh mariadb mariadb-dump mariadb-admin mariadb-import "
    "mariadb-check mariadb-show mariadb-binlog mariadb-slap"
)
# where `--password` is a flag (force a prompt), not an option with a value
_PASSWORD_IS_A_FLAG = (
    _words(
        "psql pg_dump pg_dumpall pg_restore pg_basebackup vacuumdb reindexdb createdb "
        "dropdb createuser dropuser clusterdb pgbench pg_isready"
    )
    | _MYSQL
)
_MONGO = _words(
    "mongo mongosh mongodump mongorestore mongoexport mongoimport mongostat mongotop mongofiles"
)
_ORACLE = frozenset(["sqlplus", "rman", "exp", "imp", "expdp", "impdp", "sqlldr"])
# program -> short options whose next word (or attached text) is a password
_PASSWORD_SHORT_OPTIONS: dict[str, tuple[str, ...]] = {
    "sshpass": ("-p",),
    "redis-cli": ("-a",),
    "ldapsearch": ("-w",),
    "ldapmodify": ("-w",),
    "ldapadd": ("-w",),
    "ldapdelete": ("-w",),
    "ldappasswd": ("-w",),
    "sqlcmd": ("-P",),
    "bcp": ("-P",),
    "zip": ("-P",),
    "unzip": ("-P",),
    "mydumper": ("-p",),
    "myloader": ("-p",),
    "ncftp": ("-p",),
    "ncftpget": ("-p",),
    "ncftpput": ("-p",),
    **{mongo: ("-p",) for mongo in _MONGO},
}
# programs whose password is attached to the option letter only (`7z -pSECRET`)
_ATTACHED_ONLY = {"7z": "-p", "7za": "-p", "rar": "-p", "unrar": "-p"}
# long options that hold a secret whatever the program (after `--`, `_` read as `-`)
_SECRET_OPTION_WORDS = frozenset(
    {"password", "passwd", "pass", "secret", "token", "passphrase", "apikey", "api-key"}
)
_SECRET_OPTION_ENDINGS = ("-password", "-passwd", "-secret", "-token", "-api-key", "-apikey")
_SECRET_OPTION_NAMES = frozenset(
    {"secret-key", "access-key", "secret-access-key", "client-secret", "oauth2-bearer"}
)
# ...and the ones that only name where a secret is (a file, a variable, a prompt)
_NOT_SECRET_SUFFIXES = (
    "-file",
    "-path",
    "-env",
    "-stdin",
    "-cmd",
    "-command",
    "-prompt",
    "-length",
    "-policy",
    "-id",
)
_CURL_USER_OPTIONS = ("-u", "--user", "-U", "--proxy-user")
_HEADER_OPTIONS = ("-H", "--header", "--proxy-header")
_DATA_OPTIONS = ("-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "-F", "--form")
_CREDENTIAL_HEADERS = ("authorization", "proxy-authorization")
_SECRET_HEADER = re.compile(
    r"(?:token|api[-_]?key|secret|password|passwd|auth|cookie|session)", re.IGNORECASE
)
_AUTH_SCHEME = re.compile(r"(?i)^(bearer|basic|token|digest|bot|apikey|api-key|key|negotiate)\s+")
_QUERY_SECRETS = _words(
    "password passwd pwd pass token access_token auth_token api_key apikey api-key "
    "key secret client_secret private_token auth authtoken accesstoken apitoken "
    "api_token"
)
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*)://([^/?#@\s:]*):([^/?#@\s]+)@([^/?#:\s]*)")
_URL_HOST = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://(?:[^/?#@\s]*@)?([^/?#:\s]+)")
_QUERY_PAIR = re.compile(r"(?:^|[?&;])([A-Za-z0-9_.-]+)=([^&#;\s]*)")
_CONNINFO_PASSWORD = re.compile(r"(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s']+)")
# formats that are credentials whoever uses them (the providers document these prefixes)
_TOKEN_FORMATS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (
        re.compile(
            r"(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}(?![A-Z0-9])"
        ),
        "AWS access key id",
        "aws_access_key_id",
    ),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b"), "GitHub token", "github_token"),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b"), "GitHub token", "github_token"),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"), "GitLab token", "gitlab_token"),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"), "Slack token", "slack_token"),
    (
        re.compile(r"(?<=hooks\.slack\.com/services/)T[A-Za-z0-9]+/B[A-Za-z0-9]+/[A-Za-z0-9]+"),
        "Slack webhook key",
        "slack_webhook",
    ),
    (
        re.compile(
            r"(?:(?<=discord\.com/api/webhooks/)|(?<=discordapp\.com/api/webhooks/))\d+/[\w-]+"
        ),
        "Discord webhook key",
        "discord_webhook",
    ),
    (
        re.compile(r"(?<=api\.telegram\.org/bot)\d{6,}:[A-Za-z0-9_-]{30,}"),
        "Telegram bot token",
        "telegram_bot_token",
    ),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), "Google API key", "google_api_key"),
    (re.compile(r"\b[rs]k_(?:live|test)_[0-9A-Za-z]{16,}\b"), "Stripe key", "stripe_key"),
    (re.compile(r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"), "SendGrid key", "sendgrid_key"),
    (re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), "npm token", "npm_token"),
    (
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
        "JSON web token",
        "jwt",
    ),
)
# wrappers that run the rest of their words as a command, with the options that take a value
_WRAPPERS: dict[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T"}),
    "env": frozenset({"-u", "-C", "-S"}),
    "nice": frozenset({"-n"}),
    "ionice": frozenset({"-c", "-n", "-p"}),
    "timeout": frozenset({"-s", "-k"}),
    "nohup": frozenset(),
    "exec": frozenset(),
    "time": frozenset(),
    "chronic": frozenset(),
    "command": frozenset(),
    "xargs": frozenset({"-I", "-n", "-P", "-d", "-L", "-s", "-E"}),
}
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "su"})


def _program(word: SpannedWord) -> str:
    return word.value.rsplit("/", 1)[-1].lower()


def _clean_label(*parts: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "_", "_".join(p for p in parts if p).lower()).strip("_")
    return re.sub(r"_+", "_", words)[:60].strip("_") or "secret"


class _Reader:
    """The secret-finding rules, over one command line."""

    def __init__(self, command: str) -> None:
        self.command = command

    # -- one simple command ------------------------------------------------------------------------

    def simple_command(self, words: list[SpannedWord]) -> list[CommandSecret]:
        found: list[CommandSecret] = []
        index = 0
        # leading assignments: `PGPASSWORD=x psql ...`, and `export NAME=x`
        while index < len(words) and self._assignment(words[index], found):
            index += 1
        if index < len(words) and words[index].value in ("export", "readonly", "declare"):
            for word in words[index + 1 :]:
                self._assignment(word, found)
            return found
        rest = words[index:]
        for word in rest:
            found.extend(self._formats(word))
            found.extend(self._url_secrets(word))
        if rest:
            found.extend(self._program(rest))
        return found

    def _program(self, words: list[SpannedWord]) -> list[CommandSecret]:
        program = _program(words[0])
        args = words[1:]
        if program in _WRAPPERS:
            return self._wrapped(program, args)
        if program in _SHELLS:
            return self._shell_string(args)
        if program == "sshpass":
            return self._sshpass(args)
        if program == "flock":
            return self._flock(args)
        found: list[CommandSecret] = []
        found.extend(self._short_options(program, args))
        found.extend(self._long_options(program, args))
        if program in _MYSQL:
            found.extend(self._mysql(program, args))
        if program in ("curl", "wget", "http", "https"):
            found.extend(self._http(program, args))
        if program in ("docker", "podman"):
            found.extend(self._container(program, args))
        if program in _ORACLE:
            found.extend(self._oracle(program, args))
        if program in ("smbclient", "lftp", "openssl"):
            found.extend(self._special(program, args))
        if program == "aws":
            found.extend(self._aws_configure(args))
        for word in args:
            found.extend(self._conninfo(program, word))
        return found

    def _wrapped(self, program: str, args: list[SpannedWord]) -> list[CommandSecret]:
        found: list[CommandSecret] = []
        with_value = _WRAPPERS[program]
        index = 0
        if program == "timeout":
            while index < len(args) and args[index].value.startswith("-"):
                index += 2 if args[index].value in with_value else 1
            index += 1  # the duration
        while index < len(args):
            value = args[index].value
            if program == "env" and self._assignment(args[index], found):
                index += 1
            elif value.startswith("-") and value != "-":
                index += 2 if value in with_value else 1
            else:
                break
        if index < len(args):
            found.extend(self.simple_command(args[index:]))
        return found

    def _shell_string(self, args: list[SpannedWord]) -> list[CommandSecret]:
        """`sh -c '...'`, `su - user -c "..."`: the string is a command line of its own."""
        for previous, word in itertools.pairwise(args):
            if previous.value == "-c" or (
                previous.value.startswith("-") and previous.value.endswith("c")
            ):
                return self._inner(word)
        return []

    def _inner(self, word: SpannedWord) -> list[CommandSecret]:
        pieces = word.pieces
        contiguous = all(p.exact for p in pieces) and all(
            a.end == b.start for a, b in itertools.pairwise(pieces)
        )
        if not pieces or not contiguous:
            return []
        start, end = pieces[0].start, pieces[-1].end
        found: list[CommandSecret] = []
        for simple in spanned_commands(self.command[start:end], start):
            found.extend(self.simple_command(list(simple.words)))
        return found

    def _flock(self, args: list[SpannedWord]) -> list[CommandSecret]:
        index = 0
        while index < len(args) and args[index].value.startswith("-"):
            if args[index].value in ("-c", "--command") and index + 1 < len(args):
                return self._inner(args[index + 1])
            index += (
                2 if args[index].value in ("-w", "--timeout", "-E", "--conflict-exit-code") else 1
            )
        index += 1  # the lock file
        if index < len(args) and args[index].value in ("-c", "--command") and index + 1 < len(args):
            return self._inner(args[index + 1])
        return self.simple_command(args[index:]) if index < len(args) else []

    def _sshpass(self, args: list[SpannedWord]) -> list[CommandSecret]:
        found: list[CommandSecret] = []
        index = 0
        host = _ssh_host(args)
        while index < len(args) and args[index].value.startswith("-"):
            value = args[index].value
            if value == "-p" and index + 1 < len(args):
                found.extend(
                    self._whole(
                        args[index + 1], "password of sshpass (-p)", ("ssh", host, "password")
                    )
                )
                index += 2
            elif value.startswith("-p") and len(value) > 2:
                found.extend(
                    self._part(
                        args[index], 2, "password of sshpass (-p)", ("ssh", host, "password")
                    )
                )
                index += 1
            elif value in ("-f", "-d", "-e", "-P"):
                index += 1 if value == "-e" else 2
            else:
                index += 1
        if index < len(args):
            found.extend(self.simple_command(args[index:]))
        return found

    # -- assignments ---------------------------------------------------------------------------------

    def _assignment(self, word: SpannedWord, found: list[CommandSecret]) -> bool:
        first = word.pieces[0]
        match = re.match(r"([A-Za-z_][A-Za-z0-9_]*)=", first.text) if first.exact else None
        if match is None or first.expands:
            return False
        name = match.group(1)
        if is_secret_name(name):
            value = word.value[match.end() :]
            if not _is_file_like(value):
                found.extend(
                    self._part(
                        word, match.end(), f"{name} set in the command", (name,), keep_case=True
                    )
                )
        return True

    def _container(self, program: str, args: list[SpannedWord]) -> list[CommandSecret]:
        """`docker login -p`, and secret variables passed with `-e NAME=value`."""
        found: list[CommandSecret] = []
        if args and args[0].value == "login":
            for option, word in itertools.pairwise(args):
                if option.value == "-p" and not word.value.startswith("-"):
                    found.extend(
                        self._whole(
                            word, f"password of {program} login (-p)", (program, "password")
                        )
                    )
        for option, word in itertools.pairwise(args):
            if option.value in ("-e", "--env"):
                self._assignment(word, found)
        for word in args:
            if word.value.startswith("--env="):
                match = re.match(r"--env=([A-Za-z_][A-Za-z0-9_]*)=", word.value)
                if match and is_secret_name(match.group(1)):
                    found.extend(
                        self._part(
                            word,
                            match.end(),
                            f"{match.group(1)} passed to the container",
                            (match.group(1),),
                            keep_case=True,
                        )
                    )
        return found

    # -- options -------------------------------------------------------------------------------------

    def _short_options(self, program: str, args: list[SpannedWord]) -> list[CommandSecret]:
        options = _PASSWORD_SHORT_OPTIONS.get(program, ())
        attached = _ATTACHED_ONLY.get(program)
        found: list[CommandSecret] = []
        what = lambda option: f"password of {program} ({option})"
        label = (_family(program), _user_option(args), "password")
        for index, word in enumerate(args):
            value = word.value
            for option in options:
                if value == option and index + 1 < len(args):
                    following = args[index + 1]
                    if not following.value.startswith("-"):
                        found.extend(self._whole(following, what(option), label))
                elif value.startswith(option) and len(value) > len(option):
                    found.extend(self._part(word, len(option), what(option), label))
            if attached and value.startswith(attached) and len(value) > len(attached):
                found.extend(self._part(word, len(attached), what(attached), label))
        return found

    def _long_options(self, program: str, args: list[SpannedWord]) -> list[CommandSecret]:
        found: list[CommandSecret] = []
        for index, word in enumerate(args):
            value = word.value
            if not value.startswith("--") or len(value) <= 2:
                continue
            name, equals, _ = value[2:].partition("=")
            normal = name.lower().replace("_", "-")
            if not _is_secret_option(normal):
                continue
            what = f"--{name} of {program}"
            label = (_family(program), _user_option(args), normal.replace("-", "_"))
            if equals:
                found.extend(self._part(word, 2 + len(name) + 1, what, label))
            elif (
                program not in _PASSWORD_IS_A_FLAG
                and index + 1 < len(args)
                and not args[index + 1].value.startswith("-")
            ):
                found.extend(self._whole(args[index + 1], what, label))
        return found

    def _mysql(self, program: str, args: list[SpannedWord]) -> list[CommandSecret]:
        found: list[CommandSecret] = []
        label = ("mysql", _user_option(args), "password")
        for word in args:
            value = word.value
            if value.startswith("-p") and len(value) > 2 and not value.startswith("--"):
                found.extend(self._part(word, 2, f"password of {program} (-p)", label))
        return found

    def _http(self, program: str, args: list[SpannedWord]) -> list[CommandSecret]:
        found: list[CommandSecret] = []
        host = _first_host(args)
        for index, word in enumerate(args):
            value = word.value
            following = args[index + 1] if index + 1 < len(args) else None
            user_word, offset = None, 0
            if program == "curl":
                if value in _CURL_USER_OPTIONS and following is not None:
                    user_word, offset = following, 0
                elif value.startswith(("--user=", "--proxy-user=")):
                    user_word, offset = word, value.index("=") + 1
                elif value[:2] in ("-u", "-U") and len(value) > 2 and not value.startswith("--"):
                    user_word, offset = word, 2
            if user_word is not None:
                credentials = user_word.value[offset:]
                user, colon, _password = credentials.partition(":")
                if colon and not user_word.expands:
                    found.extend(
                        self._part(
                            user_word,
                            offset + len(user) + 1,
                            f"password of {program} -u {user}",
                            (host, user, "password"),
                        )
                    )
            header_word, header_offset = None, 0
            if value in _HEADER_OPTIONS and following is not None:
                header_word = following
            elif value.startswith("--header="):
                header_word, header_offset = word, len("--header=")
            if header_word is not None:
                found.extend(self._header(header_word, header_offset, host))
            if value in _DATA_OPTIONS and following is not None:
                found.extend(self._query(following, 0, host, f"{program} form field"))
        return found

    def _header(self, word: SpannedWord, offset: int, host: str) -> list[CommandSecret]:
        text = word.value[offset:]
        name, colon, rest = text.partition(":")
        if not colon:
            return []
        header = name.strip().lower()
        start = offset + len(name) + 1
        start += len(rest) - len(rest.lstrip())
        rest = rest.strip()
        if header in _CREDENTIAL_HEADERS:
            scheme = _AUTH_SCHEME.match(rest)
            if scheme:
                start += scheme.end()
                rest = rest[scheme.end() :]
        elif not _SECRET_HEADER.search(header):
            return []
        length = len(rest)
        return self._part(word, start, f"{name.strip()} header", (host, header), length=length)

    def _oracle(self, program: str, args: list[SpannedWord]) -> list[CommandSecret]:
        """`sqlplus user/password@db`, `expdp userid=user/password@db`."""
        for word in args:
            value = word.value
            prefix = len("userid=") if value.lower().startswith("userid=") else 0
            match = re.match(r"([A-Za-z0-9_$#]+)/([^@\s/]+)(?:@|$)", value[prefix:])
            if match and not value.startswith("-") and match.group(2) not in ("nolog",):
                user = match.group(1)
                return self._part(
                    word,
                    prefix + match.start(2),
                    f"password of {program} {user}/...",
                    ("oracle", user, "password"),
                    length=len(match.group(2)),
                )
        return []

    def _special(self, program: str, args: list[SpannedWord]) -> list[CommandSecret]:
        found: list[CommandSecret] = []
        for option, word in itertools.pairwise(args):
            value = word.value
            if program == "smbclient" and option.value in ("-U", "--user") and "%" in value:
                user = value.split("%", 1)[0]
                found.extend(
                    self._part(
                        word, len(user) + 1, "password of smbclient -U", ("smb", user, "password")
                    )
                )
            elif program == "lftp" and option.value == "-u" and "," in value:
                user = value.split(",", 1)[0]
                found.extend(
                    self._part(
                        word, len(user) + 1, "password of lftp -u", ("ftp", user, "password")
                    )
                )
            elif program == "openssl" and option.value in ("-pass", "-passin", "-passout", "-k"):
                skip = len("pass:") if value.startswith("pass:") else 0
                if skip or option.value == "-k":
                    found.extend(
                        self._part(
                            word,
                            skip,
                            f"password of openssl {option.value}",
                            ("openssl", "password"),
                        )
                    )
        return found

    def _aws_configure(self, args: list[SpannedWord]) -> list[CommandSecret]:
        values = [w.value for w in args]
        if (
            values[:2] == ["configure", "set"]
            and len(args) >= 4
            and is_secret_name(values[2].split(".")[-1])
        ):
            return self._whole(args[3], f"aws configure {values[2]}", (values[2].split(".")[-1],))
        return []

    def _conninfo(self, program: str, word: SpannedWord) -> list[CommandSecret]:
        """`psql "host=db password=x"`: libpq's keyword=value connection strings."""
        if program not in _PASSWORD_IS_A_FLAG or "password" not in word.value:
            return []
        match = _CONNINFO_PASSWORD.search(word.value)
        if match is None or "=" not in word.value.replace(match.group(0), ""):
            return []
        value = match.group(1)
        start = match.start(1)
        if value.startswith("'"):
            value, start = value[1:-1], start + 1
        return self._part(
            word,
            start,
            f"password in the connection string of {program}",
            ("postgres", "password"),
            length=len(value),
        )

    # -- any word -------------------------------------------------------------------------------------

    def _url_secrets(self, word: SpannedWord) -> list[CommandSecret]:
        found: list[CommandSecret] = []
        value = word.value
        if "://" not in value:
            return found
        for match in _URL_USERINFO.finditer(value):
            scheme, user, _, host = match.groups()
            found.extend(
                self._part(
                    word,
                    match.start(3),
                    f"password in a {scheme} URL",
                    (_host_label(host), user, "password"),
                    length=len(match.group(3)),
                )
            )
        for url in re.finditer(r"(?i)\b[a-z][a-z0-9+.-]*://\S+", value):
            query = url.group(0).partition("?")[2].partition("#")[0]
            if query:
                start = url.start() + url.group(0).index("?") + 1
                host_match = _URL_HOST.match(url.group(0))
                host = _host_label(host_match.group(1)) if host_match else ""
                found.extend(self._query(word, start, host, "URL parameter", text=query))
        return found

    def _query(
        self, word: SpannedWord, start: int, host: str, kind: str, text: str | None = None
    ) -> list[CommandSecret]:
        text = word.value[start:] if text is None else text
        found: list[CommandSecret] = []
        for match in _QUERY_PAIR.finditer(text):
            name, value = match.group(1), match.group(2)
            if name.lower() in _QUERY_SECRETS and value:
                found.extend(
                    self._part(
                        word,
                        start + match.start(2),
                        f"{kind} {name}",
                        (host, name),
                        length=len(value),
                    )
                )
        return found

    def _formats(self, word: SpannedWord) -> list[CommandSecret]:
        found: list[CommandSecret] = []
        for pattern, what, label in _TOKEN_FORMATS:
            for match in pattern.finditer(word.value):
                found.extend(
                    self._part(word, match.start(), what, (label,), length=len(match.group(0)))
                )
        return found

    # -- building results -----------------------------------------------------------------------------

    def _whole(self, word: SpannedWord, what: str, label: tuple[str, ...]) -> list[CommandSecret]:
        return self._part(word, 0, what, label)

    def _part(
        self,
        word: SpannedWord,
        offset: int,
        what: str,
        label: tuple[str, ...],
        length: int | None = None,
        keep_case: bool = False,
    ) -> list[CommandSecret]:
        value = word.value[offset:] if length is None else word.value[offset : offset + length]
        if not _is_literal_value(value) or _expands_within(word, offset, len(value)):
            return []
        span = word.span_of(offset, len(value))
        if span is None:
            start, end, movable = word.start, word.end, False
        else:
            (start, end), movable = span, True
        name = _secret_free_label(label, value, keep_case)
        whole = offset == 0 and len(value) == len(word.value)
        return [CommandSecret(value, start, end, what, name, movable, whole or not movable)]


def _expands_within(word: SpannedWord, offset: int, length: int) -> bool:
    position = 0
    for piece in word.pieces:
        if piece.expands and position < offset + length and offset < position + len(piece.text):
            return True
        position += len(piece.text)
    return False


def _secret_free_label(parts: tuple[str, ...], value: str, keep_case: bool) -> str:
    """A name for the variable from `parts`: words that say where the secret is (a program, an
    account, a host), then what it is (`password`, an option or variable name). A word that would give
    the value away is left out (`mysql -u clientcheck -pclientcheck`); the last word names a kind of
    secret, not this one, and stays."""
    *where, kind = parts

    def gives_away(part: str) -> bool:
        return len(value) >= 3 and value.lower() in part.lower()

    kept = [p for p in where if p and not gives_away(p)]
    if keep_case and not kept and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", kind):
        return kind
    return _clean_label(*kept, kind)


def _is_secret_option(name: str) -> bool:
    if name.endswith(_NOT_SECRET_SUFFIXES) or name.startswith(("no-", "ask-", "prompt-")):
        return False
    return (
        name in _SECRET_OPTION_WORDS
        or name in _SECRET_OPTION_NAMES
        or name.endswith(_SECRET_OPTION_ENDINGS)
    )


def _family(program: str) -> str:
    if program in _MYSQL:
        return "mysql"
    if program in _MONGO:
        return "mongo"
    if program in _PASSWORD_IS_A_FLAG:
        return "postgres"
    return program.replace("-cli", "").replace("-", "_")


def _user_option(args: list[SpannedWord]) -> str:
    """The account a database client logs in as (`-u root`, `-uroot`, `--user=etl`), if written."""
    for option, word in zip(args, [*args[1:], None]):
        value = option.value
        if value in ("-u", "-U", "--user", "--username") and word is not None and not word.expands:
            return word.value
        for prefix in ("--user=", "--username="):
            if value.startswith(prefix):
                return value[len(prefix) :]
        if value[:2] in ("-u", "-U") and len(value) > 2 and not value.startswith("--"):
            return value[2:]
    return ""


def _host_label(host: str) -> str:
    host = host.lower().removeprefix("www.")
    return "" if re.fullmatch(r"[0-9.]+|localhost", host) else host


def _first_host(args: list[SpannedWord]) -> str:
    for word in args:
        match = _URL_HOST.search(word.value)
        if match:
            return _host_label(match.group(1))
    return ""


def _ssh_host(args: list[SpannedWord]) -> str:
    for word in args:
        match = re.fullmatch(
            r"(?:[\w.-]+@)?([A-Za-z][\w.-]*\.[A-Za-z]{2,}|[\w.-]+)(?::.*)?", word.value
        )
        if match and "@" in word.value:
            return _host_label(match.group(1))
    return ""


def secrets_in(command: str, words: list[SpannedWord]) -> list[CommandSecret]:
    """The secrets of one simple command of `command` (its words, with their positions)."""
    return _Reader(command).simple_command(words)
