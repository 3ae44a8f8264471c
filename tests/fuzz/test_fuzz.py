"""The fuzz sample of ``npm test`` (issue 19 item 1): 2,000 mutated inputs, fixed seed.

Each input goes through the native session beside a good file and must keep the
contract of :func:`tests.fuzz.harness.check`. A longer campaign: ``npm run fuzz --
--count N --seconds S``.
"""

from __future__ import annotations

import warnings
from collections import Counter

import pytest

from tests.fuzz.harness import campaign, check, neighbour
from tests.fuzz.mutations import MUTATIONS

SEED = 20261202
COUNT = 2000


@pytest.fixture(autouse=True)
def _quiet() -> None:
    # pydicom warns about every odd value it reads: thousands here, none of them news.
    warnings.simplefilter("ignore")


def test_two_thousand_mutated_inputs_keep_the_contract() -> None:
    run, failures = campaign(SEED, COUNT, None, None)
    assert run == COUNT
    assert not failures, "\n".join(f"{f.name}: {f.reason}" for f in failures[:20])


def test_every_mutation_changes_its_input() -> None:
    import numpy as np

    from tests.fuzz.harness import seeds

    rng = np.random.default_rng(SEED)
    pool = [s for s in seeds() if s.name.endswith("CT_small.dcm")]
    assert pool
    changed = Counter(
        name
        for name, mutate in MUTATIONS.items()
        for _ in range(5)
        if mutate(rng, pool[0].data) != pool[0].data
    )
    assert set(changed) == set(MUTATIONS), set(MUTATIONS) - set(changed)


def test_the_check_catches_a_broken_contract() -> None:
    # A file that is valid but that the check is told is missing: the contract names it.
    good = neighbour()
    assert check("plain.dcm", good[1], ("other.dcm", good[1])) is not None  # a duplicate
    assert check("broken.dcm", b"DICM" * 10, good) is None  # skipped with its reason
