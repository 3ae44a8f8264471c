// The first script the page runs, with no imports of its own, so that it runs as soon as
// the page is parsed: the worker starts booting Python while the rest of the page's
// modules download and run. The Client (client.js) adopts it.

const EVENTS = /** @type {const} */ (["message", "error", "messageerror"]);

/** @typedef {{worker: Worker, backlog: Event[]}} Spawned */

/**
 * Create the worker. A worker loaded from its own URL obeys only its own response's
 * policy, which a static host may not send; one created from a blob: URL inherits this
 * page's Content-Security-Policy (CSP Level 3), so the page's policy covers the worker
 * too. Until it is adopted, everything it raises is kept, in order.
 * @returns {Spawned & {keep: (event: Event) => void}}
 */
function spawn() {
  const entry = new URL("../worker/worker.js", import.meta.url).href;
  const source = new Blob([`import ${JSON.stringify(entry)};\n`], { type: "text/javascript" });
  const worker = new Worker(URL.createObjectURL(source), { type: "module" });
  /** @type {Event[]} */
  const backlog = [];
  /** @param {Event} event */
  const keep = (event) => {
    event.preventDefault(); // an error is reported when the worker is adopted
    backlog.push(event);
  };
  for (const type of EVENTS) worker.addEventListener(type, keep);
  return { worker, backlog, keep };
}

/** the worker started when this module ran, until adopted */
let early = /** @type {(Spawned & {keep: (event: Event) => void}) | null} */ (spawn());

/**
 * The worker started early, with what it raised so far (once; later calls start a new
 * one). The caller sets its own handlers and then replays the backlog.
 * @returns {Spawned}
 */
export function adoptWorker() {
  const spawned = early ?? spawn();
  early = null;
  for (const type of EVENTS) spawned.worker.removeEventListener(type, spawned.keep);
  return { worker: spawned.worker, backlog: spawned.backlog };
}
