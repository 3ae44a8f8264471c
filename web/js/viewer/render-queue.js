// A viewport's render queue. Every change of what the viewport must show bumps a version;
// the latest version is rendered, one render in flight at most, so a burst of input costs
// one render per round trip to the worker and the latest state wins. A promise made at a
// version settles once that version (or a later one) is on screen.

/** @typedef {{version: number, resolve: () => void, reject: (e: Error) => void}} Waiter */

export class RenderQueue {
  /**
   * @param {() => Promise<boolean>} render draws the latest state: resolves true when the
   *   frame is final, false for a provisional one (a coarse preview, whose waiters wait for
   *   the refined frame that refine() asks for); rejects when the state cannot be shown,
   *   which rejects the waiters
   * @param {() => void} after called after every render, whatever its outcome
   */
  constructor(render, after) {
    this.render = render;
    this.after = after;
    this.version = 0;
    this.drawnVersion = 0;
    this.inFlight = false;
    this.scheduled = false;
    /** the frame on screen is provisional: its waiters are still waiting */
    this.provisional = false;
    /** @type {Waiter[]} */
    this.waiters = [];
  }

  /** What the viewport shows has changed: render it. Resolves once it is on screen. */
  changed() {
    this.version += 1;
    this.schedule();
    return this.drawn();
  }

  /** After a provisional frame: render the same state again, final this time. */
  refine() {
    if (!this.provisional || this.inFlight) return; // a render in flight ends in its own check
    this.version += 1;
    this.schedule();
  }

  /** @returns {Promise<void>} resolves once the latest state is on screen, final */
  drawn() {
    if (this.drawnVersion === this.version && !this.inFlight && !this.provisional) {
      return Promise.resolve();
    }
    const version = this.version;
    return new Promise((resolve, reject) =>
      this.waiters.push({ version, resolve: () => resolve(), reject }),
    );
  }

  /**
   * Render the latest state at the end of this task: changes made together (a select and
   * a window) make one request. No waiting for an animation frame: that would add up to a
   * display frame of latency to every scroll step.
   */
  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      void this.pump();
    });
  }

  /** @param {number} upTo @param {Error|null} error */
  settle(upTo, error) {
    const done = this.waiters.filter((w) => w.version <= upTo);
    this.waiters = this.waiters.filter((w) => w.version > upTo);
    for (const w of done) error ? w.reject(error) : w.resolve();
  }

  async pump() {
    if (this.inFlight || this.drawnVersion === this.version) return;
    this.inFlight = true;
    const target = this.version;
    try {
      this.provisional = !(await this.render());
      if (!this.provisional) this.settle(target, null);
    } catch (error) {
      this.provisional = false;
      this.settle(target, error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.drawnVersion = target;
      this.inFlight = false;
      if (this.drawnVersion !== this.version) this.schedule();
      this.after();
    }
  }
}
