// JPEG decoder for DICOM "JPEG Baseline (Process 1)" and "JPEG Extended (Process 2 & 4)"
// (transfer syntaxes 1.2.840.10008.1.2.4.50 and .51): sequential DCT, Huffman coding,
// 8- or 12-bit samples. Written from ITU-T T.81 (ISO/IEC 10918-1); section numbers
// below refer to it.
//
// Supported: SOF0 and SOF1 frames; DHT, DQT (8- and 16-bit tables), DRI with RSTn
// restart markers, one or several scans (interleaved or not), 1 to 4 components with
// any sampling factors 1..4. APPn and COM segments are skipped, except that an Adobe
// APP14 segment's colour transform flag is read. Progressive, lossless, hierarchical
// and arithmetic-coded JPEG raise an Error naming the process.
//
// Output samples are exactly what the standard's decoder model produces: dequantize,
// inverse DCT (float64, separable, exact cosines), level shift by 2^(P-1), round,
// clamp to [0, 2^P - 1]. Subsampled components are upsampled to the full image size by
// linear interpolation between sample centres (the "centred" siting of JFIF/T.81 A.1.1:
// for a factor of 2 that is the familiar 3/4, 1/4 triangle filter). No colour
// conversion is made unless asked for (see decodeJpeg).
//
// Robustness: every loop is bounded by the data or by the frame size, and the frame
// size is checked against the data length before anything is allocated, so corrupt or
// truncated input throws an Error instead of hanging or exhausting memory.
//
// One module, over 900 lines, on purpose: it is one algorithm from one standard, read
// against T.81 section by section (markers, Huffman decoding, IDCT, upsampling, output),
// and its one export is decodeJpeg. Its parts share the frame and table structures
// below and are tested only through decodeJpeg (tests/js/jpeg.test.js, against libjpeg).

/**
 * @typedef {object} JpegOptions
 * @property {boolean|null} [colorTransform] true: convert YCbCr to RGB (JFIF formulas,
 *   3-component images only); false: leave samples as stored; null or absent: follow an
 *   Adobe APP14 segment's transform flag if there is one, else leave them as stored.
 *
 * @typedef {object} DecodedJpeg
 * @property {Uint8Array|Uint16Array} data pixel-interleaved samples, row by row
 *   (Uint8Array for 8-bit, Uint16Array for 12-bit)
 * @property {number} width
 * @property {number} height
 * @property {number} components
 * @property {number} bits sample precision P (8 or 12)
 * @property {boolean} colorTransformed whether YCbCr -> RGB was applied
 * @property {string[]} warnings deviations from T.81 that were tolerated
 *
 * @typedef {object} HuffmanTable
 * @property {Uint16Array} fast (length << 8 | value) by the next FAST_BITS bits; 0 = longer code
 * @property {Int32Array} maxCode largest code of each length 0..17 (-1: none; [17] sentinel)
 * @property {Int32Array} valOffset index into values of a length-l code is code + valOffset[l]
 * @property {Uint8Array} values HUFFVAL
 *
 * @typedef {object} FrameComponent
 * @property {number} id component identifier Ci
 * @property {number} h horizontal sampling factor Hi
 * @property {number} v vertical sampling factor Vi
 * @property {number} tq quantization table selector
 * @property {number} width samples per line xi (A.1.1)
 * @property {number} height lines yi
 * @property {number} blocksX blocks per line in a non-interleaved scan: ceil(xi / 8)
 * @property {number} blocksY block rows in a non-interleaved scan: ceil(yi / 8)
 * @property {number} stride plane width in samples (whole MCUs of the interleaved layout)
 * @property {Uint16Array} plane decoded samples, stride * (rows of whole MCUs)
 * @property {boolean} coded whether some scan has carried this component
 * @property {number} pred DC predictor (F.2.1.3.1)
 * @property {HuffmanTable|null} dc
 * @property {HuffmanTable|null} ac
 * @property {Float64Array|null} quant dequantization table in natural order
 *
 * @typedef {object} Frame
 * @property {number} precision
 * @property {number} width
 * @property {number} height
 * @property {FrameComponent[]} components
 * @property {number} hMax
 * @property {number} vMax
 * @property {number} mcusX MCUs per line of an interleaved scan
 * @property {number} mcusY MCU rows of an interleaved scan
 */

/**
 * Rounding offset: one half, plus a hair so that values which are exactly n + 1/2 but come
 * out of the floating-point IDCT a few ulps below it still round up, as in exact arithmetic.
 */
const ROUND = 0.5 + 1e-9;

/** Bits looked up at once when decoding a Huffman code. */
const FAST_BITS = 9;

/** ZIGZAG[k] = natural (row-major) index of the k-th coefficient in zig-zag order (Figure A.6). */
const ZIGZAG = (() => {
  const order = new Uint8Array(64);
  let k = 0;
  for (let s = 0; s < 15; s += 1) {
    // Anti-diagonal s holds (row, col) with row + col = s; odd diagonals run down-left.
    const lo = Math.max(0, s - 7);
    const hi = Math.min(7, s);
    for (let i = lo; i <= hi; i += 1) {
      const row = s % 2 === 0 ? s - i : i;
      order[k] = row * 8 + (s - row);
      k += 1;
    }
  }
  return order;
})();

/**
 * COS[x * 8 + u] = C(u)/2 * cos((2x + 1) u pi / 16), so that the IDCT of A.3.3,
 * f(y,x) = 1/4 sum_v sum_u C(u) C(v) F(v,u) cos.. cos.., is sum_v COS[y,v] sum_u COS[x,u] F(v,u).
 */
const COS = (() => {
  const table = new Float64Array(64);
  for (let x = 0; x < 8; x += 1) {
    for (let u = 0; u < 8; u += 1) {
      const c = u === 0 ? Math.SQRT1_2 : 1;
      table[x * 8 + u] = (c / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
    }
  }
  return table;
})();

/** Names of the frame types this decoder does not implement (Table B.1), by marker. */
const UNSUPPORTED_SOF = /** @type {Record<number, string>} */ ({
  0xc2: "progressive DCT (SOF2)",
  0xc3: "lossless (SOF3)",
  0xc5: "differential sequential DCT, hierarchical (SOF5)",
  0xc6: "differential progressive DCT, hierarchical (SOF6)",
  0xc7: "differential lossless, hierarchical (SOF7)",
  0xc9: "arithmetic-coded extended sequential DCT (SOF9)",
  0xca: "arithmetic-coded progressive DCT (SOF10)",
  0xcb: "arithmetic-coded lossless (SOF11)",
  0xcd: "arithmetic-coded differential sequential DCT (SOF13)",
  0xce: "arithmetic-coded differential progressive DCT (SOF14)",
  0xcf: "arithmetic-coded differential lossless (SOF15)",
  0xcc: "arithmetic coding (DAC segment)",
  0xde: "hierarchical mode (DHP segment)",
  0xdf: "hierarchical mode (EXP segment)",
  0xf7: "JPEG-LS (SOF55)",
});

/**
 * @param {string} message
 * @returns {Error}
 */
function fail(message) {
  return new Error(`JPEG: ${message}`);
}

/**
 * Build the decoding tables of Annex C and F.2.2.3 from BITS and HUFFVAL.
 * @param {Uint8Array} counts BITS: number of codes of each length 1..16 (index 0..15)
 * @param {Uint8Array} values HUFFVAL
 * @returns {HuffmanTable}
 */
function buildHuffman(counts, values) {
  const fast = new Uint16Array(1 << FAST_BITS);
  const maxCode = new Int32Array(18).fill(-1);
  const valOffset = new Int32Array(18);
  let code = 0;
  let index = 0;
  for (let length = 1; length <= 16; length += 1) {
    const n = counts[length - 1];
    valOffset[length] = index - code;
    if (n > 0) {
      // Codes of this length are code .. code + n - 1; they must fit in `length` bits
      // and, by C.2, not be all ones.
      if (code + n > (1 << length) - (length === 16 ? 1 : 0))
        throw fail("invalid Huffman table (too many codes)");
      if (length <= FAST_BITS) {
        for (let i = 0; i < n; i += 1) {
          const shift = FAST_BITS - length;
          const first = (code + i) << shift;
          const entry = (length << 8) | values[index + i];
          fast.fill(entry, first, first + (1 << shift));
        }
      }
      maxCode[length] = code + n - 1;
    }
    index += n;
    code = (code + n) << 1;
  }
  maxCode[17] = 0x7fffffff; // sentinel: the search stops here and reports a bad code
  return { fast, maxCode, valOffset, values };
}

/**
 * Reads the entropy-coded segment of a scan bit by bit (F.2.2.5), removing stuffed zero
 * bytes (FF00). It stops at any marker and from then on supplies zero bits, counting
 * them, so that a decoder which consumes them can be told the data ran out.
 */
class BitReader {
  /**
   * @param {Uint8Array} bytes
   * @param {number} pos first byte of entropy-coded data
   */
  constructor(bytes, pos) {
    this.bytes = bytes;
    this.pos = pos;
    /** bit buffer: the low `count` bits are unread, most significant first */
    this.buffer = 0;
    this.count = 0;
    /** zero bytes supplied after the data ended at a marker or the end of input */
    this.padding = 0;
  }

  /** Top up the buffer to at least 25 bits. */
  fill() {
    const bytes = this.bytes;
    while (this.count <= 24) {
      let byte = 0;
      if (this.padding === 0 && this.pos < bytes.length) {
        byte = bytes[this.pos];
        if (byte === 0xff) {
          const next = this.pos + 1 < bytes.length ? bytes[this.pos + 1] : -1;
          if (next === 0x00) {
            this.pos += 2;
          } else {
            // A marker (or the end of input): the segment is over.
            byte = 0;
            this.padding += 1;
          }
        } else {
          this.pos += 1;
        }
      } else {
        this.padding += 1;
      }
      this.buffer = (this.buffer << 8) | byte;
      this.count += 8;
    }
  }

  /** True if bits supplied after the end of the segment have been consumed. */
  overrun() {
    return this.padding * 8 > this.count;
  }

  /**
   * Decode one Huffman-coded value (F.2.2.3).
   * @param {HuffmanTable} table
   * @returns {number}
   */
  decode(table) {
    if (this.count < 16) this.fill();
    const entry = table.fast[(this.buffer >>> (this.count - FAST_BITS)) & ((1 << FAST_BITS) - 1)];
    if (entry !== 0) {
      this.count -= entry >> 8;
      return entry & 0xff;
    }
    const maxCode = table.maxCode;
    let length = FAST_BITS + 1;
    let code = (this.buffer >>> (this.count - length)) & ((1 << length) - 1);
    while (code > maxCode[length]) {
      length += 1;
      code = (this.buffer >>> (this.count - length)) & ((1 << length) - 1);
    }
    if (length > 16) throw fail("corrupt entropy-coded data (invalid Huffman code)");
    this.count -= length;
    return table.values[code + table.valOffset[length]];
  }

  /**
   * RECEIVE(s) then EXTEND (F.2.2.1): the signed value of an s-bit magnitude category.
   * @param {number} s 1..16
   * @returns {number}
   */
  receiveExtend(s) {
    if (this.count < s) this.fill();
    this.count -= s;
    const v = (this.buffer >>> this.count) & ((1 << s) - 1);
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }

  /**
   * Skip s bits.
   * @param {number} s 1..16
   */
  skip(s) {
    if (this.count < s) this.fill();
    this.count -= s;
  }

  /**
   * Forget the buffered bits, ready for a marker. In a well-formed segment they are only
   * the 1-bits padding its last byte; anything else is junk skipped on the way to the
   * marker (the reader never reads past a marker, so `pos` is at or before it).
   */
  reset() {
    this.buffer = 0;
    this.count = 0;
    this.padding = 0;
  }
}

/**
 * Position of the next marker (its 0xFF byte) at or after `pos`, skipping anything that is
 * not one (stuffed FF00 and fill bytes are not markers); -1 if the input ends first.
 * @param {Uint8Array} bytes
 * @param {number} pos
 * @returns {number}
 */
function nextMarker(bytes, pos) {
  for (let i = pos; i + 1 < bytes.length; i += 1) {
    if (bytes[i] === 0xff) {
      const m = bytes[i + 1];
      if (m !== 0x00 && m !== 0xff) return i;
    }
  }
  return -1;
}

/**
 * Inverse DCT of one dequantized block (natural order) into a component plane: level
 * shift, round half up, clamp.
 * @param {Float64Array} block 64 coefficients; left zeroed for the next block
 * @param {Float64Array} tmp 64 scratch values
 * @param {Uint16Array} plane
 * @param {number} offset index of the block's top-left sample in the plane
 * @param {number} stride plane width
 * @param {number} shift 2^(P-1)
 * @param {number} max 2^P - 1
 */
function idctBlock(block, tmp, plane, offset, stride, shift, max) {
  // Rows: tmp[v][x] = sum_u COS[x][u] F[v][u].
  let nonZeroRows = 0;
  for (let v = 0; v < 64; v += 8) {
    const f0 = block[v];
    const f1 = block[v + 1];
    const f2 = block[v + 2];
    const f3 = block[v + 3];
    const f4 = block[v + 4];
    const f5 = block[v + 5];
    const f6 = block[v + 6];
    const f7 = block[v + 7];
    if (f1 === 0 && f2 === 0 && f3 === 0 && f4 === 0 && f5 === 0 && f6 === 0 && f7 === 0) {
      const dc = f0 * COS[0];
      for (let x = 0; x < 8; x += 1) tmp[v + x] = dc;
      if (f0 !== 0) nonZeroRows += 1;
    } else {
      for (let x = 0; x < 8; x += 1) {
        const c = x * 8;
        tmp[v + x] =
          COS[c] * f0 +
          COS[c + 1] * f1 +
          COS[c + 2] * f2 +
          COS[c + 3] * f3 +
          COS[c + 4] * f4 +
          COS[c + 5] * f5 +
          COS[c + 6] * f6 +
          COS[c + 7] * f7;
      }
      nonZeroRows += 1;
      block[v + 1] = 0;
      block[v + 2] = 0;
      block[v + 3] = 0;
      block[v + 4] = 0;
      block[v + 5] = 0;
      block[v + 6] = 0;
      block[v + 7] = 0;
    }
    block[v] = 0;
  }
  // Columns: f[y][x] = sum_v COS[y][v] tmp[v][x].
  if (nonZeroRows === 0) {
    const value = Math.min(max, Math.max(0, Math.floor(shift + ROUND)));
    for (let y = 0; y < 8; y += 1) plane.fill(value, offset + y * stride, offset + y * stride + 8);
    return;
  }
  for (let x = 0; x < 8; x += 1) {
    const t0 = tmp[x];
    const t1 = tmp[8 + x];
    const t2 = tmp[16 + x];
    const t3 = tmp[24 + x];
    const t4 = tmp[32 + x];
    const t5 = tmp[40 + x];
    const t6 = tmp[48 + x];
    const t7 = tmp[56 + x];
    let out = offset + x;
    for (let y = 0; y < 64; y += 8) {
      const value =
        COS[y] * t0 +
        COS[y + 1] * t1 +
        COS[y + 2] * t2 +
        COS[y + 3] * t3 +
        COS[y + 4] * t4 +
        COS[y + 5] * t5 +
        COS[y + 6] * t6 +
        COS[y + 7] * t7;
      const s = Math.floor(value + shift + ROUND);
      plane[out] = s < 0 ? 0 : s > max ? max : s;
      out += stride;
    }
  }
}

/**
 * Decode the 64 coefficients of one block (F.2.2.1, F.2.2.2), dequantize them into
 * `block` (natural order) and run the inverse DCT into the component's plane.
 * @param {BitReader} reader
 * @param {FrameComponent} c
 * @param {Float64Array} block
 * @param {Float64Array} tmp
 * @param {number} offset
 * @param {number} shift
 * @param {number} max
 */
function decodeBlock(reader, c, block, tmp, offset, shift, max) {
  const dc = /** @type {HuffmanTable} */ (c.dc);
  const ac = /** @type {HuffmanTable} */ (c.ac);
  const q = /** @type {Float64Array} */ (c.quant);
  const t = reader.decode(dc);
  if (t > 16) throw fail("corrupt entropy-coded data (DC magnitude category > 16)");
  const diff = t === 0 ? 0 : reader.receiveExtend(t);
  c.pred += diff;
  block[0] = c.pred * q[0];
  for (let k = 1; k < 64;) {
    const rs = reader.decode(ac);
    const s = rs & 15;
    const r = rs >> 4;
    if (s === 0) {
      if (r !== 15) break; // EOB
      k += 16; // ZRL
      continue;
    }
    k += r;
    if (k > 63) throw fail("corrupt entropy-coded data (AC coefficient index past 63)");
    const z = ZIGZAG[k];
    block[z] = reader.receiveExtend(s) * q[z];
    k += 1;
  }
  idctBlock(block, tmp, c.plane, offset, c.stride, shift, max);
}

/**
 * Decode one scan's entropy-coded data (F.2.2, with restarts per F.2.2.4 and B.2.1).
 * @param {Uint8Array} bytes
 * @param {number} pos first byte after the scan header
 * @param {Frame} frame
 * @param {FrameComponent[]} comps the scan's components, in scan order
 * @param {number} restartInterval Ri, 0 for none
 * @param {string[]} warnings
 * @returns {number} position after the entropy-coded data
 */
function decodeScan(bytes, pos, frame, comps, restartInterval, warnings) {
  const reader = new BitReader(bytes, pos);
  const block = new Float64Array(64);
  const tmp = new Float64Array(64);
  const shift = 1 << (frame.precision - 1);
  const max = (1 << frame.precision) - 1;
  for (const c of comps) c.pred = 0;

  // MCU geometry (A.2): one block per MCU for a single component, else Hi x Vi blocks
  // of each component per MCU over the MCU grid of the frame.
  const single = comps.length === 1;
  const mcusX = single ? comps[0].blocksX : frame.mcusX;
  const mcusY = single ? comps[0].blocksY : frame.mcusY;
  const total = mcusX * mcusY;
  let expectedRst = 0;
  for (let mcu = 0; mcu < total; mcu += 1) {
    if (restartInterval > 0 && mcu > 0 && mcu % restartInterval === 0) {
      if (reader.overrun()) throw fail("entropy-coded data ends early (truncated or corrupt)");
      reader.reset();
      let at = reader.pos;
      if (!(
        at + 1 < bytes.length &&
        bytes[at] === 0xff &&
        bytes[at + 1] >= 0xd0 &&
        bytes[at + 1] <= 0xd7
      )) {
        at = nextMarker(bytes, reader.pos);
        // Fill bytes (FF FF ...) may precede a marker.
        if (at < 0 || bytes[at + 1] < 0xd0 || bytes[at + 1] > 0xd7) {
          throw fail(`restart marker missing after MCU ${mcu} (truncated or corrupt)`);
        }
        warnings.push(`skipped ${at - reader.pos} bytes of junk before a restart marker`);
      }
      const n = bytes[at + 1] - 0xd0;
      if (n !== expectedRst)
        warnings.push(`restart marker RST${n} found where RST${expectedRst} was expected`);
      expectedRst = (n + 1) & 7;
      reader.pos = at + 2;
      for (const c of comps) c.pred = 0;
    }
    if (single) {
      const c = comps[0];
      const bx = mcu % mcusX;
      const by = (mcu - bx) / mcusX;
      decodeBlock(reader, c, block, tmp, by * 8 * c.stride + bx * 8, shift, max);
    } else {
      const mx = mcu % mcusX;
      const my = (mcu - mx) / mcusX;
      for (const c of comps) {
        for (let v = 0; v < c.v; v += 1) {
          const row = (my * c.v + v) * 8 * c.stride;
          for (let h = 0; h < c.h; h += 1) {
            decodeBlock(reader, c, block, tmp, row + (mx * c.h + h) * 8, shift, max);
          }
        }
      }
    }
    if (reader.padding > 0 && reader.overrun()) {
      throw fail("entropy-coded data ends early (truncated or corrupt)");
    }
  }
  reader.reset();
  return reader.pos;
}

/**
 * Upsample (or copy) a component plane to the full image size. Linear interpolation
 * between sample centres, separable: a component sample i sits at image position
 * (i + 0.5) * hMax / h - 0.5 (and likewise vertically); positions outside the first and
 * last centres take the edge sample.
 * @param {FrameComponent} c
 * @param {Frame} frame
 * @returns {Float64Array|Uint16Array} width * height samples (float when interpolated)
 */
function upsample(c, frame) {
  const { width, height, hMax, vMax } = frame;
  const stride = c.stride;
  if (c.h === hMax && c.v === vMax) return c.plane;
  // Horizontal pass: rows of the component -> rows of full width.
  const rows = c.height;
  const wide = new Float64Array(width * rows);
  const xs = axisWeights(width, c.width, c.h / hMax);
  for (let y = 0; y < rows; y += 1) {
    const src = y * stride;
    const dst = y * width;
    for (let x = 0; x < width; x += 1) {
      const i0 = xs.index[x];
      const w = xs.weight[x];
      wide[dst + x] =
        w === 0 ? c.plane[src + i0] : c.plane[src + i0] * (1 - w) + c.plane[src + i0 + 1] * w;
    }
  }
  if (rows === height && c.v === vMax) return wide;
  // Vertical pass.
  const out = new Float64Array(width * height);
  const ys = axisWeights(height, rows, c.v / vMax);
  for (let y = 0; y < height; y += 1) {
    const i0 = ys.index[y];
    const w = ys.weight[y];
    const a = i0 * width;
    const dst = y * width;
    if (w === 0) {
      out.set(wide.subarray(a, a + width), dst);
    } else {
      const b = a + width;
      for (let x = 0; x < width; x += 1) out[dst + x] = wide[a + x] * (1 - w) + wide[b + x] * w;
    }
  }
  return out;
}

/**
 * For each output position along one axis: the component sample to its left (or above)
 * and the interpolation weight of the next one.
 * @param {number} outSize
 * @param {number} inSize
 * @param {number} ratio component samples per image sample (Hi / Hmax)
 * @returns {{index: Int32Array, weight: Float64Array}}
 */
function axisWeights(outSize, inSize, ratio) {
  const index = new Int32Array(outSize);
  const weight = new Float64Array(outSize);
  for (let x = 0; x < outSize; x += 1) {
    const pos = (x + 0.5) * ratio - 0.5;
    if (pos <= 0) {
      index[x] = 0;
    } else if (pos >= inSize - 1) {
      index[x] = inSize - 1;
    } else {
      const i = Math.floor(pos);
      index[x] = i;
      weight[x] = pos - i;
    }
  }
  return { index, weight };
}

/**
 * Decode a sequential-DCT, Huffman-coded JPEG stream (8- or 12-bit).
 * @param {Uint8Array} bytes the complete stream, SOI to EOI
 * @param {JpegOptions} [options]
 * @returns {DecodedJpeg}
 */
export function decodeJpeg(bytes, options = {}) {
  const colorTransform = options.colorTransform ?? null;
  const n = bytes.length;
  if (n < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8)
    throw fail("not a JPEG stream (no SOI marker)");

  /** @type {(HuffmanTable|undefined)[]} */
  const dcTables = [];
  /** @type {(HuffmanTable|undefined)[]} */
  const acTables = [];
  /** @type {(Float64Array|undefined)[]} */
  const quantTables = [];
  /** @type {Frame|null} */
  let frame = null;
  let restartInterval = 0;
  /** @type {number|null} */
  let adobeTransform = null;
  /** @type {string[]} */
  const warnings = [];
  let sawEoi = false;

  let pos = 2;
  while (pos < n) {
    if (bytes[pos] !== 0xff) {
      const at = nextMarker(bytes, pos);
      if (at < 0) break;
      warnings.push(`skipped ${at - pos} bytes of junk before a marker`);
      pos = at;
    }
    while (pos < n && bytes[pos] === 0xff) pos += 1; // fill bytes (B.1.1.2)
    if (pos >= n) break;
    const marker = bytes[pos];
    pos += 1;
    if (marker === 0xd9) {
      sawEoi = true;
      break;
    }
    if (marker === 0xd8) throw fail("a second SOI marker (nested or concatenated streams)");
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue; // stray RSTn, TEM: no length
    if (marker === 0x00) throw fail("corrupt marker structure (FF00 outside entropy-coded data)");
    if (pos + 2 > n) throw fail("truncated marker segment");
    const length = (bytes[pos] << 8) | bytes[pos + 1];
    if (length < 2 || pos + length > n)
      throw fail(`marker segment FF${hex(marker)} runs past the end of the data`);
    const start = pos + 2;
    const end = pos + length;
    pos = end;

    if (marker in UNSUPPORTED_SOF) {
      throw fail(
        `${UNSUPPORTED_SOF[marker]} is not supported; only sequential DCT with Huffman coding (SOF0, SOF1)`,
      );
    }
    switch (marker) {
      case 0xc0:
      case 0xc1:
        if (frame) throw fail("more than one frame header (SOF)");
        frame = readFrame(bytes, start, end, n, warnings);
        if (marker === 0xc0 && frame.precision !== 8)
          warnings.push(`baseline SOF0 with ${frame.precision}-bit samples`);
        break;
      case 0xc4:
        readHuffmanTables(bytes, start, end, dcTables, acTables);
        break;
      case 0xdb:
        readQuantTables(bytes, start, end, quantTables);
        break;
      case 0xdd:
        if (end - start < 2) throw fail("DRI segment too short");
        restartInterval = (bytes[start] << 8) | bytes[start + 1];
        break;
      case 0xda: {
        if (!frame) throw fail("scan (SOS) before the frame header (SOF)");
        const comps = readScan(bytes, start, end, frame, dcTables, acTables, quantTables, warnings);
        pos = decodeScan(bytes, end, frame, comps, restartInterval, warnings);
        for (const c of comps) c.coded = true;
        break;
      }
      case 0xdc:
        // DNL: only meaningful when the frame header gave 0 lines, which readFrame rejects.
        break;
      case 0xee:
        if (
          end - start >= 12 &&
          String.fromCharCode(...bytes.subarray(start, start + 5)) === "Adobe"
        ) {
          adobeTransform = bytes[start + 11];
        }
        break;
      default:
        // APPn, COM, JPG, JPGn and reserved segments: skipped.
        break;
    }
  }
  if (!frame) throw fail("no frame header (SOF) found");
  for (const c of frame.components) {
    if (!c.coded) throw fail(`component ${c.id} is in no scan (truncated or corrupt stream)`);
  }
  if (!sawEoi) warnings.push("no EOI marker at the end");

  const ncomp = frame.components.length;
  const convert = ncomp === 3 && (colorTransform === null ? adobeTransform === 1 : colorTransform);
  return {
    data: assemble(frame, convert),
    width: frame.width,
    height: frame.height,
    components: ncomp,
    bits: frame.precision,
    colorTransformed: convert,
    warnings,
  };
}

/**
 * @param {number} value
 * @returns {string}
 */
function hex(value) {
  return value.toString(16).toUpperCase().padStart(2, "0");
}

/**
 * Parse a frame header (B.2.2) and allocate the component planes.
 * @param {Uint8Array} bytes
 * @param {number} start
 * @param {number} end
 * @param {number} dataLength size of the whole stream, to bound the allocation
 * @param {string[]} warnings
 * @returns {Frame}
 */
function readFrame(bytes, start, end, dataLength, warnings) {
  if (end - start < 6) throw fail("frame header (SOF) too short");
  const precision = bytes[start];
  const height = (bytes[start + 1] << 8) | bytes[start + 2];
  const width = (bytes[start + 3] << 8) | bytes[start + 4];
  const count = bytes[start + 5];
  if (precision !== 8 && precision !== 12)
    throw fail(`${precision}-bit samples are not allowed in DCT-based JPEG`);
  if (height === 0) throw fail("height defined by a DNL marker is not supported");
  if (width === 0) throw fail("image width is 0");
  if (count < 1 || count > 4) throw fail(`${count} components (1 to 4 supported)`);
  if (end - start < 6 + 3 * count) throw fail("frame header (SOF) too short for its components");
  /** @type {{id: number, h: number, v: number, tq: number}[]} */
  const specs = [];
  for (let i = 0; i < count; i += 1) {
    const o = start + 6 + 3 * i;
    const h = bytes[o + 1] >> 4;
    const v = bytes[o + 1] & 15;
    const tq = bytes[o + 2];
    if (h < 1 || h > 4 || v < 1 || v > 4) throw fail(`invalid sampling factors ${h}x${v}`);
    if (tq > 3) throw fail(`invalid quantization table selector ${tq}`);
    if (specs.some((s) => s.id === bytes[o]))
      warnings.push(`duplicate component identifier ${bytes[o]}`);
    specs.push({ id: bytes[o], h, v, tq });
  }
  const hMax = Math.max(...specs.map((s) => s.h));
  const vMax = Math.max(...specs.map((s) => s.v));
  const mcusX = Math.ceil(width / (8 * hMax));
  const mcusY = Math.ceil(height / (8 * vMax));
  // Every coded block costs at least 2 bits (a DC code and an AC code), so a frame with
  // more blocks than 4 per byte of input cannot be genuine: refuse before allocating.
  let blocks = 0;
  for (const s of specs)
    blocks +=
      Math.ceil(Math.ceil((width * s.h) / hMax) / 8) *
      Math.ceil(Math.ceil((height * s.v) / vMax) / 8);
  if (blocks > 4 * dataLength)
    throw fail(
      `frame of ${width}x${height} is far larger than the data could encode (corrupt header)`,
    );
  const components = specs.map((s) => {
    const stride = mcusX * s.h * 8;
    const cw = Math.ceil((width * s.h) / hMax);
    const ch = Math.ceil((height * s.v) / vMax);
    return {
      ...s,
      width: cw,
      height: ch,
      blocksX: Math.ceil(cw / 8),
      blocksY: Math.ceil(ch / 8),
      stride,
      plane: new Uint16Array(stride * mcusY * s.v * 8),
      coded: false,
      pred: 0,
      dc: null,
      ac: null,
      quant: null,
    };
  });
  return { precision, width, height, components, hMax, vMax, mcusX, mcusY };
}

/**
 * Parse a DHT segment (B.2.4.2): one or more tables.
 * @param {Uint8Array} bytes
 * @param {number} start
 * @param {number} end
 * @param {(HuffmanTable|undefined)[]} dcTables
 * @param {(HuffmanTable|undefined)[]} acTables
 */
function readHuffmanTables(bytes, start, end, dcTables, acTables) {
  let p = start;
  while (p < end) {
    if (p + 17 > end) throw fail("DHT segment too short");
    const tc = bytes[p] >> 4;
    const th = bytes[p] & 15;
    if (tc > 1 || th > 3) throw fail(`invalid Huffman table class/destination ${tc}/${th}`);
    const counts = bytes.subarray(p + 1, p + 17);
    let total = 0;
    for (let i = 0; i < 16; i += 1) total += counts[i];
    if (total > 256 || p + 17 + total > end)
      throw fail("DHT segment too short for its code counts");
    const values = bytes.slice(p + 17, p + 17 + total);
    (tc === 0 ? dcTables : acTables)[th] = buildHuffman(counts, values);
    p += 17 + total;
  }
}

/**
 * Parse a DQT segment (B.2.4.1): one or more tables, 8- or 16-bit, zig-zag order.
 * @param {Uint8Array} bytes
 * @param {number} start
 * @param {number} end
 * @param {(Float64Array|undefined)[]} quantTables
 */
function readQuantTables(bytes, start, end, quantTables) {
  let p = start;
  while (p < end) {
    const pq = bytes[p] >> 4;
    const tq = bytes[p] & 15;
    if (pq > 1 || tq > 3)
      throw fail(`invalid quantization table precision/destination ${pq}/${tq}`);
    const size = pq === 0 ? 64 : 128;
    if (p + 1 + size > end) throw fail("DQT segment too short");
    const table = new Float64Array(64);
    for (let k = 0; k < 64; k += 1) {
      table[ZIGZAG[k]] =
        pq === 0 ? bytes[p + 1 + k] : (bytes[p + 1 + 2 * k] << 8) | bytes[p + 2 + 2 * k];
    }
    quantTables[tq] = table;
    p += 1 + size;
  }
}

/**
 * Parse a scan header (B.2.3) and bind each scan component to its tables.
 * @param {Uint8Array} bytes
 * @param {number} start
 * @param {number} end
 * @param {Frame} frame
 * @param {(HuffmanTable|undefined)[]} dcTables
 * @param {(HuffmanTable|undefined)[]} acTables
 * @param {(Float64Array|undefined)[]} quantTables
 * @param {string[]} warnings
 * @returns {FrameComponent[]}
 */
function readScan(bytes, start, end, frame, dcTables, acTables, quantTables, warnings) {
  const count = bytes[start];
  if (count < 1 || count > 4 || end - start !== 4 + 2 * count)
    throw fail("invalid scan header (SOS)");
  /** @type {FrameComponent[]} */
  const comps = [];
  let blocksPerMcu = 0;
  for (let i = 0; i < count; i += 1) {
    const id = bytes[start + 1 + 2 * i];
    const td = bytes[start + 2 + 2 * i] >> 4;
    const ta = bytes[start + 2 + 2 * i] & 15;
    const c = frame.components.find((x) => x.id === id && !comps.includes(x));
    if (!c) throw fail(`scan names component ${id}, which the frame does not have`);
    const dc = dcTables[td];
    const ac = acTables[ta];
    const quant = quantTables[c.tq];
    if (!dc || !ac)
      throw fail(`scan uses Huffman table DC ${td} / AC ${ta}, which was never defined`);
    if (!quant)
      throw fail(`component ${id} uses quantization table ${c.tq}, which was never defined`);
    c.dc = dc;
    c.ac = ac;
    c.quant = quant;
    comps.push(c);
    blocksPerMcu += c.h * c.v;
  }
  if (count > 1 && blocksPerMcu > 10)
    warnings.push(`${blocksPerMcu} blocks per MCU (T.81 allows at most 10)`);
  const ss = bytes[end - 3];
  const se = bytes[end - 2];
  const ahal = bytes[end - 1];
  if (ss !== 0 || se !== 63 || ahal !== 0) {
    // Sequential DCT always codes all 64 coefficients; libjpeg also carries on.
    warnings.push(
      `scan header has Ss=${ss}, Se=${se}, Ah/Al=${ahal >> 4}/${ahal & 15}; sequential DCT needs 0, 63, 0/0: ignored`,
    );
  }
  return comps;
}

/**
 * Upsample every component to full size, optionally convert YCbCr to RGB, and
 * interleave the samples.
 * @param {Frame} frame
 * @param {boolean} convert
 * @returns {Uint8Array|Uint16Array}
 */
function assemble(frame, convert) {
  const { width, height, precision } = frame;
  const ncomp = frame.components.length;
  const pixels = width * height;
  const out = precision <= 8 ? new Uint8Array(pixels * ncomp) : new Uint16Array(pixels * ncomp);
  const max = (1 << precision) - 1;
  const planes = frame.components.map((c) => upsample(c, frame));
  // A plane straight from the decoder keeps its padded stride; upsampled planes are width wide.
  const strides = frame.components.map((c, i) => (planes[i] === c.plane ? c.stride : width));

  if (convert) {
    // JFIF (ITU-T T.871) YCbCr -> RGB, centred on 2^(P-1).
    const centre = 1 << (precision - 1);
    const [py, pcb, pcr] = planes;
    const [sy, scb, scr] = strides;
    let o = 0;
    for (let y = 0; y < height; y += 1) {
      for (let x = 0; x < width; x += 1) {
        const Y = py[y * sy + x];
        const cb = pcb[y * scb + x] - centre;
        const cr = pcr[y * scr + x] - centre;
        const r = Math.floor(Y + 1.402 * cr + ROUND);
        const g = Math.floor(Y - 0.344136 * cb - 0.714136 * cr + ROUND);
        const b = Math.floor(Y + 1.772 * cb + ROUND);
        out[o] = r < 0 ? 0 : r > max ? max : r;
        out[o + 1] = g < 0 ? 0 : g > max ? max : g;
        out[o + 2] = b < 0 ? 0 : b > max ? max : b;
        o += 3;
      }
    }
    return out;
  }
  for (let i = 0; i < ncomp; i += 1) {
    const plane = planes[i];
    const stride = strides[i];
    const rounding = plane instanceof Float64Array;
    let o = i;
    for (let y = 0; y < height; y += 1) {
      const row = y * stride;
      if (rounding) {
        for (let x = 0; x < width; x += 1) {
          const s = Math.floor(plane[row + x] + ROUND);
          out[o] = s > max ? max : s;
          o += ncomp;
        }
      } else if (ncomp === 1) {
        out.set(plane.subarray(row, row + width), y * width);
      } else {
        for (let x = 0; x < width; x += 1) {
          out[o] = plane[row + x];
          o += ncomp;
        }
      }
    }
  }
  return out;
}
