// Kiosk mode with fake clocks and a fake page: options from the URL, the idle decision,
// the navigation guards, and scripts/kiosk.sh's dry run (no server, no browser).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import {
  DEFAULTS,
  INPUT_EVENTS,
  Kiosk,
  idleAction,
  isHistoryKey,
  kioskOptions,
  leavesPage,
} from "../../web/js/kiosk/kiosk.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const S = 1000; // milliseconds in a second

// -- kioskOptions ----------------------------------------------------------------------------

test("options come from the query string, with defaults", () => {
  assert.deepEqual(kioskOptions(new URLSearchParams("kiosk")), {
    idleSeconds: 120,
    resetSeconds: 300,
    autoplay: true,
  });
  assert.deepEqual(kioskOptions(new URLSearchParams("?kiosk&idle=60&reset=600&autoplay=0")), {
    idleSeconds: 60,
    resetSeconds: 600,
    autoplay: false,
  });
  assert.equal(kioskOptions(new URLSearchParams("autoplay=1")).autoplay, true);
  assert.equal(kioskOptions(new URLSearchParams("autoplay=off")).autoplay, false);
  assert.equal(
    kioskOptions(new URLSearchParams("idle=1")).idleSeconds,
    1,
    "the smallest (for tests)",
  );
  assert.equal(
    kioskOptions(new URLSearchParams("idle=86400")).idleSeconds,
    86400,
    "the largest: a day",
  );
});

test("values that are not whole seconds in [1, 86400] keep their defaults", () => {
  for (const bad of [
    "",
    "0",
    "-5",
    "1.5",
    "1e3",
    "86401",
    "999999",
    "abc",
    " 60",
    "0x10",
    "Infinity",
  ]) {
    const options = kioskOptions(new URLSearchParams({ idle: bad, reset: bad }));
    assert.equal(options.idleSeconds, DEFAULTS.idleSeconds, JSON.stringify(bad));
    assert.equal(options.resetSeconds, DEFAULTS.resetSeconds, JSON.stringify(bad));
  }
});

// -- idleAction --------------------------------------------------------------------------------

const OPTIONS = { idleSeconds: 120, resetSeconds: 300, autoplay: true };

test("idleAction: nothing, then play after idleSeconds, then reset after resetSeconds", () => {
  const start = 50 * S;
  const table = /** @type {const} */ ([
    // seconds idle, playing, pristine, expected
    [0, false, false, "none"],
    [119.999, false, false, "none"],
    [120, false, false, "play"],
    [200, false, false, "play"],
    [200, true, false, "none"], // already playing
    [299, true, false, "none"],
    [300, true, false, "reset"],
    [300, false, false, "reset"], // reset wins over play
    [5000, true, false, "reset"],
    [300, true, true, "none"], // pristine: the demo state is already showing
    [300, false, true, "play"], // pristine, but not playing yet
    [-10, false, false, "none"], // a clock that went back
  ]);
  for (const [idle, playing, pristine, expected] of table) {
    assert.equal(
      idleAction(start + idle * S, start, OPTIONS, playing, pristine),
      expected,
      `${idle} s, playing ${playing}, pristine ${pristine}`,
    );
  }
});

test("idleAction: no automatic play when autoplay is off; reset still happens", () => {
  const options = { ...OPTIONS, autoplay: false };
  assert.equal(idleAction(200 * S, 0, options, false), "none");
  assert.equal(idleAction(300 * S, 0, options, false), "reset");
});

test("idleAction: a reset shorter than the idle time resets before playing", () => {
  const options = { idleSeconds: 60, resetSeconds: 30, autoplay: true };
  assert.equal(idleAction(45 * S, 0, options, false), "reset");
  assert.equal(idleAction(45 * S, 0, options, false, true), "none");
  assert.equal(idleAction(60 * S, 0, options, false, true), "play");
});

test("idleAction: NaN times do nothing", () => {
  assert.equal(idleAction(NaN, 0, OPTIONS, false), "none");
  assert.equal(idleAction(1000 * S, NaN, OPTIONS, false), "none");
});

// -- navigation guards --------------------------------------------------------------------------

test("leavesPage: only this very page (any fragment) stays", () => {
  const here = "http://127.0.0.1:8000/?kiosk#v=1&l=1x1";
  assert.equal(leavesPage("http://127.0.0.1:8000/?kiosk", here), false);
  assert.equal(leavesPage("http://127.0.0.1:8000/?kiosk#v=1&l=1x2", here), false);
  assert.equal(leavesPage("#help", here), false);
  for (const href of [
    "http://127.0.0.1:8000/",
    "http://127.0.0.1:8000/?kiosk&x",
    "http://127.0.0.1:8000/demo/IM0001",
    "https://example.org/",
    "http://127.0.0.1:8001/?kiosk",
    "blob:http://127.0.0.1:8000/3f1c",
    "javascript:alert(1)",
    "mailto:someone@example.org",
    "file:///etc/passwd",
  ]) {
    assert.equal(leavesPage(href, here), true, href);
  }
  assert.equal(leavesPage("http://[bad", "also bad"), true, "unparsable: treated as leaving");
});

test("isHistoryKey: Alt+arrows and the browser's back/forward keys", () => {
  assert.equal(isHistoryKey({ key: "ArrowLeft", altKey: true }), true);
  assert.equal(isHistoryKey({ key: "ArrowRight", altKey: true }), true);
  assert.equal(isHistoryKey({ key: "BrowserBack", altKey: false }), true);
  assert.equal(isHistoryKey({ key: "BrowserForward", altKey: false }), true);
  assert.equal(
    isHistoryKey({ key: "ArrowLeft", altKey: false }),
    false,
    "plain arrows scroll slices",
  );
  assert.equal(isHistoryKey({ key: "h", altKey: true }), false);
});

// -- the Kiosk class, with a fake page and a fake clock -----------------------------------------

/** A fake page API that records calls. */
function fakeApi({ frames = 24, failDemo = 0 } = {}) {
  /** @type {string[]} */
  const calls = [];
  let demoFailures = failDemo;
  const api = {
    calls,
    openDemo: async () => {
      calls.push("openDemo");
      if (demoFailures > 0) {
        demoFailures -= 1;
        throw new Error("demo unavailable");
      }
    },
    closeAll: async () => void calls.push("closeAll"),
    /** @param {number} series @param {number} frame */
    select: async (series, frame) => void calls.push(`select ${series} ${frame}`),
    state: async () => ({ series: 0, frame: 0, frames }),
    /** @param {boolean} on */
    setHidePatient: (on) => void calls.push(`hide ${on}`),
    startCine: () => void calls.push("startCine"),
    stopCine: () => void calls.push("stopCine"),
    /** @param {string} layout */
    setLayout: (layout) => void calls.push(`layout ${layout}`),
    /** @param {string} tool */
    setTool: (tool) => void calls.push(`tool ${tool}`),
  };
  return api;
}

function fakeEnv() {
  const clock = { now: 1000 * S };
  /** @type {Set<string>} */
  const classes = new Set();
  /** @type {unknown[]} */
  const errors = [];
  const intervals = new Map();
  let nextId = 1;
  const env = {
    target: new EventTarget(),
    body: {
      classList: {
        add: (/** @type {string} */ c) => classes.add(c),
        remove: (/** @type {string} */ c) => classes.delete(c),
      },
    },
    now: () => clock.now,
    /** @param {() => void} f */
    setInterval: (f) => {
      intervals.set(nextId, f);
      return nextId++;
    },
    /** @param {number} id */
    clearInterval: (id) => intervals.delete(id),
    /** @param {unknown} error */
    onError: (error) => errors.push(error),
    href: () => "http://127.0.0.1:8000/?kiosk",
  };
  return { env, clock, classes, errors, intervals };
}

/** Let the kiosk's promise chains settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** @param {Kiosk} kiosk @param {{now: number}} clock @param {number} seconds */
async function advance(kiosk, clock, seconds) {
  clock.now += seconds * S;
  await kiosk.tick();
  await settle();
}

/** @param {EventTarget} target @param {string} type @param {object} [fields] */
function fire(target, type, fields = {}) {
  const event = new Event(type, { cancelable: true });
  for (const [key, value] of Object.entries(fields)) Object.defineProperty(event, key, { value });
  target.dispatchEvent(event);
  return event;
}

test("start hides patient information, opens the demo, marks the body and starts the timer", async () => {
  const api = fakeApi();
  const { env, classes, intervals } = fakeEnv();
  const kiosk = new Kiosk(api, { idleSeconds: 60, resetSeconds: 300 }, env);
  await kiosk.start();
  assert.deepEqual(api.calls, ["hide true", "openDemo"]);
  assert.ok(classes.has("kiosk"));
  assert.equal(intervals.size, 1);
  await kiosk.start(); // a second start does nothing
  assert.deepEqual(api.calls, ["hide true", "openDemo"]);
  kiosk.stop();
  assert.ok(!classes.has("kiosk"));
  assert.equal(intervals.size, 0);
});

test("idle: cine starts after idleSeconds; input stops it and restarts the clock", async () => {
  const api = fakeApi();
  const { env, clock } = fakeEnv();
  const kiosk = new Kiosk(api, { idleSeconds: 60, resetSeconds: 300 }, env);
  await kiosk.start();
  api.calls.length = 0;
  await advance(kiosk, clock, 59);
  assert.deepEqual(api.calls, []);
  await advance(kiosk, clock, 1);
  assert.deepEqual(api.calls, ["startCine"]);
  await advance(kiosk, clock, 30);
  assert.deepEqual(api.calls, ["startCine"], "not started twice");
  fire(env.target, "pointerdown");
  assert.deepEqual(api.calls, ["startCine", "stopCine"]);
  for (const type of INPUT_EVENTS) {
    api.calls.length = 0;
    await advance(kiosk, clock, 60); // idle long enough to play again
    fire(env.target, type);
    assert.deepEqual(api.calls, ["startCine", "stopCine"], type);
    await advance(kiosk, clock, 59);
    assert.deepEqual(api.calls, ["startCine", "stopCine"], `${type}: the idle clock restarted`);
  }
  kiosk.stop();
});

test("input while nothing plays stops nothing (a cine the user started is theirs)", async () => {
  const api = fakeApi();
  const { env } = fakeEnv();
  const kiosk = new Kiosk(api, {}, env);
  await kiosk.start();
  api.calls.length = 0;
  fire(env.target, "keydown", { key: " " });
  assert.deepEqual(api.calls, []);
  kiosk.stop();
});

test("a single image is not played", async () => {
  const api = fakeApi({ frames: 1 });
  const { env, clock } = fakeEnv();
  const kiosk = new Kiosk(api, { idleSeconds: 10, resetSeconds: 300 }, env);
  await kiosk.start();
  api.calls.length = 0;
  await advance(kiosk, clock, 10);
  await advance(kiosk, clock, 1);
  assert.deepEqual(api.calls, []);
  kiosk.stop();
});

test("reset: after resetSeconds without input the demo comes back, once", async () => {
  const api = fakeApi();
  const { env, clock } = fakeEnv();
  const kiosk = new Kiosk(api, { idleSeconds: 60, resetSeconds: 300 }, env);
  await kiosk.start();
  // Untouched: it plays, and is not reset again and again.
  api.calls.length = 0;
  await advance(kiosk, clock, 60);
  await advance(kiosk, clock, 600);
  assert.deepEqual(api.calls, ["startCine"]);
  // Someone uses it, then leaves.
  fire(env.target, "pointerdown");
  api.calls.length = 0;
  await advance(kiosk, clock, 299);
  assert.deepEqual(api.calls, ["startCine"], "played after 60 s idle, not yet reset");
  api.calls.length = 0;
  await advance(kiosk, clock, 1);
  assert.deepEqual(api.calls, [
    "stopCine",
    "closeAll",
    "layout 1x1",
    "tool scroll",
    "hide true",
    "openDemo",
    "select 0 0",
  ]);
  api.calls.length = 0;
  await advance(kiosk, clock, 59);
  await advance(kiosk, clock, 1000);
  assert.deepEqual(
    api.calls,
    ["startCine"],
    "the idle clock restarted at the reset; no second reset",
  );
  kiosk.stop();
  assert.deepEqual(api.calls, ["startCine", "stopCine"], "stop ends the automatic cine");
});

test("a demo that fails to open at start is tried again at the next reset", async () => {
  const api = fakeApi({ failDemo: 2 });
  const { env, clock, errors } = fakeEnv();
  const kiosk = new Kiosk(api, { idleSeconds: 600, resetSeconds: 300 }, env);
  await assert.rejects(kiosk.start(), /demo unavailable/);
  api.calls.length = 0;
  await advance(kiosk, clock, 300);
  assert.deepEqual(api.calls, ["closeAll", "layout 1x1", "tool scroll", "hide true", "openDemo"]);
  assert.equal(errors.length, 1);
  api.calls.length = 0;
  await advance(kiosk, clock, 1);
  assert.deepEqual(api.calls, [], "not retried every tick");
  await advance(kiosk, clock, 299);
  assert.deepEqual(api.calls, [
    "closeAll",
    "layout 1x1",
    "tool scroll",
    "hide true",
    "openDemo",
    "select 0 0",
  ]);
  kiosk.stop();
});

test("navigation guards: links away, new windows, forms, drops, context menu, history keys", async () => {
  const { env } = fakeEnv();
  const kiosk = new Kiosk(fakeApi(), {}, env);
  await kiosk.start();
  /** @param {string} href @param {string} [target] */
  const link = (href, target = "") => ({ tagName: "A", href, target });
  /** @param {string} type @param {object} node */
  const clickOn = (type, node) =>
    fire(env.target, type, { composedPath: () => [{ tagName: "SPAN" }, node, env.target] });
  assert.equal(clickOn("click", link("https://example.org/")).defaultPrevented, true);
  assert.equal(
    clickOn("click", link("blob:http://127.0.0.1:8000/1")).defaultPrevented,
    true,
    "downloads",
  );
  assert.equal(
    clickOn("auxclick", link("http://127.0.0.1:8000/demo/")).defaultPrevented,
    true,
    "middle click",
  );
  assert.equal(
    clickOn("click", link("http://127.0.0.1:8000/?kiosk#v=1", "_blank")).defaultPrevented,
    true,
    "a new window",
  );
  assert.equal(
    clickOn("click", link("http://127.0.0.1:8000/?kiosk#help")).defaultPrevented,
    false,
    "this page",
  );
  assert.equal(clickOn("click", { tagName: "BUTTON" }).defaultPrevented, false, "not a link");
  assert.equal(fire(env.target, "submit").defaultPrevented, true);
  assert.equal(fire(env.target, "dragover").defaultPrevented, true);
  assert.equal(fire(env.target, "drop").defaultPrevented, true);
  assert.equal(
    fire(env.target, "dragstart", { target: { tagName: "IMG" }, composedPath: () => [] })
      .defaultPrevented,
    true,
  );
  assert.equal(fire(env.target, "contextmenu").defaultPrevented, true);
  assert.equal(
    fire(env.target, "keydown", { key: "ArrowLeft", altKey: true }).defaultPrevented,
    true,
  );
  assert.equal(
    fire(env.target, "keydown", { key: "ArrowLeft", altKey: false }).defaultPrevented,
    false,
  );
  kiosk.stop();
  assert.equal(
    clickOn("click", link("https://example.org/")).defaultPrevented,
    false,
    "stop removes the guards",
  );
  assert.equal(fire(env.target, "contextmenu").defaultPrevented, false);
});

// -- scripts/kiosk.sh --------------------------------------------------------------------------

test("kiosk.sh dry run prints the build, server and browser commands and runs none", () => {
  const result = spawnSync("bash", ["scripts/kiosk.sh", "--force-device-scale-factor=1"], {
    cwd: ROOT,
    encoding: "utf8",
    env: {
      ...process.env,
      KIOSK_DRY_RUN: "1",
      PORT: "18765",
      HOME: "/home/kiosk",
      KIOSK_PARAMS: "idle=60",
      CHROMIUM: "/opt/chromium",
    },
    timeout: 10_000,
  });
  assert.equal(result.status, 0, result.stderr);
  const lines = result.stdout.trim().split("\n");
  assert.equal(lines.length, 3, result.stdout);
  assert.equal(lines[0], "bash scripts/lightbox.sh prepare");
  assert.match(lines[1], /\/\.venv\/bin\/python -m tools\.serve --port 18765 &$/);
  const expected = [
    "/opt/chromium",
    "--kiosk",
    "'--app=http://127.0.0.1:18765/?kiosk&idle=60'",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--noerrdialogs",
    "--disable-translate",
    "--overscroll-history-navigation=0",
    "--user-data-dir=/home/kiosk/.cache/lightbox-kiosk",
  ].join(" ");
  assert.ok(lines[2].startsWith(expected), lines[2]);
  assert.ok(lines[2].endsWith(" --force-device-scale-factor=1"), "extra arguments go to Chromium");
});

test("kiosk.sh refuses a port that is not a number", () => {
  const result = spawnSync("bash", ["scripts/kiosk.sh"], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, KIOSK_DRY_RUN: "1", PORT: "80; rm -rf /" },
    timeout: 10_000,
  });
  assert.equal(result.status, 2);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /PORT must be a number/);
});
