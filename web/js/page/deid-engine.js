// De-identification in a second engine (issue 19 item 5): its own worker and Pyodide, made
// as the console's is (console-engine.js), started only when a preview or an export is
// asked for and ended when it is done. It opens what the viewer holds from the File
// objects the page keeps (open.js openHeldIn: the same batches, so the same series), and
// tells its progress after each file. The viewer's engine, catalog and panes are never
// touched: scrolling and window/level go on while it works. Cancel ends its worker: the
// ZIP, handed over whole at the end, is then never handed over, and the next request
// starts a new engine.
import { Client } from "../rpc/client.js";
import { app } from "./app.js";
import { openHeldIn } from "./open.js";

/** @typedef {import("../rpc/protocol.js").Methods} Methods */

/**
 * What the de-identification's engine is doing (window.lightbox.deidEngine()): "stopped",
 * "starting", "opening" or "working"; the files done of all (told by Python after each);
 * the wasm memory its Pyodide had grown to at the end of the last run, and how many
 * engines were started and ended.
 */
export const deidEngine = {
  state: "stopped",
  done: 0,
  total: 0,
  wasmHeap: 0,
  started: 0,
  ended: 0,
};

/** @type {{client: Client, cancel: () => void} | null} the engine at work */
let current = null;

/**
 * Run a de-identification request (deidPreview, deidExport) in a new engine, ended after.
 * `series` are the viewer's indices; they are matched by UID in that engine's catalog.
 * @template {"deidPreview" | "deidExport"} M
 * @param {M} method @param {Methods[M]["args"]} args
 * @param {(done: number, total: number) => void} told after each file
 * @returns {Promise<Methods[M]["result"]>}
 */
export async function inDeidEngine(method, args, told = () => {}) {
  if (current) throw new Error("A de-identification is running: wait for it, or Cancel it");
  const uids = args.series ? args.series.map((i) => app.catalog.series[i]?.uid) : null;
  let ended = false;
  const client = new Client({
    onProgress: (p) => {
      if (p.step !== "deid") return;
      deidEngine.done = p.index;
      deidEngine.total = p.total;
      told(p.index, p.total);
    },
  });
  /** @type {(error: Error) => void} */
  let stop = () => {};
  const stopped = new Promise((_resolve, reject) => (stop = reject));
  const end = () => {
    if (ended) return;
    ended = true;
    client.worker.terminate();
    deidEngine.ended += 1;
    deidEngine.state = "stopped";
    if (current?.client === client) current = null;
  };
  current = {
    client,
    cancel: () => {
      end();
      stop(new Error("Cancelled"));
    },
  };
  deidEngine.started += 1;
  Object.assign(deidEngine, { state: "starting", done: 0, total: 0 });
  const work = (async () => {
    await client.ready;
    deidEngine.state = "opening";
    const { catalog } = await openHeldIn((m, a, t) => client.call(m, a, t));
    const series = uids
      ? uids.map((uid) => catalog.series.findIndex((s) => s.uid === uid)).filter((i) => i >= 0)
      : null;
    deidEngine.state = "working";
    const result = await client.call(method, /** @type {any} */ ({ ...args, series }));
    deidEngine.wasmHeap = (await client.call("stats")).wasmHeap;
    return result;
  })();
  work.catch(() => {}); // a cancel is told through `stopped`
  try {
    return await Promise.race([work, stopped]);
  } finally {
    end();
  }
}

/** End the de-identification at work, if any (Cancel). */
export function cancelDeid() {
  current?.cancel();
}

/**
 * A client-like object whose de-identification calls go to the second engine (what
 * deid.js is given, through busy.js's progress).
 * @param {(done: number, total: number) => void} told
 * @returns {import("../rpc/client.js").Client}
 */
export function deidClient(told) {
  return /** @type {any} */ ({
    call: (/** @type {"deidPreview" | "deidExport"} */ method, /** @type {any} */ args) =>
      inDeidEngine(method, args, told),
  });
}
