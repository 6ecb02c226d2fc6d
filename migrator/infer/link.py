"""From jobs to scored links: candidates by calendar, evidence by index, the latest producer wins.

The rules, all general:

- A job can only depend on jobs of its own calendar that fire before it in the same cycle
  (`calendar.forward`); anything else with evidence becomes a cross-DAG link.
- Precision first: a link is an edge only on evidence that data or state flows (`Evidence.flow`):
  a file, directory, glob, table or URL one job writes and the other uses (also as the scripts they
  run say), a lock the later job waits for, a comment whose order words govern the other job's name,
  a stage sequence of one named pipeline (`_apply_stages`). Shared words and time proximity make
  suggestions, shown and never applied; time alone is not even that, except as `_fallback`.
- Of several earlier jobs carrying the same evidence (three jobs mention `api`), the consumer links
  to the *latest*: the earlier ones reach it through that one.
- A comment reference that fits several jobs ("assumes ingestion is done": two ingest jobs) goes to
  those flow evidence already relates to the commenting job; else it is a suggestion for each.
- Candidates are found through inverted indexes (word, artifact, lock, directory), never by
  comparing all pairs, so inference stays linear in practice.
"""

from __future__ import annotations

import fnmatch
import itertools
import posixpath
import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from migrator.infer.calendar import Timing, forward, positions
from migrator.infer.comments import CommentClues, read_comment
from migrator.infer.facts import MENTION, READ, WRITE, Artifact, is_data_file
from migrator.infer.jobs import Job
from migrator.infer.model import Evidence
from migrator.infer.shell import DATE_PLACEHOLDER, SUBST_PLACEHOLDER
from migrator.infer.words import (
    CHECKING_STEMS,
    FILE_MAKING_STEMS,
    GENERIC_OBJECT_STEMS,
    STAGE_OF,
    VERB_STEMS,
    split_words,
    stem,
)

THRESHOLD = 0.5  # an edge needs at least this confidence, and evidence of flow (Evidence.flow)
SUGGESTION_THRESHOLD = 0.35  # a weaker link below this is not even worth suggesting
REVIEW = 0.7  # below this an edge is marked for review
MAX_WORD_JOBS = 50  # a word in more jobs than this says nothing
MAX_NEAREST = 8  # more jobs than this at the nearest earlier time: time proximity says nothing

# (producer role, consumer role) -> weight
_FLOW_WEIGHTS: dict[tuple[str, str], float] = {
    (WRITE, READ): 0.9,
    (WRITE, MENTION): 0.8,
    (MENTION, READ): 0.6,
    (MENTION, MENTION): 0.5,
}
_PATTERN_PENALTY = 0.1
_LOCK_WEIGHT = 0.6
_STATED_WEIGHT = 0.75  # a comment reference to one job (see _comment_relations) with a cue
_CROSS_NAME_WEIGHT = 0.45


def combine(evidence: Iterable[Evidence]) -> float:
    """Independent reasons: 1 - prod(1 - w) over positive weights; negative ones scale it down.

    The words two names share are one reason, not one per word (`example_admin_ad_insights_sync` and
    `example_admin_ad_insights_check` share four words and nothing else): only the strongest counts."""
    keep = 1.0
    scale = 1.0
    evidence = list(evidence)
    words = [item for item in evidence if item.shared_word]
    strongest_word = max(words, key=lambda item: item.weight) if words else None
    for item in evidence:
        if item.shared_word and item is not strongest_word:
            continue
        weight = item.weight
        if weight > 0:
            keep *= 0.0 if weight >= 1.0 else 1.0 - weight  # only a user's pin is certain
        elif weight < 0:
            scale *= 0.0 if weight < -1.0 else 1.0 + weight
    return round((1.0 - keep) * scale, 4)


def name_weight(jobs_with_word: int) -> float:
    if jobs_with_word <= 3:
        return 0.6
    if jobs_with_word <= 6:
        return 0.5
    if jobs_with_word <= 12:
        return 0.4
    return 0.25


@dataclass
class Inference:
    """Scored links between job indexes, before overrides and transitive reduction."""

    links: dict[tuple[int, int], list[Evidence]]
    cross: dict[tuple[int, int], list[Evidence]]
    positions: dict[int, int]  # job index -> minutes after the start of its cycle
    unlinked: dict[int, str]  # job index -> why it was left without any link
    rejected: dict[tuple[int, int], list[Evidence]] = field(default_factory=dict)  # below threshold
    # (line, message): data flows between jobs of one calendar that cron cannot order
    notes: list[tuple[int, str]] = field(default_factory=list)
    # links on weak evidence only (shared words, time proximity), same calendar or not: shown to
    # the user, applied only when pinned in the overrides file
    suggestions: dict[tuple[int, int], list[Evidence]] = field(default_factory=dict)

    def confidence(self, pair: tuple[int, int]) -> float:
        return combine(self.links.get(pair) or self.cross.get(pair) or [])


@dataclass(frozen=True)
class _Relation:
    """Evidence between two jobs before their order is known."""

    producer: int
    consumer: int
    weight: float
    kind: str
    detail: str
    directional: bool  # False: who produces is decided by time order
    group: tuple[object, ...]  # consumer-side slot for "latest producer" selection
    producer_writes: bool = False  # the producer is known to write it (beats mere mentions)
    reverse: bool = False  # a comment saying the commenting job comes first ("before load")
    flow: bool = False  # data or state flows (see Evidence.flow); a lock decides it once ordered
    # both jobs name this very data file, neither is known to write it: a flow when the earlier
    # job's verb makes files (`export_ledger.sh /x/ledger.csv`), decided once they are ordered
    named_file: bool = False
    named_exactly: bool = False  # a comment wrote the job's own name (`transform_api_data`)
    source: str | None = None  # `script:LINE` when a script the job runs says so


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(x, x) != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def infer_links(jobs: list[Job]) -> Inference:
    return _Linker(jobs).run()


class _Linker:
    def __init__(self, jobs: list[Job]):
        self.jobs = {job.index: job for job in jobs}
        # jobs that shared words and time proximity may link (not housekeeping, not pollers)
        self.linkable = [job for job in jobs if job.linkable]
        # every scheduled job: data flow, a lock or a comment links any of them (what the file's
        # author wrote, and what a job writes, outrank the class its name suggests)
        self.flowing = [job for job in jobs if job.schedulable]
        self.clues: dict[int, CommentClues] = {
            job.index: read_comment(job.comment, job.references) for job in self.flowing
        }
        self.entity_jobs: dict[str, list[int]] = defaultdict(list)
        self.reference_jobs: dict[str, list[int]] = defaultdict(list)
        self.phrase_jobs: dict[str, list[int]] = defaultdict(list)
        self.directory_jobs: dict[str, list[int]] = defaultdict(list)
        for job in self.linkable:
            for word in job.entities:
                if word not in GENERIC_OBJECT_STEMS:
                    self.entity_jobs[word].append(job.index)
            if job.directory:
                self.directory_jobs[job.directory].append(job.index)
        # a word most jobs of the file share (`spark` in `manage.py spark request_*`) names the
        # tool, not what a job works on
        common = max(4, len(self.linkable) // 3)
        for word in [w for w, bearers in self.entity_jobs.items() if len(bearers) > common]:
            del self.entity_jobs[word]
        for job in self.flowing:
            for word in job.references:
                self.reference_jobs[word].append(job.index)
            for phrase in {job.task_id, job.facts.name, _script_stem(job.facts.name_source)}:
                if phrase and "_" in phrase:
                    self.phrase_jobs[phrase.lower()].append(job.index)
        self.position: dict[int, int] = {}
        self.component: dict[int, int] = {}
        # pairs with any evidence at all, whatever their order
        self.related: set[frozenset[int]] = set()
        # pairs with evidence of data or state flow, whatever their order (to settle ambiguous
        # comments: "after the import" means the import this job reads from)
        self.flow_related: set[frozenset[int]] = set()
        # (producer, consumer) pairs of known data flow, whatever their order in time
        self.flows: set[tuple[int, int]] = set()
        # consumer -> its read artifacts that some producer accounts for
        self.explained: dict[int, set[tuple[str, str]]] = defaultdict(set)
        # producer -> its written artifacts -> the jobs known to read them
        self.consumed: dict[int, dict[tuple[str, str], set[int]]] = defaultdict(
            lambda: defaultdict(set)
        )
        self.description_jobs: dict[str, list[int]] | None = None
        # (directory, working directory, name prefix) -> jobs whose names number their steps
        self.step_jobs: dict[tuple[object, ...], list[int]] = defaultdict(list)
        for job in self.linkable:
            group = _step_group(job)
            if group is not None:
                self.step_jobs[group].append(job.index)
        self.notes: list[tuple[int, str]] = []

    # -- timing helpers -----------------------------------------------------------------------

    def timing(self, index: int) -> Timing:
        timing = self.jobs[index].timing
        assert timing is not None
        return timing

    def before(self, up: int, down: int) -> int | None:
        """Minutes from `up` to `down` when `up` fires earlier in the same cycle, else None."""
        if up == down or self.component.get(up) != self.component.get(down):
            return None
        if self.position[up] >= self.position[down]:
            return None
        gap = forward(self.timing(up), self.timing(down))
        if gap is None:
            return None
        return self.position[down] - self.position[up]

    def clock(self, index: int) -> int:
        """Minutes after local midnight (or the first fire) for ordering jobs of one calendar."""
        timing = self.timing(index)
        origin = timing.local_midnights[0] if timing.local_midnights else 0
        return (timing.anchor - origin) % timing.period

    # -- the passes ---------------------------------------------------------------------------

    def run(self) -> Inference:
        relations = self._artifact_relations() + self._lock_relations()
        name_pairs = self._name_pairs()
        comment_relations = self._comment_relations()
        self._order(relations + comment_relations, name_pairs)
        links: dict[tuple[int, int], list[Evidence]] = defaultdict(list)
        cross: dict[tuple[int, int], list[Evidence]] = defaultdict(list)
        self._apply_relations(relations, links, cross)
        self._apply_names(links, cross)
        self._apply_stages(links)
        self._apply_comments(comment_relations, links, cross)
        return self._select(links, cross)

    def _order(self, relations: list[_Relation], name_pairs: list[tuple[int, int]]) -> None:
        """Components of evidence within each calendar, then each job's place in its cycle."""
        union = _UnionFind()
        for job in self.flowing:
            union.find(job.index)
        directional: list[tuple[int, int]] = []
        for relation in relations:
            a, b = relation.producer, relation.consumer
            if self.timing(a).key == self.timing(b).key:
                union.union(a, b)
                if relation.directional:
                    directional.append((a, b))
        for a, b in name_pairs:
            union.union(a, b)
        members: dict[int, list[int]] = defaultdict(list)
        for job in self.flowing:
            members[union.find(job.index)].append(job.index)
        by_root: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for a, b in directional:
            by_root[union.find(a)].append((a, b))
        for root, indexes in members.items():
            for index in indexes:
                self.component[index] = root
            local = {index: k for k, index in enumerate(indexes)}
            pairs = [(local[a], local[b]) for a, b in by_root.get(root, ()) if b in local]
            placed = positions([self.timing(i) for i in indexes], pairs)
            for index, position in zip(indexes, placed):
                self.position[index] = position

    # -- artifacts and locks ------------------------------------------------------------------

    def _artifacts(self) -> dict[int, list[Artifact]]:
        found: dict[int, list[Artifact]] = {}
        for job in self.flowing:
            items = list(job.facts.artifacts)
            if job.facts.housekeeping:
                # a backup or a cleanup reads whatever is there: it waits for nobody -- but what
                # it reads exactly as another housekeeping job writes it (the dump it ships) below
                items = [a for a in items if a.role == WRITE or a.role == READ]
            for path in self.clues[job.index].paths:
                key = _comment_path_key(path)
                if key:
                    items.append(Artifact(key[0], key[1], READ, "comment", _is_pattern_key(key[1])))
            found[job.index] = items
        return found

    def _artifact_relations(self) -> list[_Relation]:
        artifacts = self._artifacts()
        exact: dict[tuple[str, str], list[tuple[int, Artifact]]] = defaultdict(list)
        by_last: dict[str, list[tuple[int, Artifact]]] = defaultdict(list)
        # things under a directory, by the extension of their name ("*": any, a pattern's own)
        under: dict[tuple[str, str, str], list[tuple[int, Artifact]]] = defaultdict(list)
        patterns_at: dict[tuple[str, str, str], list[tuple[int, Artifact]]] = defaultdict(list)
        for index, items in artifacts.items():
            for artifact in items:
                if artifact.role == READ and artifact.via == "comment":
                    continue  # a comment names what a job reads; it produces nothing
                slot = (artifact.kind, artifact.key)
                exact[slot].append((index, artifact))
                if artifact.kind == "table" and "." in artifact.key:
                    by_last[artifact.key.rsplit(".", 1)[-1]].append((index, artifact))
                if artifact.kind != "table":
                    parent = _literal_dir(artifact.key)
                    suffix = _suffix(artifact.key)
                    for ancestor in [parent, *_ancestors(parent)]:
                        under[(artifact.kind, ancestor, suffix)].append((index, artifact))
                        under[(artifact.kind, ancestor, ANY)].append((index, artifact))
                    if artifact.pattern:
                        patterns_at[(artifact.kind, parent, suffix)].append((index, artifact))
                        patterns_at[(artifact.kind, parent, ANY)].append((index, artifact))
        relations: list[_Relation] = []
        seen: set[tuple[int, int, str, str]] = set()
        for consumer, items in artifacts.items():
            for mine in items:
                if mine.role == WRITE:
                    continue
                matches = [
                    m
                    for m in self._matches(mine, exact, by_last, under, patterns_at)
                    if m[0] != consumer and m[1].role != READ
                ]
                if self.jobs[consumer].facts.housekeeping:
                    # `mysqldump > /b/shop.sql.gz`, then `curl -T /b/shop.sql.gz`: the dump it
                    # ships, not anything a directory holds, and not a pipeline's data it backs up
                    matches = [
                        m
                        for m in matches
                        if m[2] and m[1].role == WRITE and self.jobs[m[0]].facts.housekeeping
                    ]
                # a job known to write the thing is its producer; jobs that merely name it are not
                if any(theirs.role == WRITE for _, theirs, _ in matches):
                    matches = [m for m in matches if m[1].role == WRITE]
                for producer, theirs, exact_match in matches:
                    weight = _FLOW_WEIGHTS.get((theirs.role, mine.role))
                    if weight is None:
                        continue
                    self.related.add(frozenset((producer, consumer)))
                    if mine.role == READ:
                        self.explained[consumer].add((mine.kind, mine.key))
                        if theirs.role == WRITE:
                            self.consumed[producer][(theirs.kind, theirs.key)].add(consumer)
                    marker = (
                        min(producer, consumer),
                        max(producer, consumer),
                        mine.key,
                        theirs.key,
                    )
                    directional = theirs.role == WRITE or mine.role == READ
                    if not directional and marker in seen:
                        continue
                    seen.add(marker)
                    if not exact_match:
                        weight -= _PATTERN_PENALTY
                    # a thing one job writes and another uses flows between them; a thing two
                    # jobs merely name (a reference file, a shared directory) may not
                    flow = theirs.role == WRITE
                    if flow:
                        self.flow_related.add(frozenset((producer, consumer)))
                    named_file = (
                        not flow
                        and exact_match
                        and mine.kind == "path"
                        and not mine.pattern
                        and is_data_file(mine.key)
                    )
                    source = theirs.source or mine.source
                    relations.append(
                        _Relation(
                            producer=producer,
                            consumer=consumer,
                            weight=weight,
                            kind="script" if source else mine.kind,
                            detail=_flow_detail(theirs, mine),
                            directional=directional,
                            group=("artifact", consumer, mine.kind, mine.key),
                            producer_writes=theirs.role == WRITE,
                            flow=flow,
                            named_file=named_file,
                            source=source,
                        )
                    )
                    if directional:
                        self.flows.add((producer, consumer))
        return relations

    def _matches(
        self,
        mine: Artifact,
        exact: dict[tuple[str, str], list[tuple[int, Artifact]]],
        by_last: dict[str, list[tuple[int, Artifact]]],
        under: dict[tuple[str, str, str], list[tuple[int, Artifact]]],
        patterns_at: dict[tuple[str, str, str], list[tuple[int, Artifact]]],
    ) -> Iterable[tuple[int, Artifact, bool]]:
        for index, theirs in exact.get((mine.kind, mine.key), ()):
            yield index, theirs, True
        if mine.kind == "table":
            if "." in mine.key:
                bare = mine.key.rsplit(".", 1)[-1]
                for index, theirs in exact.get(("table", bare), ()):
                    yield index, theirs, False
            else:
                for index, theirs in by_last.get(mine.key, ()):
                    yield index, theirs, False
            return
        # a directory written by the producer holds what the consumer reads; so does a pattern
        # of names it writes (only patterns of the same extension, or of any, can match)
        suffix = _suffix(mine.key)
        wanted = [ANY] if suffix == ANY_OWN else [suffix, ANY_OWN]
        for ancestor in _ancestors(mine.key):
            for index, theirs in exact.get((mine.kind, ancestor), ()):
                if theirs.directory:
                    yield index, theirs, False
            for bucket in wanted:
                for index, theirs in patterns_at.get((mine.kind, ancestor, bucket), ()):
                    if theirs.key != mine.key and _glob_match(mine.key, theirs.key):
                        yield index, theirs, False
        if mine.pattern or mine.directory:
            # what a directory reader reads lies under it; what a pattern matches, under its
            # literal part, with its extension (`*.csv` matches no `.json`)
            base = _literal_dir(mine.key) if mine.pattern else mine.key.rstrip("/")
            buckets = [ANY] if mine.directory or suffix == ANY_OWN else wanted
            candidates = [c for b in buckets for c in under.get((mine.kind, base, b), ())]
            for index, theirs in candidates:
                if theirs.key == mine.key:
                    continue
                if (
                    mine.directory
                    and theirs.key.startswith(mine.key.rstrip("/") + "/")
                    or mine.pattern
                    and _glob_match(theirs.key, mine.key)
                ):
                    yield index, theirs, False

    def _lock_relations(self) -> list[_Relation]:
        holders: dict[str, list[int]] = defaultdict(list)
        for job in self.linkable:
            for lock in job.facts.locks:
                holders[lock].append(job.index)
        relations = []
        for lock, indexes in holders.items():
            if len(indexes) < 2 or len(indexes) > MAX_WORD_JOBS:
                continue
            for a in indexes:
                for b in indexes:
                    if a < b:
                        self.related.add(frozenset((a, b)))
                        if self.timing(a).key == self.timing(b).key:
                            self.flow_related.add(frozenset((a, b)))
                        relations.append(
                            _Relation(
                                a,
                                b,
                                _LOCK_WEIGHT,
                                "lock",
                                f"both hold the lock {lock}, so cron's times serialise them",
                                False,
                                ("lock", lock),
                                flow=True,  # settled once ordered: the later job must wait for it
                            )
                        )
        return relations

    # -- names and comments -------------------------------------------------------------------

    def _name_pairs(self) -> list[tuple[int, int]]:
        """Jobs of one calendar that share a name word, chained in clock order (for components)."""
        pairs = []
        groups = list(self.entity_jobs.items()) + list(self.directory_jobs.items())
        groups += [(str(key), indexes) for key, indexes in self.step_jobs.items()]
        for word, indexes in groups:
            if len(indexes) < 2 or len(indexes) > MAX_WORD_JOBS:
                continue
            for a in indexes:
                for b in indexes[:8]:
                    if a != b:
                        self.related.add(frozenset((a, b)))
            by_key: dict[object, list[int]] = defaultdict(list)
            for index in indexes:
                by_key[self.timing(index).key].append(index)
            for members in by_key.values():
                members.sort(key=self.clock)
                pairs.extend(itertools.pairwise(members))
        return pairs

    def _comment_relations(self) -> list[_Relation]:
        """(referenced job -> commenting job) for every job a comment names, order still open.

        Each reference is settled on its own: a phrase or a word that fits one job names it; a word
        that fits several ("ingest": two ingest jobs) goes to those the comment already names by
        another word ("the Shopify ingest"), else to those other evidence relates to the commenting
        job in any order, else to all of them at lower confidence.
        """
        relations: list[_Relation] = []
        for job in self.flowing:
            clues = self.clues[job.index]
            if clues.independent:
                continue
            # (reason, candidates, exact, the referenced job comes after "before"/"feeds",
            #  the order words govern the reference)
            references: list[tuple[str, set[int], bool, bool, bool]] = []

            for phrase in clues.phrases:
                for other in self.phrase_jobs.get(phrase, ()):
                    references.append(
                        (
                            f"names {self.jobs[other].task_id}",
                            {other},
                            True,
                            clues.points_forward(phrase),
                            phrase in clues.stated,
                        )
                    )
            for word in sorted(clues.stems):
                indexes = self.reference_jobs.get(word, ())
                if len(indexes) > MAX_WORD_JOBS or word in GENERIC_OBJECT_STEMS:
                    continue
                candidates = {i for i in indexes if i != job.index}
                if candidates:
                    shown = self.jobs[min(candidates)].words.get(word, word)
                    references.append(
                        (
                            f'says "{shown}"',
                            candidates,
                            False,
                            clues.points_forward(word),
                            word in clues.stated,
                        )
                    )
            if clues.cue:
                described = self._descriptions_matching(job.index, clues)
                for other, shared in described.items():
                    words = ", ".join(f'"{w}"' for w in sorted(shared))
                    reason = f"describes what {self.jobs[other].task_id}'s comment does ({words})"
                    references.append(
                        (reason, set(described), False, False, bool(shared & clues.stated))
                    )
            named = {next(iter(c)) for _, c, exact, _, _ in references if exact or len(c) == 1}
            strength: dict[int, float] = {}
            reasons: dict[int, list[str]] = defaultdict(list)
            downstream: dict[int, bool] = {}
            governed: dict[int, bool] = {}
            exactly: set[int] = set()
            stated_order = clues.cue or clues.before
            supported_weight = _STATED_WEIGHT if stated_order else 0.6
            weak_weight = 0.55 if stated_order else 0.4
            for reason, candidates, exact, after_before, is_stated in references:
                if not exact and len(candidates) > 1:
                    # "after the customer load": of several jobs the words fit, those cron starts
                    # later the same day cannot be meant (nor earlier ones, after "before")
                    candidates = self._in_stated_order(job, candidates, after_before)
                if exact:
                    chosen, weight = candidates, 0.8
                elif len(candidates) == 1:
                    chosen, weight = candidates, supported_weight
                elif candidates & named:
                    chosen, weight = candidates & named, supported_weight
                else:
                    related = {
                        c for c in candidates if frozenset((job.index, c)) in self.flow_related
                    }
                    chosen, weight = (
                        (related, supported_weight) if related else (candidates, weak_weight)
                    )
                for other in chosen:
                    strength[other] = max(strength.get(other, 0.0), weight)
                    reasons[other].append(reason)
                    downstream[other] = downstream.get(other, False) or after_before
                    governed[other] = governed.get(other, False) or is_stated
                    if exact:
                        exactly.add(other)
            for other, weight in strength.items():
                # the author states an order ("after", "needs", "before") and the words name
                # that job, not one of several: what the file says is data or state flowing
                stated = (clues.cue or downstream[other]) and governed[other]
                relations.append(
                    _Relation(
                        producer=other,
                        consumer=job.index,
                        weight=weight,
                        kind="comment",
                        detail="; ".join(dict.fromkeys(reasons[other])),
                        directional=bool(clues.cue and not downstream[other]),
                        group=("comment", job.index),
                        reverse=downstream[other],
                        flow=stated and weight >= _STATED_WEIGHT,
                        named_exactly=other in exactly,
                    )
                )
        return relations

    def _in_stated_order(self, job: Job, candidates: set[int], later: bool) -> set[int]:
        mine = self.clock(job.index)
        key = self.timing(job.index).key
        kept = {
            c
            for c in candidates
            if self.timing(c).key != key
            or (self.clock(c) > mine if later else self.clock(c) < mine)
        }
        return kept or candidates

    def _descriptions_matching(self, index: int, clues: CommentClues) -> dict[int, set[str]]:
        """Jobs with an opaque name (`job_c.sh`) whose comment shares two words with this one.

        Such a job's comment is the only name it has ("load customers from the CRM"), so a comment
        elsewhere that says "after the customer load" refers to it. Jobs with a telling name are
        referred to by that name instead.
        """
        if self.description_jobs is None:
            self.description_jobs = defaultdict(list)
            for job in self.linkable:
                if job.references:
                    continue
                for word in self.clues[job.index].stems:
                    self.description_jobs[word].append(job.index)
        shared: dict[int, set[str]] = defaultdict(set)
        for word in clues.stems:
            holders = self.description_jobs.get(word, [])
            if len(holders) > MAX_WORD_JOBS:
                continue
            for other in holders:
                if other != index:
                    shared[other].add(word)
        return {other: words for other, words in shared.items() if len(words) >= 2}

    # -- scoring ------------------------------------------------------------------------------

    def _apply_relations(
        self,
        relations: list[_Relation],
        links: dict[tuple[int, int], list[Evidence]],
        cross: dict[tuple[int, int], list[Evidence]],
    ) -> None:
        """Artifact and lock evidence, keeping only the latest producer per consumer slot."""
        intra: dict[tuple[object, ...], list[tuple[int, int, _Relation]]] = defaultdict(list)
        for relation in relations:
            a, b = relation.producer, relation.consumer
            up, down = a, b
            if not relation.directional and self.before(b, a) is not None:
                up, down = b, a
            if self.before(up, down) is not None:
                group = (
                    relation.group if relation.kind != "lock" else ("lock", down, relation.group[1])
                )
                if not relation.directional and relation.kind != "lock":
                    group = ("artifact", down) + relation.group[2:]
                intra[group].append((up, down, relation))
            elif relation.directional and self.timing(up).key != self.timing(down).key:
                if relation.kind != "lock" and self._cross_allowed(up, down):
                    cross[(up, down)].append(
                        Evidence(
                            relation.kind,
                            relation.detail,
                            relation.weight * 0.95,
                            relation.flow,
                            relation.source,
                        )
                    )
            elif not relation.directional and self.timing(a).key != self.timing(b).key:
                up, down = self._cross_direction(a, b)
                if up is not None and relation.kind != "lock":
                    # which calendar feeds which is only guessed from their cadences
                    cross[(up, down)].append(
                        Evidence(
                            relation.kind,
                            relation.detail,
                            relation.weight * 0.9,
                            source=relation.source,
                        )
                    )
            elif relation.producer_writes and self.before(b, a) is None:
                self._note_unordered(a, b, relation)
        for candidates in intra.values():
            # Known writers beat jobs that merely mention the thing, and the latest writer wins.
            # When nobody is known to write it, the first job in the cycle to mention it is the
            # likely creator; later mentions are fellow readers.
            if any(r.producer_writes or r.kind == "lock" for _, _, r in candidates):
                # a lock is handed on from one holder to the next, like a rewritten file
                candidates = [c for c in candidates if c[2].producer_writes or c[2].kind == "lock"]
                chosen = max(self.position[up] for up, _, _ in candidates)
            else:
                chosen = min(self.position[up] for up, _, _ in candidates)
            for up, down, relation in candidates:
                if self.position[up] == chosen:
                    detail = relation.detail
                    flow = relation.flow
                    if relation.named_file and self._makes_files(up, down):
                        flow = True
                        detail += f'; {self.jobs[up].task_id} "{_verb_word(self.jobs[up])}"s it'
                    if relation.kind == "lock":
                        # a job that gives up when the lock is taken (`flock -n`) is kept apart
                        # from the other, not ordered after it
                        flow = relation.group[1] not in self.jobs[down].facts.nowait_locks
                    links[(up, down)].append(
                        Evidence(relation.kind, detail, relation.weight, flow, relation.source)
                    )

    def _makes_files(self, up: int, down: int) -> bool:
        """The earlier job's verb makes files (`export`, `fetch`, `dump`), the later one's differs."""
        a, b = self.jobs[up], self.jobs[down]
        return a.verb in FILE_MAKING_STEMS and a.verb != b.verb

    def _note_unordered(self, producer: int, consumer: int, relation: _Relation) -> None:
        """A consumer of one calendar that cron starts with its producer, or in a DST-dependent order."""
        a, b = self.timing(producer), self.timing(consumer)
        if a.key != b.key:
            return
        up, down = self.jobs[producer], self.jobs[consumer]
        if a.anchor == b.anchor and a.anchor_summer == b.anchor_summer:
            why = "cron starts both at the same instant"
        elif forward(a, b) is None and forward(b, a) is None:
            why = "daylight saving time changes which of them fires first"
        else:
            return
        message = (
            f"line {down.line}: {down.task_id} uses what {up.task_id} (line {up.line}) writes "
            f"({relation.detail.split(': ', 1)[0]}), but {why}: no edge; pin one with "
            "--overrides if it is a dependency"
        )
        self.notes.append((down.line, message))

    def _cross_direction(self, a: int, b: int) -> tuple[int | None, int]:
        """Without a stated direction, the finer cadence feeds the coarser (daily -> weekly)."""
        fa, fb = self.timing(a).fires_per_week, self.timing(b).fires_per_week
        if abs(fa - fb) < 1e-9:
            return (None, b)
        return (a, b) if fa > fb else (b, a)

    def _cross_allowed(self, up: int, down: int) -> bool:
        """A job cannot wait for every run of a job that fires less often than it does."""
        return self.timing(up).fires_per_week + 1e-9 >= self.timing(down).fires_per_week

    def _apply_names(
        self,
        links: dict[tuple[int, int], list[Evidence]],
        cross: dict[tuple[int, int], list[Evidence]],
    ) -> None:
        """Shared name words: the consumer links to the latest earlier job that passes the word on."""
        for job in self.linkable:
            down = job.index
            for word in sorted(job.entities):
                bearers = self.entity_jobs.get(word, [])
                if len(bearers) < 2 or len(bearers) > MAX_WORD_JOBS:
                    continue
                shown = job.words.get(word, word)
                weight = name_weight(len(bearers))
                producers = [
                    b for b in bearers if word in self.jobs[b].outputs and not self.jobs[b].sink
                ]
                earlier = [b for b in producers if self.before(b, down) is not None]
                if earlier:
                    latest = max(self.position[b] for b in earlier)
                    for up in earlier:
                        if self.position[up] == latest and not self._siblings(up, down):
                            links[(up, down)].append(
                                Evidence(
                                    "name",
                                    f'both names mention "{shown}" and {self.jobs[up].task_id}'
                                    " is the latest earlier job that does",
                                    weight,
                                    shared_word=True,
                                )
                            )
                # a coarser calendar reading what a finer one names (the weekly report on sales)
                others: dict[object, list[int]] = defaultdict(list)
                for b in producers:
                    if b != down and self.timing(b).key != job.timing.key:  # type: ignore[union-attr]
                        others[self.timing(b).key].append(b)
                for members in others.values():
                    finer = [b for b in members if self._cross_direction(b, down) == (b, down)]
                    if not finer:
                        continue
                    latest = max(self.clock(b) for b in finer)
                    for up in finer:
                        if self.clock(up) == latest and not self._siblings(up, down):
                            cross[(up, down)].append(
                                Evidence(
                                    "name",
                                    f'both names mention "{shown}"',
                                    _CROSS_NAME_WEIGHT,
                                    shared_word=True,
                                )
                            )
            self._apply_directory(job, links)

    def _apply_stages(self, links: dict[tuple[int, int], list[Evidence]]) -> None:
        """Steps of one named pipeline on one object: `fetch_orders` -> `clean_orders`.

        The weakest evidence that makes an edge, so it asks much: both scripts live together (same
        directory, same working directory), fire in the order of their pipeline verbs (or of the
        step numbers in their names, `1_extract` -> `2_transform`), and one name's object is part
        of the other's (`api` in `transform_api_data` and `combine_api_and_database`) or is what
        the later name says it is made from (`net_revenue_from_orders`). Generic objects (`users`,
        `list`, `cache`) and jobs doing the same thing (two `ingest_*`) never count.
        """
        for job in self.linkable:
            down = job.index
            # slot (an object word, or the numbered steps) -> (up, reason): the latest earlier
            # step of each slot feeds this one, as with files
            slots: dict[object, list[tuple[int, str]]] = defaultdict(list)
            for word in _objects(job) | job.inputs:
                for up in self.entity_jobs.get(word, []) + self.directory_jobs.get(word, []):
                    reason = self._stage_reason(up, down)
                    if reason:
                        slots[word].append((up, reason))
            for up in self.step_jobs.get(_step_group(job), ()):
                reason = self._numbered_step_reason(up, down)
                if reason:
                    slots["#steps"].append((up, reason))
            for candidates in slots.values():
                latest = max(self.position[up] for up, _ in candidates)
                for up, reason in dict(candidates).items():
                    if self.position[up] == latest:
                        links[(up, down)].append(Evidence("stage", reason, 0.6, flow=True))

    def _same_application(self, a: Job, b: Job) -> bool:
        return a.facts.directory == b.facts.directory and a.facts.workdir == b.facts.workdir

    def _stage_reason(self, up: int, down: int) -> str | None:
        if self.before(up, down) is None:
            return None
        a, b = self.jobs[up], self.jobs[down]
        if not self._same_application(a, b) or a.sink or self._siblings(up, down):
            return None
        stage_a, stage_b = _effective_stage(a), _effective_stage(b)
        if stage_a is None or stage_b is None or stage_a >= stage_b:
            return None
        if a.verb in CHECKING_STEMS or b.verb in CHECKING_STEMS:
            return None  # a check and an audit of one thing look at it, they do not make it
        made_from = a.outputs & b.inputs
        if made_from:
            shown = ", ".join(sorted(a.words.get(w, w) for w in made_from))
            return f'{b.task_id}\'s name says it is made from "{shown}", which {a.task_id} makes'
        made, worked_on = _objects(a, a.outputs), _objects(b)
        shared = made & worked_on
        if not shared or not (made <= worked_on or worked_on <= made):
            return None
        shown = ", ".join(sorted(b.words.get(w, a.words.get(w, w)) for w in shared))
        return (
            f'"{_verb_word(a)}" comes before "{_verb_word(b)}" in a pipeline and both steps work '
            f'on "{shown}" (scripts of one application)'
        )

    def _numbered_step_reason(self, up: int, down: int) -> str | None:
        if self.before(up, down) is None:
            return None
        a, b = self.jobs[up], self.jobs[down]
        if not self._same_application(a, b):
            return None
        step_a, step_b = _step_number(a), _step_number(b)
        if step_a is None or step_b is None or step_b != step_a + 1:
            return None
        return (
            f"the names number the steps: {a.task_id} is step {step_a}, {b.task_id} step {step_b}"
        )

    def _apply_directory(self, job: Job, links: dict[tuple[int, int], list[Evidence]]) -> None:
        """Scripts kept in one telling directory (`/opt/etl/sales/`), in pipeline verb order."""
        down = job.index
        if not job.directory or job.stage is None:
            return
        bearers = self.directory_jobs.get(job.directory, [])
        if len(bearers) < 2 or len(bearers) > MAX_WORD_JOBS:
            return
        earlier = [b for b in bearers if self.before(b, down) is not None]
        if not earlier:
            return
        latest = max(self.position[b] for b in earlier)
        for up in earlier:
            other = self.jobs[up]
            if self.position[up] != latest or other.stage is None or other.stage >= job.stage:
                continue
            links[(up, down)].append(
                Evidence("name", f'both scripts live in the "{job.directory}" directory', 0.3)
            )
            links[(up, down)].append(
                Evidence(
                    "name",
                    f'"{_verb_word(other)}" comes before "{_verb_word(job)}" in a pipeline',
                    0.3,
                )
            )

    def _siblings(self, up: int, down: int) -> bool:
        """Jobs doing the same thing to different inputs (two `ingest_*`) run side by side.

        So do two runs of one script on different arguments (`report.py --partner acme`,
        `--partner globex`), unless the arguments name different steps (`orders.sh extract`,
        `orders.sh load`).
        """
        a, b = self.jobs[up], self.jobs[down]
        if a.verb is not None and a.verb == b.verb:
            return True
        return (
            bool(a.facts.name_source)
            and a.facts.name_source == b.facts.name_source
            and a.facts.name == b.facts.name
            and _argument_verbs(a) == _argument_verbs(b)
        )

    def _apply_comments(
        self,
        relations: list[_Relation],
        links: dict[tuple[int, int], list[Evidence]],
        cross: dict[tuple[int, int], list[Evidence]],
    ) -> None:
        """Comment references become evidence in the direction the comment states ("before")."""
        for relation in relations:
            writer, other = relation.consumer, relation.producer  # the job whose comment it is
            up, down = (writer, other) if relation.reverse else (other, writer)
            evidence = Evidence(
                "comment", _comment_detail(relation, self), relation.weight, relation.flow
            )
            if self.before(up, down) is not None:
                links[(up, down)].append(evidence)
            elif self.timing(up).key != self.timing(down).key and self._cross_allowed(up, down):
                if not relation.named_exactly:
                    # a word that fits a job of another calendar is a guess: its own name is not
                    evidence = Evidence(evidence.kind, evidence.detail, evidence.weight)
                cross[(up, down)].append(evidence)
        self._apply_clocks(links)

    def _apply_clocks(self, links: dict[tuple[int, int], list[Evidence]]) -> None:
        """ "after the 1 AM job": a clock time in a comment names the jobs that fire then."""
        by_clock: dict[tuple[object, int], list[int]] = defaultdict(list)
        for job in self.flowing:
            for minute in _local_times(job):
                by_clock[(self.component[job.index], minute)].append(job.index)
        for job in self.flowing:
            clues = self.clues[job.index]
            if not clues.clocks or not clues.cue or clues.independent:
                continue
            own = set(_local_times(job))
            for minute in clues.clocks - own:
                earlier = [
                    up
                    for up in by_clock.get((self.component[job.index], minute), ())
                    if self.before(up, job.index) is not None
                ]
                for up in earlier:
                    links[(up, job.index)].append(
                        Evidence(
                            "comment",
                            f"the comment refers to the {_clock_text(minute)} run, "
                            f"when {self.jobs[up].task_id} fires",
                            0.55,
                            flow=len(earlier) == 1,  # the time names one job, not several
                        )
                    )

    # -- selection ----------------------------------------------------------------------------

    def _select(
        self,
        links: dict[tuple[int, int], list[Evidence]],
        cross: dict[tuple[int, int], list[Evidence]],
    ) -> Inference:
        chosen: dict[tuple[int, int], list[Evidence]] = {}
        suggested: dict[tuple[int, int], list[Evidence]] = {}
        rejected: dict[tuple[int, int], list[Evidence]] = {}
        for (up, down), evidence in links.items():
            if self.clues[down].independent:
                continue
            evidence = _dedupe(evidence)
            if any(e.kind == "stage" for e in evidence):
                # the stage evidence says what the shared name word says, and more
                evidence = [e for e in evidence if e.kind != "name"]
            evidence = self._discount(up, down, evidence)
            gap = self.before(up, down)
            assert gap is not None
            timing = self.timing(down)
            evidence.insert(
                0,
                Evidence(
                    "time-offset",
                    f"{self.jobs[down].task_id} fires {_duration(gap)} after "
                    f"{self.jobs[up].task_id} in the same {timing.cadence} cycle",
                    _time_weight(gap),
                ),
            )
            _sort(evidence, (up, down), chosen, suggested, rejected)
        self._fallback(chosen, suggested)
        chosen_cross: dict[tuple[int, int], list[Evidence]] = {}
        for (up, down), evidence in cross.items():
            if self.clues[down].independent:
                continue
            evidence = _dedupe(evidence)
            evidence = self._discount(up, down, evidence)
            _sort(evidence, (up, down), chosen_cross, suggested, rejected)
        linked = {i for pair in chosen for i in pair} | {i for pair in chosen_cross for i in pair}
        unlinked: dict[int, str] = {}
        weakest: dict[int, tuple[float, int]] = {}
        for (up, down), evidence in rejected.items():
            score = combine(evidence)
            for me, other in ((up, down), (down, up)):
                if score > weakest.get(me, (-1.0, 0))[0]:
                    weakest[me] = (score, other)
        calendar_size: dict[object, int] = defaultdict(int)
        for job in self.linkable:
            calendar_size[self.timing(job.index).key] += 1
        for (up, down), evidence in suggested.items():
            score = combine(evidence)
            for me, other in ((up, down), (down, up)):
                if score > weakest.get(me, (-1.0, 0))[0] or me not in weakest:
                    weakest[me] = (score, other)
        for job in self.linkable:
            if job.index in linked:
                continue
            peers = calendar_size[self.timing(job.index).key] - 1
            unlinked[job.index] = self._why_unlinked(job, weakest.get(job.index), peers)
        notes = sorted(set(self.notes))
        return Inference(
            chosen, chosen_cross, dict(self.position), unlinked, rejected, notes, suggested
        )

    def _fallback(
        self,
        chosen: dict[tuple[int, int], list[Evidence]],
        suggested: dict[tuple[int, int], list[Evidence]],
    ) -> None:
        """Time proximity as the weakest evidence, suggested only where nothing else speaks.

        A job with no upstream is offered the nearest earlier job of its calendar when neither
        has any other link in that direction, both are pipeline steps whose verbs come in that
        order (`combine` then `load`), and they fire at most three hours (a quarter cycle) apart.
        """
        has_up = {down for _, down in chosen} | {down for _, down in suggested}
        has_down = {up for up, _ in chosen} | {up for up, _ in suggested}
        by_key: dict[object, list[tuple[int, int]]] = defaultdict(list)
        for job in self.linkable:
            timing = self.timing(job.index)
            by_key[timing.key].append((timing.anchor % timing.period, job.index))
        for members in by_key.values():
            if len(members) < 2:
                continue
            members.sort()
            period = self.timing(members[0][1]).period
            limit = min(180, period // 4)
            anchors = [a for a, _ in members]
            for anchor, down in members:
                job = self.jobs[down]
                if down in has_up or job.stage is None or self.clues[down].independent:
                    continue
                # walk back from this job (around the cycle) to the nearest valid earlier fire
                nearest: list[tuple[int, int]] = []
                start = bisect_left(anchors, anchor)
                for step in range(1, len(members)):
                    other_anchor, up = members[(start - step) % len(members)]
                    distance = (anchor - other_anchor) % period
                    if distance > limit or (nearest and distance > nearest[0][0]):
                        break
                    if len(nearest) > MAX_NEAREST:
                        break  # many jobs fire then: "the nearest earlier job" names none of them
                    gap = forward(self.timing(up), self.timing(down))
                    if gap is not None and max(gap) <= limit:
                        nearest.append((gap[0], up))
                if not nearest or len(nearest) > MAX_NEAREST:
                    continue
                closest = min(g for g, _ in nearest)
                for gap, up in nearest:
                    other = self.jobs[up]
                    if gap != closest or up in has_down or other.sink:
                        continue
                    if other.stage is None or other.stage >= job.stage:
                        continue
                    if other.facts.directory != job.facts.directory:
                        continue  # scripts of different applications (/opt/crm, /opt/billing)
                    cadence = self.timing(down).cadence
                    suggested[(up, down)] = [
                        Evidence(
                            "time-offset",
                            f"{job.task_id} fires {_duration(closest)} after {other.task_id}, the "
                            f"nearest earlier job of its {cadence} calendar, and nothing else links "
                            "either of them",
                            0.3,
                        ),
                        Evidence(
                            "name",
                            f'"{_verb_word(other)}" comes before "{_verb_word(job)}" in a pipeline',
                            0.1,
                        ),
                    ]

    def _discount(self, up: int, down: int, evidence: list[Evidence]) -> list[Evidence]:
        """Drop name evidence that the data flow contradicts or makes unnecessary.

        - `down` writes what `up` reads: `up` consumes `down`'s previous run, it does not feed it.
        - `down` declares its inputs and producers account for all of them: a shared word adds
          no upstream of its own.
        - `up` declares its outputs and later jobs of its cycle read all of them: a shared word
          adds no downstream of its own (`enrich_leads --out enrichment.csv` feeds the job that
          reads that file, not every later job about leads).
        """
        if any(e.kind not in ("name", "time-offset") for e in evidence):
            return evidence
        if (down, up) in self.flows and (up, down) not in self.flows:
            return []
        reads = {(a.kind, a.key) for a in self.jobs[down].facts.artifacts if a.role == READ}
        if reads and reads <= self.explained.get(down, set()):
            return []
        writes = {(a.kind, a.key) for a in self.jobs[up].facts.artifacts if a.role == WRITE}
        if writes and up in self.consumed:
            readers = self.consumed[up]
            if all(any(self.before(up, c) is not None for c in readers.get(w, ())) for w in writes):
                return []
        return evidence

    def _why_unlinked(self, job: Job, weak: tuple[float, int] | None, peers: int) -> str:
        if self.clues[job.index].independent:
            return "its comment says it stands alone"
        if weak:
            score, other = weak
            return (
                f"only weak evidence ({score:.2f}) links it to {self.jobs[other].task_id}; "
                "a suggestion at most"
            )
        timing = job.timing
        assert timing is not None
        if not peers:
            return f"no other job runs on its calendar ({timing.cadence})"
        return f"nothing links it to the {peers} other job(s) of its calendar ({timing.cadence}); time alone is not evidence"


# -- helpers ------------------------------------------------------------------------------------


def _argument_verbs(job: Job) -> frozenset[str]:
    return frozenset(
        stem(w) for alt in job.facts.alternates for w in split_words(alt) if stem(w) in VERB_STEMS
    )


def _verb_word(job: Job) -> str:
    return job.words.get(job.verb, job.verb) if job.verb else ""


def _objects(job: Job, words: frozenset[str] | None = None) -> frozenset[str]:
    """What a job's name says it works on; a bare verb (`sales/extract.py`) works on its directory."""
    words = job.entities if words is None else words
    words = words - GENERIC_OBJECT_STEMS
    if not words and job.directory:
        return frozenset({job.directory})
    return words


def _effective_stage(job: Job) -> int | None:
    """A name without a verb that says what it is made from (`net_revenue_from_orders`) derives."""
    if job.stage is not None:
        return job.stage
    return STAGE_OF.get(stem("derive")) if job.inputs else None


_NUMBERED = re.compile(r"^(?:step|stage|part|etape|paso)?(\d{1,2})$")


def _step_parts(job: Job) -> tuple[tuple[str, ...], int] | None:
    """(the words before it, the step number) of a script named like `cron_2_transform.sh`."""
    words = split_words(_script_stem(job.facts.name_source))
    for k, word in enumerate(words[:-1]):
        match = _NUMBERED.match(word)
        if match:
            return tuple(words[:k]), int(match.group(1))
    return None


def _step_group(job: Job) -> tuple[object, ...] | None:
    parts = _step_parts(job)
    if parts is None:
        return None
    return (job.facts.directory, job.facts.workdir, parts[0])


def _step_number(job: Job) -> int | None:
    parts = _step_parts(job)
    return parts[1] if parts else None


def _sort(
    evidence: list[Evidence],
    pair: tuple[int, int],
    edges: dict[tuple[int, int], list[Evidence]],
    suggested: dict[tuple[int, int], list[Evidence]],
    rejected: dict[tuple[int, int], list[Evidence]],
) -> None:
    """An edge needs evidence of flow and enough confidence; weaker links are suggestions."""
    score = combine(evidence)
    if score >= THRESHOLD and any(e.flow for e in evidence):
        edges[pair] = evidence
    elif score >= SUGGESTION_THRESHOLD:
        suggested[pair] = evidence
    else:
        rejected[pair] = evidence


def _dedupe(evidence: list[Evidence]) -> list[Evidence]:
    seen: dict[tuple[str, str], Evidence] = {}
    for item in evidence:
        current = seen.get((item.kind, item.detail))
        if current is None or (item.flow, item.weight) > (current.flow, current.weight):
            seen[(item.kind, item.detail)] = item
    return sorted(seen.values(), key=lambda e: -e.weight)


def _time_weight(gap: int) -> float:
    if gap <= 120:
        return 0.1
    if gap <= 360:
        return 0.05
    return 0.0


def _duration(minutes: int) -> str:
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{mins}min" if mins else ""]
    return " ".join(p for p in parts if p) or "0min"


def _clock_text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _local_times(job: Job) -> list[int]:
    fields = job.entry.schedule.fields
    if fields is None:
        return []
    hours, minutes = fields[1].values, fields[0].values
    if len(hours) * len(minutes) > 4:
        return []
    return [h * 60 + m for h in hours for m in minutes]


def _script_stem(source: str) -> str:
    base = source.rstrip("/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[0] if "." in base else base


def _comment_detail(relation: _Relation, linker: _Linker) -> str:
    writer = relation.consumer
    job = linker.jobs[writer]
    text = job.comment if len(job.comment) <= 80 else job.comment[:77] + "..."
    return f'comment above {job.task_id} (line {job.line}) {relation.detail}: "{text}"'


def _flow_detail(theirs: Artifact, mine: Artifact) -> str:
    """`/d/x.csv: written (--out), then read (--in)` -- the earlier job's role first."""
    done = {WRITE: "written", READ: "read", MENTION: "named"}
    what = f"table {mine.key}" if mine.kind == "table" else mine.key
    if theirs.key != mine.key:
        if mine.directory and theirs.key.startswith(mine.key.rstrip("/") + "/"):
            what = f"{what} holds {theirs.key}"  # the reader lists the directory written into
        elif mine.pattern:
            what = f"{what} matches {theirs.key}"
        else:
            what = f"{theirs.key} holds {what}"
    if theirs.role == MENTION and mine.role == MENTION:
        return f"{what}: named by both ({theirs.via} / {mine.via})"
    return f"{what}: {done[theirs.role]} ({theirs.via}), then {done[mine.role]} ({mine.via})"


ANY = "*"  # the bucket of everything under a directory
ANY_OWN = "?*"  # the bucket of the names whose own extension is a pattern (`x.{subst}`)


@lru_cache(maxsize=262144)
def _suffix(key: str) -> str:
    """The literal extension of a key's last segment (`csv`), "" for none, ANY_OWN if a pattern."""
    name = key.rstrip("/").rsplit("/", 1)[-1]
    tail = name.rsplit(".", 1)[-1] if "." in name else name
    if any(m in tail for m in ("*", "?", "[", "{", "$")):
        return ANY_OWN
    return tail.lower() if "." in name else ""


@lru_cache(maxsize=262144)
def _literal_dir(key: str) -> str:
    """The directory part before any wildcard or placeholder: `/data/{date}/x.csv` -> `/data`."""
    cut = len(key)
    for marker in ("*", "?", "[", DATE_PLACEHOLDER, SUBST_PLACEHOLDER, "$"):
        position = key.find(marker)
        if position >= 0:
            cut = min(cut, position)
    literal = key[:cut]
    if cut == len(key):
        return posixpath.dirname(key.rstrip("/")) or "/"
    return literal.rsplit("/", 1)[0] or "/"


def _ancestors(key: str) -> list[str]:
    """Proper ancestors of a path or URL with at least two segments (`/data` alone is too broad)."""
    out = []
    if "://" in key:
        scheme, rest = key.split("://", 1)
        parts = rest.split("/")
        for k in range(len(parts) - 1, 0, -1):
            out.append(f"{scheme}://{'/'.join(parts[:k])}")
        return out
    parts = key.rstrip("/").split("/")
    for k in range(len(parts) - 1, 2, -1):
        out.append("/".join(parts[:k]))
    return out


@lru_cache(maxsize=262144)
def _glob(key: str) -> str:
    text = key.replace(DATE_PLACEHOLDER, "*").replace(SUBST_PLACEHOLDER, "*")
    # unexpanded variables match anything in one path segment
    return _VARIABLE.sub("*", text) if "$" in text else text


_VARIABLE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")


def _glob_match(name: str, pattern: str) -> bool:
    a, b = _glob(name), _glob(pattern)
    return a == b or _match(a, b) or _match(b, a)


def _match(name: str, pattern: str) -> bool:
    """fnmatch for `*`-only patterns without compiling a regex for each one-off pattern."""
    if "?" in pattern or "[" in pattern:
        return fnmatch.fnmatchcase(name, pattern)
    chunks = pattern.split("*")
    if len(chunks) == 1:
        return name == pattern
    head, tail = chunks[0], chunks[-1]
    if not name.startswith(head) or not name.endswith(tail) or len(name) < len(head) + len(tail):
        return False
    position, end = len(head), len(name) - len(tail)
    for chunk in chunks[1:-1]:
        found = name.find(chunk, position, end)
        if found < 0:
            return False
        position = found + len(chunk)
    return True


def _is_pattern_key(key: str) -> bool:
    return any(m in key for m in ("*", "?", "[", DATE_PLACEHOLDER, SUBST_PLACEHOLDER, "$"))


def _comment_path_key(text: str) -> tuple[str, str] | None:
    if "://" in text:
        scheme, rest = text.split("://", 1)
        host, _, path = rest.partition("/")
        path = posixpath.normpath("/" + path) if path else ""
        return ("url", f"{scheme.lower()}://{host.lower()}{path.rstrip('/')}")
    if text.startswith("/") and text.count("/") >= 2:
        return ("path", posixpath.normpath(text))
    return None
