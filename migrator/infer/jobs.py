"""One record per cron entry with everything inference reads: facts, calendar, words, task id."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from migrator.crontab.model import CronEntry
from migrator.crontab.secrets import without_command_secrets, without_secrets
from migrator.infer.calendar import NeverFires, Timing, timing
from migrator.infer.facts import CommandFacts, command_facts
from migrator.infer.shell import split_comment
from migrator.infer.words import (
    SINK_STEMS,
    STAGE_OF,
    VERB_STEMS,
    identifier,
    is_noise,
    split_words,
    stem,
)

# jobs that fire this often are monitors or pollers, not steps of a batch pipeline
MIN_PIPELINE_PERIOD = 10


@dataclass(frozen=True)
class Job:
    index: int  # position among the crontab's entries
    entry: CronEntry
    facts: CommandFacts
    zone: str  # IANA zone its schedule is read in
    timing: Timing | None  # None: @reboot or never fires (see `unscheduled`)
    unscheduled: str | None  # why the job has no calendar, or None
    independent: str | None  # why the job is never linked to others (housekeeping, ...), or None
    task_id: str  # unique in the crontab, a valid Python identifier
    entities: frozenset[str]  # stems of the things its name talks about (`api`, `warehous`)
    # the entities it passes on: `net_revenue_from_orders` makes revenue out of orders
    outputs: frozenset[str]
    verb: str | None  # stem of the first verb of its name (`ingest`), if any
    stage: int | None  # where that verb sits in a pipeline (see words.STAGE_OF)
    directory: (
        str | None
    )  # stem of the script's telling directory (`sales` for /opt/etl/sales/x.py)
    references: frozenset[str]  # every meaningful stem of its name, verbs included
    words: dict[str, str]  # stem -> a word of the name it came from, for explanations
    comment: str  # comment lines above the entry and a trailing `# ...`, one text
    sink: bool  # its verb ends a chain (`notify`, `email`): its name passes nothing on

    @property
    def line(self) -> int:
        return self.entry.line

    @property
    def linkable(self) -> bool:
        return self.timing is not None and self.unscheduled is None and self.independent is None


def build_jobs(entries: Iterable[CronEntry], default_timezone: str) -> list[Job]:
    entries = list(entries)
    drafts = []
    for index, entry in enumerate(entries):
        # a secret's value must not become part of a task id (it would be written into the DAG)
        code, trailing = split_comment(without_command_secrets(entry.command))
        facts = command_facts(code, without_secrets(entry.env), entry.user)
        zone = entry.schedule.timezone or default_timezone
        unscheduled: str | None = None
        job_timing: Timing | None = None
        if entry.schedule.is_reboot:
            unscheduled = "@reboot has no schedule"
        else:
            try:
                job_timing = timing(entry.schedule, zone)
            except NeverFires:
                unscheduled = f"'{entry.schedule.text}' never fires"
        comment = " ".join([*entry.comments, *([trailing] if trailing else [])])
        drafts.append((index, entry, facts, zone, job_timing, unscheduled, comment))
    # a repeated name is told apart by the script's directory first (`sales/extract.py`), then
    # by its arguments
    ids = assign_task_ids(
        [
            (d[2].name, ((d[2].directory,) if d[2].directory else ()) + d[2].alternates)
            for d in drafts
        ]
    )
    jobs: list[Job] = []
    for (index, entry, facts, zone, job_timing, unscheduled, comment), task_id in zip(drafts, ids):
        words = _name_words(facts.name)
        entities, outputs = _topic_words(facts.topic)
        verbs = [s for s in words if s in VERB_STEMS]
        directory = (
            stem(facts.directory) if facts.directory and not is_noise(facts.directory) else None
        )
        independent = None
        if unscheduled is None:
            independent = _independent_reason(facts, job_timing)
        jobs.append(
            Job(
                index=index,
                entry=entry,
                facts=facts,
                zone=zone,
                timing=job_timing,
                unscheduled=unscheduled,
                independent=independent,
                task_id=task_id,
                entities=entities,
                outputs=outputs,
                verb=verbs[0] if verbs else None,
                stage=STAGE_OF.get(verbs[0]) if verbs else None,
                directory=directory if directory and directory not in entities else None,
                references=frozenset(words)
                | frozenset(stem(w) for w in split_words(task_id) if not is_noise(w)),
                words=words,
                comment=comment,
                sink=bool(verbs) and verbs[0] in SINK_STEMS,
            )
        )
    return jobs


def _topic_words(topic: str) -> tuple[frozenset[str], frozenset[str]]:
    """(entities, outputs) of a topic. In `<verb> <object> from <source>` the source is an input."""
    words = split_words(topic)
    entities = frozenset(stem(w) for w in words if not is_noise(w) and stem(w) not in VERB_STEMS)
    if "from" in words:
        cut = words.index("from")
        before = {stem(w) for w in words[:cut] if not is_noise(w) and stem(w) not in VERB_STEMS}
        if before:
            return entities, frozenset(before)
    return entities, entities


def _name_words(name: str) -> dict[str, str]:
    words: dict[str, str] = {}
    for word in split_words(name):
        if not is_noise(word):
            words.setdefault(stem(word), word)
    return words


def _independent_reason(facts: CommandFacts, job_timing: Timing | None) -> str | None:
    if facts.housekeeping:
        return f"housekeeping: {facts.housekeeping}"
    if job_timing is not None and job_timing.period and job_timing.min_gap < MIN_PIPELINE_PERIOD:
        return f"runs {job_timing.cadence}: a monitor or poller, not a pipeline step"
    if not facts.name_source:
        return "runs no command"
    return None


def assign_task_ids(names: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    """Unique ids: a repeated name takes the first word that tells its jobs apart, else `_2`, `_3`.

    Depends only on the entries themselves and their order, so ids are the same on every run.
    """
    ids = [identifier(name, fallback="job") for name, _ in names]
    groups: dict[str, list[int]] = defaultdict(list)
    for k, task_id in enumerate(ids):
        groups[task_id].append(k)
    for task_id, members in groups.items():
        if len(members) < 2:
            continue
        firsts = [names[k][1][0] if names[k][1] else None for k in members]
        if None not in firsts and len(set(firsts)) == len(firsts):
            # each job's own first word (`run.sh --step extract`, `--step transform`) tells
            # them apart, even when a later job also names an earlier one's word as its input
            for k, first in zip(members, firsts):
                ids[k] = identifier(f"{task_id}_{first}", fallback="job")
            continue
        counts = Counter(alt for k in members for alt in set(names[k][1]))
        for k in members:
            distinct = next((alt for alt in names[k][1] if counts[alt] == 1), None)
            if distinct:
                ids[k] = identifier(f"{task_id}_{distinct}", fallback="job")
    # whatever is still repeated (or now collides) is numbered in file order
    seen: Counter[str] = Counter()
    taken = set()
    final: list[str] = []
    totals = Counter(ids)
    for task_id in ids:
        if totals[task_id] == 1 and task_id not in taken:
            final.append(task_id)
            taken.add(task_id)
            continue
        seen[task_id] += 1
        candidate = task_id if seen[task_id] == 1 else f"{task_id}_{seen[task_id]}"
        while candidate in taken or (candidate != task_id and candidate in totals):
            seen[task_id] += 1
            candidate = f"{task_id}_{seen[task_id]}"
        final.append(candidate)
        taken.add(candidate)
    return final
