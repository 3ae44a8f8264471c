// The keyboard shortcuts: one table that both the key handler (keys.js) and the `?` help
// list are made from, so that what the help says is what the keys do. Pure: the actions
// are passed in (tests/js/shortcuts.test.js presses the keys on stubs).

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
 *            deleteLast: () => void, nextViewport: () => boolean,
 *            toggleMpr: () => void, turnPlane: (how: "in-plane"|"tilt", degrees: number) => boolean,
 *            toggleHelp: (on?: boolean) => void, toggleConsole: () => void}} KeyActions
 * @typedef {() => boolean | void} KeyHandler false: the key did nothing
 * @typedef {{keys: string, what: string, on: Record<string, KeyHandler>}} Shortcut
 *   keys: as the help shows them; on: what each KeyboardEvent.key does (rows with no key
 *   are pointer gestures, listed so that the help tells them too)
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
    { keys: "↑ ↓ ← →, wheel", what: "previous / next image", on: each(arrows, a.navigate) },
    {
      keys: "Page Up / Page Down",
      what: "jump 10% of the series",
      on: each(["PageUp", "PageDown"], a.navigate),
    },
    { keys: "Home / End", what: "first / last image", on: each(["Home", "End"], a.navigate) },
    { keys: "Space", what: "play / pause (cine, video)", on: { " ": a.toggleCine } },
    {
      keys: "S W P Z",
      what: "tools: scroll, window/level, pan, zoom",
      on: { s: tool("scroll"), w: tool("wl"), p: tool("pan"), z: tool("zoom") },
    },
    {
      keys: "L A G E X",
      what: "tools: length, angle, rectangle, ellipse, probe",
      on: {
        l: tool("length"),
        a: tool("angle"),
        g: tool("rect"),
        e: tool("ellipse"),
        x: tool("probe"),
      },
    },
    { keys: "right-drag / middle-drag", what: "window/level / pan with any tool", on: {} },
    {
      keys: "Ctrl+wheel, + / −",
      what: "zoom",
      on: { "+": () => a.zoomBy(1.25), "=": () => a.zoomBy(1.25), "-": () => a.zoomBy(0.8) },
    },
    {
      keys: "1 … 9",
      what: "window presets (1: the file's or automatic)",
      on: each(digits, (key) => a.applyPreset(Number(key) - 1)),
    },
    { keys: "I", what: "invert", on: { i: a.invert } },
    {
      keys: "R / Shift+R",
      what: "rotate 90° clockwise / anticlockwise",
      on: { r: () => a.rotate(90), R: () => a.rotate(-90) },
    },
    {
      keys: "H / V",
      what: "flip horizontal / vertical",
      on: { h: () => a.flip("h"), v: () => a.flip("v") },
    },
    { keys: "F / N", what: "fit to window / 1:1 pixels", on: { f: a.fit, n: a.actualSize } },
    {
      keys: "Esc",
      what: "reset the view",
      on: {
        Escape: () => {
          a.toggleHelp(false);
          a.resetView();
        },
      },
    },
    { keys: "O", what: "on-image information", on: { o: a.toggleInfo } },
    { keys: "U", what: "overlays", on: { u: a.toggleOverlays } },
    { keys: "Shift+H", what: "hide patient information", on: { H: a.toggleHidePatient } },
    { keys: "T", what: "tag browser", on: { t: a.toggleTags } },
    {
      keys: "K / Shift+K",
      what: "snapshot with / without text",
      on: { k: () => a.snapshot(true), K: () => a.snapshot(false) },
    },
    { keys: "Y", what: "synchronised scrolling", on: { y: a.toggleSync } },
    { keys: "M", what: "MPR layout: axial, coronal, sagittal, free plane", on: { m: a.toggleMpr } },
    {
      keys: "[ / ], { / }",
      what: "MPR: turn the free plane about this view's axis / tilt it (5°)",
      on: {
        "[": () => a.turnPlane("in-plane", -5),
        "]": () => a.turnPlane("in-plane", 5),
        "{": () => a.turnPlane("tilt", -5),
        "}": () => a.turnPlane("tilt", 5),
      },
    },
    {
      keys: "Delete",
      what: "delete the last measurement",
      on: { Delete: a.deleteLast, Backspace: a.deleteLast },
    },
    { keys: "Tab", what: "next viewport", on: { Tab: a.nextViewport } },
    { keys: "`", what: "Python console on the open study", on: { "`": a.toggleConsole } },
    { keys: "?", what: "this list", on: { "?": () => a.toggleHelp() } },
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
