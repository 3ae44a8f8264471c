"""Test data for tests/js/jpeg.test.js: JPEG streams and their reference decodings.

Usage: .venv/bin/python tests/js/fixtures.py OUTDIR

For each case NAME it writes OUTDIR/NAME.jpg (the stream), OUTDIR/NAME.raw (reference
samples, pixel-interleaved, little-endian uint8 or uint16, decoded natively by
pylibjpeg-libjpeg with no colour transform), optionally OUTDIR/NAME.rgb.raw (the same
converted YCbCr -> RGB by pydicom), and OUTDIR/manifest.json describing every case.

Sources:
- the first frame of pydicom's bundled JPEG Baseline / Extended DICOM files;
- streams encoded here by Pillow (libjpeg-turbo, 8-bit only), for restart markers,
  16-bit quantization tables with SOF1, 4 components, odd sizes;
- 12-bit streams encoded by the small sequential-DCT encoder below (no native 12-bit
  encoder is available), checked and decoded by libjpeg like the others.

No network access: pydicom's files are read from its package directory.
"""

from __future__ import annotations

import heapq
import io
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from libjpeg import decode
from PIL import Image
from pydicom.encaps import generate_frames
from pydicom.pixels import convert_color_space

TEST_FILES = Path(pydicom.__file__).parent / "data" / "test_files"

DICOM_CASES = [
    "JPGExtended.dcm",
    "JPEG-lossy.dcm",
    "SC_rgb_jpeg_dcmtk.dcm",
    "SC_rgb_dcmtk_+eb+cy+np.dcm",
    "SC_rgb_dcmtk_+eb+cy+s2.dcm",
    "SC_jpeg_no_color_transform.dcm",
    "SC_rgb_jpeg_app14_dcmd.dcm",
    "SC_rgb_small_odd_jpeg.dcm",
    "examples_ybr_color.dcm",
]


def first_frame(name: str) -> tuple[bytes, pydicom.Dataset]:
    ds = pydicom.dcmread(TEST_FILES / name)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    frame = next(generate_frames(ds.PixelData, number_of_frames=frames))
    return frame, ds


def reference(stream: bytes) -> np.ndarray:
    """libjpeg's decoding, shaped (rows, columns, samples), no colour transform."""
    arr = decode(stream, colour_transform=0)
    return arr.reshape(arr.shape[0], arr.shape[1], -1)


# --- a minimal sequential-DCT Huffman encoder (ITU-T T.81), for 12-bit test streams ---


def _dct_matrix() -> np.ndarray:
    d = np.zeros((8, 8))
    for u in range(8):
        c = np.sqrt(0.5) if u == 0 else 1.0
        for x in range(8):
            d[u, x] = c / 2 * np.cos((2 * x + 1) * u * np.pi / 16)
    return d


DCT = _dct_matrix()


def _zigzag() -> list[int]:
    order = []
    for s in range(15):
        cells = [(r, s - r) for r in range(max(0, s - 7), min(7, s) + 1)]
        if s % 2 == 0:
            cells.reverse()  # even diagonals run up-right: row decreasing
        order += [r * 8 + c for r, c in cells]
    return order


ZIGZAG = _zigzag()


def _category(value: int) -> int:
    return int(abs(value)).bit_length()


def _bits_of(value: int, size: int) -> int:
    return value if value >= 0 else value + (1 << size) - 1


def huffman_table(freq: dict[int, int]) -> tuple[list[int], list[int]]:
    """BITS and HUFFVAL for these symbol frequencies (Annex K.2, lengths limited to 16)."""
    # Code sizes by repeated merging; a reserved symbol with frequency 1 keeps the
    # all-ones code unused.
    heap: list[tuple[int, int, list[int]]] = []
    symbols = sorted(freq)
    for i, sym in enumerate(symbols):
        heap.append((freq[sym], i, [sym]))
    heap.append((1, len(symbols), [-1]))
    heapq.heapify(heap)
    size = {sym: 0 for sym in [*symbols, -1]}
    tie = len(symbols) + 1
    while len(heap) > 1:
        f1, _, a = heapq.heappop(heap)
        f2, _, b = heapq.heappop(heap)
        for sym in a + b:
            size[sym] += 1
        heapq.heappush(heap, (f1 + f2, tie, a + b))
        tie += 1
    if len(symbols) == 0:
        return [0] * 16, []
    bits = [0] * 33
    for s in size.values():
        bits[max(s, 1)] += 1
    # Limit lengths to 16 (K.3, Figure K.3), then drop the reserved code.
    i = 32
    while i > 16:
        while bits[i] > 0:
            j = i - 2
            while bits[j] == 0:
                j -= 1
            bits[i] -= 2
            bits[i - 1] += 1
            bits[j + 1] += 2
            bits[j] -= 1
        i -= 1
    i = 16
    while bits[i] == 0:
        i -= 1
    bits[i] -= 1
    ordered = sorted(symbols, key=lambda s: (size[s], s))
    return bits[1:17], ordered


class BitWriter:
    """Entropy-coded bits, most significant first, with FF00 byte stuffing (F.1.2.3)."""

    def __init__(self, out: bytearray) -> None:
        self.out = out
        self.acc = 0
        self.count = 0

    def put(self, value: int, size: int) -> None:
        self.acc = (self.acc << size) | value
        self.count += size
        while self.count >= 8:
            byte = (self.acc >> (self.count - 8)) & 0xFF
            self.out.append(byte)
            if byte == 0xFF:
                self.out.append(0)
            self.count -= 8
        self.acc &= (1 << self.count) - 1

    def flush(self) -> None:
        """Pad the last byte with 1-bits (F.1.2.3)."""
        if self.count:
            self.put((1 << (8 - self.count)) - 1, 8 - self.count)


def encode_jpeg(
    planes: list[np.ndarray],
    sampling: list[tuple[int, int]],
    qtables: list[np.ndarray],
    qsel: list[int],
    precision: int,
    restart: int,
    interleaved: bool,
    size: tuple[int, int] | None = None,
) -> bytes:
    """Encode component planes (already subsampled) as sequential DCT with Huffman coding.

    `size` is (lines, samples per line) of the image, by default the first plane's.
    """
    size = size or (planes[0].shape[0], planes[0].shape[1])
    hmax = max(h for h, _ in sampling)
    vmax = max(v for _, v in sampling)
    height, width = size
    mcus_x = -(-width // (8 * hmax))
    mcus_y = -(-height // (8 * vmax))
    shift = 1 << (precision - 1)

    # Quantized coefficients of every block, zig-zag order, grid of whole MCUs.
    coeffs = []
    for plane, (h, v), sel in zip(planes, sampling, qsel, strict=True):
        rows, cols = mcus_y * v * 8, mcus_x * h * 8
        padded = np.pad(
            plane, ((0, rows - plane.shape[0]), (0, cols - plane.shape[1])), mode="edge"
        )
        blocks = (
            padded.reshape(rows // 8, 8, cols // 8, 8).transpose(0, 2, 1, 3).astype(float) - shift
        )
        f = np.einsum("vy,abyx,ux->abvu", DCT, blocks, DCT)
        q = np.round(f / qtables[sel]).astype(int)
        coeffs.append(q.reshape(rows // 8, cols // 8, 64)[:, :, ZIGZAG])

    tsel = [0 if i == 0 else 1 for i in range(len(planes))]
    scans = [list(range(len(planes)))] if interleaved else [[i] for i in range(len(planes))]

    # Pass 1: symbols (class, table, symbol, extra bits, extra size) and restarts.
    events: list[list[Any]] = []
    freq: dict[tuple[int, int], dict[int, int]] = {}

    def symbol(cls: int, table: int, sym: int, extra: int, size: int, out: list[Any]) -> None:
        counts = freq.setdefault((cls, table), {})
        counts[sym] = counts.get(sym, 0) + 1
        out.append((cls, table, sym, extra, size))

    for scan in scans:
        out: list[Any] = []
        events.append(out)
        if len(scan) == 1:
            c = scan[0]
            h, v = sampling[c]
            cw = -(-width * h // hmax)
            ch = -(-height * v // vmax)
            order = [[(c, by, bx)] for by in range(-(-ch // 8)) for bx in range(-(-cw // 8))]
        else:
            order = [
                [
                    (c, my * sampling[c][1] + y, mx * sampling[c][0] + x)
                    for c in scan
                    for y in range(sampling[c][1])
                    for x in range(sampling[c][0])
                ]
                for my in range(mcus_y)
                for mx in range(mcus_x)
            ]
        pred = dict.fromkeys(scan, 0)
        for n, mcu in enumerate(order):
            if restart and n > 0 and n % restart == 0:
                out.append(None)
                pred = dict.fromkeys(scan, 0)
            for c, by, bx in mcu:
                zz = coeffs[c][by, bx]
                diff = int(zz[0]) - pred[c]
                pred[c] = int(zz[0])
                s = _category(diff)
                symbol(0, tsel[c], s, _bits_of(diff, s), s, out)
                run = 0
                last = max((k for k in range(1, 64) if zz[k] != 0), default=0)
                for k in range(1, last + 1):
                    value = int(zz[k])
                    if value == 0:
                        run += 1
                        continue
                    while run > 15:
                        symbol(1, tsel[c], 0xF0, 0, 0, out)
                        run -= 16
                    s = _category(value)
                    symbol(1, tsel[c], (run << 4) | s, _bits_of(value, s), s, out)
                    run = 0
                if last < 63:
                    symbol(1, tsel[c], 0x00, 0, 0, out)

    tables = {key: huffman_table(counts) for key, counts in freq.items()}
    codes: dict[tuple[int, int], dict[int, tuple[int, int]]] = {}
    for key, (bits, values) in tables.items():
        table: dict[int, tuple[int, int]] = {}
        code, k = 0, 0
        for length in range(1, 17):
            for _ in range(bits[length - 1]):
                table[values[k]] = (code, length)
                code += 1
                k += 1
            code <<= 1
        codes[key] = table

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload

    out_bytes = bytearray(b"\xff\xd8")
    for i, qt in enumerate(qtables):
        flat = qt.reshape(64)[ZIGZAG].astype(int)
        wide = int(flat.max()) > 255
        body = b"".join(int(x).to_bytes(2 if wide else 1, "big") for x in flat)
        out_bytes += segment(0xDB, bytes([(0x10 if wide else 0) | i]) + body)
    sof = (
        bytes([precision])
        + height.to_bytes(2, "big")
        + width.to_bytes(2, "big")
        + bytes([len(planes)])
    )
    for i, (h, v) in enumerate(sampling):
        sof += bytes([i + 1, (h << 4) | v, qsel[i]])
    out_bytes += segment(0xC1, sof)
    for (cls, table), (bits, values) in sorted(tables.items()):
        out_bytes += segment(0xC4, bytes([(cls << 4) | table, *bits, *values]))
    if restart:
        out_bytes += segment(0xDD, restart.to_bytes(2, "big"))

    for scan, evs in zip(scans, events, strict=True):
        sos = bytes([len(scan)])
        for c in scan:
            sos += bytes([c + 1, (tsel[c] << 4) | tsel[c]])
        out_bytes += segment(0xDA, sos + bytes([0, 63, 0]))
        writer = BitWriter(out_bytes)
        rst = 0
        for ev in evs:
            if ev is None:
                writer.flush()
                out_bytes.extend((0xFF, 0xD0 + rst))
                rst = (rst + 1) & 7
                continue
            cls, table, sym, extra, size = ev
            code, length = codes[(cls, table)][sym]
            writer.put(code, length)
            if size:
                writer.put(extra, size)
        writer.flush()
    out_bytes += b"\xff\xd9"
    return bytes(out_bytes)


def qtable(base: float, slope: float) -> np.ndarray:
    u = np.arange(8)
    return np.round(base + slope * np.add.outer(u, u)).astype(float)


def subsample(plane: np.ndarray, fy: int, fx: int) -> np.ndarray:
    rows = -(-plane.shape[0] // fy) * fy
    cols = -(-plane.shape[1] // fx) * fx
    p = np.pad(
        plane.astype(float), ((0, rows - plane.shape[0]), (0, cols - plane.shape[1])), mode="edge"
    )
    return np.round(p.reshape(rows // fy, fy, cols // fx, fx).mean(axis=(1, 3))).astype(int)


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    manifest: list[dict[str, Any]] = []

    def add(name: str, stream: bytes, source: str, precision: int, **extra: Any) -> None:
        (out / f"{name}.jpg").write_bytes(stream)
        entry: dict[str, Any] = {"name": name, "source": source, "precision": precision, **extra}
        arr: np.ndarray | None = None
        try:
            arr = reference(stream)
        except Exception as exc:  # libjpeg refuses some streams: record why
            entry["reference_error"] = str(exc)
        if arr is not None:
            dtype = "<u2" if arr.dtype.itemsize == 2 else "u1"
            (out / f"{name}.raw").write_bytes(arr.astype(dtype).tobytes())
            entry["shape"] = list(arr.shape)
            entry["dtype"] = "uint16" if arr.dtype.itemsize == 2 else "uint8"
            if arr.shape[2] == 3 and arr.dtype == np.uint8 and extra.get("ybr"):
                # YCbCr -> RGB by pydicom, for colorTransform: true.
                rgb = convert_color_space(arr, "YBR_FULL", "RGB")
                (out / f"{name}.rgb.raw").write_bytes(rgb.astype("u1").tobytes())
                entry["rgb"] = True
                # A second opinion on upsampled chroma: libjpeg-turbo (Pillow), no transform.
                image = Image.open(io.BytesIO(stream))
                image.draft("YCbCr", image.size)
                if image.mode == "YCbCr":
                    (out / f"{name}.turbo.raw").write_bytes(np.asarray(image).tobytes())
                    entry["turbo"] = True
        manifest.append(entry)

    for name in DICOM_CASES:
        stream, ds = first_frame(name)
        add(
            name.removesuffix(".dcm"),
            stream,
            f"pydicom {name}, first frame",
            int(ds.BitsStored),
            photometric=str(ds.PhotometricInterpretation),
            sop_instance_uid=str(ds.SOPInstanceUID),
            ybr=str(ds.PhotometricInterpretation).startswith("YBR"),
        )

    # Pillow (libjpeg-turbo): 8-bit features the DICOM files lack.
    grey = (np.add.outer(np.arange(61), np.arange(75)) * 3 % 256).astype(np.uint8)
    ybr_frame = reference(first_frame("examples_ybr_color.dcm")[0])  # (240, 320, 3) YCbCr
    rgb = np.asarray(Image.fromarray(ybr_frame, "YCbCr").convert("RGB"))[:117, :150]

    def pil(image: Image.Image, **kwargs: Any) -> bytes:
        buf = io.BytesIO()
        image.save(buf, "JPEG", **kwargs)
        return buf.getvalue()

    add(
        "pil_420_restart_blocks",
        pil(Image.fromarray(rgb), quality=85, subsampling=2, restart_marker_blocks=3),
        "Pillow RGB 4:2:0, 150x117, DRI 3 MCUs",
        8,
        ybr=True,
    )
    add(
        "pil_422",
        pil(Image.fromarray(rgb[:101, :99]), quality=95, subsampling=1),
        "Pillow RGB 4:2:2, 99x101",
        8,
        ybr=True,
    )
    add(
        "pil_grey_restart_rows",
        pil(Image.fromarray(grey), quality=75, restart_marker_rows=1),
        "Pillow greyscale 75x61, restart every MCU row",
        8,
    )
    add(
        "pil_sof1_dqt16",
        pil(Image.fromarray(grey), qtables=[[min(1000, 2 + 25 * i) for i in range(64)]]),
        "Pillow greyscale, coarse 16-bit quantization table (SOF1)",
        8,
    )
    cmyk = np.stack([rgb[..., 0], rgb[..., 1], rgb[..., 2], 255 - rgb[..., 0]], axis=-1)
    add(
        "pil_cmyk",
        pil(Image.fromarray(cmyk, "CMYK"), quality=90),
        "Pillow CMYK (4 components, Adobe APP14)",
        8,
    )
    add(
        "pil_progressive",
        pil(Image.fromarray(grey), progressive=True),
        "Pillow progressive (SOF2)",
        8,
        expect_error="progressive",
    )

    # 12-bit streams from the encoder above.
    ext = reference(first_frame("JPGExtended.dcm")[0])[..., 0].astype(int)  # 256 x 1024, 0..264
    ct = np.concatenate([ext[:512], ext[512:]], axis=1) * 15  # 512 x 512, 0..3960
    q12 = [qtable(24, 20), qtable(40, 36)]  # entries > 255: 16-bit DQT
    add(
        "enc12_grey_512",
        encode_jpeg([ct], [(1, 1)], q12, [0], 12, 0, True),
        "own encoder, 12-bit greyscale 512x512",
        12,
    )
    add(
        "enc12_grey_odd_restart",
        encode_jpeg([ct[3:64, 5:80]], [(1, 1)], q12, [0], 12, 7, True),
        "own encoder, 12-bit greyscale 75x61, DRI 7",
        12,
    )
    ycc = ybr_frame[:237, :317].astype(int) * 16 + 7  # 12-bit YCbCr
    y, cb, cr = ycc[..., 0], ycc[..., 1], ycc[..., 2]
    add(
        "enc12_ycc_420_restart",
        encode_jpeg(
            [y, subsample(cb, 2, 2), subsample(cr, 2, 2)],
            [(2, 2), (1, 1), (1, 1)],
            q12,
            [0, 1, 1],
            12,
            5,
            True,
            y.shape,
        ),
        "own encoder, 12-bit YCbCr 4:2:0 317x237, interleaved, DRI 5",
        12,
    )
    add(
        "enc12_ycc_422_scans",
        encode_jpeg(
            [y, subsample(cb, 1, 2), subsample(cr, 1, 2)],
            [(2, 1), (1, 1), (1, 1)],
            q12,
            [0, 1, 1],
            12,
            4,
            False,
            y.shape,
        ),
        "own encoder, 12-bit YCbCr 4:2:2 317x237, one scan per component, DRI 4",
        12,
    )

    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))


if __name__ == "__main__":
    main()
