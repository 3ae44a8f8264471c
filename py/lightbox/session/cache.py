"""What a session keeps: rendered frames and the cache of decoded ones (within a budget)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lightbox.core.records import FrameRef

DEFAULT_CACHE_BYTES = 512 * 1024 * 1024


@dataclass
class Rendered:
    """One rendered frame: RGBA pixels and what produced them."""

    rgba: np.ndarray[Any, Any]
    info: dict[str, Any]


@dataclass
class FrameCache:
    """Decoded frames by (file, frame), least recently used evicted past a budget."""

    budget: int = DEFAULT_CACHE_BYTES
    _frames: OrderedDict[FrameRef, np.ndarray[Any, Any]] = field(default_factory=OrderedDict)
    _bytes: int = 0

    def get(self, ref: FrameRef) -> np.ndarray[Any, Any] | None:
        arr = self._frames.get(ref)
        if arr is not None:
            self._frames.move_to_end(ref)
        return arr

    def put(self, ref: FrameRef, arr: np.ndarray[Any, Any]) -> None:
        if ref in self._frames:
            return
        self._frames[ref] = arr
        self._bytes += arr.nbytes
        self._evict()

    def resize(self, budget: int) -> None:
        """Hold at most ``budget`` bytes from now on (the least recently used go first)."""
        self.budget = max(0, int(budget))
        self._evict()

    def _evict(self) -> None:
        while self._bytes > self.budget and len(self._frames) > 1:
            _, old = self._frames.popitem(last=False)
            self._bytes -= old.nbytes

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._frames)
