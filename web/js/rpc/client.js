// A Promise API over the worker: one pending promise per request id.
import { toWorkerError, workerError } from "./protocol.js";
import { adoptWorker } from "./start.js";

/** @typedef {import("./protocol.js").WorkerMessage} WorkerMessage */
/** @typedef {import("./protocol.js").Progress} Progress */
/** @typedef {import("./protocol.js").Methods} Methods */

export class WorkerError extends Error {
  /** @param {import("./protocol.js").WorkerError} error */
  constructor(error) {
    super(error.message);
    this.name = error.name;
    /** the file the error is about, or null */
    this.file = error.file;
    /** what is wrong, in words */
    this.reason = error.reason;
  }
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
    const { worker, backlog } = adoptWorker();
    this.worker = worker;
    worker.onmessage = (event) => this.receive(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.die(event.message || "the worker failed to start");
    };
    worker.onmessageerror = () => this.die("a message from the worker could not be read");
    for (const event of backlog) {
      // A worker whose script fails to load raises a plain Event named "error".
      if (event.type === "message") this.receive(/** @type {MessageEvent} */ (event).data);
      else if (event.type === "error")
        this.die(/** @type {ErrorEvent} */ (event).message || "the worker failed to start");
      else this.die("a message from the worker could not be read");
    }
  }

  /** @param {WorkerMessage} message */
  receive(message) {
    if (message.type === "progress") {
      this.hooks.onProgress?.(message);
    } else if (message.type === "ready") {
      this.resolveReady(message.seconds);
    } else if (message.type === "alive") {
      this.watch(message.lock);
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

  /**
   * Learn of the worker's end. A worker that ends after it started (a crash, the browser
   * ending it, its own close()) raises no event here; but it holds a Web Lock while it
   * lives, and this request for the same lock is granted only once the worker has gone.
   * Without Web Locks (a page that is not a secure context) nothing watches.
   * @param {string} lock
   */
  watch(lock) {
    if (this.dead || typeof navigator === "undefined" || !navigator.locks) return;
    navigator.locks.request(lock, () => this.die("it ended unexpectedly")).catch(() => {}); // the page is going away
  }

  /** @param {string} reason */
  die(reason) {
    if (this.dead) return;
    this.dead = true;
    const error = new WorkerError(workerError("WorkerDied", null, reason));
    this.rejectReady(error);
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
    this.hooks.onFatal?.(reason);
  }

  /**
   * One request, typed by the contract (protocol.js Methods).
   * @template {keyof Methods} M
   * @param {M} method
   * @param {Methods[M]["args"]} [args]
   * @param {Transferable[]} [transfer]
   * @returns {Promise<Methods[M]["result"]>}
   */
  call(method, args = /** @type {Methods[M]["args"]} */ ({}), transfer = []) {
    if (this.dead)
      return Promise.reject(
        new WorkerError(workerError("WorkerDied", null, "the viewer's engine has stopped")),
      );
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
