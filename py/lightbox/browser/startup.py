"""Start-up in the browser: what the worker runs before importing anything else.

Some modules are imported at start-up only to be at hand later. pydicom
imports :mod:`urllib.request` for downloading its own test files, which the
viewer never does, and with it :mod:`http.client` and its parsers: in Pyodide
about a third of pydicom's import time (measured in the worker: ``import
pydicom`` 610 ms median, 424 ms with it deferred). Such a module is registered
as deferred: its spec is found now and its body runs the first time anything
reads one of its attributes, exactly as it would have run at import.
"""

from __future__ import annotations

import gc
import importlib.util
import sys
import types

#: Modules imported at start-up but not needed until used: what pydicom imports for
#: downloads, and de-identification (the bridge's ``from lightbox.deid import api`` and the
#: session's ``from lightbox.deid import identifying`` bind the deferred modules; they run
#: when the user first de-identifies or hides patient information in the tag browser).
DEFERRED = ("urllib.request", "lightbox.deid.api", "lightbox.deid.identifying")


class _Deferred(types.ModuleType):
    """A module whose body runs on the first read of an attribute it does not have yet."""

    def __getattr__(self, attribute: str) -> object:
        spec = self.__spec__
        if spec is None or spec.loader is None:
            raise AttributeError(attribute)
        real = importlib.util.module_from_spec(spec)
        sys.modules[self.__name__] = real
        parent, _, child = self.__name__.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, real)
        spec.loader.exec_module(real)
        self.__dict__.update(real.__dict__)
        return getattr(real, attribute)


def defer(name: str) -> bool:
    """Register ``name`` as deferred; False when it is already imported or not found."""
    if name in sys.modules:
        return False
    spec = importlib.util.find_spec(name)  # imports the parent package, not the module
    if spec is None or spec.loader is None:
        return False
    module = _Deferred(name)
    module.__spec__ = spec
    module.__loader__ = spec.loader
    module.__file__ = spec.origin
    module.__package__ = spec.parent
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return True


def prepare() -> None:
    """Defer :data:`DEFERRED` (the worker calls this first)."""
    for name in DEFERRED:
        defer(name)


def settle() -> None:
    """After the imports (the worker calls this last): keep the collector off them.

    Everything imported so far lives as long as the worker. Frozen, those objects
    are left out of every later collection: a full collection in the worker took
    14-26 ms with them (34,000 objects) and under 1 ms without (measured).
    """
    gc.freeze()  # no collection first: that alone would cost the 14-26 ms at start-up
