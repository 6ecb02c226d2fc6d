"""Random and mutated lines never crash the parser: only InputError, always with a line and column."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from fuzz_profiles import fuzz_examples
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.crontab.model import Dialect
from migrator.crontab.parser import parse_crontab, parse_expression
from migrator.errors import InputError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "crontabs"
SEEDS = [
    line
    for path in sorted(FIXTURES.rglob("*"))
    if path.is_file() and "invalid" not in path.parts
    for line in path.read_text().splitlines()
] + [
    "0 0 * * 5-0 x",
    "~ 2 * * * root x",
    "-@daily x",
    'A = "b"',
    "*/5 1-3/2 1,15 jan-mar mon x%y\\%z",
]
ALPHABET = "0123456789*/,-~@#=\"' \t%\\abcdefghijklmnopqrstuvwxyzMONFRI?L"


def check(text: str, **kwargs) -> None:
    try:
        crontab = parse_crontab(text, "fuzz", **kwargs)
    except InputError as error:
        for diagnostic in error.diagnostics:
            assert diagnostic.line is not None and diagnostic.column is not None, diagnostic
            assert 1 <= diagnostic.line <= text.count("\n") + 1
            assert diagnostic.column >= 1
    else:
        for entry in crontab.entries:
            assert entry.schedule.span.line == entry.line


def mutate(line: str, rng: random.Random) -> str:
    chars = list(line)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        position = rng.randint(0, len(chars))
        if op < 0.4 and chars:
            del chars[min(position, len(chars) - 1)]
        elif op < 0.8:
            chars.insert(position, rng.choice(ALPHABET))
        elif chars:
            chars[min(position, len(chars) - 1)] = rng.choice(ALPHABET)
    return "".join(chars)


@pytest.mark.fuzz
@pytest.mark.parametrize("dialect", list(Dialect))
@pytest.mark.parametrize("system", [False, True, None])
def test_mutated_fixture_lines(dialect, system):
    rng = random.Random(f"{dialect}-{system}")
    for _ in range(fuzz_examples(300)):
        lines = [mutate(rng.choice(SEEDS), rng) for _ in range(rng.randint(1, 6))]
        check("\n".join(lines) + rng.choice(["\n", ""]), system=system, dialect=dialect)


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(300))
@given(st.text(alphabet=ALPHABET + "\n\r\x0b\x00\u00e9", max_size=120), st.booleans())
def test_random_text(text, system):
    check(text, system=system)


@pytest.mark.fuzz
@settings(max_examples=fuzz_examples(200))
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_random_expressions(text):
    try:
        parse_expression(text)
    except InputError as error:
        assert all(d.line is not None and d.column is not None for d in error.diagnostics)
