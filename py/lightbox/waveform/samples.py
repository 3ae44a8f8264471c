"""A multiplex group's samples: bytes to stored values, then to the channels' units.

Waveform Data interleaves the channels sample by sample (C1S1, C2S1, ... CnS1,
C1S2, ...), PS3.5 8.3 / PS3.3 C.10.9.1.6. A channel's value in the units of its
(003A,0211) Channel Sensitivity Units is

    value = stored × (003A,0210) Channel Sensitivity
                   × (003A,0212) Channel Sensitivity Correction Factor
            + (003A,0213) Channel Baseline

(PS3.3 C.10.9.1.4: the sensitivity is the value of one unit of a sample, the
correction factor the ratio of calibrated to nominal sensitivity, the baseline
the offset of stored 0 from actual 0 in the channel's units). Mu-law (MB) and
A-law (AB) samples are G.711 companded; they expand to 16-bit linear values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lightbox.waveform.records import Group

_DTYPES = {
    "SB": "i1",
    "UB": "u1",
    "MB": "u1",
    "AB": "u1",
    "SS": "i2",
    "US": "u2",
    "SL": "i4",
    "UL": "u4",
    "SV": "i8",
    "UV": "u8",
}

#: UCUM voltage units and what one of each is in mV.
MV_PER_UNIT = {"uV": 1e-3, "mV": 1.0, "V": 1e3, "nV": 1e-6}


def stored(group: Group) -> np.ndarray[Any, Any]:
    """The stored values of a group's complete samples, shape (samples, channels).

    G.711 samples (MB, AB) are expanded to linear 16-bit values.
    """
    count = len(group.channels)
    code = _DTYPES[group.interpretation]
    dtype = np.dtype(("<" if group.little_endian else ">") + code)
    values = np.frombuffer(group.data, dtype=dtype, count=group.samples * count)
    values = values.reshape(group.samples, count)
    if group.interpretation in ("MB", "AB"):
        expanded: np.ndarray[Any, Any] = (_MU_LAW if group.interpretation == "MB" else _A_LAW)[
            values
        ]
        return expanded
    return values


def values(group: Group, start: int = 0, stop: int | None = None) -> np.ndarray[Any, Any]:
    """Each channel's samples ``start:stop`` in its own units (float64, (samples, channels)).

    Only the samples asked for are converted: a plot of a few seconds of a day-long
    recording converts those seconds.

    References
    ----------
    PS3.3 C.10.9.1.4 (Channel Sensitivity, Correction Factor, Baseline).
    """
    scale, offset = _linear(group)
    result: np.ndarray[Any, Any] = stored(group)[start:stop] * scale + offset
    return result


def ranges(group: Group) -> np.ndarray[Any, Any]:
    """Each channel's lowest and highest value in its units over every sample, (channels, 2)."""
    scale, offset = _linear(group)
    data = stored(group)
    ends = np.stack([data.min(axis=0) * scale + offset, data.max(axis=0) * scale + offset], 1)
    return np.sort(ends, axis=1)  # a negative sensitivity swaps them


def _linear(group: Group) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Each channel's (sensitivity × correction, baseline)."""
    scale = np.array([c.sensitivity * c.correction for c in group.channels], dtype=np.float64)
    offset = np.array([c.baseline for c in group.channels], dtype=np.float64)
    return scale, offset


def millivolt_factor(units: str) -> float | None:
    """What one of ``units`` is in mV, or None when the units are not a voltage."""
    return MV_PER_UNIT.get(units)


def _mu_law_table() -> np.ndarray[Any, Any]:
    """G.711 mu-law expansion of every byte to 16-bit linear (ITU-T G.711 Table 2a)."""
    code = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(code & 0x80, -magnitude, magnitude).astype(np.int16)


def _a_law_table() -> np.ndarray[Any, Any]:
    """G.711 A-law expansion of every byte to 16-bit linear (ITU-T G.711 Table 1a)."""
    code = np.arange(256, dtype=np.int32) ^ 0x55
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = np.where(
        exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0)
    )
    return np.where(code & 0x80, magnitude, -magnitude).astype(np.int16)


_MU_LAW = _mu_law_table()
_A_LAW = _a_law_table()
