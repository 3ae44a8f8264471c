"""lightbox.display.pipeline: stored values to RGBA, the one-lookup path against the steps.

The lookup-table paths must give exactly what the Modality, VOI and
presentation steps give value by value (tests/support/hand.py has the
standard's formulas); nothing mutates its input; the whole-type tables are
kept in a :class:`TableCache` its caller owns.
"""

from __future__ import annotations

import numpy as np
import pytest

from lightbox.core.records import VoiFunction, Window
from lightbox.display import luts, modality, palette, pipeline, voi
from lightbox.display.luts import Rescale
from tests.support.hand import (
    EXACT,
    LINEAR,
    SIGMOID,
    TABLE,
    half_up,
    reference_lut,
    reference_voi,
)

# -- the lookup-table path against the direct path -----------------------------------------

STORED = [
    pytest.param(np.arange(-2048, 2048, dtype=np.int16).reshape(64, 64), id="int16-signed"),
    pytest.param(np.arange(0, 4096, dtype=np.uint16).reshape(64, 64), id="uint16-from-zero"),
    pytest.param(np.arange(1000, 5096, dtype=np.uint16).reshape(64, 64), id="uint16-offset"),
    pytest.param(np.arange(0, 256, dtype=np.uint8).reshape(16, 16), id="uint8"),
    pytest.param(np.array([[-40000, 0, 90000]], dtype=np.int32), id="int32-range-too-wide-for-lut"),
]
RESCALES = [
    pytest.param(Rescale(), id="identity"),
    pytest.param(Rescale(1.0, -1024.0), id="ct-intercept"),
    pytest.param(Rescale(0.5, 10.0), id="slope-and-intercept"),
    pytest.param(Rescale(-2.0, 3.0), id="negative-slope"),
]
WINDOWS = [
    pytest.param(Window(40, 400), id="linear"),
    pytest.param(Window(1000, 1, LINEAR), id="linear-w1"),
    pytest.param(Window(-20.5, 333, EXACT), id="exact"),
    pytest.param(Window(100, 800, SIGMOID), id="sigmoid"),
]


# exp() overflows to inf for values far below a sigmoid's centre; 255 / inf is the right 0.
@pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")
@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("rescale", RESCALES)
@pytest.mark.parametrize("stored", STORED)
@pytest.mark.parametrize("invert", [False, True])
def test_gray_lut_path_equals_direct_path(stored, rescale, window, invert):
    stored = stored.copy()
    stored.setflags(write=False)
    via_lut = pipeline.gray_to_display(stored, rescale, window, invert)
    direct = pipeline.gray_to_display(stored.astype(np.float64), rescale, window, invert)
    assert via_lut.dtype == np.uint8 and via_lut.shape == stored.shape
    np.testing.assert_array_equal(via_lut, direct)


@pytest.mark.parametrize("rescale", RESCALES)
@pytest.mark.parametrize("window", WINDOWS)
def test_gray_to_display_follows_the_standard_per_pixel(rescale, window):
    stored = np.array([[-1500, -1024, -200, 0], [1, 40, 700, 3071]], dtype=np.int16)
    out = pipeline.gray_to_display(stored, rescale, window, invert=False)
    expected = [
        [
            half_up(
                reference_voi(
                    v * rescale.slope + rescale.intercept,
                    window.center,
                    window.width,
                    window.function,
                )
            )
            for v in row
        ]
        for row in stored.tolist()
    ]
    assert out.tolist() == expected


@pytest.mark.parametrize("dtype", [np.int16, np.uint16, np.float32])
def test_invert_composes_with_the_window(dtype):
    stored = np.arange(0, 600, 3).astype(dtype).reshape(10, 20)
    rescale, window = Rescale(1.0, -100.0), Window(50, 300)
    plain = pipeline.gray_to_display(stored, rescale, window, invert=False)
    inverted = pipeline.gray_to_display(stored, rescale, window, invert=True)
    assert plain.min() == 0 and plain.max() == 255  # the frame spans the window
    np.testing.assert_array_equal(inverted, 255 - plain)


def test_color_to_rgba_8_bit():
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 13
    rgb.setflags(write=False)
    rgba = pipeline.color_to_rgba(rgb, 8, invert=False)
    assert rgba.shape == (2, 3, 4) and rgba.dtype == np.uint8 and rgba.flags.c_contiguous
    np.testing.assert_array_equal(rgba[..., :3], rgb)
    assert (rgba[..., 3] == 255).all()
    inverted = pipeline.color_to_rgba(rgb, 8, invert=True)
    np.testing.assert_array_equal(inverted[..., :3], 255 - rgb)
    assert (inverted[..., 3] == 255).all()


@pytest.mark.parametrize("bits_stored", [16, 12, 10])
def test_color_to_rgba_16_bit_scales_by_bits_stored(bits_stored):
    top = (1 << bits_stored) - 1
    values = list(range(0, top + 1, 1 if bits_stored <= 12 else 7)) + [top]  # every value or most
    rgb = np.array([[[v, top - v, v // 2] for v in values]], dtype=np.uint16)
    rgb.setflags(write=False)
    rgba = pipeline.color_to_rgba(rgb, bits_stored, invert=False)
    expected = [
        [[half_up(c / top * 255) for c in px] + [255] for px in row] for row in rgb.tolist()
    ]
    assert rgba.dtype == np.uint8 and rgba.shape == (1, len(values), 4)
    assert rgba.tolist() == expected
    assert rgba[0, 0, 0] == 0 and rgba[0, -1, 0] == 255


def test_gray_to_rgba_is_contiguous_uint8_rgba():
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    view = np.asfortranarray(grey)[:, ::-1]  # a non-contiguous input
    rgba = pipeline.gray_to_rgba(view)
    assert rgba.shape == (3, 4, 4) and rgba.dtype == np.uint8
    assert rgba.flags.c_contiguous
    for channel in range(3):
        np.testing.assert_array_equal(rgba[..., channel], view)
    assert (rgba[..., 3] == 255).all()


# -- nothing mutates its input -------------------------------------------------------------


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr = arr.copy()
    arr.setflags(write=False)
    return arr


@pytest.mark.parametrize(
    ("call", "arr"),
    [
        pytest.param(
            lambda a: modality.modality_values(a, Rescale(2.0, -3.0)),
            np.arange(-5, 5, dtype=np.int16),
            id="modality_values-int",
        ),
        pytest.param(
            lambda a: modality.modality_values(a, Rescale(2.0, -3.0)),
            np.linspace(-5, 5, 10),
            id="modality_values-float",
        ),
        pytest.param(
            lambda a: voi.apply_window(a, Window(0, 4)),
            np.linspace(-5, 5, 10),
            id="apply_window",
        ),
        pytest.param(
            lambda a: voi.to_uint8(a, invert=True), np.linspace(-5, 300, 10), id="to_uint8"
        ),
        pytest.param(
            lambda a: voi.auto_window(a, (-5.0, -4.0)), np.linspace(-5, 5, 10), id="auto_window"
        ),
        pytest.param(
            lambda a: pipeline.gray_to_display(a, Rescale(1.0, -1.0), Window(0, 4), True),
            np.arange(-5, 5, dtype=np.int16).reshape(2, 5),
            id="gray_to_display-lut",
        ),
        pytest.param(
            lambda a: pipeline.gray_to_display(a, Rescale(1.0, -1.0), Window(0, 4), True),
            np.linspace(-5, 5, 10).reshape(2, 5),
            id="gray_to_display-direct",
        ),
        pytest.param(
            pipeline.gray_to_rgba, np.arange(10, dtype=np.uint8).reshape(2, 5), id="gray_to_rgba"
        ),
        pytest.param(
            lambda a: pipeline.color_to_rgba(a, 8, invert=True),
            np.arange(30, dtype=np.uint8).reshape(2, 5, 3),
            id="color_to_rgba-8",
        ),
        pytest.param(
            lambda a: pipeline.color_to_rgba(a, 12, invert=True),
            np.arange(30, dtype=np.uint16).reshape(2, 5, 3) * 100,
            id="color_to_rgba-12",
        ),
    ],
)
def test_no_function_mutates_its_input(call, arr):
    original = arr.copy()
    frozen = _frozen(arr)  # an in-place write would raise
    out = call(frozen)
    np.testing.assert_array_equal(frozen, original)
    if isinstance(out, np.ndarray):
        assert not np.shares_memory(out, frozen)


@pytest.mark.parametrize(
    "window", [pytest.param(Window(500, 1000), id="window"), pytest.param(None, id="voi-lut")]
)
def test_gray_to_display_with_a_modality_lut(window):
    modality_lut = luts.Lut(10, 12, np.array(TABLE, dtype=np.uint16))
    voi_table = [0, 1000, 2000, 4095]
    voi_step = window or luts.Lut(0, 12, np.array(voi_table, dtype=np.uint16))
    stored = np.arange(0, 24, dtype=np.uint16).reshape(4, 6)
    out = pipeline.gray_to_display(stored, modality_lut, voi_step, invert=False)
    direct = pipeline.gray_to_display(
        stored.astype(np.float64), modality_lut, voi_step, invert=False
    )
    expected = []
    for v in stored.ravel().tolist():
        m = reference_lut(v, 10, TABLE)
        if window:
            y = reference_voi(m, window.center, window.width, LINEAR)
        else:
            y = reference_lut(m, 0, voi_table) * 255 / 4095
        expected.append(half_up(y))
    assert out.ravel().tolist() == expected
    np.testing.assert_array_equal(out, direct)


@pytest.mark.parametrize(
    ("call", "arr"),
    [
        pytest.param(
            lambda a: modality.modality_values(a, luts.Lut(0, 12, np.arange(8, dtype=np.uint16))),
            np.arange(-2, 10, dtype=np.int16),
            id="modality_values-lut",
        ),
        pytest.param(
            lambda a: voi.apply_voi_lut(a, luts.Lut(0, 8, np.arange(8, dtype=np.uint16))),
            np.linspace(-2, 10, 12),
            id="apply_voi_lut",
        ),
        pytest.param(
            lambda a: palette.apply_palette(
                a, luts.Palette(0, 8, np.zeros((4, 3), dtype=np.uint8))
            ),
            np.arange(-2, 10, dtype=np.int16),
            id="apply_palette",
        ),
    ],
)
def test_lut_functions_do_not_mutate_their_input(call, arr):
    original = arr.copy()
    frozen = _frozen(arr)
    out = call(frozen)
    np.testing.assert_array_equal(frozen, original)
    assert not np.shares_memory(out, frozen)


@pytest.mark.parametrize("dtype", ["u1", "i1", "<u2", "<i2", "<i4", "<u4"])
@pytest.mark.parametrize("invert", [False, True])
def test_gray_rgba_equals_the_two_step_path(dtype: str, invert: bool) -> None:
    """The one-lookup RGBA path gives the same pixels as display then RGBA."""
    rng = np.random.default_rng(11)
    info = np.iinfo(np.dtype(dtype))
    low, high = max(info.min, -40000), min(info.max, 70000)
    stored = rng.integers(low, high, size=(33, 47), endpoint=True).astype(dtype)
    stored.flat[:2] = (low, high)
    rescale = luts.Rescale(slope=0.75, intercept=-300.0)
    window = Window(40.0, 350.0, VoiFunction.LINEAR)
    want = pipeline.gray_to_rgba(pipeline.gray_to_display(stored, rescale, window, invert))
    before = stored.copy()
    got = pipeline.gray_rgba(stored, rescale, window, invert)
    assert got.shape == (33, 47, 4) and got.dtype == np.uint8
    assert (got == want).all()
    assert (stored == before).all()


def test_gray_rgba_reuses_tables_only_for_the_same_transforms() -> None:
    """Kept tables never leak between windows, rescales, LUTs, types or invert."""
    rng = np.random.default_rng(5)
    signed = rng.integers(-2000, 3000, size=(21, 19)).astype("<i2")
    unsigned = rng.integers(0, 4096, size=(21, 19)).astype("<u2")
    rescales = [
        luts.Rescale(slope=1.0, intercept=-1024.0),
        luts.Rescale(slope=2.0, intercept=0.0),
    ]
    vois = [
        Window(40.0, 400.0, VoiFunction.LINEAR),
        Window(-600.0, 1500.0, VoiFunction.SIGMOID),
        luts.Lut(0, 8, np.linspace(0, 255, 4096).astype(np.uint16)),
        luts.Lut(0, 8, np.linspace(255, 0, 4096).astype(np.uint16)),  # same shape, reversed
    ]
    calls = [
        (stored, rescale, step, invert)
        for stored in (signed, unsigned)
        for rescale in rescales
        for step in vois
        for invert in (False, True)
    ]
    tables = pipeline.TableCache()
    for stored, rescale, step, invert in calls + calls[::-1]:  # the second pass hits the cache
        want = pipeline.gray_to_rgba(pipeline.gray_to_display(stored, rescale, step, invert))
        assert (pipeline.gray_rgba(stored, rescale, step, invert, tables) == want).all()
    assert len(tables) == tables.kept == pipeline.TABLES_KEPT


# -- the table cache belongs to its caller -------------------------------------------------

GREY = np.arange(-8, 8, dtype="<i2").reshape(4, 4)
CT = luts.Rescale(1.0, -1024.0)


def test_a_cache_passed_in_is_the_one_used() -> None:
    tables = pipeline.TableCache()
    first = pipeline.gray_rgba(GREY, CT, Window(40.0, 400.0), False, tables)
    assert len(tables) == 1
    kept = tables.table(GREY.dtype, CT, Window(40.0, 400.0), False)
    pipeline.gray_rgba(GREY, CT, Window(40.0, 400.0), False, tables)  # the same steps: reused
    assert len(tables) == 1 and tables.table(GREY.dtype, CT, Window(40.0, 400.0), False) is kept
    pipeline.gray_rgba(GREY, CT, Window(40.0, 80.0), False, tables)
    assert len(tables) == 2
    np.testing.assert_array_equal(first, pipeline.gray_rgba(GREY, CT, Window(40.0, 400.0), False))


def test_without_a_cache_nothing_is_kept_anywhere() -> None:
    """No module-level state: a call without a cache fills no one's cache."""
    tables = pipeline.TableCache()
    pipeline.gray_rgba(GREY, CT, Window(40.0, 400.0), False)
    assert len(tables) == 0
    kept = [
        name
        for name, value in vars(pipeline).items()
        if not name.startswith("__") and isinstance(value, dict | list | set | pipeline.TableCache)
    ]
    assert kept == []


def test_two_caches_do_not_share_tables() -> None:
    ours, theirs = pipeline.TableCache(), pipeline.TableCache()
    pipeline.gray_rgba(GREY, CT, Window(40.0, 400.0), False, ours)
    assert (len(ours), len(theirs)) == (1, 0)
    pipeline.gray_rgba(GREY, CT, Window(40.0, 400.0), False, theirs)
    window = Window(40.0, 400.0)
    assert ours.table(GREY.dtype, CT, window, False) is not theirs.table(
        GREY.dtype, CT, window, False
    )


def test_a_cache_keeps_its_most_recent_tables() -> None:
    tables = pipeline.TableCache(kept=2)
    windows = [Window(40.0, float(w)) for w in (100, 200, 300)]
    for window in windows:
        pipeline.gray_rgba(GREY, CT, window, False, tables)
    assert len(tables) == 2
    recent = tables.table(GREY.dtype, CT, windows[2], False)  # kept: used last
    tables.table(GREY.dtype, CT, windows[0], False)  # built again: drops windows[1]'s
    assert tables.table(GREY.dtype, CT, windows[2], False) is recent
    assert len(tables) == 2
