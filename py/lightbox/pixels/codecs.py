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
from typing import Protocol

from pydicom import uid
from pydicom.pixels.decoders.base import DecodeRunner, get_decoder

PLUGIN = "lightbox"

LIBJPEG_TURBO = "libjpeg-turbo"
JPEG_JS = "jpeg-js"  # web/js/jpeg.js: 8 and 12-bit DCT JPEG, colour transform under our control
JPEG_LOSSLESS = "jpeg-lossless"
CHARLS = "charls"
OPENJPEG = "openjpeg"
OPENJPH = "openjph"

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


def choose_codec(syntax: str, samples: int, photometric: str) -> str | None:
    """The codec for a frame, or None when pydicom decodes it itself (RLE, native).

    JPEG baseline colour stored as RGB (no colour transform wanted) goes to
    the JavaScript decoder, whose colour transform we control; libjpeg-turbo
    would convert it as if it were YCbCr.
    """
    codec = CODEC_FOR_SYNTAX.get(syntax)
    if codec == LIBJPEG_TURBO and samples == 3 and not photometric.startswith("YBR"):
        return JPEG_JS
    return codec


def is_available(syntax: str) -> bool:
    """pydicom plugin hook: a backend is installed and has the codec for ``syntax``."""
    codec = CODEC_FOR_SYNTAX.get(syntax)
    return _backend is not None and codec is not None and codec in _backend.available()


def install(backend: Backend | None) -> None:
    """Install (or remove, with None) the backend and register the pydicom plugin."""
    global _backend
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


def plugin_for(syntax: str) -> str:
    """The ``decoding_plugin`` to ask pydicom for: ours when installed, else any."""
    return PLUGIN if is_available(syntax) else ""


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
    codec = choose_codec(syntax, runner.samples_per_pixel, photometric)
    if codec is None:
        raise RuntimeError(f"no codec for {uid.UID(syntax).name}")
    # JPEG DCT colour: convert YBR to RGB in the codec; leave RGB alone (PS3.5 8.2.1).
    colour_dct = syntax in _DCT and runner.samples_per_pixel == 3
    transform = photometric.startswith("YBR") if colour_dct else None
    out = _backend.decode(codec, src, transform)
    _last[str(syntax)] = codec
    _check_size(out, runner)
    if out.components > 1:
        runner.set_option("planar_configuration", 0 if out.interleaved else 1)
    if out.color_converted:
        runner.set_option("photometric_interpretation", "RGB")
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
