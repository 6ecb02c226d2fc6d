"""Hypothesis profiles for every test directory (loaded by tests/conftest.py).

`default` (the plain `pytest` run) keeps each property test to its own bounded number of examples and
never fails on time: CI machines are busy, and a test that passes only on a quiet machine is a defect
(speed is measured by `benchmarks/`, not by deadlines). `ci-fuzz` is the longer run that `.ci/run`
makes of the tests marked `fuzz`: `fuzz_examples` scales their example counts.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE_VARIABLE = "CRON2DAG_HYPOTHESIS_PROFILE"
# how many times more examples the fuzzers draw under the CI profile than in the default run
_SCALE = {"default": 1, "ci-fuzz": 20}

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci-fuzz",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
PROFILE = os.environ.get(PROFILE_VARIABLE, "default")
if PROFILE not in _SCALE:
    raise ValueError(f"{PROFILE_VARIABLE}={PROFILE!r}: expected one of {', '.join(_SCALE)}")
settings.load_profile(PROFILE)


def fuzz_examples(default_run: int, ci: int | None = None) -> int:
    """`max_examples` for a fuzzer: `default_run` in the plain run, many more under `ci-fuzz`
    (`ci` when given: for a fuzzer whose examples each start processes)."""
    if PROFILE == "ci-fuzz" and ci is not None:
        return ci
    return default_run * _SCALE[PROFILE]
