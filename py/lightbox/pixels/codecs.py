"""The codec registry: which decoder serves which transfer syntax, as a pydicom plugin.

In the browser, the compressed syntaxes pydicom cannot decode with what
Pyodide has (JPEG 12-bit, JPEG lossless, JPEG-LS, JPEG 2000, HTJ2K), and JPEG
baseline (for one libjpeg-turbo across the app), are decoded by WebAssembly or
JavaScript codecs from npm. This module knows nothing of the browser: the
bridge installs a :class:`Backend` that calls them; natively, no backend is
installed and pydicom's own plugins (pylibjpeg, pyjpegls, Pillow) serve. The
same pipeline runs either way.

The plugin follows pydicom 3's decoder plugin contract
(``is_available``, ``DECODER_DEPENDENCIES``, a frame function taking the
encoded frame and the ``DecodeRunner``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from pydicom import uid
from pydicom.pixels.decoders.base import DecodeRunner, get_decoder

PLUGIN = "lightbox"

LIBJPEG_TURBO = "libjpeg-turbo"
JPEG_JS = "jpeg-js"  # web/js/jpeg.js: 8 and 12-bit DCT JPEG, colour transform under our control
JPEG_LOSSLESS = "jpeg-lossless"
CHARLS = "charls"
OPENJPEG = "openjpeg"
OPENJPH = "openjph"

#: What :class:`Choice` names when no browser codec is involved (native, RLE, deflate).
PYDICOM = "pydicom"
#: The runner option that carries a file's :class:`Choice` to :func:`decode_frame`.
OPTION = "lightbox_codec"

#: The codec that serves each syntax by default (JPEG baseline: see choose_codec).
CODEC_FOR_SYNTAX: dict[str, str] = {
    uid.JPEGBaseline8Bit: LIBJPEG_TURBO,
    uid.JPEGExtended12Bit: JPEG_JS,
    uid.JPEGLossless: JPEG_LOSSLESS,
    uid.JPEGLosslessSV1: JPEG_LOSSLESS,
    uid.JPEGLSLossless: CHARLS,
    uid.JPEGLSNearLossless: CHARLS,
    uid.JPEG2000Lossless: OPENJPEG,
    uid.JPEG2000: OPENJPEG,
    uid.HTJ2KLossless: OPENJPH,
    uid.HTJ2KLosslessRPCL: OPENJPH,
    uid.HTJ2K: OPENJPH,
}

DECODER_DEPENDENCIES = {syntax: ("the Lightbox browser codecs",) for syntax in CODEC_FOR_SYNTAX}

_J2K = {uid.JPEG2000Lossless, uid.JPEG2000, uid.HTJ2KLossless, uid.HTJ2KLosslessRPCL, uid.HTJ2K}
_DCT = {uid.JPEGBaseline8Bit, uid.JPEGExtended12Bit}
#: Syntaxes whose codestream may overrule the header's colour space (what pydicom conforms).
_JPEG_FAMILY = set(CODEC_FOR_SYNTAX) - _J2K
#: Start Of Frame markers (ITU T.81 Table B.1; 0xF7 is JPEG-LS's SOF55, ISO 14495-1).
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF, 0xF7}
_RGB_IDS = ((82, 71, 66), (114, 103, 98))  # "RGB", "rgb" in ASCII


@dataclass(frozen=True)
class Choice:
    """Which codec decodes a file's frames: made once per file, loaded and used as it is.

    Attributes
    ----------
    codec : str
        A browser codec's name (web/js/worker/codecs.js), or :data:`PYDICOM`.
        The worker loads this codec and :func:`decode_frame` calls this codec.
    photometric : str
        The colour space the codestream holds: the header's (0028,0004)
        Photometric Interpretation, conformed to the codestream the way
        pydicom's decoders conform it (RGB component IDs, a JFIF APP marker).
    """

    codec: str
    photometric: str

    @property
    def color_transform(self) -> bool:
        """Whether the codestream's samples are YCbCr that the codec is to convert."""
        return self.photometric.startswith("YBR")


@dataclass(frozen=True)
class Decoded:
    """One frame as a codec returned it.

    Attributes
    ----------
    data : bytes
        Samples, little endian, 1 byte each up to 8 bits, 2 up to 16.
    interleaved : bool
        Samples of a pixel are adjacent (planar configuration 0).
    color_converted : bool
        The codec turned YCbCr into RGB.
    """

    data: bytes
    width: int
    height: int
    components: int
    bits: int
    signed: bool
    interleaved: bool = True
    color_converted: bool = False


class Backend(Protocol):
    """What decodes: the browser's codecs, or a test double."""

    def available(self) -> frozenset[str]: ...

    def decode(self, codec: str, data: bytes, color_transform: bool | None) -> Decoded: ...


_backend: Backend | None = None
_last: dict[str, str] = {}


def needs_codestream(syntax: str, samples: int) -> bool:
    """Whether :func:`choose_codec` looks at the codestream: colour JPEG (DCT, lossless, LS)."""
    return samples == 3 and syntax in _JPEG_FAMILY


def _jpeg_markers(codestream: bytes | memoryview) -> tuple[list[bytes], tuple[int, ...]]:
    """The APPn payloads before the first SOF, and that SOF's component IDs.

    Walks the marker segments of ITU T.81 B.1.1.4 (each a 0xFF, a code and a
    2-byte big-endian length that counts itself) from SOI; ([], ()) when the
    bytes are not a JPEG interchange format stream.
    """
    apps: list[bytes] = []
    if bytes(codestream[:2]) != b"\xff\xd8":
        return apps, ()
    at = 2
    while at + 4 <= len(codestream):
        if codestream[at] != 0xFF:
            return apps, ()
        code = codestream[at + 1]
        if code == 0xFF:  # fill byte (T.81 B.1.1.2)
            at += 1
            continue
        length = codestream[at + 2] << 8 | codestream[at + 3]
        if code in _SOF:
            count = codestream[at + 9] if at + 9 < len(codestream) else 0
            ids = bytes(codestream[at + 10 : at + 10 + 3 * count : 3])
            return apps, tuple(ids)
        if 0xE0 <= code <= 0xEF:
            apps.append(bytes(codestream[at + 4 : at + 2 + length]))
        if code == 0xDA or length < 2:  # scan data before any frame header: not ours to read
            return apps, ()
        at += 2 + length
    return apps, ()


def codestream_photometric(
    syntax: str, samples: int, photometric: str, codestream: bytes | memoryview
) -> str:
    """The colour space a JPEG codestream holds, given what the header says.

    The rules pydicom 3's decoders apply before decoding
    (``DecodeRunner._conform_jpg_colorspace``), so that the codec chosen here
    and the colour pydicom's runner assumes agree: component IDs "RGB" or
    "rgb" turn a header that is not RGB into RGB; otherwise a JFIF APP marker
    means YCbCr (YBR_FULL_422 for JPEG baseline, YBR_FULL otherwise) unless
    the header says YBR (so JFIF wins over RGB IDs under an RGB header, as in
    libjpeg); otherwise the header holds. JPEG 2000 colour is in the header
    and the codestream's MCT, not here.

    References
    ----------
    PS3.5 8.2.1 (JPEG colour and Photometric Interpretation); ITU T.81 B.2.2
    (frame header, component identifiers); JFIF 1.02 (APP0, YCbCr).
    """
    if not needs_codestream(syntax, samples):
        return photometric
    apps, ids = _jpeg_markers(codestream)
    if ids in _RGB_IDS and photometric != "RGB":
        return "RGB"
    if "YBR" not in photometric and any(app.startswith(b"JFIF") for app in apps):
        return "YBR_FULL_422" if syntax == uid.JPEGBaseline8Bit else "YBR_FULL"
    return photometric


def choose_codec(
    syntax: str, samples: int, photometric: str, codestream: bytes | memoryview | None = None
) -> Choice:
    """The one decision of which codec decodes a file: what the page loads, what decodes.

    Parameters
    ----------
    syntax, samples, photometric
        The file's transfer syntax, (0028,0002) Samples per Pixel and (0028,0004)
        Photometric Interpretation.
    codestream : bytes, optional
        The first fragment of the first frame; needed for colour JPEG (see
        :func:`needs_codestream`), whose codestream may say another colour
        space than the header.

    Returns
    -------
    Choice
        :data:`PYDICOM` for what pydicom decodes itself (native, RLE). JPEG
        baseline colour that is RGB in the codestream goes to the JavaScript
        decoder, whose colour transform we control (libjpeg-turbo would
        convert it as if it were YCbCr); YCbCr (a JFIF stream, even one the
        header calls RGB) goes to libjpeg-turbo.
    """
    codec = CODEC_FOR_SYNTAX.get(syntax)
    if codec is None:
        return Choice(PYDICOM, photometric)
    colour = photometric
    if codestream is not None:
        colour = codestream_photometric(syntax, samples, photometric, codestream)
    if codec == LIBJPEG_TURBO and samples == 3 and not colour.startswith("YBR"):
        codec = JPEG_JS
    return Choice(codec, colour)


def is_available(syntax: str) -> bool:
    """pydicom plugin hook: a backend is installed and has the codec for ``syntax``."""
    codec = CODEC_FOR_SYNTAX.get(syntax)
    return _backend is not None and codec is not None and codec in _backend.available()


def serves(choice: Choice, syntax: str) -> bool:
    """Whether the installed backend decodes with ``choice`` (else pydicom's own plugins do)."""
    return (
        choice.codec != PYDICOM
        and is_available(syntax)
        and _backend is not None
        and choice.codec in _backend.available()
    )


def install(backend: Backend | None) -> None:
    """Install (or remove, with None) the backend and register the pydicom plugin."""
    global _backend  # noqa: PLW0603 -- one backend per process, installed at start-up
    _backend = backend
    for syntax in CODEC_FOR_SYNTAX:
        decoder = get_decoder(syntax)
        if _has_plugin(decoder, PLUGIN):
            decoder.remove_plugin(PLUGIN)
        if backend is not None and is_available(syntax):
            decoder.add_plugin(PLUGIN, (__name__, "decode_frame"))


def _has_plugin(decoder: object, label: str) -> bool:
    available = getattr(decoder, "_available", {})
    unavailable = getattr(decoder, "_unavailable", {})
    return label in available or label in unavailable


def installed() -> bool:
    """Whether a backend is installed (in the browser; natively only in tests)."""
    return _backend is not None


def plugin_options(choice: Choice | None, syntax: str) -> dict[str, Any]:
    """What to ask pydicom for: our plugin carrying ``choice`` when it serves, else any plugin."""
    if choice is not None and serves(choice, syntax):
        return {"decoding_plugin": PLUGIN, OPTION: choice}
    return {"decoding_plugin": ""}


def last_decoder(syntax: str) -> str:
    """Which decoder produced the latest frame of ``syntax`` (for the viewer to show)."""
    return _last.get(syntax, "pydicom")


def decode_frame(src: bytes, runner: DecodeRunner) -> bytearray:
    """pydicom plugin: decode one encoded frame with the installed backend.

    Sets the runner's options the way pydicom's own plugins do, so pydicom
    reshapes, converts colour and corrects sign the same for every codec.
    """
    if _backend is None:
        raise RuntimeError("no codec backend is installed")
    syntax = runner.transfer_syntax
    photometric = str(runner.photometric_interpretation)
    choice = runner.get_option(OPTION)
    if not isinstance(choice, Choice):
        # Only for callers that go through pydicom themselves (de-identification's
        # decompress): the same decision, from this frame's own codestream.
        choice = choose_codec(syntax, runner.samples_per_pixel, photometric, src)
    if choice.codec == PYDICOM:
        raise RuntimeError(f"no codec for {uid.UID(syntax).name}")
    # JPEG DCT colour: convert YBR to RGB in the codec; leave RGB alone (PS3.5 8.2.1).
    colour_dct = syntax in _DCT and runner.samples_per_pixel == 3
    transform = choice.color_transform if colour_dct else None
    out = _backend.decode(choice.codec, src, transform)
    _last[str(syntax)] = choice.codec
    _check_size(out, runner)
    if out.components > 1:
        runner.set_option("planar_configuration", 0 if out.interleaved else 1)
    if out.color_converted:
        runner.set_option("photometric_interpretation", "RGB")
    elif colour_dct:  # pydicom converts what the codec left as YCbCr, per the same decision
        runner.set_option("photometric_interpretation", choice.photometric)
    if syntax in _J2K and photometric in ("YBR_ICT", "YBR_RCT"):
        runner.set_option("photometric_interpretation", "RGB")  # the codec's inverse MCT
    runner.set_option("bits_allocated", 8 if out.bits <= 8 else 16 if out.bits <= 16 else 32)
    return bytearray(out.data)


def _check_size(out: Decoded, runner: DecodeRunner) -> None:
    if (out.width, out.height) != (runner.columns, runner.rows):
        raise ValueError(
            f"the codestream is {out.width}x{out.height}, the header says "
            f"{runner.columns}x{runner.rows}"
        )
    if out.components != runner.samples_per_pixel:
        raise ValueError(
            f"the codestream has {out.components} components, the header says "
            f"{runner.samples_per_pixel} samples per pixel"
        )
