// Kiosk mode (`?kiosk`): patient information hidden, the demo study open, a gentle cine
// when nobody has touched the screen for a while, back to the demo after a longer while,
// and no way to navigate away. The timing decision is a pure function (idleAction),
// unit-tested in Node with fake clocks; the class only wires it to events and a timer.

/**
 * What the kiosk needs from the page (window.lightbox plus the cine controls).
 * setLayout and setTool are optional: when present, a reset also restores them.
 * @typedef {{openDemo: () => Promise<unknown>, closeAll: () => Promise<unknown>,
 *            select: (series: number, frame: number) => Promise<unknown>,
 *            state: () => Promise<{series: number, frame: number, frames: number}>,
 *            setHidePatient: (on: boolean) => unknown,
 *            startCine: () => unknown, stopCine: () => unknown,
 *            setLayout?: (layout: string) => unknown, setTool?: (tool: string) => unknown}} KioskApi
 * @typedef {{idleSeconds: number, resetSeconds: number, autoplay: boolean}} KioskOptions
 * @typedef {"none"|"play"|"reset"} IdleAction
 * @typedef {{target: EventTarget, body: {classList: {add: (c: string) => void, remove: (c: string) => void}} | null,
 *            now: () => number, setInterval: (f: () => void, ms: number) => any,
 *            clearInterval: (id: any) => void, onError: (error: unknown) => void,
 *            href: () => string}} KioskEnv
 */

export const DEFAULTS = Object.freeze({ idleSeconds: 120, resetSeconds: 300, autoplay: true });

/** Seconds accepted from the URL: 1 s (tests) up to a day. */
const MIN_SECONDS = 1;
const MAX_SECONDS = 86400;

/** How often the idle timer looks at the clock. */
export const TICK_MS = 1000;

/** Events that mean someone is using the kiosk. */
export const INPUT_EVENTS = /** @type {const} */ ([
  "pointerdown",
  "pointermove",
  "keydown",
  "wheel",
  "touchstart",
]);

/**
 * Options from the page's query string: `?kiosk&idle=60&reset=300&autoplay=0`.
 * A value that is not a whole number of seconds in [1, 86400] keeps its default.
 * @param {URLSearchParams} params
 * @returns {KioskOptions}
 */
export function kioskOptions(params) {
  /** @param {string} name @param {number} fallback */
  const seconds = (name, fallback) => {
    const text = params.get(name);
    if (text === null || !/^\d{1,5}$/.test(text)) return fallback;
    const value = Number(text);
    return value >= MIN_SECONDS && value <= MAX_SECONDS ? value : fallback;
  };
  const autoplay = params.get("autoplay");
  return {
    idleSeconds: seconds("idle", DEFAULTS.idleSeconds),
    resetSeconds: seconds("reset", DEFAULTS.resetSeconds),
    autoplay:
      autoplay === null ? DEFAULTS.autoplay : !["0", "false", "no", "off"].includes(autoplay),
  };
}

/**
 * What the idle timer should do now.
 * - "reset" once nobody has touched the kiosk for resetSeconds, unless it is pristine
 *   (nothing was touched since the last reset: the demo state is already showing);
 * - "play" once nobody has touched it for idleSeconds, when autoplay is on and the
 *   automatic cine is not already playing;
 * - "none" otherwise.
 * @param {number} now milliseconds (any clock; the same as lastInput's)
 * @param {number} lastInput milliseconds: the last input, or the last start/reset
 * @param {KioskOptions} options
 * @param {boolean} playing whether the automatic cine is playing
 * @param {boolean} [pristine] no input since the last start or reset
 * @returns {IdleAction}
 */
export function idleAction(now, lastInput, options, playing, pristine = false) {
  const idle = (now - lastInput) / 1000;
  if (!(idle >= 0)) return "none"; // a clock that went back, or NaN: wait
  if (!pristine && idle >= options.resetSeconds) return "reset";
  if (options.autoplay && !playing && idle >= options.idleSeconds) return "play";
  return "none";
}

/**
 * Whether following a link would leave the page. Only a link to this very document
 * (the same URL, whatever its fragment) stays; anything else (another path, query,
 * origin or scheme, blob: downloads and new tabs included) would navigate away.
 * @param {string} href the link's resolved URL
 * @param {string} current the page's URL
 */
export function leavesPage(href, current) {
  let to;
  let here;
  try {
    to = new URL(href, current);
    here = new URL(current);
  } catch {
    return true;
  }
  to.hash = "";
  here.hash = "";
  return to.href !== here.href;
}

/** Keys that navigate the browser's history. @param {{key: string, altKey: boolean}} event */
export function isHistoryKey(event) {
  return (
    event.key === "BrowserBack" ||
    event.key === "BrowserForward" ||
    (event.altKey && (event.key === "ArrowLeft" || event.key === "ArrowRight"))
  );
}

/** The browser's environment (Node's timers and an inert target when there is no window). @returns {KioskEnv} */
function defaultEnv() {
  const hasWindow = typeof window !== "undefined";
  return {
    target: hasWindow ? window : new EventTarget(),
    body: typeof document !== "undefined" ? document.body : null,
    now: () => performance.now(),
    setInterval: (f, ms) => setInterval(f, ms),
    clearInterval: (id) => clearInterval(id),
    onError: (error) => console.error("kiosk:", error),
    href: () => (hasWindow ? location.href : "about:blank"),
  };
}

export class Kiosk {
  /**
   * @param {KioskApi} api
   * @param {Partial<KioskOptions>} [options]
   * @param {Partial<KioskEnv>} [env] injected in tests; the browser's by default
   */
  constructor(api, options = {}, env = {}) {
    this.api = api;
    /** @type {KioskOptions} */
    this.options = { ...DEFAULTS, ...options };
    /** @type {KioskEnv} */
    this.env = { ...defaultEnv(), ...env };
    this.lastInput = this.env.now();
    this.pristine = true;
    this.playing = false;
    this.running = false;
    this.busy = false;
    /** @type {{series: number, frame: number}} the view a reset returns to */
    this.initial = { series: 0, frame: 0 };
    /** @type {any} */
    this.timer = null;
    /** @type {[string, (event: any) => void, AddEventListenerOptions][]} */
    this.listeners = [];
  }

  /**
   * Hide patient information, guard navigation, open the demo and start the idle timer.
   * Rejects when the demo cannot be opened; the kiosk keeps running and tries again
   * at the next reset.
   */
  async start() {
    if (this.running) return;
    this.running = true;
    this.env.body?.classList.add("kiosk");
    this.listen();
    this.timer = this.env.setInterval(() => void this.tick(), TICK_MS);
    this.api.setHidePatient(true);
    this.busy = true;
    try {
      await this.api.openDemo();
      const state = await this.api.state();
      this.initial = { series: Math.max(state.series, 0), frame: Math.max(state.frame, 0) };
      this.pristine = true;
    } catch (error) {
      this.pristine = false; // not the demo state: the reset timer will try again
      throw error;
    } finally {
      this.lastInput = this.env.now();
      this.busy = false;
    }
  }

  stop() {
    if (!this.running) return;
    this.running = false;
    if (this.timer !== null) this.env.clearInterval(this.timer);
    this.timer = null;
    for (const [type, handler, options] of this.listeners)
      this.env.target.removeEventListener(type, handler, options);
    this.listeners = [];
    this.stopPlaying();
    this.env.body?.classList.remove("kiosk");
  }

  /** One look at the clock: play, reset or nothing. */
  async tick() {
    if (!this.running || this.busy) return;
    const action = idleAction(
      this.env.now(),
      this.lastInput,
      this.options,
      this.playing,
      this.pristine,
    );
    if (action === "none") return;
    this.busy = true;
    try {
      if (action === "play") await this.play();
      else await this.reset();
    } catch (error) {
      this.env.onError(error);
    } finally {
      this.busy = false;
    }
  }

  /** Start the automatic cine on the active pane, when it has frames to play. */
  async play() {
    const state = await this.api.state();
    this.playing = true; // also when there is nothing to play: do not ask again every tick
    if (state.frames > 1) this.api.startCine();
  }

  /** Back to the demo as it was at start. A failure is retried after another resetSeconds. */
  async reset() {
    this.stopPlaying();
    try {
      await this.api.closeAll();
      this.api.setLayout?.("1x1");
      this.api.setTool?.("scroll");
      this.api.setHidePatient(true);
      await this.api.openDemo();
      await this.api.select(this.initial.series, this.initial.frame);
      this.pristine = true;
    } finally {
      this.lastInput = this.env.now();
    }
  }

  stopPlaying() {
    if (!this.playing) return;
    this.playing = false;
    this.api.stopCine();
  }

  /** Someone is here: restart the idle clock and stop the automatic cine. */
  input() {
    this.lastInput = this.env.now();
    this.pristine = false;
    this.stopPlaying();
  }

  listen() {
    const capture = { capture: true, passive: true };
    const active = { capture: true, passive: false };
    for (const type of INPUT_EVENTS) this.on(type, () => this.input(), capture);
    // Links and forms: only links to this very page, in this window, may be followed
    // (so downloads and documents opened in a new tab are blocked too).
    /** @param {Event} event */
    const guardLink = (event) => {
      const link = anchorIn(event);
      if (
        link &&
        (leavesPage(link.href, this.env.href()) || !["", "_self"].includes(link.target ?? ""))
      )
        event.preventDefault();
    };
    this.on("click", guardLink, active);
    this.on("auxclick", guardLink, active);
    this.on("submit", (event) => event.preventDefault(), active);
    // Dragging a link or an image out of the page could carry it into another program.
    this.on(
      "dragstart",
      (event) => {
        if (anchorIn(event) || isImage(event.target)) event.preventDefault();
      },
      active,
    );
    // Whatever is dropped (a link, text, a file) must not make the browser navigate to it.
    // The page's own drop handler still runs and opens dropped files.
    this.on("dragover", (event) => event.preventDefault(), active);
    this.on("drop", (event) => event.preventDefault(), active);
    this.on("contextmenu", (event) => event.preventDefault(), active);
    this.on(
      "keydown",
      (event) => {
        if (isHistoryKey(event)) event.preventDefault();
      },
      active,
    );
  }

  /** @param {string} type @param {(event: any) => void} handler @param {AddEventListenerOptions} options */
  on(type, handler, options) {
    this.env.target.addEventListener(type, handler, options);
    this.listeners.push([type, handler, options]);
  }
}

/** The link an event happened in, if any. @param {Event} event @returns {{href: string, target?: string} | null} */
function anchorIn(event) {
  const path = typeof event.composedPath === "function" ? event.composedPath() : [event.target];
  for (const node of path) {
    const element = /** @type {any} */ (node);
    if (
      element &&
      typeof element.href === "string" &&
      typeof element.tagName === "string" &&
      /^(a|area)$/i.test(element.tagName)
    )
      return element;
  }
  return null;
}

/** @param {EventTarget | null} target */
function isImage(target) {
  const element = /** @type {any} */ (target);
  return Boolean(
    element && typeof element.tagName === "string" && element.tagName.toUpperCase() === "IMG",
  );
}
