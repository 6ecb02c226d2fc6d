"""Secrets written in a command line: where each program takes one (`find_command_secrets`).

The command is read as the shell splits it, and each rule knows one program's options (`mysql -p`,
`curl -u`, `sshpass -p`, `redis-cli -a`, ...) or one written form any program may hold
(`user:password@` in a URL, a token header, `?token=`, an assignment to a secret-named variable, a
provider's documented token format). So `mysql -pS3cret` is a password and `mkdir -p`, `ssh -p 22` or
`psql -p 5432` are not. Precision comes first: a value that is only a reference (`$DB_PASSWORD`, a
`$(...)` substitution), a placeholder (`-p` alone prompts, `***`) or a file (`--password-file=...`)
is not a secret in the command. Each secret gets a label for the variable it moves to, made of words
that say where it was used, never of it.

Pure: `migrate` uses it on crontab commands, the linter (`OPS004`) on the strings of DAG files.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from migrator.secrets.formats import HINTS as TOKEN_HINTS
from migrator.secrets.formats import TOKEN_FORMATS
from migrator.secrets.values import is_placeholder, is_secret_name
from migrator.shellsyntax import SpannedWord, spanned_commands


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
    # how it is written: "url" (`user:password@` or `?token=` in a URL), "token" (a provider's token
    # format, `TOKEN_FORMATS`), "command" (given to a program: an option, a header, a variable)
    written_as: str = "command"


# -- values ---------------------------------------------------------------------------------------


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
_TOKEN_HINT = re.compile("|".join(re.escape(hint) for hint in TOKEN_HINTS))
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
# options whose value is a command line of its own (`run_task.py --command 'users create ...'`):
# what that command line holds is written in this one too
_COMMAND_OPTIONS = frozenset({"--command", "--cmd", "--bash-command", "--exec"})


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
        for option, word in itertools.pairwise(args):
            if option.value in _COMMAND_OPTIONS:
                found.extend(self._inner(word))
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
                    written_as="url",
                )
            )
        for url in re.finditer(r"(?i)\b[a-z][a-z0-9+.-]*://\S+", value):
            query = url.group(0).partition("?")[2].partition("#")[0]
            if query:
                start = url.start() + url.group(0).index("?") + 1
                host_match = _URL_HOST.match(url.group(0))
                host = _host_label(host_match.group(1)) if host_match else ""
                found.extend(
                    self._query(word, start, host, "URL parameter", text=query, written_as="url")
                )
        return found

    def _query(
        self,
        word: SpannedWord,
        start: int,
        host: str,
        kind: str,
        text: str | None = None,
        written_as: str = "command",
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
                        written_as=written_as,
                    )
                )
        return found

    def _formats(self, word: SpannedWord) -> list[CommandSecret]:
        found: list[CommandSecret] = []
        value = word.value
        if _TOKEN_HINT.search(value) is None:
            return found
        for token in TOKEN_FORMATS:
            if not any(hint in value for hint in token.hints):
                continue
            for match in token.pattern.finditer(value):
                found.extend(
                    self._part(
                        word,
                        match.start(),
                        token.what,
                        (token.label,),
                        length=len(match.group(0)),
                        written_as="token",
                    )
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
        written_as: str = "command",
    ) -> list[CommandSecret]:
        value = word.value[offset:] if length is None else word.value[offset : offset + length]
        if is_placeholder(value) or _expands_within(word, offset, len(value)):
            return []
        span = word.span_of(offset, len(value))
        if span is None:
            start, end, movable = word.start, word.end, False
        else:
            (start, end), movable = span, True
        name = _secret_free_label(label, value, keep_case)
        whole = offset == 0 and len(value) == len(word.value)
        return [
            CommandSecret(value, start, end, what, name, movable, whole or not movable, written_as)
        ]


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


@lru_cache(maxsize=4096)
def find_command_secrets(command: str) -> tuple[CommandSecret, ...]:
    """The secrets written in `command` (a shell command line), in the order they appear."""
    found: dict[tuple[int, int], CommandSecret] = {}
    reader = _Reader(command)
    for simple in spanned_commands(command):
        for secret in reader.simple_command(list(simple.words)):
            found.setdefault((secret.start, secret.end), secret)
    return tuple(sorted(found.values(), key=lambda s: s.start))


# -- a cheap test first -----------------------------------------------------------------------------

# programs that take a secret in their own way (wrappers and shells only run one of these)
_PROGRAMS = (
    frozenset(_PASSWORD_SHORT_OPTIONS)
    | frozenset(_ATTACHED_ONLY)
    | _MYSQL
    | _ORACLE
    | frozenset(
        {"curl", "wget", "http", "https", "docker", "podman", "smbclient", "lftp", "openssl", "aws"}
    )
)
# what every other rule needs written: a secret-named variable or option (`is_secret_name`,
# `_is_secret_option`), a query parameter or header naming one, or a URL. `key` and `auth`, frequent
# in code, count in a name before `=` (`API_KEY=`, `?key=`) or in an option's name (`--api-key`).
_WORDS = ("pass", "pw", "token", "secret", "credential", "bearer", "://")
_KEY_OR_AUTH = re.compile(r"(?:key|auth)[a-z0-9_]*=|api-?key|access-key")
_NOT_IN_A_NAME = re.compile(r"[^a-z0-9_-]+")


def could_hold_secret(text: str) -> bool:
    """False when `find_command_secrets(text)` is sure to find nothing: a test at C speed, so that
    a linter can leave most strings of a file unread."""
    if any(hint in text for hint in TOKEN_HINTS):
        return True
    lowered = text.lower()
    if any(word in lowered for word in _WORDS) or _KEY_OR_AUTH.search(lowered):
        return True
    return not _PROGRAMS.isdisjoint(_NOT_IN_A_NAME.split(lowered))


# What a line holding a secret contains: a word above, a token format's hint, an option (a program
# takes its secret after one) or an Oracle program (`sqlplus scott/tiger@db`): one `str.find` per
# word over a whole file, each hit confirmed where the word alone is frequent in code. Two
# narrowings keep the linter fast on real files at a small cost in recall: a URL counts when it
# has credentials or a query, and a variable named for a key or `auth` when written in capitals
# (`API_KEY=...`, as shell variables are), since `s3_key=` and `key=` are everywhere in Python.
_LINE_WORDS: tuple[tuple[str, re.Pattern[str] | None], ...] = (
    *((word, None) for word in _WORDS if word != "://"),
    *(
        (word, None)
        for word in ("apikey", "api_key", "api-key", "accesskey", "access_key", "access-key")
    ),
    *((word, None) for word in ("privatekey", "private_key", "userid")),
    ("://", re.compile(r"://[^\s'\"]*[@?]")),
    (" -", re.compile(r" --?[a-z0-9]")),
    ("\t-", re.compile(r"\t--?[a-z0-9]")),
    *(
        (program, re.compile(rf"{program}(?![a-z0-9_-])"))
        for program in ("sqlplus", "sqlldr", "rman")
    ),
)
_WORDS_AS_WRITTEN: tuple[tuple[str, re.Pattern[str] | None], ...] = (
    *((hint, None) for hint in TOKEN_HINTS),
    ("KEY", re.compile(r"KEY[A-Z0-9_]*=")),
    ("AUTH", re.compile(r"AUTH[A-Z0-9_]*=")),
)


def hint_offsets(source: str) -> Iterator[int]:
    """Offsets in `source` (a whole file) of what a line holding a secret contains, at most one per
    line and word, so that a linter reads only those lines' strings."""
    yield from _offsets(source.lower(), _LINE_WORDS)
    yield from _offsets(source, _WORDS_AS_WRITTEN)


def _offsets(text: str, words: Iterable[tuple[str, re.Pattern[str] | None]]) -> Iterator[int]:
    for word, confirm in words:
        position = text.find(word)
        while position != -1:
            if confirm is None or confirm.match(text, position):
                yield position
                position = text.find("\n", position)  # the rest of the line adds nothing
                if position == -1:
                    break
            position = text.find(word, position + 1)
