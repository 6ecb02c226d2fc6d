"""The runner against real Airflow 3 on Airflow's own bundled example DAGs (`pytest -m airflow`).

See examples_differential.py: Airflow's answers are cached in airflow3_examples.json, keyed by the
Airflow version and each example's SHA-256. These tests fail when the cache is stale, re-run real
Airflow on a sample of examples (rotating by day) and on the wall-clock-dependent ones, and hold the
runner to agree with Airflow on at least 90% of the comparable example DAGs, with every disagreement
named in KNOWN_DIFFERENCES (a new disagreement, or a listed one that now agrees, fails).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from airflow_harness import AirflowEnv
from examples_differential import (
    AIRFLOW_NEVER_FINISHES,
    CACHE,
    CLOCK_DEPENDENT,
    OUTSIDE_SERVICES,
    REFRESH_COMMAND,
    SLOW,
    airflow_side,
    cache_mismatches,
    compare,
    site_packages,
    stale_reasons,
    summary,
)

pytestmark = pytest.mark.airflow

TARGET = 0.90
# (file, dag_id) -> why the runner ends differently from `airflow dags test`, or does not load it.
KNOWN_DIFFERENCES: dict[tuple[str, str], str] = {}


def _cache() -> dict:
    return json.loads(CACHE.read_text(encoding="utf-8"))


def test_the_cached_airflow_answers_are_not_stale(airflow3: AirflowEnv) -> None:
    reasons = stale_reasons(_cache(), airflow3.venv)
    assert not reasons, f"the cache is stale; re-run `{REFRESH_COMMAND}`:\n" + "\n".join(reasons)


def _sample(files: list[str], count: int) -> list[str]:
    day = dt.date.today().toordinal()
    return [files[(day * count + offset) % len(files)] for offset in range(count)] if files else []


def test_airflow_still_gives_the_cached_answers(airflow3: AirflowEnv, tmp_path: Path) -> None:
    """A different pair of examples each day: the cache is checked against real Airflow continuously."""
    cache = _cache()
    skip = {*OUTSIDE_SERVICES, *AIRFLOW_NEVER_FINISHES, *SLOW, *CLOCK_DEPENDENT}  # random branches: as a multiset
    candidates = sorted(name for name, entry in cache["files"].items() if name not in skip and entry["dags"])
    sample = _sample(candidates, 2)
    fresh = {"files": airflow_side(airflow3, site_packages(airflow3.venv), sample, tmp_path)}
    problems = cache_mismatches(cache, fresh, sample)
    assert not problems, f"Airflow no longer gives the cached answers; re-run `{REFRESH_COMMAND}`:\n" + "\n".join(problems)


def test_wall_clock_examples_agree_when_run_now(airflow3: AirflowEnv, tmp_path: Path) -> None:
    """Examples that branch on today's weekday or the time of day: both engines, one after the other."""
    packages = site_packages(airflow3.venv)
    names = sorted(CLOCK_DEPENDENT)
    fresh = {"files": airflow_side(airflow3, packages, names, tmp_path)}
    verdicts = compare(fresh, packages, names, live=True)
    differing = [v for v in verdicts if v.status != "agree"]
    assert verdicts and not differing, summary(verdicts)


def test_the_runner_agrees_with_airflow_on_the_examples() -> None:
    from examples_differential import find_venv

    venv = find_venv(3)
    assert venv is not None
    verdicts = compare(_cache(), site_packages(venv), workers=4)  # mostly sleeps: more than the CPUs
    compared = [v for v in verdicts if v.status != "excluded"]
    agreeing = [v for v in compared if v.status == "agree"]
    report = summary(verdicts)
    differing = {(v.file, v.dag_id) for v in compared if v.status != "agree"}
    assert differing - set(KNOWN_DIFFERENCES) == set(), "new differences from Airflow:\n" + report
    assert set(KNOWN_DIFFERENCES) - differing == set(), (
        "listed as differing but agreeing now (update KNOWN_DIFFERENCES): "
        + ", ".join(f"{f} {d}" for f, d in sorted(set(KNOWN_DIFFERENCES) - differing)))
    assert len(agreeing) >= TARGET * len(compared), report
