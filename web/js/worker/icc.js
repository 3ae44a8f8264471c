// Colour management (issue 16): a colour frame whose image, optical path or applied colour
// presentation state carries an ICC profile (PS3.3 C.11.15) is shown converted from that
// profile's colour space to sRGB, the canvas's. The conversion is the browser's own colour
// engine's, asked once per profile: a grid of GRID³ colours is written as a PNG with the
// profile in its iCCP chunk and decoded with colour space conversion (createImageBitmap),
// which gives each grid colour in sRGB; each pixel of a frame is then interpolated between
// the eight grid colours around it (trilinear, as colour engines do between the points of a
// colour lookup table). Runs in the worker; no DOM.

/** Grid points per channel: 0, 255/32, ..., 255. */
export const GRID = 33;

/** @type {Map<string, Promise<Uint8ClampedArray>>} profile key → its grid in sRGB (RGBA) */
const grids = new Map();

/**
 * Convert `pixels` (RGBA, alpha ignored) in place from the profile's colour space to sRGB.
 * @param {string} key the profile's key (Python's info.icc)
 * @param {Uint8ClampedArray} pixels
 * @param {() => Uint8Array} profile its bytes, asked for the first time a key is seen
 */
export async function toSRGB(key, pixels, profile) {
  let grid = grids.get(key);
  if (!grid) {
    grid = sRGBGrid(profile());
    grids.set(key, grid);
    grid.catch(() => grids.delete(key)); // a failure is not kept: the next frame asks again
  }
  interpolate(await grid, pixels);
}

/**
 * An ImageBitmap (a slide tile the browser decoded, its values as stored) converted to
 * sRGB; the one given is closed.
 * @param {string} key @param {ImageBitmap} bitmap @param {() => Uint8Array} profile
 * @returns {Promise<ImageBitmap>}
 */
export async function bitmapToSRGB(key, bitmap, profile) {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = /** @type {OffscreenCanvasRenderingContext2D} */ (
    canvas.getContext("2d", { willReadFrequently: true })
  );
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const image = context.getImageData(0, 0, canvas.width, canvas.height);
  await toSRGB(key, image.data, profile);
  return createImageBitmap(image);
}

/** Forget the profiles' grids (the files were closed). */
export function forgetAll() {
  grids.clear();
}

/**
 * The grid's colours as the browser shows them from the profile: RGBA, point (r, g, b) at
 * index ((b × GRID + g) × GRID + r).
 * @param {Uint8Array} profile
 * @returns {Promise<Uint8ClampedArray>}
 */
export async function sRGBGrid(profile) {
  const width = GRID * GRID;
  const height = GRID;
  const rgba = new Uint8Array(width * height * 4);
  for (let b = 0, i = 0; b < GRID; b++) {
    for (let g = 0; g < GRID; g++) {
      for (let r = 0; r < GRID; r++, i += 4) {
        rgba[i] = level(r);
        rgba[i + 1] = level(g);
        rgba[i + 2] = level(b);
        rgba[i + 3] = 255;
      }
    }
  }
  const png = await pngWithProfile(rgba, width, height, profile);
  const bitmap = await createImageBitmap(new Blob([png], { type: "image/png" }), {
    colorSpaceConversion: "default",
    premultiplyAlpha: "none",
  });
  try {
    const canvas = new OffscreenCanvas(width, height);
    const context = /** @type {OffscreenCanvasRenderingContext2D} */ (
      canvas.getContext("2d", { colorSpace: "srgb", willReadFrequently: true })
    );
    context.drawImage(bitmap, 0, 0);
    return context.getImageData(0, 0, width, height).data;
  } finally {
    bitmap.close();
  }
}

/** The 8-bit value of grid point `i`. @param {number} i */
function level(i) {
  return Math.round((i * 255) / (GRID - 1));
}

/** For each 8-bit value: its grid cell's lower point and its weight towards the next. */
const CELL = new Uint8Array(256);
const WEIGHT = new Float32Array(256);
for (let v = 0; v < 256; v++) {
  const at = (v * (GRID - 1)) / 255;
  CELL[v] = Math.min(GRID - 2, Math.floor(at));
  WEIGHT[v] = at - CELL[v];
}

/**
 * Each pixel's colour from the grid, trilinear between its cell's eight corners.
 * @param {Uint8ClampedArray} grid RGBA, see {@link sRGBGrid}
 * @param {Uint8ClampedArray} pixels RGBA, converted in place
 */
export function interpolate(grid, pixels) {
  const dg = GRID * 4;
  const db = GRID * GRID * 4;
  for (let p = 0; p < pixels.length; p += 4) {
    const r = pixels[p];
    const g = pixels[p + 1];
    const b = pixels[p + 2];
    const fr = WEIGHT[r];
    const fg = WEIGHT[g];
    const fb = WEIGHT[b];
    const base = CELL[b] * db + CELL[g] * dg + CELL[r] * 4;
    for (let c = 0; c < 3; c++) {
      const o = base + c;
      const c00 = grid[o] + (grid[o + 4] - grid[o]) * fr;
      const c10 = grid[o + dg] + (grid[o + dg + 4] - grid[o + dg]) * fr;
      const c01 = grid[o + db] + (grid[o + db + 4] - grid[o + db]) * fr;
      const c11 = grid[o + db + dg] + (grid[o + db + dg + 4] - grid[o + db + dg]) * fr;
      const c0 = c00 + (c10 - c00) * fg;
      const c1 = c01 + (c11 - c01) * fg;
      pixels[p + c] = c0 + (c1 - c0) * fb + 0.5; // clamped and truncated: rounded
    }
  }
}

/**
 * A PNG of 8-bit RGBA with an ICC profile (PNG 11.3.3.3 iCCP; chunks of IHDR, iCCP, IDAT,
 * IEND, each with its CRC-32; zlib streams from the browser's CompressionStream).
 * @param {Uint8Array} rgba @param {number} width @param {number} height
 * @param {Uint8Array} profile
 * @returns {Promise<Uint8Array>}
 */
export async function pngWithProfile(rgba, width, height, profile) {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, no filter method, no interlace
  const rows = new Uint8Array((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    // each row's filter byte is 0 (None), then its pixels
    rows.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (width * 4 + 1) + 1);
  }
  const name = new TextEncoder().encode("DICOM ICC Profile");
  const icc = concat([name, new Uint8Array([0, 0]), await zlib(profile)]);
  return concat([
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("iCCP", icc),
    chunk("IDAT", await zlib(rows)),
    chunk("IEND", new Uint8Array(0)),
  ]);
}

/** @param {Uint8Array} data @returns {Promise<Uint8Array>} a zlib stream (RFC 1950) */
async function zlib(data) {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** @param {string} type @param {Uint8Array} data */
function chunk(type, data) {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** CRC-32 (ISO 3309, as PNG 5.5 gives it), table-driven. */
const CRC_TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC_TABLE[n] = c >>> 0;
}

/** @param {Uint8Array} bytes */
function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** @param {Uint8Array[]} parts */
function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
