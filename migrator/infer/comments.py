"""What a comment above a cron entry says about other jobs.

"# combine API and database data -- 2 AM (assumes transform is done)" names the `transform` job; the
words that describe the entry itself (`combine`, `api`, `database`) are not references. A cue such as
"assumes", "after", "needs" makes a reference a stated dependency; "before" turns it around;
"independent" or "standalone" says the job has no upstream at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from migrator.infer.words import STOP_STEMS, split_words, stem, wordset

_CUES = re.compile(
    r"\b(after|assum\w*|once(?! (?:a|an|per|every|or|more|again|daily|weekly|monthly)\b)|needs?|"
    r"requir\w*|wait\w*|depend\w*|follow\w*|uses?|using|reads?|"
    r"consum\w*|input|output of|results? of|when|until|relies|rely|prerequisite|upstream|"
    r"downstream of|fed by|feeds? from|picks? up|ready)\b",
    re.IGNORECASE,
)
_BEFORE = re.compile(
    r"\b(before|ahead of|prior to|feeds?|upstream of|in time for)\b", re.IGNORECASE
)
_INDEPENDENT = re.compile(
    r"\b(independent\w*|unrelated|standalone|stand-alone|no dependenc\w*|not depend\w*|"
    r"does ?n[o']t (?:need|depend)|on its own|self-contained|not part of|keep (?:it |this )?separate|"
    r"runs? separately|separate from)\b",
    re.IGNORECASE,
)
_CLOCK = re.compile(
    r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?\b|\b(\d{1,2}):(\d{2})\b", re.IGNORECASE
)
_PATHISH = re.compile(r"(?:[A-Za-z][\w+.-]*://\S+|(?<![\w/])/[\w.{}*$-]+(?:/[\w.{}*$-]+)+)")


@dataclass(frozen=True, slots=True)
class CommentClues:
    stems: frozenset[str]  # meaningful word stems, excluding the job's own name words
    phrases: frozenset[str]  # whole identifiers written in the comment (`transform_api_data`)
    cue: bool  # states a dependency ("assumes", "after", ...)
    before: bool  # points forward ("before load", "feeds transform")
    # where each stem first appears and where "before"/"feeds" does: "X before Y" makes X upstream
    at: dict[str, int]
    before_at: int | None
    independent: bool  # says the job stands alone
    clocks: frozenset[int]  # local minutes of day mentioned ("after the 1 AM job")
    paths: tuple[str, ...]  # paths and URLs mentioned
    # stems and phrases the order words govern: written shortly after "after", "needs", "before"
    # in the same sentence ("assumes ingestion is done", not "do not block to wait. ... stats")
    stated: frozenset[str] = frozenset()

    def points_forward(self, key: str) -> bool:
        """`key` (a stem or phrase) is written after "before"/"feeds": that job comes later."""
        return self.before_at is not None and self.at.get(key, -1) > self.before_at


EMPTY = CommentClues(frozenset(), frozenset(), False, False, {}, None, False, frozenset(), ())


def read_comment(text: str, own: frozenset[str]) -> CommentClues:
    """What the comment says about other jobs; `own` are the commented job's own name words."""
    if not text.strip():
        return EMPTY
    words = split_words(text)
    stems = frozenset(
        s
        for w in words
        if len(w) > 1 and not w.isdigit()
        for s in [stem(w)]
        if s not in STOP_STEMS and w not in _COMMENT_FILLER and s not in own
    )
    phrases = frozenset(
        token.lower().rsplit(".", 1)[0] if token.count(".") == 1 else token.lower()
        for token in re.findall(r"[A-Za-z][\w.-]*_[\w.-]+", text)
    )
    clocks = set()
    for match in _CLOCK.finditer(text):
        if match.group(1):
            hour = int(match.group(1)) % 12 + (12 if match.group(3).lower() == "p" else 0)
            minute = int(match.group(2) or 0)
        else:
            hour, minute = int(match.group(4)), int(match.group(5))
        if hour < 24 and minute < 60:
            clocks.add(hour * 60 + minute)
    if re.search(r"\bmidnight\b", text, re.IGNORECASE):
        clocks.add(0)
    at: dict[str, int] = {}
    for match in re.finditer(r"[A-Za-z][A-Za-z0-9]*", text):
        for word in split_words(match.group(0)):
            at.setdefault(stem(word), match.start())
    for match in re.finditer(r"[A-Za-z][\w.-]*_[\w.-]+", text):
        at.setdefault(
            match.group(0).lower().rsplit(".", 1)[0]
            if match.group(0).count(".") == 1
            else match.group(0).lower(),
            match.start(),
        )
    before = _BEFORE.search(text)
    stated = _governed(text, stems | phrases)
    return CommentClues(
        stems=stems,
        phrases=phrases,
        cue=bool(_CUES.search(text)),
        before=bool(before),
        at=at,
        before_at=before.start() if before else None,
        independent=bool(_INDEPENDENT.search(text)),
        clocks=frozenset(clocks),
        paths=tuple(m.group(0).rstrip(".,;:)") for m in _PATHISH.finditer(text)),
        stated=stated,
    )


_CLAUSE_END = re.compile(r"[.;!?](?:\s|$)|\s--?\s|\s[-\u2013\u2014]\s")
_GOVERNED_WORDS = 8  # how far an order word reaches: "after the 00:30 conversion and the load"


def _governed(text: str, keys: frozenset[str]) -> frozenset[str]:
    """The keys (stems, phrases) within a few words after an order word, in the same clause."""
    found: set[str] = set()
    for clause in _CLAUSE_END.split(text):
        cues = [m.end() for m in _CUES.finditer(clause)] + [
            m.end() for m in _BEFORE.finditer(clause)
        ]
        if not cues:
            continue
        tokens = [(m.start(), m.group(0)) for m in re.finditer(r"[A-Za-z0-9][\w.-]*", clause)]
        for cue in cues:
            after = [word for start, word in tokens if start >= cue][:_GOVERNED_WORDS]
            for word in after:
                lowered = word.lower()
                candidates = {lowered, lowered.rsplit(".", 1)[0]}
                candidates.update(stem(w) for w in split_words(word))
                found.update(candidates & keys)
    return frozenset(found)


_COMMENT_FILLER = wordset("""
        is are was be been being has have had it its this that these those done finish
        finished ready complete completed run runs ran running job jobs step steps task
        tasks script so by then when after before once needs need requires require wait
        waits depends depend assumes assume using uses use reads read first next last
        previous later earlier every each night nights morning evening output outputs
        input inputs result results file files table tables at in on of for to from and
        or not no yes ok make sure should must will can may might until while also note
        todo fixme see time times
    """)
