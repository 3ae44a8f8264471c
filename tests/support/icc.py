"""ICC profiles written here, byte by byte, for the colour-management tests (issue 16).

:func:`matrix_profile` is an ICC v2 display profile of the matrix/TRC kind (ICC.1:2001-04
6.3.1.2: rXYZ, gXYZ, bXYZ colorants adapted to D50, one gamma curve per channel, the
media white point): enough to describe RGB spaces such as Adobe RGB (1998), whose
primaries are far from sRGB's, so that a colour-managed image visibly differs from one
shown as if it were sRGB.
"""

from __future__ import annotations

import struct

#: The PCS illuminant, D50 (ICC.1 7.2.16).
D50 = (0.9642, 1.0, 0.8249)
#: Adobe RGB (1998) colorants, Bradford-adapted to D50 (as its published profile gives).
ADOBE_RGB_D50 = ((0.6097, 0.3111, 0.0195), (0.2053, 0.6257, 0.0609), (0.1492, 0.0632, 0.7446))
#: Its gamma, 563/256 (2.19921875), as u8Fixed8.
ADOBE_GAMMA = 563 / 256


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(values: tuple[float, float, float]) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15(v) for v in values)


def _curve(gamma: float) -> bytes:
    return b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"


def _desc(text: str) -> bytes:
    ascii_ = text.encode("ascii") + b"\0"
    body = b"desc\0\0\0\0" + struct.pack(">I", len(ascii_)) + ascii_
    body += struct.pack(">II", 0, 0)  # no Unicode description
    body += struct.pack(">HB", 0, 0) + b"\0" * 67  # no ScriptCode description
    return body


def _text(text: str) -> bytes:
    return b"text\0\0\0\0" + text.encode("ascii") + b"\0"


def matrix_profile(
    colorants: tuple[tuple[float, float, float], ...] = ADOBE_RGB_D50,
    gamma: float = ADOBE_GAMMA,
    name: str = "Lightbox test: Adobe RGB (1998) primaries",
) -> bytes:
    """An RGB display profile with these D50 colorants (red, green, blue) and gamma."""
    tags = [
        (b"desc", _desc(name)),
        (b"cprt", _text("No copyright: generated for tests")),
        (b"wtpt", _xyz(D50)),
        (b"rXYZ", _xyz(colorants[0])),
        (b"gXYZ", _xyz(colorants[1])),
        (b"bXYZ", _xyz(colorants[2])),
        (b"rTRC", _curve(gamma)),
        (b"gTRC", _curve(gamma)),
        (b"bTRC", _curve(gamma)),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        padded = body + b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(padded))
        data += padded
    size = offset + len(data)
    header = struct.pack(">I", size) + b"\0" * 4 + bytes([2, 0x10, 0, 0])
    header += b"mntrRGB XYZ " + struct.pack(">6H", 2026, 1, 1, 0, 0, 0)
    header += b"acsp" + b"\0" * 4 + b"\0" * 4 + b"\0" * 4 + b"\0" * 4 + b"\0" * 8
    header += struct.pack(">I", 0) + b"".join(_s15(v) for v in D50) + b"\0" * 4
    header += b"\0" * 16 + b"\0" * 28
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data
