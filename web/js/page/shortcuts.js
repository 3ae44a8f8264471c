// The keyboard shortcuts: one table that both the key handler (keys.js) and the `?` help
// list are made from, so that what the help says is what the keys do. Pure: the actions
// are passed in (tests/js/shortcuts.test.js presses the keys on stubs). A row also names the
// toolbar's controls its keys stand for (`controls`), so that each control's tooltip and
// its menu's shortcut column say the key from this same table (`controlShortcuts`).

/**
 * What the keys can do; `navigate` and `nextViewport` return false when there is nothing
 * to do, and the browser then keeps the key (Tab moves the focus).
 * @typedef {{navigate: (key: string) => boolean, toggleCine: () => void,
 *            setTool: (tool: string) => void, zoomBy: (factor: number) => void,
 *            applyPreset: (index: number) => void, invert: () => void,
 *            rotate: (degrees: number) => void, flip: (axis: "h"|"v") => void,
 *            fit: () => void, actualSize: () => void, resetView: () => void,
 *            toggleInfo: () => void, toggleOverlays: () => void,
 *            toggleHidePatient: () => void, toggleTags: () => void,
 *            snapshot: (withInfo: boolean) => void, toggleSync: () => void,
 *            deleteLast: () => void, measureKey: () => boolean,
 *            toggleMpr: () => void, turnPlane: (how: "in-plane"|"tilt", degrees: number) => boolean,
 *            toggleHelp: (on?: boolean) => void, toggleConsole: () => void}} KeyActions
 * @typedef {() => boolean | void} KeyHandler false: the key did nothing
 * @typedef {{keys: string, what: string, on: Record<string, KeyHandler>,
 *            controls?: Record<string, string>}} Shortcut
 *   keys: as the help shows them in English (the catalogs' `<what>.keys` entry says them in
 *   each language; tests/js/i18n.test.js checks English's is this); what: the catalog key of
 *   what the keys do (page/keys.js shows it); on: what each KeyboardEvent.key does (rows
 *   with no key are pointer gestures, listed so that the help tells them too); controls:
 *   the id of the toolbar's control each key does the work of
 */

/** @param {string[]} keys @param {(key: string) => boolean | void} handler @returns {Record<string, KeyHandler>} */
function each(keys, handler) {
  return Object.fromEntries(keys.map((key) => [key, () => handler(key)]));
}

/**
 * @param {KeyActions} a
 * @returns {Shortcut[]} in the order the help lists them
 */
export function shortcuts(a) {
  const arrows = ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"];
  const tool = (/** @type {string} */ name) => () => a.setTool(name);
  const digits = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];
  return [
    { keys: "↑ ↓ ← →, wheel", what: "shortcut.previous_next_image", on: each(arrows, a.navigate) },
    {
      keys: "Page Up / Page Down",
      what: "shortcut.jump_10_of_the_series",
      on: each(["PageUp", "PageDown"], a.navigate),
    },
    {
      keys: "Home / End",
      what: "shortcut.first_last_image",
      on: each(["Home", "End"], a.navigate),
    },
    {
      keys: "Space",
      what: "shortcut.play_pause_cine_video",
      on: { " ": a.toggleCine },
      controls: { " ": "cine-button" },
    },
    {
      keys: "S W P Z",
      what: "shortcut.tools_scroll_window_level_pan",
      on: { s: tool("scroll"), w: tool("wl"), p: tool("pan"), z: tool("zoom") },
      controls: { s: "tool-scroll", w: "tool-wl", p: "tool-pan", z: "tool-zoom" },
    },
    {
      keys: "L A G E X",
      what: "shortcut.tools_length_angle_rectangle_ellipse",
      on: {
        l: tool("length"),
        a: tool("angle"),
        g: tool("rect"),
        e: tool("ellipse"),
        x: tool("probe"),
      },
      controls: {
        l: "tool-length",
        a: "tool-angle",
        g: "tool-rect",
        e: "tool-ellipse",
        x: "tool-probe",
      },
    },
    { keys: "right-drag / middle-drag", what: "shortcut.window_level_pan_with_any", on: {} },
    {
      keys: "Ctrl+wheel, + / −",
      what: "shortcut.zoom",
      on: { "+": () => a.zoomBy(1.25), "=": () => a.zoomBy(1.25), "-": () => a.zoomBy(0.8) },
    },
    {
      keys: "1 … 9",
      what: "shortcut.window_presets_1_the_file",
      on: each(digits, (key) => a.applyPreset(Number(key) - 1)),
      controls: { 1: "preset" },
    },
    { keys: "I", what: "shortcut.invert", on: { i: a.invert }, controls: { i: "invert-button" } },
    {
      keys: "R / Shift+R",
      what: "shortcut.rotate_90_clockwise_anticlockwise",
      on: { r: () => a.rotate(90), R: () => a.rotate(-90) },
      controls: { r: "rotate-button" },
    },
    {
      keys: "H / V",
      what: "shortcut.flip_horizontal_vertical",
      on: { h: () => a.flip("h"), v: () => a.flip("v") },
      controls: { h: "fliph-button", v: "flipv-button" },
    },
    {
      keys: "F / N",
      what: "shortcut.fit_to_window_1_1",
      on: { f: a.fit, n: a.actualSize },
      controls: { f: "fit-button", n: "actual-button" },
    },
    {
      keys: "Esc",
      what: "shortcut.reset_the_view",
      on: {
        Escape: () => {
          a.toggleHelp(false);
          a.resetView();
        },
      },
      controls: { Escape: "reset-button" },
    },
    {
      keys: "O",
      what: "shortcut.on_image_information",
      on: { o: a.toggleInfo },
      controls: { o: "info-button" },
    },
    {
      keys: "U",
      what: "shortcut.overlays",
      on: { u: a.toggleOverlays },
      controls: { u: "overlay-button" },
    },
    {
      keys: "Shift+H",
      what: "shortcut.hide_patient_information",
      on: { H: a.toggleHidePatient },
      controls: { H: "hide-button" },
    },
    {
      keys: "T",
      what: "shortcut.tag_browser",
      on: { t: a.toggleTags },
      controls: { t: "tags-button" },
    },
    {
      keys: "K / Shift+K",
      what: "shortcut.snapshot_with_without_text",
      on: { k: () => a.snapshot(true), K: () => a.snapshot(false) },
      controls: { k: "snapshot-button" },
    },
    {
      keys: "Y",
      what: "shortcut.synchronised_scrolling",
      on: { y: a.toggleSync },
      controls: { y: "sync-button" },
    },
    {
      keys: "M",
      what: "shortcut.mpr_layout_axial_coronal_sagittal",
      on: { m: a.toggleMpr },
      controls: { m: "layout" },
    },
    {
      keys: "[ / ], { / }",
      what: "shortcut.mpr_turn_the_free_plane",
      on: {
        "[": () => a.turnPlane("in-plane", -5),
        "]": () => a.turnPlane("in-plane", 5),
        "{": () => a.turnPlane("tilt", -5),
        "}": () => a.turnPlane("tilt", 5),
      },
    },
    {
      keys: "Enter, then ↑ ↓ ← →",
      what: "shortcut.with_a_measuring_tool_a",
      on: { Enter: a.measureKey },
    },
    {
      keys: "Delete",
      what: "shortcut.delete_the_last_measurement",
      on: { Delete: a.deleteLast, Backspace: a.deleteLast },
    },
    { keys: "Tab / Shift+Tab", what: "shortcut.next_previous_control_each_viewport", on: {} },
    {
      keys: "`",
      what: "shortcut.python_console_on_the_open",
      on: { "`": a.toggleConsole },
      controls: { "`": "console-button" },
    },
    {
      keys: "?",
      what: "shortcut.this_list",
      on: { "?": () => a.toggleHelp() },
      controls: { "?": "help-button" },
    },
  ];
}

/**
 * The handler of every key, from the table. A key bound twice is a mistake in the table.
 * @param {Shortcut[]} table
 * @returns {Map<string, KeyHandler>}
 */
export function keyMap(table) {
  /** @type {Map<string, KeyHandler>} */
  const map = new Map();
  for (const row of table) {
    for (const [key, handler] of Object.entries(row.on)) {
      if (map.has(key))
        throw new Error(`the key ${JSON.stringify(key)} is bound twice (again in "${row.keys}")`);
      map.set(key, handler);
    }
  }
  return map;
}

/** How a key is written for the user, where `KeyboardEvent.key` is not that (the rest as is). */
const KEY_NAMES = { " ": "Space", Escape: "Esc" };

/**
 * A key as the user reads it: a letter in capitals, Shift+ for a capital letter.
 * @param {string} key a KeyboardEvent.key
 */
export function keyLabel(key) {
  const named = /** @type {Record<string, string>} */ (KEY_NAMES)[key];
  if (named) return named;
  if (/^[a-z]$/.test(key)) return key.toUpperCase();
  if (/^[A-Z]$/.test(key)) return `Shift+${key}`;
  return key;
}

/**
 * The key of each toolbar control that has one, from the table: id → key as the user reads it.
 * @param {Shortcut[]} table
 * @returns {Map<string, string>}
 */
export function controlShortcuts(table) {
  /** @type {Map<string, string>} */
  const map = new Map();
  for (const row of table) {
    for (const [key, id] of Object.entries(row.controls ?? {})) {
      if (!(key in row.on)) throw new Error(`the control ${id} names a key its row lacks: ${key}`);
      map.set(id, keyLabel(key));
    }
  }
  return map;
}
