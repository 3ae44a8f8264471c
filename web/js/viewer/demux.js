// The video stream of a DICOM video object split into what a WebCodecs VideoDecoder takes:
// pure functions over bytes. PS3.5 8.2.8 puts H.264 and HEVC in an MPEG-2 Transport Stream
// or an MP4 file; older files hold the bare elementary stream (Annex B byte stream of
// ITU-T H.264). sniff() says which container the bytes are; demuxH264() returns the codec
// string, the MP4's avcC description (when there is one) and the access units in decoding
// order, each marked key when it holds an IDR picture. Transport stream packets are read
// for the video PID the PMT names (ISO/IEC 13818-1 2.4.3, 2.4.4); MP4 boxes for the first
// video track's sample table (ISO/IEC 14496-12 8.5-8.7, avcC of 14496-15 5.3.3.1).

/** @typedef {"mp4" | "ts" | "ps" | "annexb" | "mpeg2-es" | "unknown"} Container */
/** @typedef {{data: Uint8Array, key: boolean}} Unit */
/** @typedef {{codec: string, description: Uint8Array | null, units: Unit[]}} Demuxed */

const TS_PACKET = 188;

/** @param {Uint8Array} b @param {number} i */
const u32 = (b, i) => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
/** @param {Uint8Array} b @param {number} i */
const type4 = (b, i) => String.fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3]);

/**
 * Which container the stream bytes are, from their first bytes.
 * @param {Uint8Array} b
 * @returns {Container}
 */
export function sniff(b) {
  if (b.length >= 8 && ["ftyp", "moov", "mdat", "styp"].includes(type4(b, 4))) return "mp4";
  if (b[0] === 0x47 && (b.length < TS_PACKET + 1 || b[TS_PACKET] === 0x47)) return "ts";
  if (b[0] === 0 && b[1] === 0 && b[2] === 1 && b[3] === 0xba) return "ps";
  if (b[0] === 0 && b[1] === 0 && b[2] === 1 && b[3] === 0xb3) return "mpeg2-es";
  if (b[0] === 0 && b[1] === 0 && (b[2] === 1 || (b[2] === 0 && b[3] === 1))) return "annexb";
  return "unknown";
}

/** The file name extension a saved stream gets. @param {Container} container @param {string} codec */
export function extension(container, codec) {
  if (container === "mp4") return "mp4";
  if (container === "ts") return "ts";
  if (container === "ps") return "mpg";
  if (container === "mpeg2-es") return "m2v";
  if (container === "annexb") return codec === "hevc" ? "hevc" : "h264";
  return "bin";
}

/**
 * The NAL units of an Annex B byte stream (start codes 00 00 01 or 00 00 00 01 removed).
 * @param {Uint8Array} b
 * @returns {Uint8Array[]}
 */
export function nalUnits(b) {
  /** @type {number[]} */
  const starts = [];
  for (let i = 0; i + 2 < b.length; i += 1) {
    if (b[i + 2] > 1) i += 2;
    else if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 1) starts.push(i + 3);
  }
  return starts.map((start, n) => {
    let end = n + 1 < starts.length ? starts[n + 1] - 3 : b.length;
    while (end > start && b[end - 1] === 0) end -= 1; // the zero byte of a 4-byte start code
    return b.subarray(start, end);
  });
}

/**
 * H.264 NAL units grouped into access units (ITU-T H.264 7.4.1.2.3): a new one begins at
 * an access unit delimiter, or at SPS, PPS or SEI, or at a slice whose first_mb_in_slice is
 * 0 (its first bit is 1), once the current one holds a picture's slice.
 * @param {Uint8Array[]} nals
 * @returns {Unit[]} each unit's data is Annex B (start codes put back)
 */
export function accessUnits(nals) {
  /** @type {Unit[]} */
  const units = [];
  /** @type {Uint8Array[]} */
  let current = [];
  let hasSlice = false;
  let key = false;
  const close = () => {
    if (current.length && hasSlice) units.push({ data: annexB(current), key });
    current = [];
    hasSlice = false;
    key = false;
  };
  for (const nal of nals) {
    if (!nal.length) continue;
    const type = nal[0] & 0x1f;
    const slice = type === 1 || type === 5;
    const starts = type === 9 || type === 7 || type === 8 || type === 6 || (slice && nal[1] & 0x80);
    if (starts && hasSlice) close();
    current.push(nal);
    if (slice) hasSlice = true;
    if (type === 5) key = true;
  }
  close();
  return units;
}

/** @param {Uint8Array[]} nals */
function annexB(nals) {
  const out = new Uint8Array(nals.reduce((n, nal) => n + 4 + nal.length, 0));
  let at = 0;
  for (const nal of nals) {
    out.set([0, 0, 0, 1], at);
    out.set(nal, at + 4);
    at += 4 + nal.length;
  }
  return out;
}

/** "avc1.PPCCLL" from profile_idc, the constraint flags and level_idc (RFC 6381 3.3). @param {Uint8Array} three */
function avcCodec(three) {
  return "avc1." + [...three].map((v) => v.toString(16).padStart(2, "0")).join("");
}

/**
 * The video elementary stream of an MPEG-2 Transport Stream: the PES payloads of the PID the
 * PMT gives for the first video stream, joined (ISO/IEC 13818-1 2.4.3.2, 2.4.4.3, 2.4.4.8).
 * @param {Uint8Array} b
 * @returns {{streamType: number, data: Uint8Array}}
 */
export function tsElementaryStream(b) {
  let pmtPid = -1;
  let videoPid = -1;
  let streamType = 0;
  /** @type {Uint8Array[]} */
  const pieces = [];
  for (let at = 0; at + TS_PACKET <= b.length; at += TS_PACKET) {
    if (b[at] !== 0x47) throw new Error(`the transport stream loses sync at byte ${at}`);
    const start = (b[at + 1] & 0x40) !== 0;
    const pid = ((b[at + 1] & 0x1f) << 8) | b[at + 2];
    const control = (b[at + 3] >> 4) & 3;
    if (!(control & 1)) continue; // no payload
    let payload = at + 4 + (control & 2 ? 1 + b[at + 4] : 0);
    if (pid === 0 && start) {
      const section = payload + 1 + b[payload]; // pointer_field
      pmtPid = ((b[section + 10] & 0x1f) << 8) | b[section + 11]; // the first program
    } else if (pid === pmtPid && start && videoPid < 0) {
      const section = payload + 1 + b[payload];
      const length = ((b[section + 1] & 0x0f) << 8) | b[section + 2];
      const end = section + 3 + length - 4; // before the CRC
      let es = section + 12 + (((b[section + 10] & 0x0f) << 8) | b[section + 11]);
      while (es + 5 <= end) {
        const type = b[es];
        if ([0x01, 0x02, 0x1b, 0x24].includes(type)) {
          streamType = type;
          videoPid = ((b[es + 1] & 0x1f) << 8) | b[es + 2];
          break;
        }
        es += 5 + (((b[es + 3] & 0x0f) << 8) | b[es + 4]);
      }
    } else if (pid === videoPid) {
      if (start) payload += 9 + b[payload + 8]; // the PES header and its optional fields
      pieces.push(b.subarray(payload, at + TS_PACKET));
    }
  }
  if (videoPid < 0) throw new Error("the transport stream holds no video stream");
  const data = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const piece of pieces) {
    data.set(piece, at);
    at += piece.length;
  }
  return { streamType, data };
}

/**
 * The boxes of an MP4 between two offsets: [type, start of contents, end].
 * @param {Uint8Array} b @param {number} from @param {number} to
 * @returns {[string, number, number][]}
 */
function boxes(b, from, to) {
  /** @type {[string, number, number][]} */
  const found = [];
  let at = from;
  while (at + 8 <= to) {
    let size = u32(b, at);
    let header = 8;
    if (size === 1) {
      size = u32(b, at + 8) * 2 ** 32 + u32(b, at + 12);
      header = 16;
    } else if (size === 0) size = to - at;
    if (size < header || at + size > to) throw new Error(`the MP4 box at byte ${at} is cut short`);
    found.push([type4(b, at + 4), at + header, at + size]);
    at += size;
  }
  return found;
}

/** @param {Uint8Array} b @param {number} from @param {number} to @param {string[]} path */
function box(b, from, to, ...path) {
  let range = [from, to];
  for (const name of path) {
    const hit = boxes(b, range[0], range[1]).find(([type]) => type === name);
    if (!hit) return null;
    range = [hit[1], hit[2]];
  }
  return range;
}

/**
 * The first H.264 video track of an MP4 file: its avcC and its samples in decoding order.
 * @param {Uint8Array} b
 * @returns {Demuxed}
 */
export function mp4Track(b) {
  const moov = box(b, 0, b.length, "moov");
  if (!moov) throw new Error("the MP4 file has no movie box (moov)");
  for (const [type, start, end] of boxes(b, moov[0], moov[1])) {
    if (type !== "trak") continue;
    const stbl = box(b, start, end, "mdia", "minf", "stbl");
    const stsd = stbl && box(b, stbl[0], stbl[1], "stsd");
    if (!stbl || !stsd) continue;
    const entry = boxes(b, stsd[0] + 8, stsd[1])[0];
    if (!entry || !["avc1", "avc3"].includes(entry[0])) continue;
    const avcC = box(b, entry[1] + 78, entry[2], "avcC"); // after the visual sample entry
    if (!avcC) throw new Error("the MP4's H.264 track has no avcC box");
    const description = b.slice(avcC[0], avcC[1]);
    const units = samples(b, stbl).map(({ offset, size, key }) => ({
      data: b.subarray(offset, offset + size),
      key,
    }));
    return { codec: avcCodec(description.subarray(1, 4)), description, units };
  }
  throw new Error("the MP4 file has no H.264 video track (fragmented MP4 is not read)");
}

/**
 * Sample offsets, sizes and sync flags from stsz, stsc, stco/co64 and stss.
 * @param {Uint8Array} b @param {number[]} stbl
 */
function samples(b, stbl) {
  const find = (/** @type {string} */ name) => box(b, stbl[0], stbl[1], name);
  const stsz = find("stsz");
  const stsc = find("stsc");
  const stco = find("stco") ?? find("co64");
  if (!stsz || !stsc || !stco) throw new Error("the MP4's sample table is incomplete");
  const fixed = u32(b, stsz[0] + 4);
  const count = u32(b, stsz[0] + 8);
  const sizes = Array.from({ length: count }, (_, i) => fixed || u32(b, stsz[0] + 12 + 4 * i));
  const wide = type4(b, stco[0] - 4) === "co64";
  const chunks = u32(b, stco[0] + 4);
  const chunkOffset = (/** @type {number} */ i) =>
    wide
      ? u32(b, stco[0] + 8 + 8 * i) * 2 ** 32 + u32(b, stco[0] + 12 + 8 * i)
      : u32(b, stco[0] + 8 + 4 * i);
  const runs = Array.from({ length: u32(b, stsc[0] + 4) }, (_, i) => ({
    first: u32(b, stsc[0] + 8 + 12 * i) - 1,
    perChunk: u32(b, stsc[0] + 12 + 12 * i),
  }));
  const stss = find("stss");
  const sync = stss
    ? new Set(
        Array.from({ length: u32(b, stss[0] + 4) }, (_, i) => u32(b, stss[0] + 8 + 4 * i) - 1),
      )
    : null;
  const out = [];
  let sample = 0;
  for (let chunk = 0; chunk < chunks && sample < count; chunk += 1) {
    const run = runs.filter((r) => r.first <= chunk).at(-1);
    let offset = chunkOffset(chunk);
    for (let k = 0; k < (run?.perChunk ?? 1) && sample < count; k += 1) {
      out.push({ offset, size: sizes[sample], key: sync ? sync.has(sample) : true });
      offset += sizes[sample];
      sample += 1;
    }
  }
  return out;
}

/**
 * An H.264 stream (MP4, transport stream or Annex B elementary stream) as decoder input.
 * @param {Uint8Array} b
 * @returns {Demuxed}
 */
export function demuxH264(b) {
  const container = sniff(b);
  if (container === "mp4") return mp4Track(b);
  let es = b;
  if (container === "ts") {
    const found = tsElementaryStream(b);
    if (found.streamType !== 0x1b)
      throw new Error(
        `the transport stream's video is not H.264 (stream type ${found.streamType})`,
      );
    es = found.data;
  } else if (container !== "annexb") {
    throw new Error("the stream is neither MP4, an MPEG-2 transport stream nor H.264 (Annex B)");
  }
  const nals = nalUnits(es);
  const sps = nals.find((nal) => (nal[0] & 0x1f) === 7);
  if (!sps || sps.length < 4) throw new Error("the H.264 stream has no sequence parameter set");
  const units = accessUnits(nals);
  if (!units.length) throw new Error("the H.264 stream holds no picture");
  return { codec: avcCodec(sps.subarray(1, 4)), description: null, units };
}
