"""lightbox.display.readers: display parameters read from a Dataset.

Windows, rescale, padding, presentation, Modality and VOI LUT Sequences
(PS3.3 C.11.1.1.1, C.11.2.1.1) and palettes (C.7.6.3.1.5, C.7.9), including
pydicom's well-known palettes (PS3.6 Annex B) as pydicom reads them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.pixels.processing import apply_color_lut

from lightbox.core.records import Photometric, VoiFunction, Window
from lightbox.display import luts, palette, readers
from lightbox.display.luts import Rescale
from tests.support.hand import (
    EXACT,
    LINEAR,
    SIGMOID,
    TABLE,
    VOI_TABLE,
    half_up,
)

# -- reading parameters from a Dataset -----------------------------------------------------


def test_read_windows_reads_every_pair_with_its_explanation():
    ds = Dataset()
    ds.WindowCenter = [40, 400]
    ds.WindowWidth = [400, 2000]
    ds.WindowCenterWidthExplanation = ["BRAIN", "BONE"]
    assert readers.read_windows(ds) == [
        Window(40.0, 400.0, LINEAR, "BRAIN"),
        Window(400.0, 2000.0, LINEAR, "BONE"),
    ]


def test_read_windows_single_value_without_explanation():
    ds = Dataset()
    ds.WindowCenter = "-600"
    ds.WindowWidth = "1500.5"
    assert readers.read_windows(ds) == [Window(-600.0, 1500.5, LINEAR, "")]


@pytest.mark.parametrize(
    ("text", "function"),
    [
        pytest.param("LINEAR", LINEAR, id="linear"),
        pytest.param("LINEAR_EXACT", EXACT, id="linear-exact"),
        pytest.param("SIGMOID", SIGMOID, id="sigmoid"),
        pytest.param("SIGMOID ", SIGMOID, id="padded-with-space"),
        pytest.param("CUBIC", LINEAR, id="unknown-falls-back-to-linear"),
    ],
)
def test_read_windows_reads_the_voi_lut_function(text, function):
    ds = Dataset()
    ds.WindowCenter = [10, 20]
    ds.WindowWidth = [30, 40]
    ds.VOILUTFunction = text
    assert [w.function for w in readers.read_windows(ds)] == [function, function]


@pytest.mark.parametrize(
    ("function", "widths", "kept"),
    [
        # PS3.3 C.11.2.1.2.1: LINEAR needs Window Width >= 1
        pytest.param(None, [400, 0.5, 0, -10, 1], [0, 4], id="linear-needs-at-least-1"),
        # PS3.3 C.11.2.1.3.2 / C.11.2.1.3.1: greater than 0
        pytest.param("LINEAR_EXACT", [0.5, 0, -1, 2], [0, 3], id="exact-needs-positive"),
        pytest.param("SIGMOID", [0.25, 0, -3, 9], [0, 3], id="sigmoid-needs-positive"),
    ],
)
def test_read_windows_drops_invalid_widths_keeping_explanations_aligned(function, widths, kept):
    ds = Dataset()
    ds.WindowCenter = [10.0 * i for i in range(len(widths))]
    ds.WindowWidth = widths
    ds.WindowCenterWidthExplanation = [f"W{i}" for i in range(len(widths))]
    if function:
        ds.VOILUTFunction = function
    expected_function = VoiFunction(function or "LINEAR")
    assert readers.read_windows(ds) == [
        Window(10.0 * i, float(widths[i]), expected_function, f"W{i}") for i in kept
    ]


def test_read_windows_without_window_is_empty():
    assert readers.read_windows(Dataset()) == []


def test_read_rescale_defaults_to_identity():
    assert readers.read_rescale(Dataset()) == Rescale(1.0, 0.0, "")


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param(
            {"RescaleSlope": 2, "RescaleIntercept": -5},
            Rescale(2.0, -5.0, ""),
            id="slope-intercept",
        ),
        pytest.param(
            {"RescaleSlope": 0, "RescaleIntercept": 7},
            Rescale(1.0, 7.0, ""),
            id="zero-slope-is-ignored",
        ),
        pytest.param(
            {"Modality": "CT", "RescaleIntercept": -1024},
            Rescale(1.0, -1024.0, "HU"),
            id="ct-is-hounsfield",
        ),
        pytest.param({"Modality": "CT"}, Rescale(1.0, 0.0, ""), id="ct-without-rescale"),
        pytest.param(
            {"RescaleType": "US", "RescaleIntercept": 1}, Rescale(1.0, 1.0, "US"), id="rescale-type"
        ),
    ],
)
def test_read_rescale(attributes, expected):
    ds = Dataset()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    assert readers.read_rescale(ds) == expected


def test_read_padding_in_modality_units():
    ds = Dataset()
    ds.add_new(0x00280120, "SS", -2000)
    ds.add_new(0x00280121, "SS", -1500)
    assert readers.read_padding(ds, Rescale(1.0, -1024.0)) == (-3024.0, -2524.0)
    assert readers.read_padding(Dataset(), Rescale()) is None


# -- presentation and colour ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("photometric", "shape", "inverts"),
    [
        pytest.param(Photometric.MONOCHROME2, None, False, id="mono2"),
        pytest.param(Photometric.MONOCHROME1, None, True, id="mono1"),
        pytest.param(Photometric.MONOCHROME2, "INVERSE", True, id="mono2-inverse"),
        pytest.param(Photometric.MONOCHROME2, "IDENTITY", False, id="mono2-identity"),
        # INVERSE is what MONOCHROME1 IODs require: the same inversion, not a second one
        pytest.param(Photometric.MONOCHROME1, "INVERSE", True, id="mono1-inverse"),
    ],
)
def test_presentation_inverts(photometric, shape, inverts):
    ds = Dataset()
    if shape:
        ds.PresentationLUTShape = shape
    assert readers.presentation_inverts(photometric, ds) is inverts


# == Modality LUT Sequence, VOI LUT Sequence (PS3.3 C.11.1.1.1, C.11.2.1.1) ================


def lut_item(descriptor, data, vr="US", **attributes) -> Dataset:
    item = Dataset()
    item.LUTDescriptor = list(descriptor)
    item.add_new(0x00283006, vr, data)
    for keyword, value in attributes.items():
        setattr(item, keyword, value)
    return item


def lut_dataset(sequence: str, items, pixel_representation: int = 0, **attributes) -> Dataset:
    ds = Dataset()
    setattr(ds, sequence, list(items))
    ds.PixelRepresentation = pixel_representation
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


@pytest.mark.parametrize(
    ("descriptor", "value", "vr", "pixel_representation", "first"),
    [
        pytest.param([8, 0, 12], TABLE, "US", 0, 0, id="us-list"),
        pytest.param([8, 0, 12], np.array(TABLE, "<u2").tobytes(), "OW", 0, 0, id="ow-bytes"),
        pytest.param([8, 65534, 12], TABLE, "US", 1, -2, id="first-read-as-us-but-signed"),
        pytest.param([8, 65534, 12], TABLE, "US", 0, 65534, id="first-unsigned"),
        pytest.param([8, 100, 12], TABLE, "US", 0, 100, id="first-100"),
    ],
)
def test_read_modality_lut(descriptor, value, vr, pixel_representation, first):
    item = lut_item(descriptor, value, vr, ModalityLUTType="HU", LUTExplanation="CT")
    ds = lut_dataset("ModalityLUTSequence", [item], pixel_representation)
    ds.file_meta = Dataset()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    lut = readers.read_modality_lut(ds)
    assert (lut.first, lut.bits, lut.entries, lut.kind, lut.explanation) == (
        first,
        12,
        8,
        "HU",
        "CT",
    )
    assert lut.data.tolist() == TABLE
    with pytest.raises(ValueError):
        lut.data[0] = 1  # read-only


@pytest.mark.parametrize(
    ("descriptor", "value", "vr", "expected"),
    [
        pytest.param([0, 0, 16], list(range(65536)), "US", 65536, id="zero-means-65536"),
        pytest.param([4, 0, 8], bytes([1, 2, 3, 4]), "OW", 4, id="8-bit-packed"),
        pytest.param([4, 0, 8], bytes([1, 0, 2, 0, 3, 0, 4, 0]), "OW", 4, id="8-bit-in-words"),
        pytest.param([4, 0, 8], [0x0101, 0x0202, 3, 4], "US", 4, id="8-bit-in-both-bytes"),
    ],
)
def test_lut_entries_and_bits(descriptor, value, vr, expected):
    ds = lut_dataset("VOILUTSequence", [lut_item(descriptor, value, vr)])
    (lut,) = readers.read_voi_luts(ds, little=True)
    assert lut.entries == expected
    if expected == 4:
        assert lut.data.tolist() == [1, 2, 3, 4]


def test_8_bit_entries_packed_in_big_endian_ow_are_unswapped():
    """Big endian swaps OW as 16-bit words (PS3.5 7.3): entries 1,2,3,4 packed a byte each
    lie on disk as 2,1,4,3."""
    ds = lut_dataset("VOILUTSequence", [lut_item([4, 0, 8], bytes([2, 1, 4, 3]), "OW")])
    (lut,) = readers.read_voi_luts(ds, little=False)
    assert lut.data.tolist() == [1, 2, 3, 4]


def test_a_lut_whose_entries_need_more_bits_than_declared_is_read_on_its_declared_range():
    """A real XA file (../shared/corpus/xa_rf/go-dicom) declares an 8-bit Modality LUT whose
    entries run from 80 to 4022, and a window of 127/255 for its 8-bit output: masked to 8
    bits the image was noise; taken as 12-bit values under that window, all white. Read on
    the declared range: e * 255 / 4095, rounded (worked by hand)."""
    ds = lut_dataset("ModalityLUTSequence", [lut_item([4, 0, 8], [80, 282, 1000, 4022])])
    lut = readers.read_modality(ds)
    assert isinstance(lut, luts.Lut)
    assert lut.data.tolist() == [5, 18, 62, 250]  # 4.98, 17.56, 62.27, 250.45
    assert lut.bits == 8


@pytest.mark.parametrize(
    ("descriptor", "value"),
    [
        pytest.param([8, 0, 12], TABLE[:5], id="too-few-entries"),
        pytest.param([8, 0], TABLE, id="short-descriptor"),
        pytest.param([8, 0, 0], TABLE, id="zero-bits"),
    ],
)
def test_invalid_luts_are_ignored(descriptor, value):
    ds = lut_dataset("ModalityLUTSequence", [lut_item(descriptor, value)])
    assert readers.read_modality_lut(ds) is None
    assert readers.read_modality(ds) == Rescale()


def test_read_modality_prefers_the_lut_and_falls_back_to_rescale():
    ds = lut_dataset("ModalityLUTSequence", [lut_item([8, 0, 12], TABLE)], RescaleSlope=2)
    assert isinstance(readers.read_modality(ds), luts.Lut)
    del ds.ModalityLUTSequence
    assert readers.read_modality(ds) == Rescale(2.0, 0.0, "")


def test_read_voi_luts_reads_every_item_with_its_explanation():
    items = [
        lut_item([5, 0, 12], VOI_TABLE, LUTExplanation="NORMAL"),
        lut_item([3, 0xFC00, 16], [0, 30000, 65535], LUTExplanation="HARDER"),
    ]
    found = readers.read_voi_luts(lut_dataset("VOILUTSequence", items), signed=True)
    assert [(lut.first, lut.bits, lut.entries, lut.explanation) for lut in found] == [
        (0, 12, 5, "NORMAL"),
        (-1024, 16, 3, "HARDER"),  # 0xFC00 as SS
    ]
    assert readers.read_voi_luts(Dataset()) == []


@pytest.mark.parametrize(
    ("attributes", "lut", "signed"),
    [
        pytest.param({}, False, False, id="unsigned-identity"),
        pytest.param({"PixelRepresentation": 1}, False, True, id="signed-stored"),
        pytest.param({"RescaleIntercept": -1024}, False, True, id="negative-intercept"),
        pytest.param({"RescaleSlope": -1}, False, True, id="negative-slope"),
        pytest.param({"PixelRepresentation": 1}, True, False, id="modality-lut-is-unsigned"),
    ],
)
def test_modality_output_signed(attributes, lut, signed):
    ds = Dataset()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    if lut:
        ds.ModalityLUTSequence = [lut_item([8, 0, 12], TABLE)]
    assert readers.modality_output_signed(ds, readers.read_modality(ds)) is signed


def test_read_padding_through_a_modality_lut():
    ds = lut_dataset("ModalityLUTSequence", [lut_item([8, 0, 12], TABLE)])
    ds.PixelPaddingValue = 1
    ds.PixelPaddingRangeLimit = 3
    assert readers.read_padding(ds, readers.read_modality(ds)) == (100.0, 400.0)


# == palettes (PS3.3 C.7.6.3.1.5, C.7.9) ====================================================


def palette_dataset(descriptor, channels, segmented=False, vr="OW", **attributes) -> Dataset:
    ds = Dataset()
    ds.file_meta = Dataset()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    for name, value in zip(("Red", "Green", "Blue"), channels, strict=True):
        ds.add_new(
            {"Red": 0x00281101, "Green": 0x00281102, "Blue": 0x00281103}[name], "US", descriptor
        )
        tag = {"Red": 0x1201, "Green": 0x1202, "Blue": 0x1203}[name] + (0x20 if segmented else 0)
        ds.add_new(0x00280000 | tag, vr, value)
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


def words(values, dtype="<u2") -> bytes:
    return np.array(values, dtype=dtype).tobytes()


def scaled(value: int, bits: int) -> int:
    """An entry of ``bits`` bits on the 8-bit display scale, rounded half up."""
    return half_up(value * 255 / (2**bits - 1))


@pytest.mark.parametrize(
    ("descriptor", "channels", "bits"),
    [
        pytest.param(
            [4, 0, 8], [bytes([0, 50, 100, 255]), bytes([9, 8, 7, 6]), bytes(4)], 8, id="8-bit"
        ),
        pytest.param(
            [4, 0, 16],
            [words([0, 257, 32768, 65535]), words([65280, 1, 2, 3]), words([4] * 4)],
            16,
            id="16-bit",
        ),
        pytest.param(
            [4, 0, 8],
            [words([0, 50, 100, 255]), words([9, 8, 7, 6]), words([0] * 4)],
            8,
            id="8-bit-entries-in-16-bit-words",
        ),
    ],
)
def test_read_palette_plain(descriptor, channels, bits):
    colours = readers.read_palette(palette_dataset(descriptor, channels))
    raw = [
        list(c) if bits == 8 and len(c) == 4 else np.frombuffer(c, "<u2").tolist() for c in channels
    ]
    assert (colours.first, colours.bits, colours.entries) == (0, bits, 4)
    assert colours.rgb.tolist() == [[scaled(raw[ch][i], bits) for ch in range(3)] for i in range(4)]


def test_apply_palette_clamps_to_the_first_and_last_entry():
    colours = readers.read_palette(
        palette_dataset([3, 10, 8], [bytes([1, 2, 3]) + b"\0", bytes([4, 5, 6, 0]), bytes(4)])
    )
    stored = np.array([[0, 9, 10, 11, 12, 13, 300]], dtype=np.uint16)
    rgb = palette.apply_palette(stored, colours)
    assert rgb.dtype == np.uint8 and rgb.shape == (1, 7, 3)
    assert rgb[0, :, 0].tolist() == [1, 1, 1, 2, 3, 3, 3]
    assert rgb[0, :, 1].tolist() == [4, 4, 4, 5, 6, 6, 6]


def test_segmented_palette_is_read_and_scaled():
    red = words([0, 1, 0, 1, 255, 65535])  # 0 then linear to 65535 over 255
    green = words([0, 256] + [1000] * 256)
    blue = words([0, 1, 65535, 1, 255, 0])
    colours = readers.read_palette(palette_dataset([256, 0, 16], [red, green, blue], True))
    assert colours.entries == 256
    ramp = [math.floor(65535 * i / 255 + 0.5) for i in range(256)]
    assert colours.rgb[:, 0].tolist() == [scaled(v, 16) for v in ramp]
    assert colours.rgb[:, 1].tolist() == [scaled(1000, 16)] * 256
    assert colours.rgb[:, 2].tolist() == [scaled(65535 - v, 16) for v in ramp]


PALETTES = Path(pydicom.__file__).parent / "data" / "palettes"  # PS3.6 Annex B, in pydicom


def test_well_known_spring_palette_from_its_segments():
    """SPRING (PS3.6 B.1.5, 8-bit segmented): red 255, green i, blue 255 - i."""
    colours = readers.read_palette(pydicom.dcmread(PALETTES / "spring.dcm"))
    i = np.arange(256)
    assert colours.rgb.tolist() == np.stack([np.full(256, 255), i, 255 - i], axis=1).tolist()


@pytest.mark.parametrize(
    ("name", "tolerance"),
    [
        pytest.param("hotiron.dcm", 0, id="hotiron-plain"),
        pytest.param("pet.dcm", 0, id="pet-plain"),
        # segmented: pydicom rounds a linear segment's halves to even, Lightbox up
        pytest.param("summer.dcm", 1, id="summer-segmented"),
        pytest.param("winter.dcm", 1, id="winter-segmented"),
        pytest.param("fall.dcm", 1, id="fall-segmented"),
    ],
)
def test_well_known_palettes_equal_pydicoms_reading(name, tolerance):
    ds = pydicom.dcmread(PALETTES / name)
    colours = readers.read_palette(ds)
    stored = np.arange(256, dtype=np.uint8).reshape(16, 16)
    ours = palette.apply_palette(stored, colours).astype(int)
    theirs = apply_color_lut(stored, ds).astype(int)
    assert np.abs(ours - theirs).max() <= tolerance
    assert len(np.unique(ours.reshape(-1, 3), axis=0)) > 16  # a real palette, not a constant


def test_examples_palette_equals_pydicom_scaled_to_8_bits(pydicom_file):
    """examples_palette.dcm has 16-bit entries; the 8-bit value is round(v * 255 / 65535)."""
    ds = pydicom.dcmread(pydicom_file("examples_palette.dcm"))
    colours = readers.read_palette(ds)
    assert (colours.bits, colours.entries) == (16, 256)
    reference = apply_color_lut(ds.pixel_array, ds).astype(np.float64)
    expected = np.floor(reference * 255 / 65535 + 0.5).astype(np.uint8)
    np.testing.assert_array_equal(palette.apply_palette(ds.pixel_array, colours), expected)


@pytest.mark.parametrize(
    ("photometric", "presentation", "descriptor", "expected"),
    [
        pytest.param(Photometric.MONOCHROME2, "MIXED", True, True, id="mixed"),
        pytest.param(Photometric.MONOCHROME2, "COLOR", True, True, id="color"),
        pytest.param(Photometric.MONOCHROME1, "COLOR", True, True, id="mono1"),
        pytest.param(Photometric.MONOCHROME2, "MONOCHROME", True, False, id="monochrome"),
        pytest.param(Photometric.MONOCHROME2, "COLOR", False, False, id="no-palette"),
        pytest.param(Photometric.PALETTE_COLOR, "COLOR", True, False, id="palette-color"),
    ],
)
def test_has_supplemental_palette(photometric, presentation, descriptor, expected):
    ds = Dataset()
    ds.PixelPresentation = presentation
    if descriptor:
        ds.RedPaletteColorLookupTableDescriptor = [4, 100, 8]
    assert readers.has_supplemental_palette(ds, photometric) is expected
