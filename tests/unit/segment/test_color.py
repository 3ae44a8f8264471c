"""Segment colours: Recommended Display CIELab Value to sRGB against the formula written here.

The expectation is the standard's chain written independently of the code: PS3.3
C.10.7.1.1 scaling of the PCS-Lab values, CIE L*a*b* to XYZ relative to the D50 white,
then XYZ (D50) to linear sRGB with the Bradford-adapted matrix published by Bruce
Lindbloom (one matrix, where the code adapts and converts in two steps), and the sRGB
transfer function of IEC 61966-2-1.
"""

from __future__ import annotations

import numpy as np
import pytest

from lightbox.segment.color import lab_to_srgb

D50 = np.array([0.9642, 1.0, 0.8251])
#: XYZ (D50) → linear sRGB, Bradford adapted (Lindbloom, "RGB/XYZ Matrices").
XYZ_D50_TO_SRGB = np.array(
    [
        [3.1338561, -1.6168667, -0.4906146],
        [-0.9787684, 1.9161415, 0.0334540],
        [0.0719453, -0.2289914, 1.4052427],
    ]
)


def expected(dicom_lab: tuple[int, int, int]) -> np.ndarray:
    big_l = dicom_lab[0] / 65535 * 100
    a = dicom_lab[1] / 65535 * 255 - 128
    b = dicom_lab[2] / 65535 * 255 - 128
    fy = (big_l + 16) / 116
    f = np.array([fy + a / 500, fy, fy - b / 200])
    epsilon, kappa = 216 / 24389, 24389 / 27
    xr = f[0] ** 3 if f[0] ** 3 > epsilon else (116 * f[0] - 16) / kappa
    yr = ((big_l + 16) / 116) ** 3 if big_l > kappa * epsilon else big_l / kappa
    zr = f[2] ** 3 if f[2] ** 3 > epsilon else (116 * f[2] - 16) / kappa
    linear = XYZ_D50_TO_SRGB @ (np.array([xr, yr, zr]) * D50)
    linear = np.clip(linear, 0, 1)
    srgb = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return srgb * 255


@pytest.mark.parametrize(
    "lab",
    [
        (41661, 41167, 40792),  # dcmqi's "Liver"
        (43803, 26565, 37722),  # partial_overlaps.dcm "GREEN"
        (37064, 44082, 41620),  # "ORANGE"
        (45062, 38660, 25486),  # "PURPLE"
        (55193, 26619, 30325),  # "LIGHT_BLUE"
        (38399, 29410, 23264),  # "DARK_BLUE"
        (65535, 32896, 32896),  # white: L* 100, a* b* 0
        (0, 32896, 32896),  # black
        (21169, 53249, 50708),  # a saturated red
    ],
)
def test_cielab_to_srgb_matches_the_formula(lab: tuple[int, int, int]) -> None:
    got = np.array(lab_to_srgb(lab), float)
    assert np.all(np.abs(got - expected(lab)) <= 1.0), (got, expected(lab))


def test_white_and_black() -> None:
    assert lab_to_srgb((65535, 32896, 32896)) == (255, 255, 255)
    assert lab_to_srgb((0, 32896, 32896)) == (0, 0, 0)
