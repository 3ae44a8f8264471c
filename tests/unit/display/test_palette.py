"""lightbox.display.palette: segmented data expanded (PS3.3 C.7.9.2), supplemental palettes."""

from __future__ import annotations

import numpy as np
import pytest

from lightbox.core.records import Window
from lightbox.display import luts, palette, pipeline
from lightbox.display.luts import Rescale

# Segments, hand expanded from PS3.3 C.7.9.2: (words, table)
SEGMENTS = [
    pytest.param([0, 3, 10, 20, 30], [10, 20, 30], id="discrete"),
    # linear from the previous end 0 to 100 over 4 entries: 25, 50, 75, 100
    pytest.param([0, 1, 0, 1, 4, 100], [0, 25, 50, 75, 100], id="linear"),
    # linear 10 -> 0 over 3: 6.67, 3.33, 0 rounded half up
    pytest.param([0, 1, 10, 1, 3, 0], [10, 7, 3, 0], id="linear-down"),
    # indirect: copy 2 segments from byte offset 0 (both the discrete ones) after them
    pytest.param([0, 2, 1, 2, 0, 1, 9, 2, 2, 0, 0], [1, 2, 9, 1, 2, 9], id="indirect-from-0"),
    # the offset counts bytes: 8 bytes is word 4, the second discrete segment
    pytest.param([0, 2, 1, 2, 0, 1, 9, 2, 1, 8, 0], [1, 2, 9, 9], id="indirect-byte-offset"),
]


@pytest.mark.parametrize(("segments", "table"), SEGMENTS)
def test_expand_segmented_16_bit(segments, table):
    assert palette.expand_segmented(segments, 16) == table


def test_expand_segmented_8_bit_indirect_offset_is_four_bytes():
    # discrete [5, 6]; linear from 6 to 10 over 2 (8, 10); indirect: both again from byte 0,
    # the offset in four 8-bit words, low 16 bits first
    segments = [0, 2, 5, 6, 1, 2, 10, 2, 2, 0, 0, 0, 0]
    assert palette.expand_segmented(segments, 8) == [5, 6, 8, 10, 5, 6, 8, 10]
    # a discrete [42] at byte 0x0104 = 260, found through offset words 0x04, 0x01, 0, 0
    far = [0, 1, 3, 0, 255] + [7] * 255 + [0, 1, 42] + [2, 1, 0x04, 0x01, 0, 0]
    assert palette.expand_segmented(far, 8) == [3] + [7] * 255 + [42, 42]


@pytest.mark.parametrize(
    "segments",
    [
        pytest.param([1, 3, 100], id="linear-first"),
        pytest.param([2, 1, 0, 0], id="indirect-first"),
        pytest.param([0, 1, 5, 7, 1, 1], id="unknown-opcode"),
        pytest.param([0, 1, 5, 2, 1, 4, 0], id="indirect-loop"),
    ],
)
def test_expand_segmented_refuses_bad_data(segments):
    with pytest.raises(ValueError):
        palette.expand_segmented(segments, 16)


def test_supplemental_palette_colours_only_its_range():
    colours = luts.Palette(100, 8, np.array([[255, 0, 0], [0, 255, 0]], dtype=np.uint8))
    stored = np.array([[0, 50, 99], [100, 101, 500]], dtype=np.uint16)
    stored.setflags(write=False)
    grey = pipeline.gray_to_rgba(
        pipeline.gray_to_display(stored, Rescale(), Window(50, 100), False)
    )
    grey.setflags(write=False)
    out = palette.supplemental_to_rgba(stored, grey, colours)
    np.testing.assert_array_equal(out[0], grey[0])  # below the first value mapped: grey
    assert out[1].tolist() == [[255, 0, 0, 255], [0, 255, 0, 255], [0, 255, 0, 255]]
    assert palette.grey_range(stored, colours).tolist() == [0, 50, 99]
