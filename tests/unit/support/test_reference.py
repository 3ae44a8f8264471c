"""The reference renderer (tests/support/reference.py): by hand, and against pydicom.

Values by hand come from the clauses the reference cites; the pydicom comparisons use
``pydicom.pixels.processing`` on pydicom's bundled test files (never fetched: they ship in the
wheel), including the images under ``dicomdirtests/``.
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import pixel_array
from pydicom.pixels.processing import (
    apply_color_lut,
    apply_modality_lut,
    apply_presentation_lut,
    apply_voi_lut,
    apply_windowing,
)
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

from tests.support import reference
from tests.support.reference import Choice, compare, modality_values, render

DATA = Path(pydicom.__file__).parent / "data"
TEST_FILES = DATA / "test_files"
PALETTES = DATA / "palettes"

#: Files with Pixel Data that pydicom 3.0.2 cannot decode with the installed plugins.
UNDECODABLE = {
    "JPEG-lossy.dcm": "12-bit JPEG Extended: libjpeg finds a misplaced marker, Pillow has no "
    "12-bit JPEG",
    "JPEG2000-embedded-sequence-delimiter.dcm": "a sequence delimiter inside the fragments: "
    "the J2K header does not parse",
    "MR_truncated.dcm": "Pixel Data is 62 bytes shorter than Rows x Columns x 2",
    "badVR.dcm": "Number of Frames is '1A'",
    "meta_missing_tsyntax.dcm": "no Transfer Syntax UID in the file meta",
    "nested_priv_SQ.dcm": "no Image Pixel module (Bits Allocated missing)",
}


def _read(path: Path) -> Dataset | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pydicom.dcmread(path, force=True)
    except Exception:  # not DICOM (README, .json, .gz, ...)
        return None


def _image_files() -> list[str]:
    names = []
    for path in sorted(TEST_FILES.rglob("*")):
        ds = _read(path) if path.is_file() else None
        if ds is not None and "PixelData" in ds:
            names.append(path.relative_to(TEST_FILES).as_posix())
    return names


IMAGES = _image_files()
DECODABLE = [name for name in IMAGES if name not in UNDECODABLE]


def _dataset(name: str) -> Dataset:
    ds = _read(TEST_FILES / name)
    assert ds is not None
    return ds


def _frames(ds: Dataset) -> list[int]:
    count = int(ds.get("NumberOfFrames") or 1)
    return sorted({0, count - 1})


def image(values: Any, *, signed: bool = False, **attributes: Any) -> Dataset:
    """A 16-bit greyscale image (one row when `values` is 1-D) with `attributes` set."""
    pixels = np.asarray(values)
    pixels = pixels[None, :] if pixels.ndim == 1 else pixels
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.Rows, ds.Columns = pixels.shape[-2:]
    if pixels.ndim == 3:
        ds.NumberOfFrames = pixels.shape[0]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
    ds.PixelRepresentation = int(signed)
    ds.PixelData = pixels.astype("<i2" if signed else "<u2").tobytes()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


def lut_item(descriptor: list[int], data: list[int] | bytes) -> Dataset:
    item = Dataset()
    item.LUTDescriptor = descriptor
    if isinstance(data, bytes):
        item.add_new("LUTData", "OW", data)
    else:
        item.LUTData = data
    return item


def grey(ds: Dataset, **options: Any) -> list[int]:
    """The first row of the render, one grey level per pixel (R = G = B checked)."""
    rgba, _ = render(ds, **options)
    assert (rgba[..., 0] == rgba[..., 1]).all() and (rgba[..., 1] == rgba[..., 2]).all()
    return [int(v) for v in rgba[0, :, 0]]


IDENTITY = (128.0, 256.0)  # LINEAR c=128, w=256: y = x on 0..255


# ---------------------------------------------------------------- by hand: the VOI windows


@pytest.mark.parametrize(
    ("function", "center", "width", "x", "want"),
    [
        # LINEAR, C.11.2.1.2.1: c=128, w=256 is y = ((x - 127.5) / 255 + 0.5) * 255 = x
        pytest.param("LINEAR", 128, 256, 0, 0, id="linear-identity-0"),
        pytest.param("LINEAR", 128, 256, 1, 1, id="linear-identity-1"),
        pytest.param("LINEAR", 128, 256, 100, 100, id="linear-identity-100"),
        pytest.param("LINEAR", 128, 256, 255, 255, id="linear-identity-255"),
        pytest.param("LINEAR", 128, 256, 256, 255, id="linear-above"),
        # c=50, w=11: 0 for x <= 44.5, 255 for x > 54.5, else ((x - 49.5) / 10 + 0.5) * 255
        pytest.param("LINEAR", 50, 11, 44, 0, id="linear-below"),
        pytest.param("LINEAR", 50, 11, 45, 13, id="linear-12.75"),
        pytest.param("LINEAR", 50, 11, 47, 64, id="linear-63.75"),
        pytest.param("LINEAR", 50, 11, 50, 140, id="linear-140.25"),
        pytest.param("LINEAR", 50, 11, 54, 242, id="linear-242.25"),
        pytest.param("LINEAR", 50, 11, 55, 255, id="linear-top"),
        # c=100, w=2: x <= 99 -> 0, x = 100 -> (0.5 / 1 + 0.5) * 255
        pytest.param("LINEAR", 100, 2, 99, 0, id="linear-w2-low"),
        pytest.param("LINEAR", 100, 2, 100, 255, id="linear-w2-high"),
        # w = 1 is a step at c - 0.5; w < 1 is taken as 1
        pytest.param("LINEAR", 0.5, 1, 0, 0, id="linear-w1-low"),
        pytest.param("LINEAR", 0.5, 1, 1, 255, id="linear-w1-high"),
        pytest.param("LINEAR", 0.5, 0, 0, 0, id="linear-w0-low"),
        pytest.param("LINEAR", 0.5, 0, 1, 255, id="linear-w0-high"),
        # LINEAR_EXACT, C.11.2.1.3.2, c=50, w=10: 0 for x <= 45, 255 for x > 55
        pytest.param("LINEAR_EXACT", 50, 10, 45, 0, id="exact-low"),
        pytest.param("LINEAR_EXACT", 50, 10, 46, 26, id="exact-25.5-half-up"),
        pytest.param("LINEAR_EXACT", 50, 10, 48, 77, id="exact-76.5-half-up"),
        pytest.param("LINEAR_EXACT", 50, 10, 50, 128, id="exact-127.5"),
        pytest.param("LINEAR_EXACT", 50, 10, 54, 230, id="exact-229.5"),
        pytest.param("LINEAR_EXACT", 50, 10, 55, 255, id="exact-top-formula"),
        pytest.param("LINEAR_EXACT", 50, 10, 56, 255, id="exact-above"),
        pytest.param("LINEAR_EXACT", 0, 1, 0, 128, id="exact-w1-center"),
        pytest.param("LINEAR_EXACT", 0, 1, 1, 255, id="exact-w1-high"),
        pytest.param("LINEAR_EXACT", 0, 1, -1, 0, id="exact-w1-low"),
        # SIGMOID, C.11.2.1.3.1, c=0, w=4: 255 / (1 + exp(-x))
        pytest.param("SIGMOID", 0, 4, 0, 128, id="sigmoid-127.5"),
        pytest.param("SIGMOID", 0, 4, 1, 186, id="sigmoid-186.42"),
        pytest.param("SIGMOID", 0, 4, -1, 69, id="sigmoid-68.58"),
        pytest.param("SIGMOID", 0, 4, 4, 250, id="sigmoid-250.41"),
        pytest.param("SIGMOID", 0, 4, -4, 5, id="sigmoid-4.59"),
        pytest.param("SIGMOID", 10, 0, 9, 0, id="sigmoid-w0-low"),
        pytest.param("SIGMOID", 10, 0, 10, 128, id="sigmoid-w0-center"),
        pytest.param("SIGMOID", 10, 0, 11, 255, id="sigmoid-w0-high"),
    ],
)
def test_window_functions_by_hand(
    function: str, center: float, width: float, x: int, want: int
) -> None:
    ds = image([x], signed=True, VOILUTFunction=function)
    assert grey(ds, window=(center, width)) == [want]
    _rgba, choice = render(ds, window=(center, width))
    assert choice == Choice("user", center, width, function)


def test_file_window_uses_the_file_function() -> None:
    ds = image([45, 50], WindowCenter=50, WindowWidth=10, VOILUTFunction="LINEAR_EXACT")
    assert grey(ds) == [0, 128]
    assert render(ds)[1] == Choice("window", 50.0, 10.0, "LINEAR_EXACT")


def test_voi_choices_in_order_windows_then_luts() -> None:
    ds = image([45, 1], WindowCenter=[128, 50], WindowWidth=[256, 11])
    ds.VOILUTSequence = Sequence([lut_item([3, 0, 8], [0, 128, 255])])
    assert grey(ds) == [45, 1]  # the first pair: identity
    assert grey(ds, voi_index=1) == [13, 0]
    assert grey(ds, voi_index=2) == [255, 128]
    assert render(ds, voi_index=2)[1] == Choice("lut", None, None, None)
    assert grey(ds, voi_index=3) == grey(ds, voi_index=-1) == [45, 1]  # out of range: first


# ---------------------------------------------------------------- by hand: modality, VOI LUT


def test_rescale_by_hand() -> None:
    ds = image([50, 100, 40], RescaleSlope=2, RescaleIntercept=-100)
    assert modality_values(ds).tolist() == [[0.0, 100.0, -20.0]]
    assert grey(ds, window=IDENTITY) == [0, 100, 0]


def test_modality_lut_by_hand() -> None:
    # C.11.1.1.1: first value mapped 10; below it the first entry, above the last the last
    ds = image([9, 10, 11, 12, 13, 20])
    ds.ModalityLUTSequence = Sequence([lut_item([4, 10, 16], [100, 200, 300, 400])])
    assert modality_values(ds).tolist() == [[100, 100, 200, 300, 400, 400]]
    # c=250.5, w=301: y = ((x - 250) / 300 + 0.5) * 255; 100 -> 0, 200 -> 85, 300 -> 170
    assert grey(ds, window=(250.5, 301)) == [0, 0, 85, 170, 255, 255]


@pytest.mark.parametrize("first", [65534, -2], ids=["US-65534", "SS-minus-2"])
def test_modality_lut_signed_first_value(first: int) -> None:
    ds = image([-3, -2, -1, 0, 5], signed=True)
    ds.ModalityLUTSequence = Sequence([lut_item([3, first, 16], [10, 20, 30])])
    assert modality_values(ds).tolist() == [[10, 10, 20, 30, 30]]


def test_modality_lut_ow_bytes_and_65536_entries() -> None:
    table = (np.arange(65536) // 2).astype("<u2").tobytes()
    ds = image([0, 1000, 65535])
    ds.ModalityLUTSequence = Sequence([lut_item([0, 0, 16], table)])  # 0 entries: 2^16
    assert modality_values(ds).tolist() == [[0, 500, 32767]]


@pytest.mark.parametrize(
    ("descriptor", "data", "want"),
    [
        pytest.param([3, 0, 8], [0, 128, 255], [0, 128, 255, 255], id="8-bit"),
        # 32768 * 255 / 65535 = 127.502 -> 128
        pytest.param([3, 0, 16], [0, 32768, 65535], [0, 128, 255, 255], id="16-bit"),
        # declared 8 bits, stores 12: scaled from 12 bits (2048 * 255 / 4095 = 127.53)
        pytest.param([3, 0, 8], [0, 2048, 4095], [0, 128, 255, 255], id="12-bit-in-8"),
    ],
)
def test_voi_lut_by_hand(descriptor: list[int], data: list[int], want: list[int]) -> None:
    ds = image([0, 1, 2, 5])
    ds.VOILUTSequence = Sequence([lut_item(descriptor, data)])
    assert grey(ds) == want


def test_voi_lut_8_bit_with_more_than_256_entries() -> None:
    # 1024 entries of 8 bits, e = i // 4 (pydicom 3.0.2's apply_voi indexes such a LUT with
    # uint8, so its indices wrap: 256 -> 0; hence no pydicom comparison for this shape)
    ds = image([0, 255, 256, 600, 1023, 4000])
    ds.VOILUTSequence = Sequence([lut_item([1024, 0, 8], (np.arange(1024) // 4).tolist())])
    assert grey(ds) == [0, 63, 64, 150, 255, 255]


def test_voi_lut_after_rescale_with_negative_first_value() -> None:
    # modality values -1, 0, 1, 6; VOI LUT first value mapped 65535 = -1 (signed input)
    ds = image([1023, 1024, 1025, 1030], RescaleSlope=1, RescaleIntercept=-1024)
    ds.VOILUTSequence = Sequence([lut_item([3, 65535, 8], [0, 100, 200])])
    assert grey(ds) == [0, 100, 200, 200]


# ---------------------------------------------------------------- by hand: presentation


@pytest.mark.parametrize(
    ("photometric", "shape", "invert", "want"),
    [
        pytest.param("MONOCHROME2", None, False, [0, 100, 255], id="mono2"),
        pytest.param("MONOCHROME2", None, True, [255, 155, 0], id="mono2-invert"),
        pytest.param("MONOCHROME1", None, False, [255, 155, 0], id="mono1"),
        pytest.param("MONOCHROME1", None, True, [0, 100, 255], id="mono1-invert"),
        pytest.param("MONOCHROME2", "INVERSE", False, [255, 155, 0], id="mono2-inverse"),
        pytest.param("MONOCHROME2", "IDENTITY", False, [0, 100, 255], id="mono2-identity"),
        # C.7.6.1: INVERSE is how a MONOCHROME1 image is inverted, not a second inversion
        pytest.param("MONOCHROME1", "INVERSE", False, [255, 155, 0], id="mono1-inverse"),
        pytest.param("MONOCHROME1", "INVERSE", True, [0, 100, 255], id="mono1-inverse-invert"),
    ],
)
def test_presentation_by_hand(
    photometric: str, shape: str | None, invert: bool, want: list[int]
) -> None:
    ds = image([0, 100, 255], PhotometricInterpretation=photometric)
    if shape:
        ds.PresentationLUTShape = shape
    assert grey(ds, window=IDENTITY, invert=invert) == want


def test_inverse_agrees_with_pydicom_presentation_lut() -> None:
    ds = image([0, 100, 255], PresentationLUTShape="INVERSE")
    plain = np.asarray([[0, 100, 255]])  # the identity window's output
    assert grey(ds, window=IDENTITY) == apply_presentation_lut(plain, ds)[0].tolist()


# ---------------------------------------------------------------- by hand: auto window


def test_auto_window_by_hand() -> None:
    ds = image([10, 20, 30])
    assert grey(ds) == [0, 128, 255]
    assert render(ds)[1] == Choice("auto", 20.5, 21.0, "LINEAR")


def test_auto_window_excludes_padding_value_in_modality_units() -> None:
    ds = image(
        [-2000, 0, 100],
        signed=True,
        RescaleSlope=1,
        RescaleIntercept=-1024,
        PixelPaddingValue=-2000,
    )
    assert grey(ds) == [0, 0, 255]
    assert render(ds)[1].center == -1024 + 50 + 0.5


def test_auto_window_excludes_padding_range() -> None:
    ds = image([0, 5, 10, 20, 30, 40], PixelPaddingValue=0, PixelPaddingRangeLimit=10)
    assert grey(ds) == [0, 0, 0, 0, 128, 255]


def test_auto_window_from_given_values_and_flat_image() -> None:
    assert grey(image([0, 500, 1000, 2000]), auto_from=np.array([0.0, 1000.0])) == [
        0,
        128,
        255,
        255,
    ]
    assert grey(image([7, 7])) == [0, 0]  # lo = hi: w = 1, c = lo + 0.5, all <= c - 0.5


# ---------------------------------------------------------------- by hand: enhanced images


def test_enhanced_per_frame_rescale_and_window_with_shared_fallback() -> None:
    ds = image(np.array([[[10, 20]], [[10, 20]]]))
    frames = []
    for intercept in (0, 100):
        group = Dataset()
        transform = Dataset()
        transform.RescaleSlope, transform.RescaleIntercept = 1, intercept
        group.PixelValueTransformationSequence = Sequence([transform])
        frames.append(group)
    window = Dataset()
    window.WindowCenter, window.WindowWidth = 15.5, 11  # LINEAR: 10 -> 0, 20 -> 255
    frames[0].FrameVOILUTSequence = Sequence([window])
    shared = Dataset()
    shared_window = Dataset()
    shared_window.WindowCenter, shared_window.WindowWidth = 128, 256  # identity
    shared.FrameVOILUTSequence = Sequence([shared_window])
    ds.PerFrameFunctionalGroupsSequence = Sequence(frames)
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    assert modality_values(ds, 1).tolist() == [[110, 120]]
    assert grey(ds, frame=0) == [0, 255]
    assert grey(ds, frame=1) == [110, 120]
    assert render(ds, 1)[1] == Choice("window", 128.0, 256.0, "LINEAR")


# ---------------------------------------------------------------- by hand: palettes


def palette_image(
    values: list[int],
    descriptor: list[int],
    red: Any,
    green: Any,
    blue: Any,
    *,
    segmented: bool = False,
    **attributes: Any,
) -> Dataset:
    ds = image(values, PhotometricInterpretation="PALETTE COLOR", **attributes)
    prefix = "Segmented" if segmented else ""
    for colour, data in (("Red", red), ("Green", green), ("Blue", blue)):
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", descriptor)
        raw = data if isinstance(data, bytes) else np.asarray(data, "<u2").tobytes()
        ds.add_new(f"{prefix}{colour}PaletteColorLookupTableData", "OW", raw)
    return ds


def rgb_row(ds: Dataset, **options: Any) -> list[list[int]]:
    rgba, choice = render(ds, **options)
    assert choice.kind == "colour" and (rgba[..., 3] == 255).all()
    return rgba[0, :, :3].tolist()


def test_palette_16_bit_by_hand() -> None:
    # C.7.6.3.1.5: first value mapped 2; 16-bit entries e -> round(e / 257)
    ds = palette_image(
        [0, 2, 3, 4, 5, 9],
        [4, 2, 16],
        [0, 65535, 32896, 257],
        [65535, 0, 0, 0],
        [2570, 5140, 7710, 10280],
    )
    want = [[0, 255, 10], [0, 255, 10], [255, 0, 20], [128, 0, 30], [1, 0, 40], [1, 0, 40]]
    assert rgb_row(ds) == want
    assert rgb_row(ds, invert=True) == [[255 - v for v in px] for px in want]


@pytest.mark.parametrize("words", [False, True], ids=["bytes", "8-bit-in-16-bit-words"])
def test_palette_8_bit_entries(words: bool) -> None:
    entries = np.array([0, 64, 128, 255])
    data = entries.astype("<u2" if words else "u1").tobytes()
    ds = palette_image([0, 1, 2, 3], [4, 0, 8], data, data, data)
    assert rgb_row(ds) == [[v, v, v] for v in entries.tolist()]


def test_segmented_palette_by_hand() -> None:
    # C.7.9.2: discrete [0, 2570]; linear to 12850 in 4 steps; indirect: 1 segment at byte 0
    red = [0, 2, 0, 2570, 1, 4, 12850, 2, 1, 0, 0]
    # ... and an indirect copy of the linear segment (byte offset 8), from the last value
    green = [0, 2, 0, 2570, 1, 4, 12850, 2, 1, 8, 0]
    blue = [0, 8, *[65535] * 8]
    ds = palette_image(list(range(8)), [8, 0, 16], red, green, blue, segmented=True)
    assert rgb_row(ds) == [
        [r, g, 255]
        for r, g in zip(
            [0, 10, 20, 30, 40, 50, 0, 10], [0, 10, 20, 30, 40, 50, 50, 50], strict=True
        )
    ]


def test_supplemental_palette_by_hand() -> None:
    # C.8.16.2.1.1.1: stored values >= the first value mapped (100) are coloured
    ds = image([0, 50, 99, 100, 101, 150], PixelPresentation="COLOR")
    for colour, data in (("Red", [65535, 0]), ("Green", [0, 65535]), ("Blue", [0, 0])):
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [2, 100, 16])
        ds.add_new(f"{colour}PaletteColorLookupTableData", "OW", np.asarray(data, "<u2").tobytes())
    rgba, choice = render(ds, window=IDENTITY)
    assert rgba[0, :, :3].tolist() == [
        [0, 0, 0],
        [50, 50, 50],
        [99, 99, 99],
        [255, 0, 0],
        [0, 255, 0],
        [0, 255, 0],
    ]
    rgba, choice = render(ds)  # the automatic window sees the grey values only: 0..99
    assert rgba[0, :3, 0].tolist() == [0, 129, 255] and choice.kind == "auto"
    ds.PixelPresentation = "MONOCHROME"
    assert grey(ds, window=IDENTITY) == [0, 50, 99, 100, 101, 150]


# ---------------------------------------------------------------- against pydicom: palettes


@pytest.mark.parametrize("palette", sorted(p.name for p in PALETTES.glob("*.dcm")))
def test_well_known_palettes_agree_with_pydicom(palette: str) -> None:
    colours = pydicom.dcmread(PALETTES / palette)
    values = np.arange(256).reshape(16, 16)
    ds = image(values, PhotometricInterpretation="PALETTE COLOR")
    for elem in colours:
        if "Palette" in elem.keyword and "UID" not in elem.keyword:
            ds.add(elem)
    want = apply_color_lut(values, ds)  # 8-bit entries: already 8 bits
    assert want.dtype == np.uint8
    got = render(ds)[0][..., :3]
    # a linear segment's halves (C.7.9.2.2 names no rounding): pydicom rounds them to even
    segmented = any(keyword.startswith("Segmented") for keyword in ds.dir())
    assert np.abs(got.astype(int) - want).max() <= int(segmented)
    assert compare(got, want, lossy=False) is None


def test_examples_palette_agrees_with_pydicom() -> None:
    ds = _dataset("examples_palette.dcm")
    want = apply_color_lut(ds.pixel_array, ds).astype(np.int64)
    if want.max() > 255:  # 16-bit entries: round(e / 257), half up
        want = (want * 2 + 257) // 514
    assert compare(render(ds)[0][..., :3], want.astype(np.uint8), lossy=False) is None


# ---------------------------------------------------------------- against pydicom: all files


def test_the_undecodable_files_are_pydicom_s_own_failures() -> None:
    assert set(UNDECODABLE) <= set(IMAGES)
    for name in UNDECODABLE:
        with pytest.raises(Exception):  # noqa: B017 - any decoding error
            pixel_array(_dataset(name), index=0)


@pytest.mark.parametrize("name", DECODABLE)
def test_every_decodable_file_renders(name: str) -> None:
    ds = _dataset(name)
    for frame in _frames(ds):
        rgba, choice = render(ds, frame)
        assert rgba.shape == (ds.Rows, ds.Columns, 4) and rgba.dtype == np.uint8
        assert rgba.flags.c_contiguous and (rgba[..., 3] == 255).all()
        assert choice.kind in ("window", "lut", "auto", "colour")


def _pydicom_grey(ds: Dataset, frame: int) -> np.ndarray:
    """pydicom's modality + VOI stages, rescaled to 8 bits; min..max when there is no VOI."""
    stored = pixel_array(ds, index=frame)
    x = apply_modality_lut(stored, ds).astype(np.float64)
    if "WindowCenter" in ds or "VOILUTSequence" in ds:
        y = apply_voi_lut(x, ds, prefer_lut=False).astype(np.float64)
        # pydicom's window output spans the stored range (after rescale), not 0..255
        lo, hi = apply_windowing(np.array([-1e30, 1e30]), ds).tolist()
        y = (y - lo) / (hi - lo) * 255
    else:
        kept = x
        if "PixelPaddingValue" in ds:
            pad = apply_modality_lut(np.array([ds.PixelPaddingValue]), ds)[0]
            kept = x[x != pad] if (x != pad).any() else x
        lo, hi = float(kept.min()), float(kept.max())
        y = (x - lo) / max(hi - lo, 1e-300) * 255 if hi > lo else np.where(x > lo, 255.0, 0.0)
    out = np.floor(np.clip(y, 0, 255) + 0.5)
    if ds.PhotometricInterpretation == "MONOCHROME1":  # pydicom leaves it to the viewer
        out = 255 - out
    return out.astype(np.uint8)


GREY = [
    n
    for n in DECODABLE
    if _dataset(n).get("PhotometricInterpretation", "").startswith("MONOCHROME")
]


def test_the_grey_comparison_covers_windows_rescale_padding_and_monochrome1() -> None:
    kinds = {render(_dataset(n))[1].kind for n in GREY}
    assert kinds == {"window", "auto"}  # no bundled file has a VOI LUT (synthetic ones do)
    assert any(_dataset(n).PhotometricInterpretation == "MONOCHROME1" for n in GREY)
    assert "CT_small.dcm" in GREY and "J2K_pixelrep_mismatch.dcm" in GREY


@pytest.mark.parametrize("name", GREY)
def test_greyscale_files_agree_with_pydicom(name: str) -> None:
    ds = _dataset(name)
    for frame in _frames(ds):
        got = render(ds, frame)[0]
        want = _pydicom_grey(ds, frame)
        assert compare(got[..., 0], want, lossy=False) is None, (name, frame)
        assert np.abs(got[..., 0].astype(int) - want).max() <= 1, (name, frame)


@pytest.mark.parametrize("index", [0, 1, 2])
def test_multiple_windows_agree_with_pydicom(index: int) -> None:
    ds = _dataset("J2K_pixelrep_mismatch.dcm")  # windows 40/100, 40/100, 40/200
    x = apply_modality_lut(ds.pixel_array, ds)
    lo, hi = apply_windowing(np.array([-1e30, 1e30]), ds).tolist()
    want = np.floor((apply_voi_lut(x, ds, index=index) - lo) / (hi - lo) * 255 + 0.5)
    rgba, choice = render(ds, voi_index=index)
    assert choice.width == [100, 100, 200][index]
    assert compare(rgba[..., 0], want.astype(np.uint8), lossy=False) is None


@pytest.mark.parametrize(
    "lut",
    [([4096, 0, 16], np.arange(4096) * 16), ([300, 1000, 12], np.arange(300) * 13)],
    ids=["4096x16", "300x12-first-1000"],
)
def test_voi_lut_agrees_with_pydicom(lut: tuple[list[int], np.ndarray]) -> None:
    descriptor, data = lut
    ds = image(np.arange(0, 4000, 7).reshape(4, -1)[:, :140])
    ds.VOILUTSequence = Sequence([lut_item(descriptor, data.tolist())])
    raw = apply_voi_lut(ds.pixel_array, ds).astype(np.int64)
    bits = max(descriptor[2], int(data.max()).bit_length())
    top = 2**bits - 1
    want = (raw * 510 + top) // (2 * top)
    assert compare(render(ds)[0][..., 0], want.astype(np.uint8), lossy=False) is None


def test_modality_lut_agrees_with_pydicom() -> None:
    ds = image(np.arange(-50, 350).reshape(4, 100), signed=True)
    item = lut_item([256, 0, 16], (np.arange(256) * 3 + 7).tolist())
    item.add_new("LUTDescriptor", "SS", [256, -20, 16])  # first value mapped -20
    ds.ModalityLUTSequence = Sequence([item])
    assert modality_values(ds).tolist() == apply_modality_lut(ds.pixel_array, ds).tolist()


def test_hounsfield_units_agree_with_pydicom() -> None:
    ds = _dataset("CT_small.dcm")
    want = apply_modality_lut(ds.pixel_array, ds)
    assert modality_values(ds).tolist() == want.tolist()
    assert modality_values(TEST_FILES / "CT_small.dcm").min() == want.min() == 128 - 1024


COLOUR = [n for n in DECODABLE if _dataset(n).get("SamplesPerPixel", 1) == 3]


@pytest.mark.parametrize("name", COLOUR)
def test_colour_files_are_pydicom_s_rgb_in_8_bits(name: str) -> None:
    ds = _dataset(name)
    for frame in _frames(ds):
        rgb = pixel_array(ds, index=frame).astype(np.int64)  # YBR converted to RGB
        top = 2 ** int(ds.BitsStored) - 1
        want = rgb if top == 255 else (rgb * 510 + top) // (2 * top)
        got = render(ds, frame)[0]
        assert got[..., :3].tolist() == want.tolist()
        assert (render(ds, frame, invert=True)[0][..., :3] == 255 - got[..., :3]).all()


# ---------------------------------------------------------------- one image, many encodings


def _is_image(plane: np.ndarray) -> bool:
    """Not noise: neighbours differ far less than pixels differ from the mean."""
    plane = plane.astype(np.float64)
    step = np.abs(np.diff(plane, axis=1)).mean()
    spread = np.abs(plane - plane.mean()).mean()
    return spread > 5 and step < 0.6 * spread


@pytest.mark.parametrize(
    ("name", "same_as"),
    [
        ("MR_small_bigendian.dcm", "MR_small.dcm"),
        ("MR_small_expb.dcm", "MR_small.dcm"),
        ("MR_small_implicit.dcm", "MR_small.dcm"),
        ("MR_small_RLE.dcm", "MR_small.dcm"),
        ("MR_small_jp2klossless.dcm", "MR_small.dcm"),
        ("MR_small_jpeg_ls_lossless.dcm", "MR_small.dcm"),
        ("MR_small_padded.dcm", "MR_small.dcm"),
        ("rtdose_expb.dcm", "rtdose.dcm"),
        ("rtdose_rle.dcm", "rtdose.dcm"),
        ("liver_expb_1frame.dcm", "liver_1frame.dcm"),
        ("SC_rgb_small_odd_big_endian.dcm", "SC_rgb_small_odd.dcm"),
        ("SC_rgb_jpeg_gdcm.dcm", "SC_rgb_rle.dcm"),
        ("SC_rgb_gdcm_KY.dcm", "SC_rgb_rle.dcm"),
        ("SC_rgb_rle_16bit.dcm", "SC_rgb_rle.dcm"),
        ("SC_rgb_rle_32bit.dcm", "SC_rgb_rle.dcm"),
    ],
)
def test_lossless_encodings_render_the_same_image(name: str, same_as: str) -> None:
    ds, twin = _dataset(name), _dataset(same_as)
    for frame in _frames(ds):
        got, want = render(ds, frame)[0], render(twin, frame)[0]
        assert compare(got, want, lossy=False) is None
        assert np.array_equal(got, want) or "SC_rgb_rle_" in name


def test_big_endian_is_not_noise() -> None:
    ds = _dataset("MR_small_bigendian.dcm")
    assert _is_image(render(ds)[0][..., 0])
    swapped = image(ds.pixel_array.astype(">i2").view("<i2"), signed=True)
    assert not _is_image(render(swapped)[0][..., 0])  # what misread bytes look like


@pytest.mark.parametrize(
    "name",
    [
        n
        for n in COLOUR
        if n.startswith("SC_rgb_dcmtk")
        or n
        in (
            "SC_rgb_jpeg_dcmtk.dcm",
            "SC_rgb_jpeg_lossy_gdcm.dcm",
            "SC_ybr_full_422_uncompressed.dcm",
        )
    ],
)
def test_lossy_and_ybr_encodings_are_close_to_the_rgb_original(name: str) -> None:
    got = render(_dataset(name))[0].astype(np.int64)
    want = render(_dataset("SC_rgb_rle.dcm"))[0].astype(np.int64)
    assert np.abs(got - want).mean() < 3  # YBR left unconverted is off by ~100


# ---------------------------------------------------------------- compare() and independence


def test_compare() -> None:
    a = np.zeros((10, 100, 4), np.uint8)
    assert compare(a, a, lossy=False) is None
    assert compare(a, a + 1, lossy=False) is None
    b = a.copy()
    b[0, 0, 0] = 9  # 1 sample in 4000: 0.025 %
    assert compare(a, b, lossy=False) is None
    b[0, :10, 1] = 2
    message = compare(a, b, lossy=False)
    assert message is not None and "max diff 9" in message and "(0, 0, 0)" in message
    assert compare(a, a + 3, lossy=True) is None
    assert "max diff 4" in (compare(a, a + 4, lossy=True) or "")
    assert "shape" in (compare(a, a[:5], lossy=True) or "")


def test_the_reference_does_not_import_lightbox() -> None:
    tree = ast.parse(Path(reference.__file__).read_text())
    names = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ]
    names += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert names and not any(name.split(".")[0] == "lightbox" for name in names)
