// Slide tiles made without Python (issue 15 item 1): Python says once, per level, where
// each tile lies in its file (lightbox.session.slides.routes); this reads a tile's bytes
// from the dropped File (a slice, never the whole file) or from the buffer the file came
// in, and decodes it here, several at a time and never queued behind Python: baseline
// JPEG by the browser's own image decoder (createImageBitmap of the codestream: the
// fragments' values joined, PS3.5 A.4), native 8-bit RGB by copying it into RGBA.
// Python's tile stays the reference and the path for everything else.

/**
 * @typedef {{file: string, decoding: "jpeg" | "rgb", starts: Float64Array, ends: Float64Array}}
 *   Route
 * @typedef {{file: string, decoding: "jpeg" | "rgb", frames: number, at: number}} RouteJson
 * @typedef {{routes: (Route | null)[], names: string[],
 *            levels: import("../rpc/protocol.js").SlideLevel[]}} SlideRoutes
 */

const ITEM = 0xe000fffe; // (FFFE,E000) read as a little-endian uint32

/** @type {Map<string, Blob>} the bytes of the slide files, by name */
const files = new Map();
/** @type {Map<string, SlideRoutes>} by series index and optical path (routeKey), with the
 * files they were made for */
const bySeries = new Map();

/**
 * Keep the files of an open that a slide view may read (a File as it is; a buffer as a
 * Blob, which holds only its bytes, not a copy in Python's memory).
 * @param {string[]} names @param {(ArrayBuffer | Blob)[]} buffers
 * @param {{kind?: string, files?: string[]}[]} series the catalog after the open
 */
export function keepFiles(names, buffers, series) {
  const slideFiles = new Set(
    series.filter((s) => s.kind === "slide").flatMap((s) => s.files ?? []),
  );
  names.forEach((name, i) => {
    if (slideFiles.has(name)) files.set(name, new Blob([buffers[i]]));
  });
}

/**
 * Forget what no longer matches the catalog: routes of a series whose files changed,
 * files no slide lists.
 * @param {{kind?: string, files?: string[]}[]} series
 */
export function forgetStale(series) {
  for (const [key, kept] of bySeries) {
    const index = Number(key.split("|")[0]);
    const now = series[index]?.files ?? [];
    if (series[index]?.kind !== "slide" || now.join("\n") !== kept.names.join("\n"))
      bySeries.delete(key);
  }
  const listed = new Set(series.filter((s) => s.kind === "slide").flatMap((s) => s.files ?? []));
  for (const name of [...files.keys()]) if (!listed.has(name)) files.delete(name);
}

/**
 * @param {string} series its routeKey @param {(RouteJson | null)[]} levels as Python sent them
 * @param {ArrayBuffer} ranges the float64 starts and ends of their frames
 * @param {import("../rpc/protocol.js").SlideInfo} info the slide's levels
 * @param {string[]} names the series' files
 */
export function setRoutes(series, levels, ranges, info, names) {
  const all = new Float64Array(ranges);
  const routes = levels.map((r) =>
    r
      ? {
          file: r.file,
          decoding: r.decoding,
          starts: all.subarray(r.at, r.at + r.frames),
          ends: all.subarray(r.at + r.frames, r.at + 2 * r.frames),
        }
      : null,
  );
  bySeries.set(series, { routes, names, levels: info.level });
}

/**
 * The key of a series' routes for one optical path (the first when none is given).
 * @param {number} series @param {string} [path]
 */
export function routeKey(series, path) {
  return `${series}|${path ?? ""}`;
}

/** Whether the routes of `series` are known. @param {string} series its routeKey */
export function hasRoutes(series) {
  return bySeries.has(series);
}

/**
 * Whether level `level` of `series` is decoded here.
 * @param {string} series its routeKey @param {number} level
 */
export function decodesHere(series, level) {
  const route = bySeries.get(series)?.routes[level];
  return Boolean(route && files.has(route.file));
}

/**
 * The codestream of an encapsulated frame: its items' values joined.
 * @param {Uint8Array} span
 * @returns {Uint8Array[]}
 */
export function fragmentValues(span) {
  const view = new DataView(span.buffer, span.byteOffset, span.byteLength);
  /** @type {Uint8Array[]} */
  const parts = [];
  let at = 0;
  while (at + 8 <= span.byteLength) {
    const tag = view.getUint32(at, true);
    const length = view.getUint32(at + 4, true);
    if (tag !== ITEM || length === 0xffffffff) break;
    parts.push(span.subarray(at + 8, Math.min(span.byteLength, at + 8 + length)));
    at += 8 + length;
  }
  return parts;
}

/**
 * Frame `frame` of level `level` of a slide as an ImageBitmap of its pixels (RGB as
 * Python's tile, alpha 255) with its place, or null when it is not made here.
 * @param {string} series its routeKey @param {number} level @param {number} frame
 * @returns {Promise<{info: import("../rpc/protocol.js").SlideTileInfo, bitmap: ImageBitmap}
 *   | null>}
 */
export async function browserTile(series, level, frame) {
  const kept = bySeries.get(series);
  const route = kept?.routes[level];
  const file = route ? files.get(route.file) : undefined;
  const meta = kept?.levels[level];
  if (!route || !file || !meta || !(frame >= 0 && frame < route.starts.length)) return null;
  const began = performance.now();
  const bitmap = await decode(route, file, frame, meta.tileWidth, meta.tileHeight);
  if (!bitmap) return null;
  const ms = performance.now() - began;
  const across = Math.ceil(meta.width / meta.tileWidth);
  const tile = frame - (meta.frameOffset ?? 0);
  const [x, y] = meta.positions
    ? [meta.positions[2 * frame], meta.positions[2 * frame + 1]]
    : [(tile % across) * meta.tileWidth, Math.floor(tile / across) * meta.tileHeight];
  const info = {
    level,
    frame,
    x,
    y,
    width: bitmap.width,
    height: bitmap.height,
    file: route.file,
    decoder: /** @type {"browser"} */ ("browser"),
    ms,
  };
  return { info, bitmap };
}

/**
 * @param {Route} route @param {Blob} file @param {number} frame
 * @param {number} width @param {number} height the level's tile size (native tiles)
 * @returns {Promise<ImageBitmap | null>}
 */
async function decode(route, file, frame, width, height) {
  const start = route.starts[frame];
  const end = route.ends[frame];
  if (!(end > start)) return null;
  const span = new Uint8Array(await file.slice(start, end).arrayBuffer());
  const options = /** @type {ImageBitmapOptions} */ ({
    colorSpaceConversion: "none",
    premultiplyAlpha: "none",
  });
  if (route.decoding === "jpeg") {
    const blob = new Blob(fragmentValues(span), { type: "image/jpeg" });
    return createImageBitmap(blob, options);
  }
  if (span.byteLength < width * height * 3) return null; // a tile cut short: Python says why
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let p = 0, q = 0; p < width * height * 3; p += 3, q += 4) {
    rgba[q] = span[p];
    rgba[q + 1] = span[p + 1];
    rgba[q + 2] = span[p + 2];
    rgba[q + 3] = 255;
  }
  return createImageBitmap(new ImageData(rgba, width, height), options);
}

/** Forget every file and route (closeAll). */
export function forgetAll() {
  files.clear();
  bySeries.clear();
}
