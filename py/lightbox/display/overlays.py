"""Overlay planes (groups 6000-601E): read from the header, burnt into a rendered frame.

An overlay is a bit plane laid over the image: (60xx,3000) Overlay Data
packed one bit a pixel, or, in the retired embedded form, a bit of the pixel
cells above High Bit (Overlay Bits Allocated > 1, no Overlay Data), which
:func:`lightbox.pixels.samples.embedded_overlay_bits` takes from the raw stored
values. Multi-frame overlays apply to the image frames from (60xx,0051)
Image Frame Origin on.

References
----------
PS3.3 C.9.2 Overlay Plane Module, C.9.3 Multi-frame Overlay Module; PS3.5 8.1.2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from lightbox.core.values import int_or, text

#: Overlay groups: 6000 to 601E, even (PS3.5 7.6 Repeating Groups).
GROUPS = tuple(range(0x6000, 0x6020, 2))
#: The colour overlay pixels are burnt in with: opaque yellow.
OVERLAY_RGBA = (255, 255, 0, 255)


@dataclass(frozen=True)
class OverlayPlane:
    """One overlay plane of a file.

    Attributes
    ----------
    group : int
        0x6000 to 0x601E.
    rows, columns : int
        (60xx,0010) Overlay Rows and (60xx,0011) Overlay Columns.
    origin : tuple of int
        (60xx,0050) Overlay Origin (row, column); the image's first pixel is (1, 1).
    frames : int
        (60xx,0015) Number of Frames in Overlay, 1 when absent.
    first_frame : int
        (60xx,0051) Image Frame Origin: the image frame (1-based) of overlay frame 1.
    kind : str
        (60xx,0040) Overlay Type: G (graphics) or R (region of interest).
    description, label : str
        (60xx,0022) Overlay Description and (60xx,1500) Overlay Label.
    bit_position : int
        (60xx,0102) Overlay Bit Position (for an embedded overlay, the bit of the pixel cell).
    data : bytes or None
        Overlay Data, bits in little-endian order; None when embedded in the pixel data.
    """

    group: int
    rows: int
    columns: int
    origin: tuple[int, int] = (1, 1)
    frames: int = 1
    first_frame: int = 1
    kind: str = "G"
    description: str = ""
    label: str = ""
    bit_position: int = 0
    data: bytes | None = None

    @property
    def embedded(self) -> bool:
        return self.data is None

    def frame_for(self, image_frame: int) -> int | None:
        """The overlay frame (0-based) over image frame ``image_frame`` (0-based), or None.

        An embedded overlay is part of every frame's own pixel cells.
        """
        if self.embedded:
            return image_frame
        k = image_frame - (self.first_frame - 1)
        return k if 0 <= k < self.frames else None


def _value(ds: Dataset, group: int, element: int) -> Any:
    item = ds.get((group, element))
    return None if item is None else item.value


def _bit_order(data: bytes, vr: str, little: bool) -> bytes:
    """Overlay Data as bytes whose bits run pixel by pixel from the lowest (PS3.5 8.1.2)."""
    if little or vr != "OW":
        return data
    return np.frombuffer(data[: len(data) // 2 * 2], ">u2").astype("<u2").tobytes()


def read_overlays(
    ds: Dataset, bits_allocated: int, little: bool = True
) -> tuple[OverlayPlane, ...]:
    """Every overlay plane of a header dataset.

    Parameters
    ----------
    ds : Dataset
        The header (overlay groups come before the pixel data).
    bits_allocated : int
        (0028,0100) of the image: an overlay with as many Overlay Bits
        Allocated and no Overlay Data is embedded in the pixel cells.
    little : bool
        Byte order of the file (OW Overlay Data is in 16-bit words).
    """
    planes = []
    # Only the groups the header holds an element of (most hold none): each absent one
    # asked for would be a lookup and a miss per element.
    held = {tag >> 16 for tag in ds.keys()} & set(GROUPS)  # noqa: SIM118 -- a Dataset iterates elements
    for group in sorted(held):
        rows, columns = _value(ds, group, 0x0010), _value(ds, group, 0x0011)
        if rows is None or columns is None:
            continue
        data_element = ds.get((group, 0x3000))
        allocated = int_or(_value(ds, group, 0x0100), 1)
        if data_element is None and not 1 < allocated <= bits_allocated:
            continue  # neither Overlay Data nor bits in the pixel cells: nothing to show
        origin = _value(ds, group, 0x0050)
        try:
            row0, col0 = (int(v) for v in origin)
        except (TypeError, ValueError):
            row0, col0 = 1, 1
        data = None
        if data_element is not None:
            data = _bit_order(bytes(data_element.value or b""), str(data_element.VR), little)
        planes.append(
            OverlayPlane(
                group=group,
                rows=int_or(rows, 0),
                columns=int_or(columns, 0),
                origin=(row0, col0),
                frames=max(int_or(_value(ds, group, 0x0015), 1), 1),
                first_frame=max(int_or(_value(ds, group, 0x0051), 1), 1),
                kind=text(_value(ds, group, 0x0040)) or "G",
                description=text(_value(ds, group, 0x0022)),
                label=text(_value(ds, group, 0x1500)),
                bit_position=int_or(_value(ds, group, 0x0102), 0),
                data=data,
            )
        )
    return tuple(planes)


def overlay_frame(plane: OverlayPlane, index: int) -> np.ndarray[Any, Any]:
    """Overlay frame ``index`` (0-based) of a plane with Overlay Data, (rows, columns) bool.

    Frames follow each other bit after bit (PS3.3 C.9.3.1.1); bits missing
    from short data are taken as unset.
    """
    count = plane.rows * plane.columns
    start = index * count
    packed = np.frombuffer(plane.data or b"", dtype=np.uint8)[start // 8 : (start + count + 7) // 8]
    bits = np.unpackbits(packed, bitorder="little")[start % 8 : start % 8 + count]
    out = np.zeros(count, dtype=bool)
    out[: bits.size] = bits.astype(bool)
    return out.reshape(plane.rows, plane.columns)


def burn(
    rgba: np.ndarray[Any, Any], mask: np.ndarray[Any, Any], origin: tuple[int, int]
) -> np.ndarray[Any, Any]:
    """A copy of ``rgba`` with the set pixels of ``mask`` painted :data:`OVERLAY_RGBA`.

    ``origin`` is the 1-based (row, column) of the mask's first pixel in the
    image; parts of the mask outside the image are dropped (PS3.3 C.9.2.1.2).
    """
    out = rgba.copy()
    rows, cols = out.shape[:2]
    top, left = origin[0] - 1, origin[1] - 1
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + mask.shape[0], rows), min(left + mask.shape[1], cols)
    if r1 <= r0 or c1 <= c0:
        return out
    window = mask[r0 - top : r1 - top, c0 - left : c1 - left]
    region = out[r0:r1, c0:c1]
    region[window] = np.array(OVERLAY_RGBA, dtype=np.uint8)
    return out


def burn_planes(
    rgba: np.ndarray[Any, Any],
    planes: Sequence[OverlayPlane],
    image_frame: int,
    embedded: np.ndarray[Any, Any] | None = None,
) -> np.ndarray[Any, Any]:
    """Burn every plane that covers image frame ``image_frame`` (0-based) into a copy of ``rgba``.

    Parameters
    ----------
    embedded : numpy.ndarray, optional
        (n, rows, columns) bits of the embedded planes, in their order in
        ``planes`` (see :func:`lightbox.pixels.samples.embedded_overlay_bits`).
    """
    out = rgba
    k = 0
    for plane in planes:
        if plane.embedded:
            if embedded is not None and k < len(embedded):
                out = burn(out, embedded[k], plane.origin)
            k += 1
            continue
        index = plane.frame_for(image_frame)
        if index is not None:
            out = burn(out, overlay_frame(plane, index), plane.origin)
    return out if out is not rgba else rgba.copy()


def plane_json(plane: OverlayPlane, image_frame: int) -> dict[str, Any]:
    """What the viewer lists of an overlay, and whether it covers the frame shown."""
    return {
        "group": f"{plane.group:04X}",
        "type": plane.kind,
        "description": plane.description,
        "label": plane.label,
        "rows": plane.rows,
        "columns": plane.columns,
        "origin": list(plane.origin),
        "frames": plane.frames,
        "embedded": plane.embedded,
        "onFrame": plane.frame_for(image_frame) is not None,
    }
