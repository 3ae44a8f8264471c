// The worker: boots Pyodide, installs the site archive, runs lightbox.browser.bridge.
// It never touches the DOM. Every request gets exactly one reply.
// @ts-ignore -- served beside the app at run time; its types come from the npm package
import { loadPyodide as loadPyodideUntyped } from "../../pyodide/pyodide.mjs";
import * as codecs from "./codecs.js";
import { BOOT_STEPS, toWorkerError, workerError } from "../rpc/protocol.js";
import { trilinearPlane, windowedPlane } from "./kernels.js";
import { fetchPack, install } from "./sitepack.js";
import { fileSource } from "./filesource.js";
import * as slideTiles from "./slidetiles.js";
import * as icc from "./icc.js";

/** @typedef {import("../rpc/protocol.js").Request} Request */
/** @typedef {import("../rpc/protocol.js").Methods} Methods */
/** @type {typeof import("pyodide").loadPyodide} */
const loadPyodide = loadPyodideUntyped;

/**
 * A Web Lock held while this worker lives: the page asks for the same lock, which it is
 * granted only when the worker has ended, whatever ended it (rpc/client.js watch()). The
 * page is told its name once it is held, so the page never gets it first.
 */
if (self.navigator.locks) {
  const lock = `lightbox-engine-${crypto.randomUUID()}`;
  void self.navigator.locks.request(lock, () => {
    self.postMessage({ type: "alive", lock });
    return new Promise(() => {}); // never settles: released when the worker ends
  });
}

const started = performance.now();
const seconds = () => (performance.now() - started) / 1000;
/** the app's root: this file is js/worker/worker.js */
const base = new URL("../../", import.meta.url);

/** @param {string} step */
function progress(step) {
  const index = BOOT_STEPS.findIndex(([name]) => name === step);
  const label = index >= 0 ? BOOT_STEPS[index][1] : step;
  self.postMessage({
    type: "progress",
    step,
    label,
    index,
    total: BOOT_STEPS.length,
    seconds: seconds(),
  });
}

/**
 * De-identification's progress, told by Python after each file: a Progress notice whose
 * index is the files done (page/deid-engine.js shows "n of N").
 * @param {number} done @param {number} total
 */
function deidTold(done, total) {
  self.postMessage({
    type: "progress",
    step: "deid",
    label: "deid",
    index: done,
    total,
    seconds: seconds(),
  });
}

/**
 * Building a volume in steps (issue 18 item 8). Python cannot be interrupted from the page
 * without a SharedArrayBuffer, so a build runs a tenth of a second at a time and returns to
 * the event loop in between: a `cancelWork` request is heard there, and drops the build
 * (its array released). While a build is under way, every other request waits for it
 * (`building`), except `cancelWork` and `stats`; a request received before a cancel builds
 * nothing (the page gave up waiting for it).
 */
const BUILD_STEP_SECONDS = 0.1;
/** @type {Promise<void> | null} the build under way */
let building = null;
/** The highest request id received, and the highest one a cancel covers. */
let lastId = 0;
let cancelledThrough = 0;
/** The requests that do not wait for a build under way. */
const UNGATED = new Set(["cancelWork", "stats"]);

/**
 * Build the volume a request needs, in steps, telling the slices done as a Progress
 * notice (step "volume", index: slices done of total); resolves at once when the volume is
 * kept already (or the series is none: the request's own call says why).
 * @param {number} id the request's
 * @param {(seconds: number) => string} step the bridge's volume_step for its series
 */
async function buildVolume(id, step) {
  while (building) await building;
  /** @type {() => void} */
  let release = () => {};
  building = new Promise((resolve) => (release = () => resolve(undefined)));
  try {
    for (;;) {
      if (id <= cancelledThrough) {
        const error = new Error("the volume was not built");
        error.name = "Cancelled";
        throw error;
      }
      const { done, total, finished } = JSON.parse(step(BUILD_STEP_SECONDS));
      if (finished) return;
      self.postMessage({
        type: "progress",
        step: "volume",
        label: "volume",
        index: done,
        total,
        seconds: seconds(),
      });
      await new Promise((resolve) => setTimeout(resolve, 0)); // a cancelWork is heard here
    }
  } finally {
    building = null;
    release();
  }
}

/** @type {Record<string, number>} milliseconds each start-up step took (stats() reports them) */
const bootSteps = {};
let stepStarted = 0;
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
  const site = fetchPack(new URL("py/site.pack", base).href, "py/site.pack");
  site.catch(() => {}); // awaited below; a failure surfaces there, not as an unhandled rejection
  const pyodide = await loadPyodide({
    indexURL: new URL("pyodide/", base).href,
    // the standard library precompiled to .pyc at build time (tools/build.py): Pyodide's
    // own python_stdlib.zip is sources only, compiled at every start
    stdLibURL: new URL("py/python_stdlib.zip", base).href,
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
  pyodide.registerJsModule("lightbox_codecs", {
    available: codecs.available,
    decode: codecs.decode,
  });
  pyodide.registerJsModule("lightbox_kernels", {
    trilinear_plane: trilinearPlaneOf,
    windowed_plane: windowedPlaneOf,
  });
  const startup = pyodide.pyimport("lightbox.browser.startup");
  startup.prepare(); // defers what pydicom imports but the viewer never uses
  pyodide.pyimport("numpy").destroy();
  stepDone("import numpy");
  pyodide.pyimport("pydicom").destroy();
  stepDone("import pydicom");
  const bridge = pyodide.pyimport("lightbox.browser.bridge");
  startup.settle(); // the collector leaves what was imported alone from now on
  startup.destroy();
  stepDone("import lightbox");
  return { pyodide, bridge };
}

const booting = boot();
booting.then(
  () => self.postMessage({ type: "ready", seconds: seconds() }),
  (error) => self.postMessage({ type: "fatal", error: bootError(error) }),
);

/**
 * A failure before the bridge exists: a JS error, or a Python one whose traceback ends in
 * the line that says what happened (the only Python error read as text).
 * @param {unknown} error
 */
function bootError(error) {
  if (error instanceof Error && error.name === "PythonError") {
    const lines = error.message.trim().split("\n");
    return workerError("PythonError", null, lines[lines.length - 1]);
  }
  return toWorkerError(error);
}

/**
 * The error of a failed request: for Python's, the object the bridge kept.
 * @param {any} bridge @param {unknown} error
 */
function requestError(bridge, error) {
  if (error instanceof Error && error.name === "PythonError") {
    const { name, file, reason, said } = JSON.parse(bridge.last_error());
    return workerError(name, file, reason, said);
  }
  return toWorkerError(error);
}

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

/**
 * Draw an RGBA layer over an opaque image, in place (source-over, as the page's canvas
 * draws a layer over the frame): a blend converted through its profile under the masks.
 * @param {Uint8ClampedArray} under opaque RGBA, changed
 * @param {Uint8ClampedArray} layer RGBA of the same size
 */
function drawOver(under, layer) {
  for (let i = 0; i < under.length; i += 4) {
    const a = layer[i + 3] / 255;
    if (!a) continue;
    for (let c = 0; c < 3; c++) under[i + c] = layer[i + c] * a + under[i + c] * (1 - a);
  }
}

/** @type {Map<string, string>} a blending state's uid → its superimposed series' catalog uid */
const blendedSeries = new Map();

/** @type {Map<string, string>} a slide's routeKey → the ICC profile its tiles are shown through */
const slideProfiles = new Map();

/**
 * The bytes of a bridge function's (text, bytes) answer (an ICC profile's).
 * @param {any} pair
 */
function bytesOf(pair) {
  return new Uint8Array(takePair(pair, "u8")[1]);
}

/**
 * Python's oblique-plane sampling (lightbox.volume.sampling, installed by the bridge): the
 * kernel reads the volume and fills the plane through their buffers in wasm memory, no
 * copy either way; nothing allocates in between, so the views stay attached. The
 * proxies are Python's, borrowed for the call.
 * @param {any} data a PyProxy of the volume (z, y, x), C-contiguous
 * @param {any} out a PyProxy of a float32 (rows, columns) array
 * @param {number[]} numbers nx, ny, nz, start (3), along a row (3), down a column (3),
 *   rows, columns, fill
 */
function trilinearPlaneOf(data, out, ...numbers) {
  withPlane(data, out, "f32", (volume, plane) =>
    trilinearPlane(volume, ...planeArguments(numbers), plane),
  );
}

/**
 * Python's windowed plane (lightbox.volume.sampling.windowed_plane): as
 * {@link trilinearPlaneOf}, the samples through the linear window into `out`'s RGBA words.
 * @param {any} data a PyProxy of the volume (z, y, x), C-contiguous
 * @param {any} out a PyProxy of a uint32 (rows, columns) array
 * @param {any[]} numbers as {@link trilinearPlaneOf}'s, then center, width, invert
 */
function windowedPlaneOf(data, out, ...numbers) {
  const [center, width, invert] = numbers.slice(15);
  withPlane(data, out, "i32", (volume, plane) =>
    windowedPlane(volume, ...planeArguments(numbers), center, width, Boolean(invert), plane),
  );
}

/**
 * A kernel's plane from Python's flat numbers (nx, ny, nz, start, along a row, down a
 * column, rows, columns, fill): the arguments after the voxels.
 * @param {number[]} numbers
 * @returns {[number[], number[], number[], number[], number, number, number]}
 */
function planeArguments(numbers) {
  const [nx, ny, nz, x0, y0, z0, ax, ay, az, bx, by, bz, rows, columns, fill] = numbers;
  return [[nx, ny, nz], [x0, y0, z0], [ax, ay, az], [bx, by, bz], rows, columns, fill];
}

/**
 * Run `fill(volume, plane)` on the two arrays' buffers (the plane's read as `type`),
 * released afterwards whatever happens.
 * @param {any} data a PyProxy of the volume, C-contiguous
 * @param {any} out a PyProxy of the plane's array, C-contiguous
 * @param {string} type
 * @param {(volume: any, plane: any) => void} fill
 */
function withPlane(data, out, type, fill) {
  const volume = data.getBuffer();
  let plane;
  try {
    plane = out.getBuffer(type);
    if (!volume.c_contiguous || !plane.c_contiguous) throw new Error("not C-contiguous");
    fill(volume.data, plane.data);
  } finally {
    plane?.release();
    volume.release();
  }
}

/** @type {string[][]} the codecs each series needs, from the last catalog the worker sent */
let seriesCodecs = [];
/** @type {Map<string, string[]>} the same by Series Instance UID (a fusion names its series so) */
let codecsByUid = new Map();

/**
 * The codecs a series needs: sent with the catalog (decided once per file in Python), so
 * nothing is asked of Python before a render. A series index always comes from a catalog.
 * @param {number} series
 * @returns {string[]}
 */
function codecsOf(series) {
  return seriesCodecs[series] ?? [];
}

/**
 * The codecs a layer over `series` needs: the series' own and those of every series fused
 * over it (a PET's frames are decoded to draw it over the CT).
 * @param {number} series
 * @param {{uid: string}[]} settings
 * @returns {string[]}
 */
function layerCodecs(series, settings) {
  const fused = settings.flatMap((s) => codecsByUid.get(s.uid) ?? []);
  return [...new Set([...codecsOf(series), ...fused])];
}

/**
 * Keep what a catalog says each series needs, and pass it on.
 * @template {{series: {uid?: string, codecs?: string[], kind?: string, files?: string[]}[]}} T
 * @param {T} catalog
 * @returns {T}
 */
function kept(catalog) {
  seriesCodecs = catalog.series.map((s) => s.codecs ?? []);
  codecsByUid = new Map(catalog.series.map((s) => [s.uid ?? "", s.codecs ?? []]));
  slideTiles.forgetStale(catalog.series);
  return catalog;
}

/**
 * The one dispatch table: a handler per method of the contract (protocol.js Methods),
 * each returning its result and what to transfer.
 * @type {{[M in keyof Methods]: (bridge: any, args: Methods[M]["args"], id: number) =>
 *   [Methods[M]["result"], Transferable[]] | Promise<[Methods[M]["result"], Transferable[]]>}}
 */
export const methods = {
  open(bridge, { names, buffers }) {
    const given = buffers.map((b) => (b instanceof ArrayBuffer ? b : fileSource(b)));
    const catalog = kept(JSON.parse(bridge.open_files(names, given)));
    slideTiles.keepFiles(names, buffers, catalog.series);
    return [catalog, []];
  },
  slide(bridge, { series, path, plane }) {
    // Each level says who decodes its tiles; the worker keeps where the tiles lie for the
    // levels it decodes itself.
    /** @type {import("../rpc/protocol.js").SlideInfo} */
    const info = JSON.parse(bridge.slide(series, path, plane ?? 0));
    const [levels, ranges] = takePair(bridge.slide_routes(series, info.opticalPath), "u8");
    const key = slideTiles.routeKey(series, path);
    slideTiles.setRoutes(key, JSON.parse(levels), ranges, info, info.files);
    if (info.icc) slideProfiles.set(key, info.icc);
    else slideProfiles.delete(key);
    info.level.forEach((level, l) => {
      level.decoder = slideTiles.decodesHere(key, l) ? "browser" : "engine";
    });
    return [info, []];
  },
  async slideTile(bridge, { series, level, frame, path }, id) {
    // The page keeps a slide's pyramid across a close and reopen: ask its routes again.
    const key = slideTiles.routeKey(series, path);
    if (!slideTiles.hasRoutes(key)) methods.slide(bridge, { series, path }, id);
    if (slideTiles.decodesHere(key, level)) {
      // Python's tile when the browser's decoder refuses it: its error names the file.
      const made = await slideTiles.browserTile(key, level, frame).catch(() => null);
      const profile = slideProfiles.get(key);
      if (made && profile) {
        made.bitmap = await icc.bitmapToSRGB(profile, made.bitmap, () =>
          bytesOf(bridge.icc_profile(profile)),
        );
      }
      if (made) return [made, [made.bitmap]];
    }
    await codecs.ensure(codecsOf(series));
    const [text, pixels] = takePair(bridge.slide_tile(series, level, frame, path), "u8clamped");
    const info = { ...JSON.parse(text), decoder: /** @type {"engine"} */ ("engine") };
    const profile = slideProfiles.get(key);
    if (profile) {
      await icc.toSRGB(profile, new Uint8ClampedArray(pixels), () =>
        bytesOf(bridge.icc_profile(profile)),
      );
    }
    return [{ info, pixels }, [pixels]];
  },
  catalog(bridge) {
    return [kept(JSON.parse(bridge.catalog())), []];
  },
  document(bridge, { index }) {
    const [mime, bytes] = takePair(bridge.document(index), "u8");
    return [{ mime, bytes }, [bytes]];
  },
  deidPreview(bridge, { options, series }) {
    const text = bridge.deid_preview(JSON.stringify(options), JSON.stringify(series), deidTold);
    return [JSON.parse(text), []];
  },
  deidExport(bridge, { options, series }) {
    const [summary, zip] = takePair(
      bridge.deid_export(JSON.stringify(options), JSON.stringify(series), deidTold),
      "u8",
    );
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
  cancelWork(bridge) {
    // heard between two steps of a build: the requests so far build nothing more
    cancelledThrough = lastId;
    return [JSON.parse(bridge.volume_cancel()), []];
  },
  setCacheBudget(bridge, { bytes }) {
    return [JSON.parse(bridge.set_cache_budget(bytes)), []];
  },
  video(bridge, { series }) {
    const [info, stream] = takePair(bridge.video(series), "u8");
    return [{ info: JSON.parse(info), stream }, [stream]];
  },
  geometry(bridge, { series }) {
    return [JSON.parse(bridge.geometry(series)), []];
  },
  header(bridge, { series, frame, hide }) {
    return [JSON.parse(bridge.header(series, frame, Boolean(hide))), []];
  },
  async findText(bridge, { series, frame }) {
    await codecs.ensure(codecsOf(series));
    return [JSON.parse(bridge.find_text(series, frame)), []];
  },
  // With a view: on the reformatted view as drawn (issue 14), else on the acquired frame.
  async probe(bridge, { series, frame, x, y, view }) {
    await codecs.ensure(codecsOf(series));
    const found = view
      ? bridge.view_probe(series, JSON.stringify(view), x, y)
      : bridge.probe(series, frame, x, y);
    return [JSON.parse(found), []];
  },
  async region(bridge, { series, frame, kind, box, view }) {
    await codecs.ensure(codecsOf(series));
    const found = view
      ? bridge.view_region(series, JSON.stringify(view), kind, box)
      : bridge.region(series, frame, kind, box);
    return [JSON.parse(found), []];
  },
  async thumbnail(bridge, { series, size }) {
    await codecs.ensure(codecsOf(series));
    const [info, pixels] = takePair(bridge.thumbnail(series, size), "u8clamped");
    const parsed = JSON.parse(info);
    if (parsed.icc) {
      await icc.toSRGB(parsed.icc, new Uint8ClampedArray(pixels), () =>
        bytesOf(bridge.icc_profile(parsed.icc)),
      );
    }
    return [{ info: parsed, pixels }, [pixels]];
  },
  waveform(bridge, { series, group, width, height, start, pxPerMs, pxPerMv }) {
    const [info, points] = takePair(
      bridge.waveform(series, group, width, height, start, pxPerMs, pxPerMv),
      "u8",
    );
    return [{ info: JSON.parse(info), points }, [points]];
  },
  waveformAudio(bridge, { series, group }) {
    const [rate, samples] = takePair(bridge.waveform_audio(series, group), "u8");
    return [{ sampleRate: JSON.parse(rate), samples }, [samples]];
  },
  async segmentLayer(bridge, { series, frame, settings, presentation, blended, window, invert }) {
    // a blending state's superimposed series is decoded for the layer too
    const also = blended ? [{ uid: blended }] : [];
    await codecs.ensure(layerCodecs(series, [...settings, ...also]));
    const [info, pixels] = takePair(
      bridge.segment_layer(series, frame, JSON.stringify(settings), presentation ?? null),
      "u8clamped",
    );
    const parsed = JSON.parse(info);
    if (parsed.blendIcc && presentation) {
      // A blending state with an ICC Profile (PS3.4 N.2.4): the whole blend, opaque, is
      // converted through the profile as a colour frame is, and the layer drawn over it.
      const [, blend] = takePair(
        bridge.blend_frame(
          series,
          frame,
          presentation,
          window?.center ?? null,
          window?.width ?? null,
          Boolean(invert),
        ),
        "u8clamped",
      );
      const under = new Uint8ClampedArray(blend);
      await icc.toSRGB(parsed.blendIcc, under, () => bytesOf(bridge.icc_profile(parsed.blendIcc)));
      drawOver(under, new Uint8ClampedArray(pixels));
      return [{ info: parsed, pixels: blend }, [blend]];
    }
    return [{ info: parsed, pixels }, [pixels]];
  },
  annotationLayer(bridge, { series, frame, presentation }) {
    const [info, pixels] = takePair(
      bridge.annotation_layer(series, frame, presentation ?? null),
      "u8clamped",
    );
    return [{ info: JSON.parse(info), pixels }, [pixels]];
  },
  async planeLayer(bridge, { series, reslice, settings, presentation }) {
    // an applied blending state's superimposed series (as a render said it) is decoded too
    const blended = presentation ? blendedSeries.get(presentation) : undefined;
    await codecs.ensure(layerCodecs(series, [...settings, ...(blended ? [{ uid: blended }] : [])]));
    const [info, pixels] = takePair(
      bridge.plane_layer(
        series,
        JSON.stringify(reslice),
        JSON.stringify(settings),
        presentation ?? null,
      ),
      "u8clamped",
    );
    return [{ info: JSON.parse(info), pixels }, [pixels]];
  },
  async segmentStats(bridge, { series, uid }) {
    await codecs.ensure(codecsOf(series));
    return [JSON.parse(bridge.segment_stats(series, uid)), []];
  },
  async decodeTimes(bridge, { series, frame, runs }) {
    await codecs.ensure(codecsOf(series));
    return [JSON.parse(bridge.decode_times(series, frame, runs)), []];
  },
  closeAll(bridge) {
    slideTiles.forgetAll();
    slideProfiles.clear();
    blendedSeries.clear();
    icc.forgetAll();
    return [kept(JSON.parse(bridge.close_all())), []];
  },
  async render(
    bridge,
    { series, frame, center, width, invert, overlays, voi, step, presentation },
  ) {
    await codecs.ensure(codecsOf(series));
    const [info, pixels] = takePair(
      bridge.render(
        series,
        frame,
        center,
        width,
        invert,
        Boolean(overlays),
        voi ?? null,
        step ?? 1,
        presentation ?? null,
      ),
      "u8clamped",
    );
    const parsed = JSON.parse(info);
    if (parsed.icc) {
      await icc.toSRGB(parsed.icc, new Uint8ClampedArray(pixels), () =>
        bytesOf(bridge.icc_profile(parsed.icc)),
      );
    }
    const blend = parsed.presentation?.blend;
    if (blend?.series) blendedSeries.set(blend.uid, blend.series);
    return [{ info: parsed, pixels }, [pixels]];
  },
  async renderView(bridge, { series, view, center, width, invert, presentation }, id) {
    await codecs.ensure(codecsOf(series));
    await buildVolume(id, (s) => bridge.volume_step(series, view.phase ?? null, s));
    const [info, pixels] = takePair(
      bridge.render_view(series, JSON.stringify(view), center, width, invert, presentation ?? null),
      "u8clamped",
    );
    const parsed = JSON.parse(info);
    // a blending state over the series: its superimposed series is decoded for the layer
    if (parsed.blend?.series) blendedSeries.set(parsed.blend.uid, parsed.blend.series);
    return [{ info: parsed, pixels }, [pixels]];
  },
  async volumeData(bridge, { series, maxVoxels, maxDim }, id) {
    await codecs.ensure(codecsOf(series));
    await buildVolume(id, (s) => bridge.volume_step(series, null, s));
    const [info, voxels] = takePair(bridge.volume_data(series, maxVoxels, maxDim), "u8");
    return [{ ...JSON.parse(info), voxels }, [voxels]];
  },
  async segmentVolume(bridge, { series, uid, maxVoxels, maxDim }, id) {
    await codecs.ensure(codecsOf(series));
    await buildVolume(id, (s) => bridge.volume_step(series, null, s));
    const [info, labels] = takePair(bridge.segment_volume(series, uid, maxVoxels, maxDim), "u8");
    return [{ ...JSON.parse(info), labels }, [labels]];
  },
  async volumeInfo(bridge, { series, phase }, id) {
    await codecs.ensure(codecsOf(series));
    await buildVolume(id, (s) => bridge.volume_step(series, phase ?? null, s));
    return [JSON.parse(bridge.volume_info(series, phase ?? null)), []];
  },
  // The Python console (issue 21): consoleFiles in the viewer's engine; the rest in the
  // console's engine, a second instance of this worker (page/console.js).
  consoleFiles(bridge) {
    const [index, bytes] = takePair(bridge.console_files(), "u8");
    return [{ ...JSON.parse(index), bytes }, [bytes]];
  },
  async consoleRun(bridge, { code, context, typed }) {
    await codecs.ensure(context.codecs ?? []);
    const text = await bridge.console_run(code, JSON.stringify(context), Boolean(typed));
    const result = JSON.parse(text);
    /** @type {Transferable[]} */
    const transfer = [];
    result.effects = result.effects.map((/** @type {any} */ effect, /** @type {number} */ i) => {
      const [, bytes] = takePair(bridge.console_effect(i), "u8");
      transfer.push(bytes);
      return { ...effect, bytes };
    });
    return [result, transfer];
  },
  consoleComplete(bridge, { source }) {
    return [JSON.parse(bridge.console_complete(source)), []];
  },
  async consoleInterruptBuffer(_bridge, { buffer }) {
    const { pyodide } = await booting;
    pyodide.setInterruptBuffer(new Uint8Array(buffer)); // 2 written there: KeyboardInterrupt
    return [true, []];
  },
};

self.onmessage = async (/** @type {MessageEvent<Request>} */ event) => {
  const { id, method, args } = event.data;
  lastId = Math.max(lastId, id);
  /** @type {any} */
  let bridge = null;
  try {
    ({ bridge } = await booting);
    const handler = /** @type {(bridge: any, args: any, id: number) => any} */ (methods[method]);
    if (!handler) throw new Error(`unknown method ${method}`);
    if (!UNGATED.has(method)) while (building) await building;
    const [result, transfer] = await handler(bridge, args, id);
    self.postMessage({ type: "reply", id, ok: true, result }, { transfer });
  } catch (error) {
    const reply = bridge ? requestError(bridge, error) : toWorkerError(error);
    self.postMessage({ type: "reply", id, ok: false, error: reply });
    if (pythonStopped(error)) {
      // Python cannot run again in this worker (it exited, or its runtime failed): say so
      // and end, rather than answer every later request with an error.
      const why = workerError("PythonStopped", null, `Python stopped (${reply.message})`);
      self.postMessage({ type: "fatal", error: why });
      self.close();
    }
  }
};

/**
 * Whether an error means the Python runtime is gone: Pyodide marks the error of a fatal
 * failure or an exit (os._exit), and answers every later call with "Pyodide already…".
 * @param {unknown} error
 */
function pythonStopped(error) {
  if (!(error instanceof Error)) return false;
  if (/** @type {{pyodide_fatal_error?: boolean}} */ (error).pyodide_fatal_error) return true;
  return /^Pyodide already (exited|fatally failed)/.test(error.message);
}
