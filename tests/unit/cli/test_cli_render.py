"""`lightbox render`: the browser's pipeline on native CPython, written as PNG."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRBigEndian

from lightbox.cli.main import main
from lightbox.cli.png import encode_png
from lightbox.session.session import Session
from tests.support.expect import expected_frame
from tests.support.factories import image_dataset

FILES = Path(pydicom.__file__).parent / "data" / "test_files"


def test_png_round_trips_through_an_independent_decoder() -> None:
    rgba = np.random.default_rng(3).integers(0, 256, (7, 5, 4), dtype=np.uint8)
    decoded = np.asarray(Image.open(io.BytesIO(encode_png(rgba))).convert("RGBA"))
    assert (decoded == rgba).all()
    with pytest.raises(ValueError):
        encode_png(rgba[..., :3])


@pytest.mark.parametrize(
    ("name", "frame", "extra"),
    [
        pytest.param("CT_small.dcm", 1, [], id="ct"),
        pytest.param("examples_ybr_color.dcm", 3, [], id="ybr-multiframe"),
        pytest.param("MR_small.dcm", 1, ["--window", "500", "1000", "--invert"], id="window"),
    ],
)
def test_render_writes_the_same_frame_as_the_viewer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, frame: int, extra: list[str]
) -> None:
    out = tmp_path / "out.png"
    assert main(["render", str(FILES / name), "--frame", str(frame), "-o", str(out), *extra]) == 0
    png = np.asarray(Image.open(out).convert("RGBA"))
    window = (500.0, 1000.0) if extra else None
    # The truth: the independent reference (tests/support/reference.py), not our pipeline.
    expected = expected_frame({name: FILES / name}, 0, frame - 1, window=window, invert=bool(extra))
    assert expected.disagreement(png, max_lossy=3) is None
    # And the same pixels the viewer's own session renders (what the browser tests check).
    session = Session()
    session.open([(name, (FILES / name).read_bytes())])
    assert (png == session.render(0, frame - 1, window, bool(extra)).rgba).all()
    assert f"frame {frame}" in capsys.readouterr().out


def test_render_reports_what_is_wrong(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.png"
    assert main(["render", str(FILES / "rtplan.dcm"), "-o", str(out)]) == 2
    assert main(["render", str(FILES / "CT_small.dcm"), "--frame", "2", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "rtplan.dcm" in err and "frame 2 of 1 does not exist" in err
    assert not out.exists()


def _render_png(tmp_path: Path, source: Path, frame: int = 1) -> np.ndarray:
    out = tmp_path / f"{source.stem}-{frame}.png"
    assert main(["render", str(source), "--frame", str(frame), "-o", str(out)]) == 0
    return np.asarray(Image.open(out).convert("RGBA"))


@pytest.mark.parametrize("name", ["MR_small_bigendian.dcm", "MR_small_expb.dcm"])
def test_big_endian_renders_as_its_little_endian_twin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """pydicom's MR_small in Explicit VR Big Endian: same stored values, same window, same PNG."""
    little = _render_png(tmp_path, FILES / "MR_small.dcm")
    big = _render_png(tmp_path, FILES / name)
    assert little.std() > 0  # a picture, not a flat frame that any two files would share
    np.testing.assert_array_equal(big, little)


# -- a little-endian image and its Explicit VR Big Endian twin render alike ----------------


def _swap_words(value: bytes, size: int) -> bytes:
    """OW/OL/OF/OD bytes of little-endian words as big endian writes them (PS3.5 7.3)."""
    return np.frombuffer(value, f"<u{size}").astype(f">u{size}").tobytes()


def big_endian_twin(ds: Dataset) -> Dataset:
    """The same dataset in Explicit VR Big Endian: pixel words and OW LUT data swapped.

    pydicom 3.0.2 writes OB/OW values as given, so the swap is done here.
    """
    twin = copy.deepcopy(ds)
    twin.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
    if ds.BitsAllocated > 8:
        twin.PixelData = _swap_words(ds.PixelData, ds.BitsAllocated // 8)

    def swap_lut_data(item: Dataset) -> None:
        for element in item:
            if element.VR == "SQ":
                for nested in element.value:
                    swap_lut_data(nested)
            elif element.VR == "OW" and element.tag != 0x7FE00010:
                element.value = _swap_words(element.value, 2)

    swap_lut_data(twin)
    return twin


def _ow(item: Dataset, keyword: str, words: np.ndarray) -> None:
    setattr(item, keyword, words.astype("<u2").tobytes())
    item[keyword].VR = "OW"


def _ct_multiframe() -> Dataset:
    hu = np.random.default_rng(5).integers(-1024, 2000, (3, 16, 16)).astype(np.int16)
    return image_dataset(
        hu, pixel_representation=1, modality="CT", rescale=(1.0, -1024.0), window=(40.0, 400.0)
    )


def _voi_lut() -> Dataset:
    ds = image_dataset(np.arange(256, dtype=np.uint16).reshape(16, 16) * 16, bits_stored=12)
    item = Dataset()
    item.LUTDescriptor = [4096, 0, 16]
    _ow(item, "LUTData", (np.arange(4096) * 37) % 65536)  # not monotonic: order shows
    ds.VOILUTSequence = Sequence([item])
    return ds


def _modality_lut() -> Dataset:
    ds = image_dataset(np.arange(256, dtype=np.uint16).reshape(16, 16) * 16, bits_stored=12)
    item = Dataset()
    item.LUTDescriptor = [4096, 0, 16]
    item.ModalityLUTType = "US"
    _ow(item, "LUTData", 4095 - np.arange(4096))
    ds.ModalityLUTSequence = Sequence([item])
    ds.WindowCenter, ds.WindowWidth = 2048.0, 4096.0
    return ds


def _palette(segmented: bool) -> Dataset:
    ds = image_dataset(np.arange(256, dtype=np.uint16).reshape(16, 16) * 3)
    ds.PhotometricInterpretation = "PALETTE COLOR"
    for i, channel in enumerate(("Red", "Green", "Blue")):
        setattr(ds, f"{channel}PaletteColorLookupTableDescriptor", [768, 0, 16])
        ds[f"{channel}PaletteColorLookupTableDescriptor"].VR = "US"
        if segmented:  # PS3.3 C.7.9.2: a discrete entry, then a linear segment
            words = np.array([0, 1, 5000 * (i + 1), 1, 767, 65535 - 9000 * i])
            _ow(ds, f"Segmented{channel}PaletteColorLookupTableData", words)
        else:
            _ow(ds, f"{channel}PaletteColorLookupTableData", (np.arange(768) * (61 + i)) % 65536)
    return ds


@pytest.mark.parametrize(
    ("make", "frame"),
    [
        pytest.param(_ct_multiframe, 2, id="ct-int16-multiframe"),
        pytest.param(_voi_lut, 1, id="voi-lut-ow"),
        pytest.param(_modality_lut, 1, id="modality-lut-ow"),
        pytest.param(lambda: _palette(False), 1, id="palette-16-bit-ow"),
        pytest.param(lambda: _palette(True), 1, id="segmented-palette-16-bit-ow"),
    ],
)
def test_big_endian_twin_renders_the_same_png(
    tmp_path: Path, make: Callable[[], Dataset], frame: int
) -> None:
    ds = make()
    little, big = tmp_path / "little.dcm", tmp_path / "big.dcm"
    ds.save_as(little, enforce_file_format=True)
    big_endian_twin(ds).save_as(big, enforce_file_format=True)
    want = _render_png(tmp_path, little, frame)
    assert len(np.unique(want.reshape(-1, 4), axis=0)) > 8  # enough grey levels to tell
    np.testing.assert_array_equal(_render_png(tmp_path, big, frame), want)
