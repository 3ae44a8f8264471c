"""Whether an image has been through lossy compression: one rule for the marker and the report."""

from __future__ import annotations

from lightbox.core.values import text

#: Transfer syntaxes whose compression always loses information (PS3.5 A.4.1:
#: JPEG Baseline, process 1, and JPEG Extended, processes 2 & 4, are DCT-based).
LOSSY_SYNTAXES = frozenset({"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"})


def is_lossy(lossy_image_compression: object, transfer_syntax: object) -> bool:
    """Whether the image is lossy-compressed.

    Parameters
    ----------
    lossy_image_compression : object
        The value of (0028,2110) Lossy Image Compression (None when absent).
    transfer_syntax : object
        The (0002,0010) Transfer Syntax UID the pixel data is encoded with.

    References
    ----------
    PS3.3 C.7.6.1.1.5 (Lossy Image Compression: ``01`` once the image has been
    lossy-compressed); PS3.5 A.4.1 (JPEG processes 1, 2 and 4 are lossy).
    """
    return text(lossy_image_compression) == "01" or text(transfer_syntax) in LOSSY_SYNTAXES
