"""lightbox.pixels.codecs: one decision of which browser codec decodes a file.

The worker loads the codecs the catalog names for a series (``Session.series_codecs``), then Python
decodes through the codec registry. A JPEG baseline frame whose header says
RGB but whose codestream is JFIF (YCbCr) was named ``jpeg-js`` for loading (from
the header) and sent to ``libjpeg-turbo`` for decoding (pydicom's runner had
conformed its Photometric Interpretation to the JFIF marker): "codec
libjpeg-turbo is not loaded". These tests run the session against a double of
the worker that, like ``web/js/worker/codecs.js``, refuses a codec it was not
asked to load, and check:

- the codec loaded is the codec that decoded (recorded by the double and by the
  registry's ``last_decoder``);
- the pixels equal pydicom's own ``pixel_array`` decoded with pylibjpeg (an
  independent JPEG library) within 3 levels, the lossy tolerance;
- the decision follows pydicom's own colour rules for the codestream.

Real files are pydicom's bundled test files (see tests/support/factories.py).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image, features
from pydicom.encaps import encapsulate
from pydicom.pixels import pixel_array as pydicom_pixel_array
from pydicom.pixels.decoders.base import DecodeRunner
from pydicom.uid import JPEGBaseline8Bit, JPEGExtended12Bit, RLELossless

from lightbox.pixels import codecs, decode, locate
from lightbox.pixels.format import PixelFormat, pixel_format
from lightbox.session.session import Session
from tests.support.factories import image_dataset, pydicom_test_file

#: JPEG is lossy; two JPEG decoders (libjpeg-turbo, libjpeg) may round differently.
LOSSY_TOLERANCE = 3
#: What the worker has (web/js/worker/codecs.js, ``available = Object.keys(SPECS)``).
WORKER_CODECS = frozenset(
    [
        codecs.LIBJPEG_TURBO,
        codecs.JPEG_JS,
        codecs.JPEG_LOSSLESS,
        codecs.CHARLS,
        codecs.OPENJPEG,
        codecs.OPENJPH,
    ]
)


class WorkerDouble:
    """The worker's codecs, natively: ``ensure`` loads, ``decode`` refuses what is not loaded.

    libjpeg-turbo is Pillow, which is built on libjpeg-turbo and, like the wasm
    build's decoder, outputs RGB for a three-component stream (converted per its
    markers). jpeg-js is Pillow with the colour transform left to the caller:
    raw components unless asked to convert, as ``decodeJpeg(bytes,
    {colorTransform})`` in web/js/worker/jpeg.js does.
    """

    def __init__(self) -> None:
        self.loaded: set[str] = set()
        self.decoded: list[str] = []

    def available(self) -> frozenset[str]:
        return WORKER_CODECS

    def ensure(self, names: list[str]) -> None:
        self.loaded.update(names)

    def decode(self, codec: str, data: bytes, color_transform: bool | None) -> codecs.Decoded:
        self.decoded.append(codec)
        if codec not in self.loaded:
            raise RuntimeError(f"lightbox: Error: codec {codec} is not loaded")
        if codec not in (codecs.LIBJPEG_TURBO, codecs.JPEG_JS):
            raise NotImplementedError(f"the double has no {codec}")
        image = Image.open(io.BytesIO(data))
        convert = codec == codecs.LIBJPEG_TURBO or bool(color_transform)
        if len(image.getbands()) == 3 and not convert and "adobe_transform" not in image.info:
            image.draft("YCbCr", image.size)  # the components as coded, no colour transform
        components = len(image.getbands())
        return codecs.Decoded(
            data=image.tobytes(),
            width=image.width,
            height=image.height,
            components=components,
            bits=8,
            signed=False,
            color_converted=convert and components == 3,
        )


@pytest.fixture
def worker() -> Iterator[WorkerDouble]:
    """The double installed as the codec backend (the bridge installs the real one)."""
    assert features.check_feature("libjpeg_turbo")  # the double's libjpeg-turbo is real
    double = WorkerDouble()
    codecs.install(double)
    try:
        yield double
    finally:
        codecs.install(None)


def _as_browser(worker: WorkerDouble, name: str, data: bytes) -> tuple[Session, list[np.ndarray]]:
    """Open a file, load what the session names, render and decode every frame as the worker."""
    session = Session()
    opened = session.open([(name, data)])["series"]
    assert opened, f"{name} did not open"
    frames = []
    for frame in range(len(session.series[0].frames)):
        worker.ensure(opened[0]["codecs"])  # what worker.js does: the catalog names them
        session.render(0, frame)
        frames.append(session.stored(session.frame_ref(0, frame)))
    return session, frames


def _jpeg(rgb: np.ndarray, **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=90, **options)
    return buffer.getvalue()


def _scene(frame: int) -> np.ndarray:
    """Smooth colour ramps (JPEG's friendly case), different in every frame."""
    rows, cols = np.mgrid[0:48, 0:64]
    rgb = np.stack([cols * 4, rows * 5, (rows + cols + 40 * frame) % 256], axis=-1)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def _encapsulated(jpegs: list[bytes], photometric: str) -> bytes:
    """A Secondary Capture of JPEG baseline frames, the header saying ``photometric``."""
    ds = image_dataset(
        np.stack([_scene(i) for i in range(len(jpegs))]), photometric="RGB", bits_allocated=8
    )
    ds.PhotometricInterpretation = photometric
    ds.PixelData = encapsulate(jpegs)
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.LossyImageCompression = "01"
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _reference(data: bytes) -> list[np.ndarray]:
    """pydicom's own decode with pylibjpeg (libjpeg), converted to RGB as pydicom does."""
    ds = pydicom.dcmread(io.BytesIO(data))
    arr = pydicom_pixel_array(ds, decoding_plugin="pylibjpeg")
    return list(arr) if arr.ndim == 4 else [arr]


def assert_within_lossy_tolerance(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape
    worst = int(np.abs(got.astype(np.int64) - want.astype(np.int64)).max())
    assert worst <= LOSSY_TOLERANCE, f"{worst} levels from pydicom's pixel_array"


# -- the defect: RGB in the header, JFIF (YCbCr) in the codestream --------------------------


@pytest.mark.filterwarnings("ignore:The \\(0028,0004\\):UserWarning")  # pydicom's conform note
def test_rgb_header_with_jfif_codestream_loads_the_codec_that_decodes(
    worker: WorkerDouble,
) -> None:
    jpegs = [_jpeg(_scene(i)) for i in range(3)]
    assert all(j[2:4] == b"\xff\xe0" and j[6:11] == b"JFIF\0" for j in jpegs)  # APP0 JFIF
    data = _encapsulated(jpegs, "RGB")
    session, frames = _as_browser(worker, "rgb-jfif.dcm", data)
    # JFIF means YCbCr (JFIF 1.02); libjpeg-turbo converts it: what was loaded decoded it.
    assert worker.loaded == {codecs.LIBJPEG_TURBO}
    assert set(worker.decoded) == {codecs.LIBJPEG_TURBO}
    assert codecs.last_decoder(JPEGBaseline8Bit) == codecs.LIBJPEG_TURBO
    assert session.render(0, 0).info["decoder"] == codecs.LIBJPEG_TURBO
    for got, want in zip(frames, _reference(data), strict=True):
        assert_within_lossy_tolerance(got, want)
    assert not np.array_equal(frames[0], frames[2])  # each frame is its own


def test_rgb_header_with_rgb_codestream_goes_to_the_javascript_decoder(
    worker: WorkerDouble,
) -> None:
    """Pillow's keep_rgb writes RGB component IDs and Adobe transform 0: no colour transform."""
    data = _encapsulated([_jpeg(_scene(0), keep_rgb=True)], "RGB")
    _, frames = _as_browser(worker, "rgb-rgb.dcm", data)
    assert worker.loaded == set(worker.decoded) == {codecs.JPEG_JS}
    assert codecs.last_decoder(JPEGBaseline8Bit) == codecs.JPEG_JS
    assert_within_lossy_tolerance(frames[0], _reference(data)[0])


# pydicom's RGB JPEG baseline files (the SC_rgb_jpeg_* and SC_rgb_dcmtk_+eb+* families;
# SC_rgb_jpeg_dcmd.dcm is native and SC_rgb_jpeg_gdcm.dcm JPEG lossless, not baseline).
PYDICOM_BASELINE_COLOUR = [
    pytest.param("SC_rgb_jpeg.dcm", codecs.JPEG_JS, id="rgb-adobe"),
    pytest.param("SC_rgb_jpeg_app14_dcmd.dcm", codecs.JPEG_JS, id="rgb-adobe-app14"),
    pytest.param("SC_rgb_jpeg_dcmtk.dcm", codecs.LIBJPEG_TURBO, id="ybr-full-jfif"),
    pytest.param("SC_rgb_jpeg_lossy_gdcm.dcm", codecs.LIBJPEG_TURBO, id="ybr-full-no-marker"),
    pytest.param("SC_rgb_dcmtk_+eb+cr.dcm", codecs.JPEG_JS, id="dcmtk-rgb-ids"),
    pytest.param("SC_rgb_dcmtk_+eb+cy+n1.dcm", codecs.LIBJPEG_TURBO, id="dcmtk-ybr-n1"),
    pytest.param("SC_rgb_dcmtk_+eb+cy+n2.dcm", codecs.LIBJPEG_TURBO, id="dcmtk-ybr-n2"),
    pytest.param("SC_rgb_dcmtk_+eb+cy+np.dcm", codecs.LIBJPEG_TURBO, id="dcmtk-ybr-422-np"),
    pytest.param("SC_rgb_dcmtk_+eb+cy+s2.dcm", codecs.LIBJPEG_TURBO, id="dcmtk-ybr-422-s2"),
    pytest.param("SC_rgb_dcmtk_+eb+cy+s4.dcm", codecs.LIBJPEG_TURBO, id="dcmtk-ybr-s4"),
]


@pytest.mark.parametrize(("name", "codec"), PYDICOM_BASELINE_COLOUR)
def test_pydicom_colour_jpeg_baseline_loads_the_codec_that_decodes(
    worker: WorkerDouble, name: str, codec: str
) -> None:
    data = pydicom_test_file(name).read_bytes()
    _, frames = _as_browser(worker, name, data)
    assert worker.loaded == set(worker.decoded) == {codec}
    assert codecs.last_decoder(JPEGBaseline8Bit) == codec
    assert_within_lossy_tolerance(frames[0], _reference(data)[0])


@pytest.mark.filterwarnings("ignore:The \\(0028,0004\\):UserWarning")
@pytest.mark.parametrize("name", ["SC_rgb_dcmtk_+eb+cy+np.dcm", "SC_rgb_dcmtk_+eb+cy+s2.dcm"])
def test_real_jfif_codestream_labelled_rgb(worker: WorkerDouble, name: str, tmp_path: Path) -> None:
    """A real dcmtk JFIF stream with the header saying RGB, as whole-slide tiles often do."""
    ds = pydicom.dcmread(pydicom_test_file(name))
    truth = ds.pixel_array  # pydicom, header YBR_FULL_422: the colours the stream holds
    ds.PhotometricInterpretation = "RGB"
    relabelled = tmp_path / "relabelled.dcm"
    ds.save_as(relabelled)
    data = relabelled.read_bytes()
    _, frames = _as_browser(worker, relabelled.name, data)
    assert worker.loaded == set(worker.decoded) == {codecs.LIBJPEG_TURBO}
    assert_within_lossy_tolerance(frames[0], _reference(data)[0])
    assert_within_lossy_tolerance(frames[0], truth)


# -- the decision is made once per file -----------------------------------------------------


@pytest.mark.filterwarnings("ignore:The \\(0028,0004\\):UserWarning")
def test_the_decision_is_made_once_per_file(
    worker: WorkerDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []
    real: Callable[..., codecs.Choice] = decode.file_codec

    def counting(data: bytes, fmt: PixelFormat, start: int | None = None) -> codecs.Choice:
        made.append(fmt.transfer_syntax)
        return real(data, fmt, start)

    monkeypatch.setattr(decode, "file_codec", counting)
    data = _encapsulated([_jpeg(_scene(i)) for i in range(3)], "RGB")
    session, _ = _as_browser(worker, "rgb-jfif.dcm", data)
    for frame in (2, 0, 1):
        session.catalog(report=False)
        session.render(0, frame, window=None)
    assert made == [JPEGBaseline8Bit]


# -- the decision follows pydicom's colour rules for the codestream -------------------------


def _segment(code: int, payload: bytes) -> bytes:
    """One marker segment (ITU T.81 B.1.1.4): 0xFF, code, length counting itself, payload."""
    return bytes([0xFF, code]) + (len(payload) + 2).to_bytes(2, "big") + payload


def _codestream(ids: tuple[int, int, int], *apps: bytes, sof: int = 0xC0) -> bytes:
    """SOI, the given APPn segments, a frame header with three components, SOS, EOI."""
    frame = bytes([8, 0, 16, 0, 16, 3]) + b"".join(bytes([i, 0x11, 0]) for i in ids)
    scan = bytes([3]) + b"".join(bytes([i, 0]) for i in ids) + bytes([0, 63, 0])
    return b"\xff\xd8" + b"".join(apps) + _segment(sof, frame) + _segment(0xDA, scan) + b"\xff\xd9"


JFIF = _segment(0xE0, b"JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x00\x00")
ADOBE_RGB = _segment(0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x00")  # transform 0
EXIF = _segment(0xE1, b"Exif\x00\x00" + bytes(20))

CODESTREAMS = [
    # header, codestream -> codec, colour the codestream holds
    pytest.param(
        "RGB",
        _codestream((1, 2, 3), JFIF),
        codecs.LIBJPEG_TURBO,
        "YBR_FULL_422",
        id="rgb-header-jfif",
    ),
    pytest.param(
        "RGB",
        _codestream((1, 2, 3), EXIF, JFIF),
        codecs.LIBJPEG_TURBO,
        "YBR_FULL_422",
        id="rgb-header-exif-then-jfif",
    ),
    pytest.param("RGB", _codestream((1, 2, 3)), codecs.JPEG_JS, "RGB", id="rgb-header-bare"),
    pytest.param("RGB", _codestream((82, 71, 66), ADOBE_RGB), codecs.JPEG_JS, "RGB", id="rgb-ids"),
    pytest.param(
        "RGB",
        _codestream((114, 103, 98), JFIF),
        codecs.LIBJPEG_TURBO,
        "YBR_FULL_422",
        id="rgb-header-jfif-wins-over-rgb-ids",
    ),
    pytest.param(
        "YBR_FULL_422", _codestream((82, 71, 66)), codecs.JPEG_JS, "RGB", id="ybr-header-rgb-ids"
    ),
    pytest.param(
        "YBR_FULL",
        _codestream((1, 2, 3), JFIF),
        codecs.LIBJPEG_TURBO,
        "YBR_FULL",
        id="ybr-full-header-jfif",
    ),
    pytest.param(
        "YBR_FULL_422",
        _codestream((1, 2, 3)),
        codecs.LIBJPEG_TURBO,
        "YBR_FULL_422",
        id="ybr-header-bare",
    ),
    pytest.param(
        "RGB",
        _codestream((1, 2, 3), JFIF, sof=0xC2),
        codecs.LIBJPEG_TURBO,
        "YBR_FULL_422",
        id="progressive-sof2-jfif",
    ),
]


@pytest.mark.filterwarnings("ignore:The \\(0028,0004\\):UserWarning")
@pytest.mark.parametrize(("photometric", "stream", "codec", "colour"), CODESTREAMS)
def test_choice_from_the_codestream(
    photometric: str, stream: bytes, codec: str, colour: str
) -> None:
    choice = codecs.choose_codec(JPEGBaseline8Bit, 3, photometric, stream)
    assert choice == codecs.Choice(codec, colour)
    # pydicom's runner conforms the colour space the same way before it decodes
    runner = DecodeRunner(JPEGBaseline8Bit)
    runner.set_options(photometric_interpretation=photometric, samples_per_pixel=3)
    runner._get_frame_info(stream)
    assert str(runner.photometric_interpretation) == colour


@pytest.mark.filterwarnings("ignore:The \\(0028,0004\\):UserWarning")
def test_choice_for_other_syntaxes() -> None:
    jfif = _codestream((1, 2, 3), JFIF)
    # 12-bit DCT has one decoder; the JFIF stream still asks for the colour transform.
    extended = codecs.choose_codec(JPEGExtended12Bit, 3, "RGB", jfif)
    assert extended == codecs.Choice(codecs.JPEG_JS, "YBR_FULL") and extended.color_transform
    assert codecs.choose_codec(JPEGBaseline8Bit, 1, "MONOCHROME2", None).codec == "libjpeg-turbo"
    assert codecs.choose_codec(RLELossless, 3, "RGB", None).codec == codecs.PYDICOM
    assert codecs.choose_codec(JPEGBaseline8Bit, 3, "RGB", b"not a jpeg").codec == "jpeg-js"


def test_file_codec_reads_the_first_fragment_of_the_file() -> None:
    jpeg = _jpeg(_scene(0))
    data = _encapsulated([jpeg, _jpeg(_scene(1), keep_rgb=True)], "RGB")
    fmt = pixel_format(pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True), JPEGBaseline8Bit)
    start = locate.encapsulated_start(data, fmt)
    fragment = locate.first_fragment(data, fmt, start)
    assert fragment is not None and bytes(fragment).rstrip(b"\0") == jpeg.rstrip(b"\0")
    # without the start (a file that needs a full parse) the same fragment is found
    assert locate.first_fragment(data, fmt, None) == fragment
    assert decode.file_codec(data, fmt, start) == codecs.Choice("libjpeg-turbo", "YBR_FULL_422")
