// The Python console panel (issue 21): a prompt with history, multi-line input, tab
// completion and tracebacks over the console's engine (console-engine.js); what show()
// makes drawn over the active viewport, what save() makes downloaded; scripts kept on
// opt-in (console-scripts.js). window.lightbox.console is `consoleApi` below.
import { $, app, pane, press, setStatus } from "./app.js";
import { download } from "./files.js";
import * as engine from "./console-engine.js";
import * as kept from "./console-scripts.js";
import { ArrayView } from "../viewer/array-view.js";
import { t } from "../i18n/i18n.js";
import { setText } from "./language.js";

/** @typedef {import("../rpc/protocol.js").ConsoleResult} ConsoleResult */
/** @typedef {import("../rpc/protocol.js").ConsoleEffect} ConsoleEffect */

/** @type {string[]} inputs run, oldest first */
const history = [];
let historyAt = 0;
/** @type {ArrayView | null} */
let shownView = null;
let enabled = false;
/** an input from the prompt is being run (or checked) */
let entering = false;

const panel = () => $("console");
const input = () => /** @type {HTMLTextAreaElement} */ ($("console-input"));
const output = () => $("console-output");

/** Append text to the transcript. @param {string} text @param {string} [kind] */
function write(text, kind = "out") {
  if (!text) return;
  const span = document.createElement("span");
  span.className = `console-${kind}`;
  span.textContent = text.endsWith("\n") ? text : `${text}\n`;
  output().append(span);
  output().scrollTop = output().scrollHeight;
}

/** The context a run gets: the active view, the measurements, the series order, codecs. */
function context() {
  const p = pane();
  const user = p.windows.get(p.series);
  const center = user ? user[0] : (p.info?.windowCenter ?? null);
  const width = user ? user[1] : (p.info?.windowWidth ?? null);
  return {
    view: {
      series: Math.max(p.series, 0),
      frame: p.frame,
      window: center !== null && width !== null ? [center, width] : null,
    },
    measurements: app.measurements.map((m) => ({
      id: m.id,
      kind: m.kind,
      label: m.label,
      series: app.catalog.series.findIndex((s) => s.uid === m.series),
      frame: m.frame,
      where: m.where ?? `image ${m.frame + 1}`,
      points: m.points.map((q) => [q.x, q.y]),
      result: m.result ?? null,
    })),
    order: app.catalog.series.map((s) => s.uid),
    codecs: [...new Set(app.catalog.series.flatMap((s) => s.codecs ?? []))],
  };
}

/** Draw show()'s image over the active viewport. @param {ConsoleEffect & {kind: "show"}} e */
function showArray(e) {
  shownView?.remove();
  const view = new ArrayView(pane().root);
  view.onRemove = () => {
    if (shownView === view) shownView = null;
  };
  view.show(new Uint8ClampedArray(e.bytes), e.width, e.height, e.title);
  shownView = view;
}

/** Apply what a run did: images, downloads, the view. @param {ConsoleResult} result */
async function apply(result) {
  for (const effect of result.effects) {
    if (effect.kind === "show") showArray(effect);
    else download(new Blob([effect.bytes], { type: effect.mime }), effect.name);
  }
  if (result.view && app.catalog.series[result.view.series]) {
    const p = pane();
    await p.select(result.view.series, result.view.frame);
    if (result.view.window) await p.setWindow(result.view.window[0], result.view.window[1]);
  }
}

/**
 * Run code as if typed; resolves to {output, error} (text). With `typed` (the prompt),
 * input not yet finished is not run: {incomplete: true}.
 * @param {string} code @param {boolean} [typed]
 * @returns {Promise<{output: string, error: string, incomplete?: boolean}>}
 */
export async function run(code, typed = false) {
  if (!enabled) throw new Error("Kiosk mode has no console");
  const source = String(code);
  if (!typed) write(prompted(source), "in");
  const result = await engine.runInEngine(source, context(), typed);
  if (result.status === "incomplete" && typed) return { output: "", error: "", incomplete: true };
  if (typed) write(prompted(source), "in");
  write(result.output, "out");
  write(result.error, "error");
  await apply(result).catch((error) => write(String(error), "error"));
  return { output: result.output, error: result.error };
}

/** The input as the transcript shows it. @param {string} source */
function prompted(source) {
  return source
    .split("\n")
    .map((line, i) => `${i ? "... " : ">>> "}${line}`)
    .join("\n");
}

/** Stop what runs. */
export async function interrupt() {
  const how = await engine.interruptEngine();
  if (how === "restarted") write("(the console's engine was restarted)", "note");
  return how;
}

/** Show or hide the panel. @param {boolean} on */
function show(on) {
  if (!enabled) throw new Error("Kiosk mode has no console");
  panel().hidden = !on;
  press("console-button", on);
  if (on) {
    engine.warmUp();
    renderScripts();
    input().focus();
  } else if (document.activeElement && panel().contains(document.activeElement)) {
    /** @type {HTMLElement} */ (document.activeElement).blur(); // the viewer gets its keys again
  }
}

/** Toggle the panel (the Console button, the ` key). */
export function toggleConsole() {
  if (enabled) show(panel().hidden);
}

/** Enter runs (unless the input is unfinished), Shift+Enter a new line, ↑ ↓ history, Tab. */
async function onKey(/** @type {KeyboardEvent} */ event) {
  const box = input();
  event.stopPropagation(); // typing is for the console, never the viewer
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    const code = box.value;
    if (!code.trim() || entering) return; // one input at a time
    entering = true;
    const done = await run(code, true)
      .catch((error) => {
        write(String(error instanceof Error ? error.message : error), "error");
        return { incomplete: false };
      })
      .finally(() => (entering = false));
    if (done.incomplete) {
      const last = code.split("\n").pop() ?? "";
      const indent = (last.match(/^\s*/)?.[0] ?? "") + (/:\s*$/.test(last) ? "    " : "");
      box.value = `${code}\n${indent}`;
      return;
    }
    history.push(code);
    historyAt = history.length;
    box.value = "";
  } else if (event.key === "Tab") {
    event.preventDefault();
    const before = box.value.slice(0, box.selectionStart);
    const found = await engine.completeInEngine(before).catch(() => null);
    if (!found || !found.completions.length) return;
    const common = commonPrefix(found.completions);
    const word = before.slice(found.start);
    if (common.length > word.length) {
      box.setRangeText(common.slice(word.length), box.selectionStart, box.selectionEnd, "end");
    } else if (found.completions.length > 1) write(found.completions.join("  "), "note");
  } else if (event.key === "ArrowUp" && !box.value.slice(0, box.selectionStart).includes("\n")) {
    if (historyAt > 0) {
      event.preventDefault();
      historyAt -= 1;
      box.value = history[historyAt];
    }
  } else if (event.key === "ArrowDown" && !box.value.slice(box.selectionEnd).includes("\n")) {
    if (historyAt < history.length) {
      event.preventDefault();
      historyAt += 1;
      box.value = history[historyAt] ?? "";
    }
  } else if (event.key === "c" && event.ctrlKey && engine.isRunning()) {
    event.preventDefault();
    void interrupt();
  }
}

/** @param {string[]} words */
function commonPrefix(words) {
  let prefix = words[0];
  for (const word of words) while (!word.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

/** The list of kept scripts, each runnable on whatever is open now. */
function renderScripts() {
  const keep = /** @type {HTMLInputElement} */ ($("console-keep"));
  keep.checked = kept.keeping();
  /** @type {HTMLButtonElement} */ ($("console-save")).disabled = !keep.checked;
  const list = $("console-scripts");
  list.replaceChildren();
  for (const script of kept.scripts()) {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = script.name;
    const runIt = button(t("run"), () => void runScript(script.name));
    const load = button(t("console.edit"), () => {
      input().value = script.code;
      input().focus();
    });
    const remove = button(t("delete"), () => {
      kept.deleteScript(script.name);
      renderScripts();
    });
    item.append(name, runIt, load, remove);
    list.append(item);
  }
}

/** @param {string} label @param {() => void} action */
function button(label, action) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "link";
  b.textContent = label;
  b.addEventListener("click", action);
  return b;
}

/** Run a kept script by name (on the study open now). @param {string} name */
export async function runScript(name) {
  const script = kept.scripts().find((s) => s.name === name);
  if (!script) throw new Error(`No script named ${JSON.stringify(name)} is kept`);
  return run(script.code);
}

/** Wire the panel (not in kiosk mode: there is no console there). @param {boolean} kiosk */
export function attachConsole(kiosk) {
  enabled = !kiosk;
  $("console-button").hidden = kiosk;
  if (kiosk) return;
  engine.onEngineNews((text) => {
    setText($("console-status"), text.key, text.params);
    if (!panel().hidden) setStatus(text);
  });
  $("console-button").addEventListener("click", () => toggleConsole());
  $("console-close").addEventListener("click", () => show(false));
  $("console-run").addEventListener("click", () => {
    const code = input().value;
    if (!code.trim()) return;
    history.push(code);
    historyAt = history.length;
    input().value = "";
    run(code).catch((error) => write(String(error), "error"));
  });
  $("console-interrupt").addEventListener("click", () => void interrupt());
  $("console-clear").addEventListener("click", () => output().replaceChildren());
  $("console-keep").addEventListener("change", (event) => {
    kept.setKeeping(/** @type {HTMLInputElement} */ (event.target).checked);
    renderScripts();
  });
  $("console-save").addEventListener("click", () => {
    const name = /** @type {HTMLInputElement} */ ($("console-name")).value;
    try {
      kept.saveScript(name, input().value);
      renderScripts();
    } catch (error) {
      write(error instanceof Error ? error.message : String(error), "error");
    }
  });
  input().addEventListener("keydown", (event) => void onKey(event));
  write(t("console.note"), "note");
}

/** window.lightbox.console: the automation contract (README). */
export const consoleApi = Object.freeze({
  /** @param {string} code @returns {Promise<{output: string, error: string}>} */
  run: (code) => run(code).then(({ output, error }) => ({ output, error })),
  interrupt: () => interrupt().then(() => {}),
  open: () => show(true),
  close: () => show(false),
  /** {open, running, engine, isolated, interrupt: "buffer"|"restart"} */
  state: () => ({
    open: enabled && !panel().hidden,
    running: engine.isRunning(),
    engine: engine.engineState(),
    isolated: self.crossOriginIsolated === true,
    interrupt: engine.interruptible() ? "buffer" : "restart",
  }),
  /** The last image show() drew (RGBA, one array element a pixel), or null once closed. */
  shown: () =>
    shownView?.image
      ? {
          width: shownView.image.width,
          height: shownView.image.height,
          scale: shownView.scale ?? 1,
          title: shownView.title.textContent,
          data: new Uint8ClampedArray(shownView.image.data),
        }
      : null,
  /** @param {string} source the completions of its end, and where they start */
  complete: (source) => engine.completeInEngine(String(source)),
  scripts: () => kept.scripts().map(({ name, code }) => ({ name, code })),
  /** @param {boolean} on keep scripts in this browser (off forgets them) */
  setKeepScripts: (on) => {
    kept.setKeeping(Boolean(on));
    if (enabled) renderScripts();
  },
  /** @param {string} name @param {string} code */
  saveScript: (name, code) => {
    kept.saveScript(String(name), String(code));
    if (enabled) renderScripts();
  },
  /** @param {string} name */
  runScript: (name) => runScript(String(name)).then(({ output, error }) => ({ output, error })),
});
