"""Tags more than one layer needs to recognise in a file's bytes or a dataset."""

from __future__ import annotations

#: (7FE0,0010) Pixel Data.
PIXEL_DATA = 0x7FE00010
#: The three pixel data elements, PS3.3 C.7.6.3 and C.7.6.24: (7FE0,0010) Pixel Data,
#: (7FE0,0008) Float Pixel Data, (7FE0,0009) Double Float Pixel Data.
PIXEL_TAGS = (PIXEL_DATA, 0x7FE00008, 0x7FE00009)
#: Their keywords, in the same order.
PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
#: The keyword of each pixel data tag.
PIXEL_KEYWORD = dict(zip(PIXEL_TAGS, PIXEL_KEYWORDS, strict=True))
