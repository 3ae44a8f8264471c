// A Promise API over the worker: one pending promise per request id.
import { toWorkerError, workerError } from "./protocol.js";
import { adoptWorker } from "./start.js";

/** @typedef {import("./protocol.js").WorkerMessage} WorkerMessage */
/** @typedef {import("./protocol.js").Progress} Progress */
/** @typedef {import("./protocol.js").Methods} Methods */

/** What a request to an engine that has stopped is told. */
const STOPPED = "the viewer's engine has stopped";

export class WorkerError extends Error {
  /** @param {import("./protocol.js").WorkerError} error */
  constructor(error) {
    super(error.message);
    this.name = error.name;
    /** the file the error is about, or null */
    this.file = error.file;
    /** what is wrong, in words */
    this.reason = error.reason;
    /** the reason with its catalog id, when the engine gave one (i18n.js `said`) */
    this.said = error.said ?? null;
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
    /** whether a worker of this client has been ready (a death after it may be revived) */
    this.started = false;
    /** @type {Promise<void> | null} while set, calls wait for it (a restart reopening) */
    this.gate = null;
    /** @type {Promise<number>} seconds the worker took to boot */
    this.ready = Promise.resolve(0);
    /** @type {(seconds: number) => void} */
    this.resolveReady = () => {};
    /** @type {(error: Error) => void} */
    this.rejectReady = () => {};
    /** @type {Worker} */
    this.worker = this.attach();
  }

  /**
   * Take a worker (the one started early, then a new one each time) and listen to it
   * alone: what a worker replaced by a restart still says is not heard.
   * @returns {Worker}
   */
  attach() {
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => {}); // a death is reported through onFatal
    const { worker, backlog } = adoptWorker();
    const current = () => this.worker === worker;
    /** @param {WorkerMessage} message */
    const receive = (message) => {
      if (current()) this.receive(message, worker);
    };
    /** @param {string} reason */
    const die = (reason) => {
      if (current()) this.die(reason);
    };
    worker.onmessage = (event) => receive(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      die(event.message || "the worker failed to start");
    };
    worker.onmessageerror = () => die("a message from the worker could not be read");
    this.worker = worker;
    // What it raised before it was adopted, after this call returns (a microtask: before
    // anything it raises next): a hook that names the client, run from its constructor,
    // would find it not yet made.
    queueMicrotask(() => {
      for (const event of backlog) {
        // A worker whose script fails to load raises a plain Event named "error".
        if (event.type === "message") receive(/** @type {MessageEvent} */ (event).data);
        else if (event.type === "error")
          die(/** @type {ErrorEvent} */ (event).message || "the worker failed to start");
        else die("a message from the worker could not be read");
      }
    });
    return worker;
  }

  /**
   * Start a new worker in place of one that died (issue 19 item 4). Calls made meanwhile
   * wait until `prepare` (given a call that does not wait) has put back what was open;
   * then they go to the new worker. Rejects when the new worker fails to start or dies
   * while preparing (the client is then dead, as after any death).
   * @param {(call: Client["call"]) => Promise<void>} prepare
   * @returns {Promise<void>}
   */
  async restart(prepare) {
    this.worker.terminate(); // it has ended already, or it cannot run Python any more
    this.dead = false;
    /** @type {() => void} */
    let release = () => {};
    const gate = new Promise((resolve) => (release = () => resolve(undefined)));
    this.gate = gate;
    try {
      this.attach();
      await this.ready;
      await prepare((method, args, transfer) => this.send(method, args, transfer));
      if (this.dead) throw new WorkerError(workerError("WorkerDied", null, "it stopped again"));
    } catch (error) {
      this.die(error instanceof Error ? error.message : String(error));
      this.worker.terminate(); // whatever failed, it is not used again
      // From now on what is asked fails at once, as after any death.
      this.ready = Promise.reject(new WorkerError(workerError("WorkerDied", null, STOPPED)));
      this.ready.catch(() => {});
      throw error;
    } finally {
      if (this.gate === gate) this.gate = null;
      release();
    }
  }

  /** @param {WorkerMessage} message @param {Worker} worker the worker that sent it */
  receive(message, worker) {
    if (message.type === "progress") {
      this.hooks.onProgress?.(message);
    } else if (message.type === "ready") {
      this.started = true;
      this.resolveReady(message.seconds);
    } else if (message.type === "alive") {
      this.watch(message.lock, worker);
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
   * @param {string} lock @param {Worker} worker the worker that holds it
   */
  watch(lock, worker) {
    if (this.dead || typeof navigator === "undefined" || !navigator.locks) return;
    navigator.locks
      .request(lock, () => {
        if (this.worker === worker) this.die("it ended unexpectedly");
      })
      .catch(() => {}); // the page is going away
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
    const gate = this.gate;
    if (gate) return gate.then(() => this.call(method, args, transfer));
    return this.send(method, args, transfer);
  }

  /**
   * A request sent now, past a restart's gate (Client.call).
   * @template {keyof Methods} M
   * @param {M} method
   * @param {Methods[M]["args"]} [args]
   * @param {Transferable[]} [transfer]
   * @returns {Promise<Methods[M]["result"]>}
   */
  send(method, args = /** @type {Methods[M]["args"]} */ ({}), transfer = []) {
    if (this.dead) return Promise.reject(new WorkerError(workerError("WorkerDied", null, STOPPED)));
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
