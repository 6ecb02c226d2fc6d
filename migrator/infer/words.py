"""Words in job names and comments: splitting, a light stemmer, and the vocabularies that weigh them.

Name evidence compares the *things* two jobs talk about (`api`, `orders`, `warehouse`), not the verbs
they do it with (`ingest`, `load`) nor filler (`from`, `data`, `daily`). The stemmer only has to make
`ingestion`/`ingest`, `loaded`/`load`, `orders`/`order` meet; it is applied to both sides of every
comparison, so it need not produce real words.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from functools import lru_cache


def wordset(text: str) -> frozenset[str]:
    """The blank-separated words of `text`: vocabularies stay readable as paragraphs."""
    return frozenset(text.split())


# programs that run SQL; here rather than in `facts` so that the linter's retry rule can read it
# without importing the whole of inference's evidence machinery
SQL_CLIENTS = wordset("""
        psql mysql mariadb sqlite3 sqlite duckdb clickhouse-client clickhouse bq snowsql
        hive beeline spark-sql impala-shell sqlcmd vsql trino presto cqlsh redshift
        mssql-cli pgcli mycli
    """)


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^A-Za-z0-9]+")

# Filler in script names and comments: never evidence on its own.
STOPWORDS: frozenset[str] = wordset("""
        a an and or the of for from to into in on at by with via per as is are be was
        were been it its this that then than these those not no all any each every new
        old my our your their we you i data dataset file files job jobs task tasks
        script scripts run runs runner running main cron crontab cronjob daily nightly
        hourly weekly monthly yearly night day days week month year hour hours minute
        minutes am pm midnight noon morning evening today yesterday tomorrow time times
        etl pipeline step steps stage stages py sh bash python python3 pl rb js r jar
        sql exe bin usr opt local home var srv app apps lib tmp temp v1 v2 v3 prod
        production dev test wrapper util utils tool tools do does done finish finished
        complete completed assume assumes assumed by then should must will can may need
        needs ready start starts started begin end ok also only just here there so up
        out off over
    """)

# What a job does rather than what it works on: shared verbs do not make two jobs related
# (two `ingest_*` jobs are usually siblings), but a comment may name a job by its verb.
VERBS: frozenset[str] = wordset("""
        ingest extract fetch pull download import get grab scrape crawl collect receive
        poll sync mirror transform clean cleanse normalize normalise enrich validate
        dedupe dedup deduplicate parse convert prepare preprocess process format filter
        map reduce combine merge join aggregate agg summarize summarise rollup roll
        compute calc calculate build generate make create compile render derive train
        predict reindex load upload push publish export send deliver ship write store
        save put insert update upsert refresh rebuild recompute populate materialize
        materialise copy move transfer dump restore emit post notify email mail alert
        check verify audit reconcile
    """)

# Where a verb usually sits in a batch pipeline: fetch (0) < clean (1) < combine (2) < deliver (3).
# Only used to orient weak evidence (two scripts in one directory), never on its own.
_STAGES: dict[int, str] = {
    0: """ingest extract fetch pull download import get grab scrape crawl collect receive poll sync mirror
       dump snapshot""",
    1: """clean cleanse normalize normalise validate dedupe dedup deduplicate parse convert prepare
       preprocess process format filter map enrich transform check verify""",
    2: """combine merge join aggregate agg summarize summarise rollup roll compute calc calculate build
       generate make create compile render derive score train predict reindex refresh rebuild recompute
       populate materialize materialise reconcile audit""",
    3: """load upload push publish export send deliver ship write store save insert upsert update post
       notify email mail alert report copy move transfer emit""",
}

# Verbs of jobs that end a chain: what they emit leaves the system, so their names pass nothing on.
SINK_VERBS: frozenset[str] = wordset("""
        notify email mail alert send post deliver
    """)

_SUFFIXES: tuple[str, ...] = (
    "izations",
    "ization",
    "isations",
    "isation",
    "ations",
    "ation",
    "ings",
    "ing",
    "ions",
    "ion",
    "ies",
    "ied",
    "ers",
    "er",
    "es",
    "ed",
    "s",
    "e",
    "y",
)


@lru_cache(maxsize=262144)
def stem(word: str) -> str:
    """Strip one common English suffix, keeping at least three letters."""
    word = word.lower()
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                base += "i"
            # a doubled final consonant comes from the suffix: `mapped` -> `map`
            if len(base) > 3 and base[-1] == base[-2] and base[-1] not in "aeiousl":
                base = base[:-1]
            return base
    return word


def split_words(text: str) -> list[str]:
    """`ingestFromRESTApi-v2.py` -> ["ingest", "from", "rest", "api", "v2", "py"] (lowercase)."""
    return list(_split_words(text))


@lru_cache(maxsize=262144)
def _split_words(text: str) -> tuple[str, ...]:
    words: list[str] = []
    for chunk in _NON_WORD.split(text):
        if not chunk:
            continue
        for part in _CAMEL.split(chunk):
            if part:
                words.append(part.lower())
    return tuple(words)


def is_noise(word: str) -> bool:
    """Words that carry no meaning for matching: filler, numbers, single letters, hex-like ids."""
    if len(word) < 2 or word.isdigit() or word in STOPWORDS:
        return True
    # ids: `3f0c9a52`, `8c77` (hex with a digit), or long hex words
    hexlike = all(c in "0123456789abcdef" for c in word)
    return hexlike and (len(word) >= 8 or (len(word) >= 4 and any(c.isdigit() for c in word)))


def meaningful_stems(text: str) -> tuple[str, ...]:
    """The stems of the non-noise words of `text`, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in split_words(text):
        if not is_noise(word):
            seen.setdefault(stem(word), None)
    return tuple(seen)


# Objects nearly every job of an application works on: sharing one says nothing about data flow
GENERIC_OBJECTS: frozenset[str] = wordset("""
        user users list lists lister cli executor executors lookup lookups
        item items record records entry entries queue queues cache caches stat stats status
        info message messages email emails mail mails alert alerts notification notifications
        page pages log logs event events index indexes session sessions token tokens
        config settings setting command commands worker workers server servers service
        services system table tables count counts total totals
    """)

# Verbs of jobs whose arguments are likely the files they make (`export_ledger.sh /x/ledger.csv`)
FILE_MAKING_VERBS: frozenset[str] = wordset("""
        extract fetch pull download scrape crawl collect dump export generate build make
        create render compute write save
    """)

# Verbs of jobs that look at data without making any: never a step of a named pipeline
CHECKING_VERBS: frozenset[str] = wordset("""
        check verify audit validate reconcile monitor watch
    """)

VERB_STEMS: frozenset[str] = frozenset(stem(v) for v in VERBS)
CHECKING_STEMS: frozenset[str] = frozenset(stem(v) for v in CHECKING_VERBS)
FILE_MAKING_STEMS: frozenset[str] = frozenset(stem(v) for v in FILE_MAKING_VERBS)
STAGE_OF: dict[str, int] = {stem(v): k for k, words in _STAGES.items() for v in words.split()}
SINK_STEMS: frozenset[str] = frozenset(stem(v) for v in SINK_VERBS)
STOP_STEMS: frozenset[str] = frozenset(stem(w) for w in STOPWORDS)
GENERIC_OBJECT_STEMS: frozenset[str] = frozenset(stem(w) for w in GENERIC_OBJECTS)


def identifier(text: str, *, fallback: str = "task") -> str:
    """A readable, valid Python identifier (lowercase snake case) for `text`."""
    if not text.isascii():  # `ingérer_ventes.py` -> `ingerer_ventes`, not `ing_rer_ventes`
        text = "".join(
            c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
        )
    name = "_".join(split_words(text))
    if not name:
        name = fallback
    if not name:
        return name
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        name += "_"
    return name
