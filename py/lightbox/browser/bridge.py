"""The one module that knows it runs in Pyodide: JS values in, plain values out.

The worker calls these functions; results are JSON text (so None is null and
nothing leaks proxies), and a frame is a numpy array the worker reads with
``getBuffer()`` and releases at once. A function that fails leaves what went
wrong in :func:`last_error` (``{name, file, reason}``), which the worker sends
to the page as the error object: no traceback text crosses to be parsed.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import lightbox_codecs  # registered by the worker
import lightbox_kernels  # registered by the worker
import numpy as np
from pyodide.ffi import JsProxy, to_js

from lightbox.browser.console import BrowserConsole
from lightbox.browser.sources import bytes_or_source as _bytes_or_source
from lightbox.core.errors import LightboxError
from lightbox.core.messages import said
from lightbox.deid import api as deid
from lightbox.ingest import dicomdir
from lightbox.pixels import codecs
from lightbox.session.inspector import Inspector
from lightbox.session.session import Session
from lightbox.volume import sampling
from lightbox.waveform.plot import View


class BrowserCodecs:
    """The codecs backend: the worker's JavaScript/WebAssembly decoders."""

    def __init__(self) -> None:
        # The codecs the worker ships (loaded or not) never change: read them once, not
        # across the JavaScript boundary on every frame pydicom asks about.
        self._available = frozenset(str(name) for name in lightbox_codecs.available)

    def available(self) -> frozenset[str]:
        return self._available

    def decode(self, codec: str, data: bytes, color_transform: bool | None) -> codecs.Decoded:
        out = lightbox_codecs.decode(codec, to_js(data), color_transform)
        return codecs.Decoded(
            data=out.data.to_bytes(),
            width=int(out.width),
            height=int(out.height),
            components=int(out.components),
            bits=int(out.bits),
            signed=bool(out.signed),
            interleaved=bool(out.interleaved),
            color_converted=bool(out.colorConverted),
        )


def _plane_numbers(
    data: np.ndarray[Any, Any],
    out: np.ndarray[Any, Any],
    start: tuple[float, float, float],
    along_row: tuple[float, float, float],
    down_column: tuple[float, float, float],
    fill: float,
) -> list[float]:
    """The plane as the worker's kernels take it: nx, ny, nz, start, along a row, down a
    column, rows, columns, fill."""
    nz, ny, nx = data.shape
    rows, columns = out.shape
    return [nx, ny, nz, *start, *along_row, *down_column, rows, columns, float(fill)]


def _plane_kernel(
    data: np.ndarray[Any, Any],
    out: np.ndarray[Any, Any],
    start: tuple[float, float, float],
    along_row: tuple[float, float, float],
    down_column: tuple[float, float, float],
    fill: float,
) -> None:
    """The worker's trilinear plane (web/js/worker/kernels.js): it reads ``data`` and
    fills ``out`` in place, through their buffers (no copy)."""
    numbers = _plane_numbers(data, out, start, along_row, down_column, fill)
    lightbox_kernels.trilinear_plane(data, out, *numbers)


def _windowed_kernel(
    data: np.ndarray[Any, Any],
    out: np.ndarray[Any, Any],
    start: tuple[float, float, float],
    along_row: tuple[float, float, float],
    down_column: tuple[float, float, float],
    fill: float,
    center: float,
    width: float,
    invert: bool,
) -> None:
    """The worker's windowed plane (kernels.js ``windowedPlane``): samples through the
    linear window to opaque grey RGBA words in ``out`` (uint32), through the buffers."""
    numbers = _plane_numbers(data, out, start, along_row, down_column, fill)
    lightbox_kernels.windowed_plane(data, out, *numbers, float(center), float(width), bool(invert))


codecs.install(BrowserCodecs())
sampling.use_plane_kernel(_plane_kernel, _windowed_kernel)
_session = Session()
_inspector = Inspector(_session)


def _json(value: Any) -> str:
    return json.dumps(value, allow_nan=False, default=str)


P = ParamSpec("P")
R = TypeVar("R")
#: What the last call that failed raised, as the page shows it.
_last_error: dict[str, Any] = {"name": "Error", "file": None, "reason": "no error", "said": None}


def _guarded(fn: Callable[P, R]) -> Callable[P, R]:
    """Keep the error of a failing call as ``{name, file, reason}`` for :func:`last_error`."""

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except LightboxError as exc:
            _last_error.update(
                name=type(exc).__name__, file=exc.name, reason=exc.reason, said=said(exc.reason)
            )
            raise
        except Exception as exc:
            _last_error.update(
                name=type(exc).__name__, file=None, reason=str(exc) or repr(exc), said=None
            )
            raise

    return call


def last_error() -> str:
    """The error of the last call that failed: ``{name, file, reason, said}`` (file may be
    null; ``said`` the reason with its catalog id, :func:`lightbox.core.messages.said`)."""
    return _json(_last_error)


@_guarded
def open_files(names: JsProxy, buffers: JsProxy) -> str:
    """Open files given as parallel JS arrays of names and ArrayBuffers."""
    items = [
        (str(name), _bytes_or_source(buffer)) for name, buffer in zip(names, buffers, strict=True)
    ]
    return _json(_session.open(items, report=False))  # the page asks catalog() at the end


@_guarded
def catalog() -> str:
    """Everything open, as JSON."""
    return _json(_session.catalog())


@_guarded
def close_all() -> str:
    """Forget every opened file and cached frame."""
    global _session, _inspector  # noqa: PLW0603 -- the worker holds one session at a time
    _session = Session(_session.cache.budget)
    _inspector = Inspector(_session)
    return _json(_session.catalog())


@_guarded
def render(
    series: int,
    frame: int,
    center: float | None,
    width: float | None,
    invert: bool,
    overlays: bool = False,
    voi_index: int | None = None,
    step: int = 1,
    presentation: str | None = None,
) -> tuple[str, np.ndarray[Any, Any]]:
    """Render one frame: (info JSON, C-contiguous uint8 RGBA array), every ``step``-th pixel;
    ``presentation``: the SOP Instance UID of a presentation state to apply, or None."""
    window = None if center is None or width is None else (float(center), float(width))
    voi = None if voi_index is None else int(voi_index)
    rendered = _session.render(
        int(series),
        int(frame),
        window,
        bool(invert),
        voi_index=voi,
        overlays=bool(overlays),
        step=int(step),
        presentation=None if presentation is None else str(presentation),
    )
    return _json(rendered.info), np.ascontiguousarray(rendered.rgba)


@_guarded
def icc_profile(key: str) -> tuple[str, np.ndarray[Any, Any]]:
    """The ICC profile a rendered colour frame named in ``info["icc"]``: (its key, its bytes)."""
    profile = _session.icc_profiles.get(str(key))
    if profile is None:
        raise LightboxError(str(key), "no such ICC profile was shown")
    return _json(key), np.frombuffer(profile, dtype=np.uint8)


@_guarded
def render_view(
    series: int,
    view_json: str,
    center: float | None,
    width: float | None,
    invert: bool,
    presentation: str | None = None,
) -> tuple[str, np.ndarray[Any, Any]]:
    """Render a reformatted plane or slab of a series' volume (issue 14 item 6): (info
    JSON with ``view``, ``reslice`` and ``volume``, C-contiguous uint8 RGBA array);
    ``presentation`` an applied Blending state over the series (its window for it)."""
    window = None if center is None or width is None else (float(center), float(width))
    view = json.loads(str(view_json))
    rendered = _session.render_view(
        int(series),
        view,
        window,
        bool(invert),
        None if presentation is None else str(presentation),
    )
    return _json(rendered.info), np.ascontiguousarray(rendered.rgba)


@_guarded
def volume_info(series: int, phase: int | None = None) -> str:
    """The series' ``volume`` record: dims, spacing and warnings (``not-a-volume``), and
    its ``phases`` when it holds several volumes (``phase`` chooses one)."""
    return _json(_session.volume_info(int(series), None if phase is None else int(phase)))


@_guarded
def volume_step(series: int, phase: int | None, seconds: float) -> str:
    """Build the series' volume for about ``seconds`` more (JSON ``{done, total,
    finished}``): the worker builds in steps and hears a Cancel between them."""
    return _json(_session.volume_step(int(series), None if phase is None else int(phase), seconds))


@_guarded
def volume_cancel() -> str:
    """Drop the volume being built (its array released): JSON ``{cancelled}``."""
    return _json({"cancelled": _session.cancel_volume()})


@_guarded
def volume_data(series: int, max_voxels: int, max_dim: int) -> tuple[str, np.ndarray[Any, Any]]:
    """The series' volume for the page's 3D view: (record JSON, the voxels as a
    C-contiguous int16 or float32 array, reduced to the limits; the volume's own array,
    not a copy, when it fits)."""
    info, data = _session.volume_data(int(series), int(max_voxels), int(max_dim))
    return _json(info), data


@_guarded
def segment_volume(
    series: int, uid: str, max_voxels: int, max_dim: int
) -> tuple[str, np.ndarray[Any, Any]]:
    """SEG ``uid``'s segments as a label volume on the grid :func:`volume_data` sends with
    the same limits (issue 16 item 4, the 3D view): (record JSON, C-contiguous uint8 or
    uint16 (z, y, x) segment indices, 0 none)."""
    info, data = _session.segment_volume(int(series), str(uid), int(max_voxels), int(max_dim))
    return _json(info), np.ascontiguousarray(data)


@_guarded
def decode_times(series: int, frame: int, runs: int) -> str:
    """Milliseconds to decode a frame through Python, uncached, ``runs`` times (the bench)."""
    return _json(_session.decode_times(int(series), int(frame), int(runs)))


@_guarded
def header(series: int, frame: int, hide: bool = False) -> str:
    """Every element of a frame's file, for the tag browser (identifying values withheld
    when ``hide``: the page's "Hide patient information")."""
    return _json(_inspector.header(int(series), int(frame), bool(hide)))


@_guarded
def probe(series: int, frame: int, column: float, row: float) -> str:
    """Values and patient position under an image point."""
    return _json(_inspector.probe(int(series), int(frame), float(column), float(row)))


@_guarded
def region(series: int, frame: int, kind: str, box: JsProxy) -> str:
    """Statistics of a rectangle or ellipse given as [x0, y0, x1, y1] in image pixels."""
    x0, y0, x1, y1 = (float(v) for v in box)
    return _json(_inspector.region(int(series), int(frame), str(kind), (x0, y0, x1, y1)))


@_guarded
def find_text(series: int, frame: int) -> str:
    """Boxes [x, y, width, height] of burned-in text found in a frame's pixels."""
    return _json(_inspector.text_boxes(int(series), int(frame)))


@_guarded
def view_probe(series: int, view_json: str, column: float, row: float) -> str:
    """The value and patient position under a point of a reformatted view (issue 14)."""
    view = json.loads(str(view_json))
    return _json(_inspector.view_probe(int(series), view, float(column), float(row)))


@_guarded
def view_region(series: int, view_json: str, kind: str, box: JsProxy) -> str:
    """Statistics of a rectangle or ellipse on a reformatted view, [x0, y0, x1, y1] in
    the view's pixels."""
    x0, y0, x1, y1 = (float(v) for v in box)
    view = json.loads(str(view_json))
    return _json(_inspector.view_region(int(series), view, str(kind), (x0, y0, x1, y1)))


@_guarded
def waveform(
    series: int,
    group: int,
    width: int,
    height: int,
    start: float,
    px_per_ms: float,
    px_per_mv: float,
) -> tuple[str, np.ndarray[Any, Any]]:
    """Plot a waveform's multiplex group: (plot JSON, the bytes of its (n, 2) float32 points
    in plot pixels)."""
    view = View(int(width), int(height), float(start), float(px_per_ms), float(px_per_mv))
    info, points = _session.waveform(int(series), int(group), view)
    return _json(info), np.ascontiguousarray(points).view(np.uint8).reshape(-1)


@_guarded
def waveform_audio(series: int, group: int) -> tuple[str, np.ndarray[Any, Any]]:
    """A waveform's group as sound: (its sample rate as JSON, the bytes of its float32
    samples in [-1, 1])."""
    rate, sound = _session.waveform_audio(int(series), int(group))
    return _json(rate), np.ascontiguousarray(sound).view(np.uint8).reshape(-1)


@_guarded
def slide(series: int, path: str | None = None, plane: int = 0) -> str:
    """A slide's pyramid (issue 15 item 2): its levels, finest first, with their tile grids,
    of one optical path (None: the first) at one focal plane."""
    return _json(_session.slide(int(series), None if path is None else str(path), int(plane)))


@_guarded
def slide_routes(series: int, path: str | None = None) -> tuple[str, np.ndarray[Any, Any]]:
    """Where the worker decodes a level's tiles itself (baseline JPEG, native 8-bit RGB),
    else null (it then asks :func:`slide_tile`): (the levels as JSON, the bytes of a
    float64 array of their frames' starts and ends)."""
    levels, ranges = _session.slide_routes(int(series), None if path is None else str(path))
    return _json(levels), ranges.view(np.uint8).reshape(-1)


@_guarded
def slide_tile(
    series: int, level: int, frame: int, path: str | None = None
) -> tuple[str, np.ndarray[Any, Any]]:
    """One tile of a slide (of optical path ``path``, None: the first): (its place as JSON,
    C-contiguous uint8 RGBA)."""
    info, rgba = _session.slide_tile(
        int(series), int(level), int(frame), None if path is None else str(path)
    )
    return _json(info), np.ascontiguousarray(rgba)


@_guarded
def segment_layer(
    series: int, frame: int, settings: str, presentation: str | None = None
) -> tuple[str, np.ndarray[Any, Any]]:
    """The segmentations' mask layer over one frame (issue 16 item 4): (info JSON with the
    segments on it, C-contiguous uint8 RGBA of the frame's size); ``settings`` is the
    page's JSON ``[{uid, visible, opacity, hidden}]``; ``presentation`` an applied
    Blending Softcopy Presentation State (its superimposed set drawn at the bottom)."""
    info, rgba = _session.segment_layer(
        int(series),
        int(frame),
        json.loads(settings),
        presentation=None if presentation is None else str(presentation),
    )
    return _json(info), np.ascontiguousarray(rgba)


@_guarded
def annotation_layer(
    series: int, frame: int, presentation: str | None
) -> tuple[str, np.ndarray[Any, Any]]:
    """The annotation layer of a frame (issue 16 items 1 and 3): (info JSON with its
    ``texts`` and ``measurements``, C-contiguous uint8 RGBA of the frame's size)."""
    uid = None if presentation is None else str(presentation)
    info, rgba = _session.annotation_layer(int(series), int(frame), uid)
    return _json(info), np.ascontiguousarray(rgba)


@_guarded
def blend_frame(
    series: int,
    frame: int,
    presentation: str,
    center: float | None = None,
    width: float | None = None,
    invert: bool = False,
) -> tuple[str, np.ndarray[Any, Any]]:
    """The whole blend of an applied Blending Softcopy Presentation State over one frame,
    opaque, before its ICC Profile (PS3.4 N.2.4): (info JSON with ``icc``, the profile's
    key, C-contiguous uint8 RGBA of the frame's size); the worker converts it through the
    profile and draws the segment layer over it."""
    window = None if center is None or width is None else (float(center), float(width))
    info, rgba = _session.blend_frame(
        int(series), int(frame), str(presentation), window, bool(invert)
    )
    return _json(info), np.ascontiguousarray(rgba)


@_guarded
def plane_layer(
    series: int, reslice: str, settings: str, presentation: str | None = None
) -> tuple[str, np.ndarray[Any, Any]]:
    """The SEG, RT structure, RT dose and fusion layer of a reformatted plane (issue 16): (info
    JSON, C-contiguous uint8 RGBA of the plane's size); ``reslice`` is the view's JSON
    reslice record, ``settings`` as :func:`segment_layer`'s, ``presentation`` the applied
    presentation state's SOP Instance UID (its graphics drawn), or None."""
    info, rgba = _session.plane_layer(
        int(series),
        json.loads(reslice),
        json.loads(settings),
        None if presentation is None else str(presentation),
    )
    return _json(info), np.ascontiguousarray(rgba)


@_guarded
def segment_stats(series: int, uid: str) -> str:
    """Each segment of a SEG over a series: voxels, volume (ml) and mean value (JSON)."""
    return _json(_session.segment_statistics(int(series), str(uid)))


@_guarded
def thumbnail(series: int, size: int) -> tuple[str, np.ndarray[Any, Any]]:
    """A small RGBA picture of a series' middle frame for the series browser."""
    rendered = _session.thumbnail(int(series), int(size))
    return _json(rendered.info), np.ascontiguousarray(rendered.rgba)


@_guarded
def video(series: int) -> tuple[str, np.ndarray[Any, Any]]:
    """A video series' info (JSON) and its bit stream (a uint8 array for getBuffer)."""
    info, stream = _session.video(int(series))
    return _json(info), np.frombuffer(stream, dtype=np.uint8)


@_guarded
def geometry(series: int) -> str:
    """Frame of reference and slice positions of a series, for synchronised scrolling."""
    return _json(_inspector.geometry(int(series)))


@_guarded
def document(index: int) -> tuple[str, np.ndarray[Any, Any]]:
    """An encapsulated document's MIME type and bytes (as a uint8 array for getBuffer)."""
    data, mime = _session.document(int(index))
    return mime, np.frombuffer(data, dtype=np.uint8)


def _deid_inputs(options: str, series: str) -> tuple[deid.DeidOptions, list[tuple[str, bytes]]]:
    chosen = json.loads(series)
    items = _session.files_of(None if chosen is None else [int(i) for i in chosen])
    return deid.DeidOptions.from_camel(json.loads(options)), items


@_guarded
def deid_preview(options: str, series: str, progress: Any = None) -> str:
    """What de-identifying the chosen series (JSON list, or null for all) would change;
    ``progress`` (a JS function, optional) is called with (files done, files in all)."""
    chosen, items = _deid_inputs(options, series)
    return _json(deid.plan(items, chosen, progress=progress).to_json())


@_guarded
def deid_export(
    options: str, series: str, progress: Any = None
) -> tuple[str, np.ndarray[Any, Any]]:
    """De-identify the chosen series: (JSON summary with the report, the ZIP's bytes);
    ``progress`` (a JS function, optional) is called with (files done, files in all)."""
    chosen, items = _deid_inputs(options, series)
    export = deid.deidentify(items, chosen, progress=progress)
    summary = {
        "report": export.report,
        "files": export.files,
        "excluded": [{"name": s.name, "reason": s.reason} for s in export.excluded],
        "flagged": [f.to_json() for f in export.flagged],
    }
    return _json(summary), np.frombuffer(export.zip, dtype=np.uint8)


@_guarded
def dicomdir_files(path: str, data: JsProxy) -> str:
    """The files a DICOMDIR references, relative to its folder (for a hosted case folder)."""
    parsed = dicomdir.read_dicomdir(str(path), data.to_bytes())
    return _json([entry.file for entry in parsed.entries if entry.file])


@_guarded
def stats() -> str:
    """Memory held by the session: file bytes and decoded-frame cache (for the bench)."""
    return _json(
        {
            "fileBytes": sum(len(f.data) for f in _session.files),
            "cacheBytes": _session.cache.nbytes,
            "cacheBudget": _session.cache.budget,
            "cachedFrames": len(_session.cache),
            **_session.volume_memory(),
        }
    )


@_guarded
def set_cache_budget(nbytes: int) -> str:
    """Hold at most ``nbytes`` of decoded frames (the page's budget for this device)."""
    _session.cache.resize(int(nbytes))
    return stats()


# -- the Python console (issue 21) ---------------------------------------------------------
# The page runs a second engine for the console (page/console.js): it asks this engine for
# the open files (console_files) and opens them in its own; the console runs there.


@_guarded
def console_files() -> tuple[str, np.ndarray[Any, Any]]:
    """Every open file's name and size (JSON), and their bytes one after another."""
    items = [(f.name, f.data) for f in _session.files]
    items += [(d.name, data) for d, data in _session.documents]
    joined = np.frombuffer(b"".join(data for _, data in items), dtype=np.uint8)
    return _json({"names": [n for n, _ in items], "sizes": [len(d) for _, d in items]}), joined


@_guarded
def console_run(code: str, context: str, typed: bool) -> Awaitable[str]:
    """Run console input (JSON result once awaited: status, output, error, effects, view)."""

    async def run() -> str:
        return _json(await _the_console().run(str(code), json.loads(context), bool(typed)))

    return run()


@_guarded
def console_effect(index: int) -> tuple[str, np.ndarray[Any, Any]]:
    """Effect ``index`` of the last console run: its description and its bytes."""
    return _the_console().effect(index)


@_guarded
def console_complete(source: str) -> str:
    """Tab completion of the console's input."""
    return _json(_the_console().complete(str(source)))


_consoles: list[BrowserConsole] = []


def _the_console() -> BrowserConsole:
    """The console, made on first use (only the console's engine uses it)."""
    if not _consoles:
        _consoles.append(BrowserConsole(lambda: _session))
    return _consoles[0]
