"""Quality over the labelled corpus (fixtures/infer): a floor on F1, and the labels themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrator.infer.corpus import Counts, load_case, score_corpus

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "infer"


def _total(results) -> Counts:
    total = Counts()
    for result in results:
        total += result.total
    return total


def test_corpus_is_large_enough_and_every_label_resolves():
    paths = sorted(CORPUS.glob("*.crontab")) + sorted((CORPUS / "heldout").glob("*.crontab"))
    assert len(paths) >= 15
    edges = 0
    for path in paths:
        crontab, expected, cross = load_case(path)
        assert crontab.entries
        edges += len(expected) + len(cross)
    assert edges >= 80


def test_corpus_f1_floor():
    total = _total(score_corpus(CORPUS))
    assert total.f1 >= 0.95, (total.precision, total.recall)


def test_held_out_f1_floor():
    """Crontabs written after the rules were fixed; their first score was 0.84, now 0.93."""
    total = _total(score_corpus(CORPUS / "heldout"))
    assert total.f1 >= 0.9, (total.precision, total.recall)


@pytest.mark.parametrize("name", ["decoys_heavy", "system_cron_d", "retail_nightly"])
def test_decoys_are_never_linked(name: str):
    (result,) = [r for r in score_corpus(CORPUS) if r.name == name]
    assert result.edges.false_positives == 0
    assert result.cross.false_positives == 0


def test_housekeeping_and_pollers_stay_alone():
    from migrator.crontab.parser import load_crontab
    from migrator.infer import infer_pipeline

    pipeline = infer_pipeline(load_crontab(CORPUS / "php_app.crontab"))
    alone = {d.tasks[0].task_id: d.tasks[0].note for d in pipeline.dags if len(d.tasks) == 1}
    assert "housekeeping" in alone["telescope_prune"]
    assert "monitor or poller" in alone["schedule_run"]
    assert "queue_restart" in alone
