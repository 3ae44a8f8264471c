"""Dataset to display parameters: the one place of the display pipeline that reads a Dataset.

One small selector per concern: the Modality LUT step (rescale, or a Modality
LUT Sequence), the windows and VOI LUTs, the presentation's inversion, Pixel
Padding, the palettes. Each reads plain values out of the Dataset and hands
them to the records and decoders of :mod:`lightbox.display.luts`; none
modifies the Dataset. :mod:`lightbox.display.frames` applies the same
selectors to the functional group items of Enhanced objects.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import UID

from lightbox.core.records import Photometric, VoiFunction, Window
from lightbox.core.values import numbers, strings
from lightbox.display import luts
from lightbox.display.luts import Lut, Modality, Palette, Rescale
from lightbox.display.modality import modality_values
from lightbox.display.palette import expand_segmented, palette_of

_CHANNELS = ("Red", "Green", "Blue")


def read_rescale(ds: Dataset, modality: str | None = None) -> Rescale:
    """Read the Modality LUT rescale of an image or of a functional group item.

    Parameters
    ----------
    ds : Dataset
        The image, or an item of its (0028,9145) Pixel Value Transformation
        Sequence (an Enhanced object's, PS3.3 C.7.6.16.2.9).
    modality : str, optional
        (0008,0060) Modality of the image, for an item (which has none); by
        default that of ``ds``.

    References
    ----------
    PS3.3 C.11.1.1.2 (Rescale Slope, Intercept, Type); C.8.2.1 (CT Image: a
    CT image with a rescale but no (0028,1054) Rescale Type is in HU).
    """
    slopes = numbers(ds.get("RescaleSlope"))
    intercepts = numbers(ds.get("RescaleIntercept"))
    slope = slopes[0] if slopes and slopes[0] != 0 else 1.0
    intercept = intercepts[0] if intercepts else 0.0
    unit = str(ds.get("RescaleType", "") or "")
    kind = str(ds.get("Modality", "")) if modality is None else modality
    if not unit and kind == "CT" and intercepts:
        unit = "HU"
    return Rescale(slope, intercept, unit)


def read_windows(ds: Dataset) -> list[Window]:
    """Every (0028,1050) Window Center / (0028,1051) Window Width pair, in order.

    References
    ----------
    PS3.3 C.11.2.1.2 Window Center and Window Width; C.11.2.1.3 VOI LUT Function.
    """
    centers = numbers(ds.get("WindowCenter"))
    widths = numbers(ds.get("WindowWidth"))
    explanations = strings(ds.get("WindowCenterWidthExplanation"))
    function_text = str(ds.get("VOILUTFunction", "LINEAR") or "LINEAR").strip().upper()
    try:
        function = VoiFunction(function_text)
    except ValueError:
        function = VoiFunction.LINEAR
    windows = []
    for i, (center, width) in enumerate(zip(centers, widths, strict=False)):
        minimum = 1.0 if function is VoiFunction.LINEAR else 0.0
        if width < minimum or (function is not VoiFunction.LINEAR and width <= 0):
            continue  # not a valid window for this function: ignore it
        label = explanations[i] if i < len(explanations) else ""
        windows.append(Window(center, width, function, label))
    return windows


# -- lookup tables: Modality LUT Sequence, VOI LUT Sequence --------------------------------


def little_endian(ds: Dataset) -> bool:
    """Byte order of the dataset's OW values: from its transfer syntax, else as it was read."""
    meta = ds.get("file_meta")
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if syntax:
        return _little(str(syntax))
    encoding = getattr(ds, "original_encoding", (None, None))
    return encoding[1] is not False


@lru_cache(maxsize=64)
def _little(syntax: str) -> bool:
    """A transfer syntax's byte order, worked out once per syntax (asked of every file)."""
    return bool(UID(syntax).is_little_endian)


def _read_lut(item: Dataset, signed: bool, little: bool) -> Lut | None:
    descriptor = luts.descriptor_values(item.get("LUTDescriptor"), signed)
    if descriptor is None or "LUTData" not in item:
        return None
    count, first, bits = descriptor
    data = luts.lut_entries(item["LUTData"].value, count, bits, little)
    if data is None:
        return None
    # PS3.3 C.11.1.1.1: the third value is the entries' bit depth, the range of the LUT's
    # output. Entries that need more bits were written at a finer precision (an XA file
    # declares 8 bits and holds 80..4022, with a window of 127/255 for its output): they are
    # brought to the declared depth, value * (2**declared - 1) / (2**needed - 1), rounded.
    needed = int(data.max()).bit_length() if data.size else 0
    if needed > bits:
        scaled = np.floor(data.astype(np.float64) * ((1 << bits) - 1) / ((1 << needed) - 1) + 0.5)
        data = scaled.astype(np.uint16)
        data.setflags(write=False)
    explanation = str(item.get("LUTExplanation", "") or "")
    kind = str(item.get("ModalityLUTType", "") or "")
    return Lut(first, bits, data, explanation, kind)


def read_modality_lut(ds: Dataset) -> Lut | None:
    """The (0028,3000) Modality LUT Sequence's table, or None.

    References
    ----------
    PS3.3 C.11.1.1.1: the descriptor's first value mapped is US or SS as
    (0028,0103) Pixel Representation says.
    """
    sequence = ds.get("ModalityLUTSequence")
    if not sequence:
        return None
    signed = int(ds.get("PixelRepresentation", 0) or 0) == 1
    return _read_lut(sequence[0], signed, little_endian(ds))


def read_modality(ds: Dataset) -> Modality:
    """The Modality LUT step: the LUT Sequence when present, else the rescale (C.11.1).

    The two are exclusive; a file with both is shown through its LUT.
    """
    lut = read_modality_lut(ds)
    return lut if lut is not None else read_rescale(ds)


def modality_output_signed(ds: Dataset, modality: Modality) -> bool:
    """Whether modality values can be negative (the VR of a VOI LUT's first value, C.11.2.1.1).

    A Modality LUT's output is unsigned; a rescale's output is signed when the
    stored values are, or when a negative slope or intercept can make them so.
    """
    if isinstance(modality, Lut):
        return False
    signed_stored = int(ds.get("PixelRepresentation", 0) or 0) == 1
    return signed_stored or modality.intercept < 0 or modality.slope < 0


def read_voi_luts(ds: Dataset, signed: bool = False, little: bool | None = None) -> list[Lut]:
    """Every table of the (0028,3010) VOI LUT Sequence, in order (PS3.3 C.11.2.1.1).

    Parameters
    ----------
    signed : bool
        Whether the first value mapped is SS (see :func:`modality_output_signed`).
    little : bool, optional
        Byte order of OW LUT Data; by default that of ``ds`` (pass the file's
        for a functional group item).
    """
    little = little_endian(ds) if little is None else little
    found = (_read_lut(item, signed, little) for item in ds.get("VOILUTSequence") or [])
    return [lut for lut in found if lut is not None]


# -- presentation and padding --------------------------------------------------------------


def presentation_inverts(photometric: Photometric, ds: Dataset) -> bool:
    """Whether the Presentation step inverts grey (PS3.3 C.7.6.3.1.2, C.11.6).

    MONOCHROME1 shows its minimum as white; (2050,0020) Presentation LUT
    Shape INVERSE inverts as well.
    """
    shape = str(ds.get("PresentationLUTShape", "") or "").strip().upper()
    # For MONOCHROME1, INVERSE is the shape the IODs require: the same inversion, not a second.
    return photometric is Photometric.MONOCHROME1 or shape == "INVERSE"


def read_padding(ds: Dataset, rescale: Modality) -> tuple[float, float] | None:
    """(0028,0120) Pixel Padding Value and (0028,0121) Range Limit, as modality values."""
    values = numbers(ds.get("PixelPaddingValue"))
    if not values:
        return None
    limits = numbers(ds.get("PixelPaddingRangeLimit"))
    low = values[0]
    high = limits[0] if limits else low
    if isinstance(rescale, Lut):
        ends = modality_values(np.array([int(low), int(high)], dtype=np.int64), rescale)
        return float(ends[0]), float(ends[1])
    return (
        low * rescale.slope + rescale.intercept,
        high * rescale.slope + rescale.intercept,
    )


# -- palettes: PALETTE COLOR and Supplemental Palette Color LUTs ---------------------------


def _palette_channel(
    ds: Dataset, channel: str, little: bool
) -> tuple[int, int, np.ndarray[Any, Any]] | None:
    signed = int(ds.get("PixelRepresentation", 0) or 0) == 1
    descriptor = luts.descriptor_values(
        ds.get(f"{channel}PaletteColorLookupTableDescriptor"), signed
    )
    if descriptor is None:
        return None
    count, first, bits = descriptor
    plain = ds.get(f"{channel}PaletteColorLookupTableData")
    segmented = ds.get(f"Segmented{channel}PaletteColorLookupTableData")
    if plain is not None:
        data = luts.lut_entries(plain, count, bits, little)
    elif segmented is not None:
        words = luts.segment_words(segmented, bits, little)
        try:
            expanded = expand_segmented(words, bits) if words is not None else []
        except (ValueError, IndexError):
            return None
        data = np.asarray(expanded[:count], dtype=np.int64) if len(expanded) >= count else None
    else:
        return None
    return None if data is None else (first, bits, data)


def read_palette(ds: Dataset) -> Palette | None:
    """The Red, Green and Blue Palette Color LUTs, plain or segmented, or None.

    References
    ----------
    PS3.3 C.7.6.3.1.5 (descriptors: entries, first value mapped, 8 or 16
    bits), C.7.6.3.1.6 (data), C.7.9.2 (segmented data).
    """
    little = little_endian(ds)
    channels = [_palette_channel(ds, channel, little) for channel in _CHANNELS]
    found = [c for c in channels if c is not None]
    if len(found) != len(channels):
        return None
    return palette_of(found)


def has_supplemental_palette(ds: Dataset, photometric: Photometric) -> bool:
    """A grey image with Supplemental Palette Color LUTs (PS3.3 C.7.6.19, C.8.16.2.1.1.1).

    (0008,9205) Pixel Presentation COLOR or MIXED says the palette is meant
    to be shown.
    """
    presentation = str(ds.get("PixelPresentation", "") or "").strip().upper()
    return (
        photometric.is_monochrome
        and presentation in ("COLOR", "MIXED")
        and "RedPaletteColorLookupTableDescriptor" in ds
    )
