// The worker: boots Pyodide, installs the site archive, runs lightbox.bridge.
// It never touches the DOM. Every request gets exactly one reply.
// @ts-ignore -- served beside the app at run time; its types come from the npm package
import { loadPyodide as loadPyodideUntyped } from "../pyodide/pyodide.mjs";
import * as codecs from "./codecs.js";
import { BOOT_STEPS, toWorkerError } from "./protocol.js";

/** @typedef {import("./protocol.js").Request} Request */
/** @type {typeof import("pyodide").loadPyodide} */
const loadPyodide = loadPyodideUntyped;

const started = performance.now();
const seconds = () => (performance.now() - started) / 1000;
const base = new URL("../", import.meta.url);

/** @param {string} step */
function progress(step) {
  const index = BOOT_STEPS.findIndex(([name]) => name === step);
  const label = index >= 0 ? BOOT_STEPS[index][1] : step;
  self.postMessage({ type: "progress", step, label, index, total: BOOT_STEPS.length, seconds: seconds() });
}

const PACK_MAGIC = "LBPK1\n";

/**
 * Fetch a file and undo its gzip (if it has one). On this thread, as the fallback.
 * @param {string} url
 * @returns {Promise<Uint8Array>}
 */
async function fetchGunzipHere(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// The same steps for a helper thread (a worker from a blob: URL inherits this one's policy).
const HELPER_SOURCE = `onmessage = async (event) => {
  try {
    const bytes = await (${fetchGunzipHere.toString()})(event.data);
    postMessage({ bytes }, [bytes.buffer]);
  } catch (error) {
    postMessage({ error: String(error && error.message || error) });
  }
};`;

/**
 * Fetch and decompress on a helper thread. This thread is busy starting the runtime for
 * seconds at a time, and the body of a fetch made here (then its decompression) is only
 * read when it is free: measured, the pack arrived 130-190 ms after the runtime. The
 * helper's one message is waiting when it is. Where a worker cannot start a worker, the
 * work is done here.
 * @param {string} url absolute
 * @returns {Promise<Uint8Array>}
 */
function fetchGunzip(url) {
  if (typeof Worker !== "function") return fetchGunzipHere(url);
  return new Promise((resolve, reject) => {
    const source = URL.createObjectURL(new Blob([HELPER_SOURCE], { type: "text/javascript" }));
    const helper = new Worker(source);
    const done = () => {
      helper.terminate();
      URL.revokeObjectURL(source);
    };
    helper.onmessage = (event) => {
      done();
      if (event.data.error !== undefined) reject(new Error(event.data.error));
      else resolve(event.data.bytes);
    };
    helper.onerror = (event) => {
      event.preventDefault();
      done();
      reject(new Error(event.message || "the download helper failed"));
    };
    helper.postMessage(url);
  });
}

/**
 * The site pack (tools/build.py write_pack): numpy, pydicom and lightbox, precompiled.
 * Fetched and decompressed while the runtime boots; a host that already undid the gzip
 * (Content-Encoding) hands over the plain pack, which is taken as it is.
 * @returns {Promise<{path: string, bytes: Uint8Array}[]>}
 */
async function fetchPack(/** @type {string} */ path) {
  let bytes;
  try {
    bytes = await fetchGunzip(new URL(path, base).href);
  } catch (error) {
    throw new Error(`${path}: ${error instanceof Error ? error.message : error}`);
  }
  const magic = new TextDecoder().decode(bytes.subarray(0, PACK_MAGIC.length));
  if (magic !== PACK_MAGIC) throw new Error(`${path}: not a Lightbox site pack`);
  const at = PACK_MAGIC.length;
  const size = new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0, true);
  /** @type {[string, number][]} */
  const index = JSON.parse(new TextDecoder().decode(bytes.subarray(at + 4, at + 4 + size)));
  let offset = at + 4 + size;
  return index.map(([name, length]) => {
    const entry = { path: name, bytes: bytes.subarray(offset, offset + length) };
    offset += length;
    return entry;
  });
}

/** Write the pack's files under site-packages (directories made once each). */
function install(/** @type {any} */ FS, /** @type {{path: string, bytes: Uint8Array}[]} */ files) {
  const root = "/lib/python3.12/site-packages/";
  const made = new Set();
  for (const { path, bytes } of files) {
    const dir = root + path.slice(0, path.lastIndexOf("/") + 1);
    if (!made.has(dir)) {
      FS.mkdirTree(dir);
      made.add(dir);
    }
    FS.writeFile(root + path, bytes);
  }
}

/** @type {Record<string, number>} milliseconds each start-up step took (stats() reports them) */
const bootSteps = {};
let stepStarted = performance.now();
/** @param {string} name */
function stepDone(name) {
  const now = performance.now();
  bootSteps[name] = now - stepStarted;
  stepStarted = now;
}

async function boot() {
  bootSteps["worker start (after its creation)"] = performance.now();
  stepStarted = performance.now();
  progress("runtime");
  // numpy, pydicom and lightbox in one precompiled pack, fetched and unpacked in parallel
  // with the runtime; numpy's extension modules are instantiated on first import, only
  // those needed (three of nineteen).
  const site = fetchPack("py/site.pack");
  site.catch(() => {}); // awaited below; a failure surfaces there, not as an unhandled rejection
  const pyodide = await loadPyodide({
    indexURL: new URL("pyodide/", base).href,
    stdout: (/** @type {string} */ text) => console.log(text),
    stderr: (/** @type {string} */ text) => console.warn(text),
  });
  stepDone("runtime (loadPyodide)");
  progress("packages");
  const files = await site;
  stepDone("site pack still downloading after the runtime");
  install(pyodide.FS, files);
  stepDone("install the site pack");
  progress("import");
  pyodide.registerJsModule("lightbox_codecs", { available: codecs.available, decode: codecs.decode });
  pyodide.pyimport("numpy").destroy();
  stepDone("import numpy");
  pyodide.pyimport("pydicom").destroy();
  stepDone("import pydicom");
  const bridge = pyodide.pyimport("lightbox.bridge");
  stepDone("import lightbox");
  return { pyodide, bridge };
}

const booting = boot();
booting.then(
  () => self.postMessage({ type: "ready", seconds: seconds() }),
  (error) => self.postMessage({ type: "fatal", error: toWorkerError(error) }),
);

/**
 * Unpack a Python (text, numpy array) pair: the text, and the array's bytes copied out
 * of wasm memory (which may grow and detach a view) into a transferable buffer.
 * Every proxy is released and destroyed here.
 * @param {any} pair a PyProxy of a Python tuple
 * @param {"u8" | "u8clamped"} type
 * @returns {[string, ArrayBuffer]}
 */
function takePair(pair, type) {
  let array;
  let view;
  try {
    const text = pair.get(0);
    array = pair.get(1);
    view = array.getBuffer(type);
    return [text, view.data.slice().buffer];
  } finally {
    view?.release();
    array?.destroy();
    pair.destroy();
  }
}

/** @type {Record<string, (bridge: any, args: any) => [any, Transferable[]] | Promise<[any, Transferable[]]>>} */
const methods = {
  open(bridge, { names, buffers }) {
    return [JSON.parse(bridge.open_files(names, buffers)), []];
  },
  catalog(bridge) {
    return [JSON.parse(bridge.catalog()), []];
  },
  document(bridge, { index }) {
    const [mime, bytes] = takePair(bridge.document(index), "u8");
    return [{ mime, bytes }, [bytes]];
  },
  deidPreview(bridge, { options, series }) {
    return [JSON.parse(bridge.deid_preview(JSON.stringify(options), JSON.stringify(series))), []];
  },
  deidExport(bridge, { options, series }) {
    const [summary, zip] = takePair(bridge.deid_export(JSON.stringify(options), JSON.stringify(series)), "u8");
    return [{ ...JSON.parse(summary), zip }, [zip]];
  },
  dicomdirFiles(bridge, { path, buffer }) {
    return [JSON.parse(bridge.dicomdir_files(path, buffer)), []];
  },
  async stats(bridge) {
    const { pyodide } = await booting;
    const heap = /** @type {any} */ (pyodide)._module.HEAP8.length; // the wasm memory Pyodide grew to
    return [{ wasmHeap: heap, bootSteps, ...JSON.parse(bridge.stats()) }, []];
  },
  geometry(bridge, { series }) {
    return [JSON.parse(bridge.geometry(series)), []];
  },
  header(bridge, { series, frame }) {
    return [JSON.parse(bridge.header(series, frame)), []];
  },
  async probe(bridge, { series, frame, x, y }) {
    await codecs.ensure(JSON.parse(bridge.codecs_for(series, frame)));
    return [JSON.parse(bridge.probe(series, frame, x, y)), []];
  },
  async region(bridge, { series, frame, kind, box }) {
    await codecs.ensure(JSON.parse(bridge.codecs_for(series, frame)));
    return [JSON.parse(bridge.region(series, frame, kind, box)), []];
  },
  async thumbnail(bridge, { series, size }) {
    await codecs.ensure(JSON.parse(bridge.codecs_for(series, -1)));
    const [info, pixels] = takePair(bridge.thumbnail(series, size), "u8clamped");
    return [{ info: JSON.parse(info), pixels }, [pixels]];
  },
  async decodeTimes(bridge, { series, frame, runs }) {
    await codecs.ensure(JSON.parse(bridge.codecs_for(series, frame)));
    return [JSON.parse(bridge.decode_times(series, frame, runs)), []];
  },
  closeAll(bridge) {
    return [JSON.parse(bridge.close_all()), []];
  },
  async render(bridge, { series, frame, center, width, invert, overlays, voi, step }) {
    await codecs.ensure(JSON.parse(bridge.codecs_for(series, frame)));
    const [info, pixels] = takePair(bridge.render(series, frame, center, width, invert, Boolean(overlays), voi ?? null, step ?? 1), "u8clamped");
    return [{ info: JSON.parse(info), pixels }, [pixels]];
  },
};

self.onmessage = async (/** @type {MessageEvent<Request>} */ event) => {
  const { id, method, args } = event.data;
  try {
    const { bridge } = await booting;
    const handler = methods[method];
    if (!handler) throw new Error(`unknown method ${method}`);
    const [result, transfer] = await handler(bridge, args);
    self.postMessage({ type: "reply", id, ok: true, result }, { transfer });
  } catch (error) {
    self.postMessage({ type: "reply", id, ok: false, error: toWorkerError(error) });
  }
};
