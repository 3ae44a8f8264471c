"""Each session owns its RGBA tables: nothing is kept at module level, nothing is shared.

The pipeline's whole-type tables (lightbox.display.pipeline.TableCache) are state:
a session keeps its own and passes it to every render, so two sessions (two
viewers in one process, a test after another) never see each other's tables.
"""

from __future__ import annotations

import numpy as np
import pytest

from lightbox.display import pipeline
from lightbox.session.session import Session
from tools import synth


def _opened(window: tuple[float, float] = (40.0, 400.0)) -> Session:
    session = Session()
    series = synth.ct_series(3, 16, 16, name="tables", window=window)
    session.open([(f"IM{i}", synth.to_bytes(ds)) for i, ds in enumerate(series)])
    return session


def test_a_session_renders_through_its_own_cache() -> None:
    session = _opened()
    assert isinstance(session.tables, pipeline.TableCache) and len(session.tables) == 0
    session.render(0, 0)
    assert len(session.tables) == 1
    session.render(0, 1)  # the same type, rescale and window: the same table
    assert len(session.tables) == 1
    session.render(0, 1, window=(0.0, 100.0))
    assert len(session.tables) == 2


def test_two_sessions_do_not_share_tables() -> None:
    first, second = _opened(), _opened()
    first.render(0, 0)
    first.render(0, 0, window=(0.0, 100.0))
    assert (len(first.tables), len(second.tables)) == (2, 0)
    assert first.tables is not second.tables
    rendered = second.render(0, 0)
    assert len(second.tables) == 1 and len(first.tables) == 2
    np.testing.assert_array_equal(rendered.rgba, first.render(0, 0).rgba)


def test_the_cache_a_session_holds_is_the_one_its_renders_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session = _opened()
    passed: list[object] = []
    real = pipeline.gray_rgba

    def recording(*args: object) -> np.ndarray:
        passed.append(args[4])
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "gray_rgba", recording)
    session.render(0, 0)
    session.render(0, 2, window=(10.0, 50.0))
    assert passed == [session.tables, session.tables]
