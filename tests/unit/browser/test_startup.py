"""lightbox.browser.startup: a deferred module runs its body on first use, and only then."""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path

import pytest

from lightbox.browser import startup

BODY = """
import builtins
builtins.__dict__.setdefault("_lightbox_runs", []).append(__name__)
VALUE = 42
def twice(x):
    return 2 * x
"""


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A fresh package ``deferpkg`` with a submodule ``heavy`` whose body records each run."""
    root = tmp_path / "deferpkg"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "heavy.py").write_text(BODY)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "deferpkg.heavy"
    for name in ("deferpkg.heavy", "deferpkg"):
        sys.modules.pop(name, None)
    import builtins

    builtins.__dict__.pop("_lightbox_runs", None)


def runs() -> list[str]:
    import builtins

    return list(builtins.__dict__.get("_lightbox_runs", []))


def test_the_body_runs_on_first_attribute_read_not_at_import(package: str) -> None:
    assert startup.defer(package)
    import deferpkg.heavy  # the import statement finds the deferred module

    assert runs() == []
    assert deferpkg.heavy.twice(21) == 42  # through the parent package's attribute
    assert runs() == ["deferpkg.heavy"]
    assert deferpkg.heavy.VALUE == 42 and sys.modules[package].VALUE == 42
    assert runs() == ["deferpkg.heavy"]  # once


def test_from_import_of_a_deferred_module_runs_it(package: str) -> None:
    startup.defer(package)
    from deferpkg.heavy import VALUE  # reads an attribute: the body runs

    assert VALUE == 42 and runs() == ["deferpkg.heavy"]


def test_a_module_already_imported_or_missing_is_left_alone(package: str) -> None:
    importlib.import_module(package)
    assert runs() == ["deferpkg.heavy"]
    assert not startup.defer(package)
    assert not isinstance(sys.modules[package], startup._Deferred)
    assert not startup.defer("deferpkg.no_such_module")


def test_prepare_defers_urllib_request_when_nothing_imported_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    saved = {k: v for k, v in sys.modules.items() if k == "urllib.request"}
    monkeypatch.delitem(sys.modules, "urllib.request", raising=False)
    try:
        startup.prepare()
        module = sys.modules["urllib.request"]
        assert isinstance(module, startup._Deferred)
        assert callable(module.urlretrieve)  # the real function, once read
        # Once read, the real module replaced the stand-in (a plain module, not a _Deferred).
        assert type(sys.modules["urllib.request"]) is types.ModuleType
    finally:
        sys.modules.pop("urllib.request", None)
        sys.modules.update(saved)
        import urllib

        if "urllib.request" in sys.modules:
            urllib.request = sys.modules["urllib.request"]  # type: ignore[attr-defined]


def test_settle_freezes_what_exists_so_collections_skip_it() -> None:
    import gc

    before = gc.get_freeze_count()
    try:
        startup.settle()
        assert gc.get_freeze_count() > before
        assert gc.get_freeze_count() >= len(gc.get_objects()) // 2  # most objects now frozen
    finally:
        gc.unfreeze()
