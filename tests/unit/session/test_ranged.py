"""Files read a range at a time (issue 19 item 3): the header from the first bytes, each
frame from the file when it is asked for, and a file too large to read whole refused.

The large files are sparse: their pixel data is a hole (zeros) past the first frame, so a
4 GB file costs a few hundred kilobytes of disk. Expected values come from what the test
wrote (the first frame's array, the header's Number of Frames), never from the session.
"""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pydicom
import pytest

from lightbox.ingest.source import BytesSource, CountingSource
from lightbox.session import session as session_module
from lightbox.session.session import Session
from tools.large import COLUMNS, FIRST, FRAME_BYTES, ROWS, study, study_hu
from tools.large import header as _header
from tools.large import sparse as _sparse


class FileSource:
    """A byte source over a file on disk (the browser's File, natively)."""

    def __init__(self, stream: BinaryIO, size: int) -> None:
        self.stream = stream
        self.size = size

    def read(self, offset: int, length: int) -> bytes:
        self.stream.seek(offset)
        return self.stream.read(length)


def test_a_4_gb_multiframe_file_opens_from_its_first_bytes_and_reads_one_frame(
    tmp_path: Path,
) -> None:
    frames = 8000  # 8000 x 512 x 512 x 2 bytes: 4.19 GB
    path = _sparse(tmp_path / "big.dcm", frames, FIRST)
    size = path.stat().st_size
    assert size > 4_000_000_000
    with path.open("rb") as stream:
        source = CountingSource(FileSource(stream, size))
        session = Session()
        result = session.open([("big.dcm", source)])
        assert result["skipped"] == []
        (series,) = result["series"]
        assert series["frames"] == frames  # the header's Number of Frames, all present
        assert series["warnings"] == []
        opened = source.bytes_read
        assert opened < 2 * 1024 * 1024, opened  # its first bytes, never the file
        values = session.stored(session.frame_ref(0, 0))
        assert np.array_equal(values, FIRST)
        assert source.bytes_read - opened == FRAME_BYTES  # one frame, and only it
        last = session.stored(session.frame_ref(0, frames - 1))
        assert not last.any()  # the hole reads as zeros
        assert len(session.files[0].data) <= 1024 * 1024  # what is held: the first bytes


def test_a_file_cut_short_counts_only_the_frames_it_holds(tmp_path: Path) -> None:
    path = _sparse(tmp_path / "short.dcm", 100, FIRST)
    keep = len(_header(100)) + 10 * FRAME_BYTES + 100  # ten frames and a bit
    os.truncate(path, keep)
    with path.open("rb") as stream:
        session = Session()
        result = session.open([("short.dcm", FileSource(stream, keep))])
        (series,) = result["series"]
        assert series["frames"] == 11  # ten whole, and the eleventh shown padded
        assert any("10 of 100" in w["reason"] for w in series["warnings"]), series["warnings"]
        assert np.array_equal(session.stored(session.frame_ref(0, 0)), FIRST)
        cut = session.stored(session.frame_ref(0, 10))
        assert cut.flat[:50].tolist() == [0] * 50  # the 100 bytes there: the hole's zeros
        assert (cut.flat[50:] == 0).all()  # padded with the lowest value present


def test_the_ranged_frame_is_pydicoms_frame(tmp_path: Path) -> None:
    """A small file through the ranged path: each frame as pydicom reads it."""
    rng = np.random.default_rng(7)
    stack = rng.integers(-1000, 2000, size=(3, ROWS, COLUMNS)).astype("<i2")
    data = _header(3) + stack.tobytes()
    session = Session()
    session.open([("small.dcm", BytesSource(data))])
    assert session.files[0].ranged is not None
    reference = pydicom.dcmread(pydicom.filebase.DicomBytesIO(data)).pixel_array
    for k in range(3):
        assert np.array_equal(session.stored(session.frame_ref(0, k)), reference[k])


def test_a_file_too_large_to_read_whole_is_refused_with_its_size_and_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """12 bits in 16 must be masked, so it is not read frame by frame: past the limit
    (lowered here), it is refused, not read."""
    monkeypatch.setattr(session_module, "MAX_WHOLE_FILE_BYTES", 1024 * 1024)
    data = _header(8, bits_stored=12) + bytes(8 * FRAME_BYTES)
    source = CountingSource(BytesSource(data))
    result = Session().open([("twelve.dcm", source)])
    assert result["series"] == []
    (skipped,) = result["skipped"]
    assert skipped["name"] == "twelve.dcm"
    assert skipped["reason"] == (
        f"it is {len(data)} bytes (4.0 MiB): a file over 1048576 bytes (1.0 MiB) opens only "
        "when its pixel data is uncompressed greyscale (read a frame at a time)"
    )
    assert source.bytes_read < 2 * 1024 * 1024  # its first bytes only


def test_small_files_given_as_sources_hold_their_headers_only(tmp_path: Path) -> None:
    """A study past the page's budget of files read whole: each 512 KiB slice given as a
    byte source keeps its header, not the bytes read to find it (measured by tracemalloc:
    what stays allocated once the 40 files are open, against 40 x 512 KiB read)."""
    paths = study(tmp_path / "study", 41)
    warm, paths = paths[0], paths[1:]
    with warm.open("rb") as stream:  # what the first open imports is not what it holds
        Session().open([(warm.name, FileSource(stream, warm.stat().st_size))])
    streams = [p.open("rb") for p in paths]
    try:
        sources = [FileSource(s, p.stat().st_size) for s, p in zip(streams, paths, strict=True)]
        session = Session()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        result = session.open([(p.name, s) for p, s in zip(paths, sources, strict=True)])
        held = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        assert result["series"][0]["frames"] == 40
        # read: 40 x 512 KiB (20 MiB); kept: a header each, as Python objects (~100 KiB)
        assert held < 40 * 128 * 1024, held
        assert all(len(f.data) < 4096 for f in session.files)
        values = session.stored(session.frame_ref(0, 7))
        assert np.array_equal(values, study_hu(8) + 1024)  # read from its source
    finally:
        for s in streams:
            s.close()


def test_a_volume_build_leaves_the_frame_cache_as_it_was(tmp_path: Path) -> None:
    """Frames read from their files are decoded into the cache when shown; the volume's
    build reads each once and keeps none of them beside the volume (the frame shown stays)."""
    paths = study(tmp_path / "study", 6)
    streams = [p.open("rb") for p in paths]
    try:
        session = Session()
        sources = [FileSource(s, p.stat().st_size) for s, p in zip(streams, paths, strict=True)]
        session.open([(p.name, s) for p, s in zip(paths, sources, strict=True)])
        session.stored(session.frame_ref(0, 3))
        before = (len(session.cache), session.cache.nbytes)
        assert before == (1, FRAME_BYTES)
        session.volume_step(0, None, 60.0)
        volume = session.volume(0)
        assert volume.data.shape == (6, ROWS, COLUMNS)
        assert np.array_equal(volume.data[5], study_hu(5))  # HU: the rescale applied
        assert (len(session.cache), session.cache.nbytes) == before
    finally:
        for s in streams:
            s.close()


@pytest.mark.parametrize("given", ["bytes", "source"])
def test_a_header_claiming_gigabytes_it_lacks_is_refused(given: str) -> None:
    """8000 frames declared (8000 x 512 x 512 x 2 = 4,194,304,000 bytes), one held: over
    MAX_MISSING_BYTES (1 GiB) missing, the file is refused with both sizes; one that lacks
    less than that opens with the frames it holds (the test above)."""
    data = _header(8000) + FIRST.tobytes()
    item = data if given == "bytes" else BytesSource(data)
    session = Session()
    result = session.open([("claims.dcm", item)])
    assert result["series"] == []
    assert [s["reason"] for s in result["skipped"]] == [
        "its header declares 4194304000 bytes (3.9 GiB) of pixel data and the file holds "
        "524288 bytes of it: more than 1073741824 bytes (1.0 GiB) missing, refused"
    ]
    assert session.files == []
