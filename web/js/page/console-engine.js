// The console's engine (issue 21): a second instance of the engine worker, with the same
// files as the viewer's (asked of the viewer's engine, consoleFiles, and opened again in
// this one). Whatever the console runs, the viewer's engine never runs it: a runaway loop
// or a MemoryError leaves the study open and the viewer scrolling. A run is stopped by
// Pyodide's interrupt buffer where the page is cross-origin isolated (the console keeps its
// variables), else by ending this worker and starting a new one (the variables are lost;
// the study, in the viewer's engine, is not).
import { Client } from "../rpc/client.js";
import { app } from "./app.js";
import { client as viewerEngine } from "./engine.js";
import { t } from "../i18n/i18n.js";

/** @typedef {import("../rpc/protocol.js").ConsoleContext} ConsoleContext */
/** @typedef {import("../rpc/protocol.js").ConsoleResult} ConsoleResult */

/** How long an interrupt through the buffer may take before the worker is ended (ms). */
const INTERRUPT_GRACE_MS = 3000;

/** @typedef {import("../i18n/i18n.js").Message} Message */

/** @type {(news: Message) => void} */
let say = () => {};

/** Where the engine's progress and restarts are told. @param {(news: Message) => void} fn */
export function onEngineNews(fn) {
  say = fn;
}

/**
 * @typedef {{client: Client, interrupt: Uint8Array | null, synced: string | null,
 *            ready: Promise<void>}} Engine
 */
/** @type {Engine | null} */
let engine = null;
/** @type {{done: Promise<unknown>, stop: (result: ConsoleResult) => void} | null} */
let running = null;

/** What the viewer has open, as a key: the console's engine reopens when it changes. */
function openKey() {
  const series = app.catalog.series.map((s) => `${s.uid}:${s.frames}`);
  return JSON.stringify([series, app.catalog.documents?.length ?? 0, app.opens]);
}

/** Whether runs can be stopped keeping the console's variables. */
export function interruptible() {
  return typeof SharedArrayBuffer !== "undefined" && self.crossOriginIsolated === true;
}

/** "stopped", "starting" or "ready". */
export function engineState() {
  return engine ? (engine.synced !== null ? "ready" : "starting") : "stopped";
}

/** Whether a run is in progress. */
export function isRunning() {
  return running !== null;
}

/** @returns {Engine} a new engine, booting */
function start() {
  say({ key: "console.starting" });
  const started = new Client({
    onProgress: (p) =>
      say({
        key: "console.boot",
        params: { step: t(`boot.${p.step}`), n: p.index + 1, total: p.total },
      }),
    onFatal: (reason) => {
      if (engine?.client !== started) return; // an engine ended on purpose
      engine = null;
      say({ key: "console.stopped", params: { reason } });
    },
  });
  /** @type {Engine} */
  const made = { client: started, interrupt: null, synced: null, ready: Promise.resolve() };
  made.ready = started.ready.then(async () => {
    if (interruptible()) {
      const buffer = new SharedArrayBuffer(1);
      await started.call("consoleInterruptBuffer", { buffer });
      made.interrupt = new Uint8Array(buffer);
    }
  });
  return made;
}

/** The engine, started and holding what the viewer has open. @returns {Promise<Engine>} */
async function ensure() {
  if (!engine) engine = start();
  const current = engine;
  await current.ready;
  const key = openKey();
  if (current.synced !== key) {
    await viewerEngine.ready;
    const { names, sizes, bytes } = await viewerEngine.call("consoleFiles");
    const buffers = [];
    let at = 0;
    for (const size of sizes) {
      buffers.push(bytes.slice(at, at + size));
      at += size;
    }
    await current.client.call("closeAll");
    if (names.length) await current.client.call("open", { names, buffers }, buffers);
    current.synced = key;
    say({ key: "console.ready", params: { count: names.length } });
  }
  return current;
}

/** Start the engine ahead of the first input (the panel opened). */
export function warmUp() {
  ensure().catch(() => {}); // a failure is told by the first run
}

/**
 * Run input in the console's engine.
 * @param {string} code @param {ConsoleContext} context @param {boolean} typed
 * @returns {Promise<ConsoleResult>}
 */
export async function runInEngine(code, context, typed) {
  if (running) throw new Error(t("console.busy"));
  /** @type {(result: ConsoleResult) => void} */
  let stop = () => {};
  const stopped = new Promise((resolve) => (stop = resolve));
  const work = (async () => {
    const current = await ensure();
    if (current.interrupt) current.interrupt[0] = 0;
    return current.client.call("consoleRun", { code, context, typed });
  })();
  const done = Promise.race([work, stopped]);
  running = { done, stop };
  try {
    return /** @type {ConsoleResult} */ (await done);
  } finally {
    running = null;
  }
}

/** Tab completion. @param {string} source */
export async function completeInEngine(source) {
  const current = await ensure();
  return current.client.call("consoleComplete", { source });
}

/**
 * Stop the run in progress: KeyboardInterrupt through the buffer, or (without one, or when
 * Python does not stop in time) end the engine and start it again.
 * @returns {Promise<"none"|"interrupted"|"restarted">}
 */
export async function interruptEngine() {
  const run = running;
  if (!run || !engine) return "none";
  const current = engine;
  if (current.interrupt) {
    current.interrupt[0] = 2; // SIGINT: Python raises KeyboardInterrupt at its next check
    const ended = await Promise.race([
      run.done.then(() => true),
      new Promise((resolve) => setTimeout(() => resolve(false), INTERRUPT_GRACE_MS)),
    ]);
    if (ended) return "interrupted";
  }
  engine = null;
  current.client.worker.terminate();
  run.stop({
    status: "complete",
    output: "",
    error:
      "KeyboardInterrupt: the console's engine was ended and is starting again; its " +
      "variables are lost, the study open in the viewer is not.\n",
    effects: [],
    view: null,
  });
  warmUp();
  return "restarted";
}
