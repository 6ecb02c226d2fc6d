"""One record per cron entry with everything inference reads: facts, calendar, words, task id."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from migrator.crontab.model import CronEntry, Environment
from migrator.crontab.secrets import (
    find_comment_secrets,
    mask_secrets,
    without_command_secrets,
    without_secrets,
)
from migrator.infer.calendar import NeverFires, Timing, timing
from migrator.infer.facts import MENTION, Artifact, CommandFacts, command_facts
from migrator.infer.scripts import ScriptReader
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


@dataclass(frozen=True, slots=True)
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
    # what its name says it is made from: `orders` in `net_revenue_from_orders`
    inputs: frozenset[str]
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
    def schedulable(self) -> bool:
        """It has a calendar, so it can take part in a DAG at all."""
        return self.timing is not None and self.unscheduled is None

    @property
    def linkable(self) -> bool:
        """Weak evidence (shared words, time proximity) may concern it."""
        return self.schedulable and self.independent is None


class _Environments:
    """Each entry's environment as a dict, without secrets (a secret's value must not become part
    of a task id: it would be written into the DAG).

    The entries of a block share one environment, and the next block's is this one plus the
    assignments between them. A file that reassigns CRON_TZ before each of a thousand blocks has a
    thousand assignments in effect by the end: building each block's dict from all of them would
    take time quadratic in the file, so a block's dict is the previous block's, updated with the
    assignments made since.
    """

    def __init__(self) -> None:
        self._environment: Sequence[tuple[str, str]] | None = None
        self._values: dict[str, str] = {}
        self._filtered: dict[str, str] = {}

    def of(self, environment: Sequence[tuple[str, str]]) -> dict[str, str]:
        previous = self._environment
        if environment is previous:
            return self._filtered
        since = _since(environment, previous) if previous is not None else None
        if since is not None:
            values = dict(self._values)
            values.update(since)
        else:
            values = dict(environment)
        self._environment, self._values = environment, values
        self._filtered = without_secrets(values)
        return self._filtered


def _since(
    environment: Sequence[tuple[str, str]], previous: Sequence[tuple[str, str]]
) -> Sequence[tuple[str, str]] | None:
    """The assignments `environment` adds to `previous`, or None when it does not continue it."""
    if isinstance(environment, Environment) and isinstance(previous, Environment):
        return environment.after(previous)
    if isinstance(environment, tuple) and environment[: len(previous)] == previous:
        return environment[len(previous) :]
    return None


def build_jobs(
    entries: Iterable[CronEntry], default_timezone: str, scripts: ScriptReader | None = None
) -> list[Job]:
    entries = list(entries)
    drafts = []
    environments = _Environments()
    for index, entry in enumerate(entries):
        # a secret's value must not become part of a task id (it would be written into the DAG)
        code, trailing = split_comment(without_command_secrets(entry.command))
        env = environments.of(entry.environment)
        facts = command_facts(code, env, entry.user)
        if scripts is not None and facts.calls:
            found = scripts.artifacts(facts.calls, dict(env), facts.home)
            if found:
                facts = replace(facts, artifacts=with_script_artifacts(facts.artifacts, found))
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
        # a comment may carry a secret (a commented-out job with its password): evidence quotes it
        said = [mask_secrets(c, find_comment_secrets(c)) for c in entry.comments]
        comment = " ".join([*said, *([trailing] if trailing else [])])
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
        if not any(s in VERB_STEMS for s in words):
            # `orders.sh extract`, `orders.sh load`: the argument says which step it is
            for alternate in facts.alternates:
                words.update((s, w) for s, w in _name_words(alternate).items() if s not in words)
        entities, outputs = _topic_words(facts.topic)
        inputs = entities - outputs
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
                inputs=inputs,
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


def with_script_artifacts(
    line: tuple[Artifact, ...], scripts: tuple[Artifact, ...]
) -> tuple[Artifact, ...]:
    """The line's artifacts and its scripts': a role a script states replaces a mere mention."""
    known = {(a.kind, a.key) for a in scripts if a.role != MENTION}
    kept = [a for a in line if not (a.role == MENTION and (a.kind, a.key) in known)]
    seen = {(a.kind, a.key, a.role) for a in kept}
    for artifact in scripts:
        slot = (artifact.kind, artifact.key, artifact.role)
        if slot not in seen:
            seen.add(slot)
            kept.append(artifact)
    return tuple(kept)


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
