// Browser codecs for the compressed transfer syntaxes, loaded only when a file needs one.
// Runs in the worker. Python's lightbox.pixels.codecs decides which codec serves a frame
// and calls decode() through the bridge; this file only loads and runs them.

/**
 * @typedef {{data: Uint8Array, width: number, height: number, components: number,
 *            bits: number, signed: boolean, interleaved: boolean, colorConverted: boolean}} Decoded
 * @typedef {{load: () => Promise<any>, decode: (codec: any, bytes: Uint8Array, colorTransform: boolean|null) => Decoded}} CodecSpec
 */

/** the build's codecs/ folder, beside js/ (this file is js/worker/codecs.js) */
const base = new URL("../../codecs/", import.meta.url);

/**
 * An Emscripten codec from npm: `new m.XDecoder()`, `getEncodedBuffer(n).set(bytes)`,
 * `decode()`, `getFrameInfo()`, `getDecodedBuffer()`, `delete()`.
 * @param {string} file module file in codecs/
 * @param {string} wasm its .wasm in codecs/
 * @returns {() => Promise<any>}
 */
function emscripten(file, wasm) {
  return async () => {
    const factory = (await import(new URL(file, base).href)).default;
    return factory({ locateFile: () => new URL(wasm, base).href });
  };
}

/**
 * @param {any} decoder an embind decoder instance
 * @param {Uint8Array} bytes
 * @param {(decoder: any) => Partial<Decoded>} extra
 * @returns {Decoded}
 */
function runEmscripten(decoder, bytes, extra = () => ({})) {
  try {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.decode();
    const info = decoder.getFrameInfo();
    const data = decoder.getDecodedBuffer().slice(); // copy out before delete()
    return {
      data,
      width: info.width,
      height: info.height,
      components: info.componentCount,
      bits: info.bitsPerSample,
      signed: Boolean(info.isSigned),
      interleaved: true,
      colorConverted: false,
      ...extra(decoder),
    };
  } finally {
    decoder.delete();
  }
}

/** @type {Record<string, CodecSpec>} */
const SPECS = {
  "libjpeg-turbo": {
    load: emscripten("libjpegturbowasm_decode.mjs", "libjpegturbowasm_decode.wasm"),
    decode: (m, bytes) =>
      runEmscripten(new m.JPEGDecoder(), bytes, (d) => ({
        colorConverted: d.getFrameInfo().componentCount === 3,
      })),
  },
  charls: {
    load: emscripten("charlswasm_decode.mjs", "charlswasm_decode.wasm"),
    // Interleave mode 0 (none) leaves the components in planes.
    decode: (m, bytes) =>
      runEmscripten(new m.JpegLSDecoder(), bytes, (d) => ({
        interleaved: d.getInterleaveMode() !== 0,
      })),
  },
  openjpeg: {
    load: emscripten("openjpegwasm_decode.mjs", "openjpegwasm_decode.wasm"),
    decode: (m, bytes) => runEmscripten(new m.J2KDecoder(), bytes),
  },
  openjph: {
    load: emscripten("openjphjs.mjs", "openjphjs.wasm"),
    decode: (m, bytes) => runEmscripten(new m.HTJ2KDecoder(), bytes),
  },
  "jpeg-lossless": {
    load: async () => import(new URL("lossless.mjs", base).href),
    decode: (m, bytes) => {
      const decoder = new m.Decoder();
      const out = decoder.decode(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return {
        data: new Uint8Array(out.buffer, out.byteOffset, out.byteLength).slice(),
        width: decoder.xDim,
        height: decoder.yDim,
        components: decoder.numComp,
        bits: decoder.precision,
        signed: false,
        interleaved: true,
        colorConverted: false,
      };
    },
  },
  // Our own sequential DCT decoder (web/js/worker/jpeg.js): 8- and 12-bit, colour transform under control.
  "jpeg-js": {
    load: async () => import("./jpeg.js"),
    decode: (m, bytes, colorTransform) => {
      const out = m.decodeJpeg(bytes, { colorTransform });
      return {
        data: new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength),
        width: out.width,
        height: out.height,
        components: out.components,
        bits: out.bits,
        signed: false,
        interleaved: true,
        colorConverted: out.colorTransformed,
      };
    },
  },
};

/** @type {Map<string, Promise<any>>} */
const loading = new Map();
/** @type {Map<string, any>} */
const loaded = new Map();

/** Names of every codec this build has. */
export const available = Object.keys(SPECS);

/**
 * Load codecs (once each). Each wasm codec reserves memory: start one only when needed.
 * @param {string[]} names
 */
export async function ensure(names) {
  await Promise.all(
    names.map((name) => {
      const spec = SPECS[name];
      if (!spec) return Promise.reject(new Error(`no codec named ${name}`));
      if (!loading.has(name)) {
        loading.set(
          name,
          spec.load().then((module) => loaded.set(name, module)),
        );
      }
      return loading.get(name);
    }),
  );
}

/**
 * Decode one encoded frame with a loaded codec (synchronous: Python calls it).
 * @param {string} name
 * @param {Uint8Array} bytes
 * @param {boolean|null|undefined} colorTransform
 * @returns {Decoded}
 */
export function decode(name, bytes, colorTransform) {
  const module = loaded.get(name);
  if (!module) throw new Error(`codec ${name} is not loaded`);
  return SPECS[name].decode(module, bytes, colorTransform ?? null);
}
