"""Secrets written in text: known key formats, credentials in URLs, passwords on command lines.

Pure: text in, where each secret is out. The linter (OPS004) reports them in DAG code; anything that
copies a command somewhere (generated code, a name) can use the same function to keep them out.

A value the shell or a template fills in at run time is not a secret written in the text: `$VAR`,
`${VAR}`, `$(cat file)`, a backtick, `{{ conn.db.password }}`, `%(password)s`, an empty value, a
placeholder (`<password>`, `***`, `xxx`, `...`) or an environment variable's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEY_PATTERNS = (
    (re.compile(r"(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"gh[pousr]_[A-Za-z0-9]{36,}\b"), "a GitHub token"),
    (re.compile(r"xox[abprs]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"), "a private key"),
    (re.compile(r"AIza[0-9A-Za-z_\-]{35}\b"), "a Google API key"),
    (re.compile(r"sk_live_[0-9a-zA-Z]{24,}\b"), "a Stripe secret key"),
)
URL_CREDENTIALS = re.compile(r"://(?P<user>[^:/@\s{}]+):(?P<password>[^@/\s]+)@")
# A password given on a command line, the group holding it. Each pattern starts with a literal, which
# lets the regex engine skip to its occurrences instead of trying every position of a file.
COMMAND_PASSWORDS = (
    re.compile(r"mysql(?:dump|admin|import|check|show)?\b[^|;&\n]*?\s-p['\"]?(?P<value>[^\s'\"]+)"),
    re.compile(r"--(?:http-|ftp-)?password[= ]['\"]?(?P<value>[^\s'\"]+)"),
    re.compile(r"(?:PGPASSWORD|MYSQL_PWD|SSHPASS)=['\"]?(?P<value>[^\s'\"]+)"),
    re.compile(r"sshpass\s+-p\s*['\"]?(?P<value>[^\s'\"]+)"),
    # curl/lftp `-u user:password` (`-u user` alone prompts for the password)
    re.compile(r"(?:curl|lftp)\b[^|;&\n]*?\s(?:-u|--user)(?:\s+|=)?['\"]?[^\s:'\",]+[:,](?P<value>[^\s'\"]+)"),
)
# the words at least one of which every secret above contains (lower case): a cheap pre-check
HINTS = ("pass", "pwd", "akia", "asia", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "xox", "private key", "aiza",
         "sk_live", "mysql", "://", "curl", "lftp")

PLACEHOLDER = re.compile(r"^\s*$|\{\{|\$\{|^\$\w+$|^<.*>$|^\*+$|^x+$|^\.\.\.$|^%\(.*\)s$|^\{.*\}$", re.IGNORECASE)
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True)
class Secret:
    what: str  # "an AWS access key id", "a password in a connection URL", ...
    start: int  # offsets in the text of the secret itself
    end: int


# values everyone knows, as in `sqs://user:pass@localhost`: examples and local defaults, not secrets
WELL_KNOWN = frozenset({
    "pass", "password", "passwd", "secret", "changeme", "change_me", "example", "dummy", "placeholder",
    "test", "testing", "true", "false", "none", "null", "yes", "no", "admin", "guest", "user", "xxxx",
})


def is_secret_value(value: str) -> bool:
    """A literal that could be a secret: not empty, a placeholder, a template, a variable's name or a
    value everyone knows."""
    return (
        not PLACEHOLDER.search(value)
        and not ENV_NAME.match(value)
        and len(value) >= 4
        and value.lower() not in WELL_KNOWN
    )


def _literal_in_command(value: str) -> bool:
    """A value the shell takes as written: not `$VAR`, `$(...)`, a backtick or a template."""
    return not value.startswith(("$", "`", "{", "%", "<")) and is_secret_value(value)


def find_secrets(text: str) -> list[Secret]:
    """Every secret written in `text`, in order."""
    lowered = text.lower()
    if not any(hint in lowered for hint in HINTS):
        return []
    found: list[Secret] = []
    for pattern, what in KEY_PATTERNS:
        for match in pattern.finditer(text):
            found.append(Secret(what, match.start(), match.end()))
    for match in URL_CREDENTIALS.finditer(text):
        if is_secret_value(match.group("password")):
            found.append(Secret("a password in a URL", *match.span("password")))
    for pattern in COMMAND_PASSWORDS:
        for match in pattern.finditer(text):
            if _literal_in_command(match.group("value")):
                found.append(Secret("a password written in a command line", *match.span("value")))
    found.sort(key=lambda secret: secret.start)
    return found
