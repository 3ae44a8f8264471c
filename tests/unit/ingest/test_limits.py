"""Limits that protect the user (issue 19 item 2), each found first by the fuzzer."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lightbox.core.errors import InvalidDicomError
from lightbox.core.values import numbers
from lightbox.ingest.documents import encapsulated_bytes
from lightbox.ingest.headers import read_header
from lightbox.ingest.structure import MAX_DEPTH
from tools import synth


def _ct() -> bytes:
    ds = synth.ct_dataset(
        np.zeros((8, 8)), series_uid="1.2.3.4", study_uid="1.2.3", instance=1, z_mm=0.0,
        spacing=1.0, description="limits",
    )  # fmt: skip
    return synth.to_bytes(ds)


def _nested(depth: int) -> bytes:
    """Sequences of undefined length nested ``depth`` deep (PS3.5 7.5.2), closed."""
    open_sq = b"\x09\x00\x10\x10SQ\x00\x00\xff\xff\xff\xff" + b"\xfe\xff\x00\xe0\xff\xff\xff\xff"
    close = b"\xfe\xff\x0d\xe0\x00\x00\x00\x00" + b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    data = _ct()
    at = data.find(b"\xe0\x7f\x10\x00")
    return data[:at] + open_sq * depth + close * depth + data[at:]


def test_sequences_nested_past_the_limit_are_refused_before_pydicom_recurses() -> None:
    with pytest.raises(InvalidDicomError, match=f"nested more than {MAX_DEPTH} deep"):
        read_header("deep.dcm", _nested(3000))  # deep enough to exhaust Python's stack
    with pytest.raises(InvalidDicomError, match=r"deep\.dcm"):
        read_header("deep.dcm", _nested(MAX_DEPTH + 2))
    assert read_header("fine.dcm", _nested(8)).dataset.Rows == 8  # shallow nesting opens


def test_numbers_leave_out_nan_and_infinities() -> None:
    assert numbers(["1", "nan", "inf", "-2.5", "1e400", "x"]) == [1.0, -2.5]
    assert all(math.isfinite(v) for v in numbers([float("nan"), 3]))


def test_an_object_without_its_encapsulated_document_says_so() -> None:
    with pytest.raises(InvalidDicomError, match=r"no \(0042,0011\) Encapsulated"):
        encapsulated_bytes("report.dcm", _ct())


def _deflated(body: bytes) -> bytes:
    """A file of Deflated Explicit VR Little Endian whose data set is ``body`` deflated."""
    import io
    import zlib

    from pydicom.dataset import FileMetaDataset
    from pydicom.filewriter import write_file_meta_info

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = "1.2.3.4.5"
    meta.TransferSyntaxUID = "1.2.840.10008.1.2.1.99"
    out = io.BytesIO()
    out.write(b"\0" * 128 + b"DICM")
    write_file_meta_info(out, meta)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    out.write(compressor.compress(body) + compressor.flush())
    return out.getvalue()


def test_a_deflate_bomb_is_refused_before_it_is_inflated() -> None:
    from lightbox.ingest.headers import MAX_INFLATED_BYTES

    # 600 MiB of zeros after one element deflate to about 600 KiB.
    element = b"\x08\x00\x60\x00CS\x02\x00OT"
    bomb = _deflated(element + b"\0" * (MAX_INFLATED_BYTES + (88 << 20)))
    assert len(bomb) < 2 << 20
    limit = r"inflates to more than 536870912 bytes \(512\.0 MiB\)"
    with pytest.raises(InvalidDicomError, match=limit):
        read_header("bomb.dcm", bomb)


def test_a_frame_past_the_pixel_limit_is_refused_before_decoding() -> None:
    import pydicom

    from lightbox.ingest.headers import MAX_FRAME_PIXELS

    ds = pydicom.dcmread(__import__("io").BytesIO(_ct()))
    ds.Rows, ds.Columns = 65535, 65535
    assert MAX_FRAME_PIXELS < 65535 * 65535
    with pytest.raises(InvalidDicomError, match="larger than 268,435,456 pixels"):
        read_header("huge.dcm", synth.to_bytes(ds))
