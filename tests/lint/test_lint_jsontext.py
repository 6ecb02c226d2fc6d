"""The JSON and SARIF reports are written by `dumps_indented`: the text must be `json.dumps(value,
indent=2)`'s, byte for byte, for every value a report holds and for those it hands back."""

from __future__ import annotations

import json
from enum import StrEnum

import pytest
from fuzz_profiles import fuzz_examples
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.lint.jsontext import dumps_indented


class Level(StrEnum):
    ERROR = "error"


@pytest.mark.parametrize(
    "value",
    [
        [],
        {},
        "plain",
        'quotes " and \\ and \n and \t and \x00',
        "non-ASCII é → 𝄞",
        0,
        -12,
        10**30,
        True,
        False,
        None,
        [1, [2, [3, []]], {}, {"a": {}}],
        {"a": 1, "b": [True, None, "x"], "c": {"d": {"e": []}}},
        ("a", ("b",)),
        {"level": Level.ERROR},
        [Level.ERROR],
        [1.5, float("nan")],
        {1: "a number key"},
        {None: "a null key"},
    ],
)
def test_the_text_is_json_dumps_text(value):
    assert dumps_indented(value) == json.dumps(value, indent=2)


def test_a_report_shaped_value_is_json_dumps_text():
    finding = {
        "code": "AF301",
        "message": "`schedule_interval` was removed in Airflow 3",
        "location": {"row": 12, "column": 5},
        "fix": {"applicability": "safe", "edits": [{"content": "schedule", "location": {"row": 12, "column": 5}}]},
        "noqa_row": None,
    }
    value = [finding] * 3
    assert dumps_indented(value) == json.dumps(value, indent=2)


_LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text() | st.integers(), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=fuzz_examples(200), deadline=None)
@given(_VALUES)
def test_any_json_value_is_json_dumps_text(value):
    assert dumps_indented(value) == json.dumps(value, indent=2)
