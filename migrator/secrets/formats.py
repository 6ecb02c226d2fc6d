"""Secrets recognised by their shape, wherever they are written: the documented formats of providers'
keys and tokens (an AWS access key id, a GitHub or Slack token, a private key block, ...).

One table serves everyone: the command-line detector looks for them in each word of a command
(`migrate` moves what it finds into a Variable), and the linter in every string of a DAG file
(`OPS004`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class TokenFormat:
    pattern: re.Pattern[str]
    what: str  # for people: "AWS access key id"
    label: str  # a name for the variable it moves to
    # text every match contains (the patterns are case-sensitive): a text holding none of it holds
    # no such token
    hints: tuple[str, ...]


TOKEN_FORMATS: tuple[TokenFormat, ...] = (
    TokenFormat(
        re.compile(
            r"(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}(?![A-Z0-9])"
        ),
        "AWS access key id",
        "aws_access_key_id",
        ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA"),
    ),
    TokenFormat(
        re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b"),
        "GitHub token",
        "github_token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    ),
    TokenFormat(
        re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b"),
        "GitHub token",
        "github_token",
        ("github_pat_",),
    ),
    TokenFormat(
        re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"), "GitLab token", "gitlab_token", ("glpat-",)
    ),
    TokenFormat(
        re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"), "Slack token", "slack_token", ("xox",)
    ),
    TokenFormat(
        re.compile(r"(?<=hooks\.slack\.com/services/)T[A-Za-z0-9]+/B[A-Za-z0-9]+/[A-Za-z0-9]+"),
        "Slack webhook key",
        "slack_webhook",
        ("hooks.slack.com",),
    ),
    TokenFormat(
        re.compile(
            r"(?:(?<=discord\.com/api/webhooks/)|(?<=discordapp\.com/api/webhooks/))\d+/[\w-]+"
        ),
        "Discord webhook key",
        "discord_webhook",
        ("/api/webhooks/",),
    ),
    TokenFormat(
        re.compile(r"(?<=api\.telegram\.org/bot)\d{6,}:[A-Za-z0-9_-]{30,}"),
        "Telegram bot token",
        "telegram_bot_token",
        ("api.telegram.org",),
    ),
    TokenFormat(
        re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), "Google API key", "google_api_key", ("AIza",)
    ),
    TokenFormat(
        re.compile(r"\b[rs]k_(?:live|test)_[0-9A-Za-z]{16,}\b"),
        "Stripe key",
        "stripe_key",
        ("k_live_", "k_test_"),
    ),
    TokenFormat(
        re.compile(r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"),
        "SendGrid key",
        "sendgrid_key",
        ("SG.",),
    ),
    TokenFormat(re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), "npm token", "npm_token", ("npm_",)),
    TokenFormat(
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
        "JSON web token",
        "jwt",
        ("eyJ",),
    ),
    # the block when it is whole, its first line otherwise (a key cut short is still a key)
    TokenFormat(
        re.compile(
            r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----(?:[A-Za-z0-9+/=:,\-\s\\n]*?-----END \1PRIVATE KEY-----)?"
        ),
        "private key",
        "private_key",
        ("PRIVATE KEY-----",),
    ),
)

HINTS: tuple[str, ...] = tuple(hint for token in TOKEN_FORMATS for hint in token.hints)


@dataclass(frozen=True)
class FoundToken:
    start: int
    end: int
    format: TokenFormat


def find_tokens(text: str) -> list[FoundToken]:
    """Every token of a known format in `text`, in order."""
    found = [
        FoundToken(match.start(), match.end(), token)
        for token in TOKEN_FORMATS
        if any(hint in text for hint in token.hints)
        for match in token.pattern.finditer(text)
    ]
    return sorted(found, key=lambda token: token.start)
