// A Promise API over the worker: one pending promise per request id.
import { toWorkerError } from "./protocol.js";

/** @typedef {import("./protocol.js").WorkerMessage} WorkerMessage */
/** @typedef {import("./protocol.js").Progress} Progress */

export class WorkerError extends Error {
  /** @param {import("./protocol.js").WorkerError} error */
  constructor(error) {
    super(error.message);
    this.name = error.name;
  }
}

const EVENTS = /** @type {const} */ (["message", "error", "messageerror"]);

/** @typedef {{worker: Worker, backlog: Event[], keep: (event: Event) => void}} Spawned */

/**
 * Create the worker. A worker loaded from its own URL obeys only its own response's
 * policy, which a static host may not send; one created from a blob: URL inherits this
 * page's Content-Security-Policy (CSP Level 3), so the page's policy covers the worker
 * too. Until a Client adopts it, everything it raises is kept, in order.
 * @returns {Spawned}
 */
function spawn() {
  const entry = new URL("./worker.js", import.meta.url).href;
  const source = new Blob([`import ${JSON.stringify(entry)};\n`], { type: "text/javascript" });
  const worker = new Worker(URL.createObjectURL(source), { type: "module" });
  /** @type {Event[]} */
  const backlog = [];
  /** @param {Event} event */
  const keep = (event) => {
    event.preventDefault(); // an error is reported when the Client adopts the worker
    backlog.push(event);
  };
  for (const type of EVENTS) worker.addEventListener(type, keep);
  return { worker, backlog, keep };
}

/** @type {Spawned | null} the worker started early, waiting for its Client */
let early = null;

/**
 * Start the worker now (index.html runs this before the page's own modules have loaded,
 * so Python boots while they do). The first Client adopts it.
 */
export function startWorker() {
  early ??= spawn();
}

export class Client {
  /**
   * @param {{onProgress?: (p: Progress) => void, onFatal?: (message: string) => void}} hooks
   */
  constructor(hooks = {}) {
    this.hooks = hooks;
    this.nextId = 1;
    /** @type {Map<number, {resolve: (v: any) => void, reject: (e: Error) => void}>} */
    this.pending = new Map();
    this.dead = false;
    /** @type {(v: number) => void} */
    let resolveReady = () => {};
    /** @type {(e: Error) => void} */
    let rejectReady = () => {};
    /** @type {Promise<number>} seconds the worker took to boot */
    this.ready = new Promise((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    this.resolveReady = resolveReady;
    this.rejectReady = rejectReady;
    const { worker, backlog, keep } = early ?? spawn();
    early = null;
    this.worker = worker;
    for (const type of EVENTS) worker.removeEventListener(type, keep);
    worker.onmessage = (event) => this.receive(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.die(event.message || "the worker failed to start");
    };
    worker.onmessageerror = () => this.die("a message from the worker could not be read");
    for (const event of backlog) {
      if (event instanceof MessageEvent && event.type === "message") this.receive(event.data);
      else if (event instanceof ErrorEvent) this.die(event.message || "the worker failed to start");
      else this.die("a message from the worker could not be read");
    }
  }

  /** @param {WorkerMessage} message */
  receive(message) {
    if (message.type === "progress") {
      this.hooks.onProgress?.(message);
    } else if (message.type === "ready") {
      this.resolveReady(message.seconds);
    } else if (message.type === "fatal") {
      this.die(message.error.message);
    } else if (message.type === "reply") {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new WorkerError(message.error));
    }
  }

  /** @param {string} reason */
  die(reason) {
    if (this.dead) return;
    this.dead = true;
    const error = new WorkerError({ name: "WorkerDied", message: reason });
    this.rejectReady(error);
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
    this.hooks.onFatal?.(reason);
  }

  /**
   * @param {string} method
   * @param {object} args
   * @param {Transferable[]} transfer
   * @returns {Promise<any>}
   */
  call(method, args = {}, transfer = []) {
    if (this.dead) return Promise.reject(new WorkerError({ name: "WorkerDied", message: "the viewer's engine has stopped" }));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.worker.postMessage({ id, method, args }, transfer);
      } catch (error) {
        this.pending.delete(id);
        reject(new WorkerError(toWorkerError(error)));
      }
    });
  }
}
