"""The decoded-frame cache within the budget the page sets for the device (issue 19 item 3)."""

from __future__ import annotations

import numpy as np

from lightbox.core.records import FrameRef
from lightbox.session.cache import FrameCache


def test_a_smaller_budget_evicts_the_least_recently_used_frames() -> None:
    cache = FrameCache(budget=10 * 1000)
    for k in range(10):
        cache.put(FrameRef(0, k), np.zeros(1000, np.uint8))  # 1,000 bytes each
    cache.get(FrameRef(0, 0))  # the first is now the most recently used
    cache.resize(3 * 1000)
    assert cache.nbytes == 3000 and len(cache) == 3
    kept = [k for k in range(10) if cache.get(FrameRef(0, k)) is not None]
    assert kept == [0, 8, 9]
    cache.put(FrameRef(0, 10), np.zeros(1000, np.uint8))
    assert cache.nbytes == 3000  # the budget holds for what comes after
