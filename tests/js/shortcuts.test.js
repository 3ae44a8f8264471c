// The keyboard table (web/js/page/shortcuts.js): the help list and the key handler are
// made from it, so every key the help names must do what the row says, and no key may be
// bound twice.
import assert from "node:assert/strict";
import { test } from "node:test";
import { controlShortcuts, keyLabel, keyMap, shortcuts } from "../../web/js/page/shortcuts.js";

/** Stub actions that record what was called, with its arguments. */
function recorder() {
  /** @type {string[]} */
  const calls = [];
  const actions = new Proxy(
    {},
    {
      get:
        (_, name) =>
        (/** @type {unknown[]} */ ...args) => {
          calls.push(`${String(name)}(${args.map((a) => JSON.stringify(a)).join(", ")})`);
          return ["navigate", "turnPlane"].includes(String(name)) ? true : undefined;
        },
    },
  );
  return {
    calls,
    actions: /** @type {import("../../web/js/page/shortcuts.js").KeyActions} */ (actions),
  };
}

/** @param {string} key */
function press(key) {
  const { calls, actions } = recorder();
  const handler = keyMap(shortcuts(actions)).get(key);
  assert.ok(handler, `no handler for ${JSON.stringify(key)}`);
  handler();
  return calls;
}

test("the help lists the rows it always listed, in order", () => {
  const { actions } = recorder();
  const labels = shortcuts(actions).map((row) => row.keys);
  assert.equal(labels.length, 27); // 26, and Enter for measuring by keyboard (issue 18 item 5)
  assert.deepEqual(labels.slice(0, 4), [
    "↑ ↓ ← →, wheel",
    "Page Up / Page Down",
    "Home / End",
    "Space",
  ]);
  assert.equal(labels.at(-1), "?");
  assert.ok(shortcuts(actions).every((row) => row.what.length > 0));
});

test("no key is bound twice, and binding one twice is refused", () => {
  const { actions } = recorder();
  const table = shortcuts(actions);
  assert.doesNotThrow(() => keyMap(table));
  const twice = [...table, { keys: "again", what: "a second R", on: { r: () => {} } }];
  assert.throws(() => keyMap(twice), /the key "r" is bound twice/);
});

test("keys do what their row says", () => {
  // key, what the handler calls
  const cases = [
    ["ArrowDown", ['navigate("ArrowDown")']],
    ["PageUp", ['navigate("PageUp")']],
    ["End", ['navigate("End")']],
    [" ", ["toggleCine()"]],
    ["w", ['setTool("wl")']],
    ["g", ['setTool("rect")']],
    ["x", ['setTool("probe")']],
    ["=", ["zoomBy(1.25)"]],
    ["-", ["zoomBy(0.8)"]],
    ["1", ["applyPreset(0)"]],
    ["9", ["applyPreset(8)"]],
    ["r", ["rotate(90)"]],
    ["R", ["rotate(-90)"]],
    ["h", ['flip("h")']],
    ["H", ["toggleHidePatient()"]],
    ["Escape", ["toggleHelp(false)", "resetView()"]],
    ["K", ["snapshot(false)"]],
    ["Backspace", ["deleteLast()"]],
    ["m", ["toggleMpr()"]],
    ["]", ['turnPlane("in-plane", 5)']],
    ["{", ['turnPlane("tilt", -5)']],
    ["`", ["toggleConsole()"]],
    ["?", ["toggleHelp()"]],
    ["Enter", ["measureKey()"]],
  ];
  for (const [key, expected] of cases) assert.deepEqual(press(String(key)), expected, String(key));
});

test("a key that did nothing says so, and the browser keeps it", () => {
  const { actions } = recorder();
  const quiet = { ...actions, navigate: () => false };
  const keys = keyMap(shortcuts(quiet));
  assert.equal(keys.get("Home")?.(), false);
});

test("Tab is the browser's: it moves the focus, through the viewports and out (WCAG 2.1.2)", () => {
  const { actions } = recorder();
  assert.equal(keyMap(shortcuts(actions)).get("Tab"), undefined);
});

test("keys are written as the user reads them", () => {
  // By hand: a letter in capitals, Shift+ for a capital, names for Space and Escape.
  const cases = [
    ["i", "I"],
    ["H", "Shift+H"],
    [" ", "Space"],
    ["Escape", "Esc"],
    ["?", "?"],
    ["`", "`"],
  ];
  for (const [key, label] of cases) assert.equal(keyLabel(key), label, key);
});

test("each toolbar control's key comes from its row of the table", () => {
  const { actions } = recorder();
  const controls = controlShortcuts(shortcuts(actions));
  // The keys the help has always listed for these controls (README, the `?` list).
  const expected = {
    "cine-button": "Space",
    "tool-wl": "W",
    "tool-length": "L",
    "tool-rect": "G",
    "invert-button": "I",
    "hide-button": "Shift+H",
    "tags-button": "T",
    "reset-button": "Esc",
    "console-button": "`",
    "help-button": "?",
    layout: "M",
  };
  for (const [id, key] of Object.entries(expected)) assert.equal(controls.get(id), key, id);
});

test("a control may only name a key its row binds", () => {
  const row = { keys: "Q", what: "nothing", on: {}, controls: { q: "x-button" } };
  assert.throws(() => controlShortcuts([row]), /names a key its row lacks: q/);
});

test("every letter the help names is a key of its row", () => {
  const { actions } = recorder();
  for (const row of shortcuts(actions)) {
    // A capital standing alone ("S W P Z", "R / Shift+R") is a key: x, or X with Shift.
    const letters = row.keys.match(/(?<![A-Za-z])[A-Z](?![A-Za-z])/g) ?? [];
    for (const letter of letters) {
      const bound = letter.toLowerCase() in row.on || letter in row.on;
      assert.ok(bound, `"${row.keys}" names ${letter}, which the row does not bind`);
    }
  }
});
