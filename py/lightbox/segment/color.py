"""A segment's display colour: its Recommended Display CIELab Value (0062,000D) as sRGB.

PS3.3 C.10.7.1.1: the three values are the ICC PCS-Lab encoding scaled to 0..65535
(L* 0..100, a* and b* -128..127) relative to the D50 white point. They are turned into
CIE XYZ (D50), adapted to D65 with the Bradford transform, then to linear sRGB (IEC
61966-2-1) and gamma-encoded.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The D50 white point (ICC PCS), XYZ with Y = 1.
_D50 = (0.96422, 1.0, 0.82521)

#: Bradford chromatic adaptation from D50 to D65.
_BRADFORD_D50_TO_D65 = (
    (0.9555766, -0.0230393, 0.0631636),
    (-0.0282895, 1.0099416, 0.0210077),
    (0.0122982, -0.0204830, 1.3299098),
)

#: XYZ (D65) to linear sRGB.
_XYZ_TO_SRGB = (
    (3.2404542, -1.5371385, -0.4985314),
    (-0.9692660, 1.8760108, 0.0415560),
    (0.0556434, -0.2040259, 1.0572252),
)

#: The colour of a segment without a recommended one (a neutral yellow).
DEFAULT_COLOR = (255, 200, 0)


def _mul(m: tuple[tuple[float, float, float], ...], v: Sequence[float]) -> list[float]:
    return [row[0] * v[0] + row[1] * v[1] + row[2] * v[2] for row in m]


def _f_inverse(t: float) -> float:
    delta = 6 / 29
    return t**3 if t > delta else 3 * delta * delta * (t - 4 / 29)


def _encode(linear: float) -> int:
    c = min(max(linear, 0.0), 1.0)
    v = 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055
    return round(v * 255)


def lab_to_srgb(dicom_lab: Sequence[int | float]) -> tuple[int, int, int]:
    """sRGB (0..255 each) of a Recommended Display CIELab Value (three 0..65535 values)."""
    lightness = float(dicom_lab[0]) * 100 / 65535
    a = float(dicom_lab[1]) * 255 / 65535 - 128
    b = float(dicom_lab[2]) * 255 / 65535 - 128
    fy = (lightness + 16) / 116
    xyz_d50 = (
        _D50[0] * _f_inverse(fy + a / 500),
        _D50[1] * _f_inverse(fy),
        _D50[2] * _f_inverse(fy - b / 200),
    )
    r, g, bl = _mul(_XYZ_TO_SRGB, _mul(_BRADFORD_D50_TO_D65, xyz_d50))
    return (_encode(r), _encode(g), _encode(bl))
