// The view in the URL fragment: round trips, defaults, limits, malformed input, and that
// nothing but numbers, flags and the two enumerations can ever be written.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  LAYOUTS,
  LIMITS,
  TOOLS,
  decodeView,
  encodeView,
  paneCount,
  paneView,
} from "../../web/js/viewer/viewstate.js";

/** @typedef {import("../../web/js/viewer/viewstate.js").PaneView} PaneView */
/** @typedef {import("../../web/js/viewer/viewstate.js").View} View */

/** @param {Partial<PaneView>} fields @returns {PaneView} */
function pane(fields = {}) {
  return {
    series: 0,
    frame: 0,
    window: null,
    invert: false,
    zoom: 1,
    pan: [0, 0],
    rotation: 0,
    flipH: false,
    flipV: false,
    ...fields,
  };
}

/** Every character encodeView may write (the fragment's "#" aside). */
const ALPHABET = /^#[a-z0-9=&_,.-]*$/;
/** The whole grammar of what encodeView writes. */
const NUMBER = "-?\\d+(\\.\\d+)?";
const PANE = `s\\d+(_f\\d+)?(_w${NUMBER},${NUMBER})?(_z${NUMBER})?(_p${NUMBER},${NUMBER})?(_r(90|180|270))?(_h)?(_v)?(_i)?`;
const GRAMMAR = new RegExp(
  `^#v=1&l=(${LAYOUTS.join("|")})(&a=[1-3])?(&t=(${TOOLS.join("|")}))?(&p[0-3]=${PANE})*$`,
);

// -- round trips -------------------------------------------------------------------------

test("the example view is written compactly and read back exactly", () => {
  /** @type {View} */
  const view = {
    layout: "1x2",
    active: 1,
    tool: "wl",
    panes: [
      pane({
        series: 1,
        frame: 23,
        window: [40, 400],
        zoom: 1.5,
        pan: [10, -4],
        rotation: 90,
        flipH: true,
        invert: true,
      }),
      pane({ series: 0, flipV: true, window: [-600, 1500] }),
    ],
  };
  const text = encodeView(view);
  assert.equal(
    text,
    "#v=1&l=1x2&a=1&t=wl&p0=s1_f23_w40,400_z1.5_p10,-4_r90_h_i&p1=s0_w-600,1500_v",
  );
  assert.deepEqual(decodeView(text), view);
  assert.deepEqual(decodeView(text.slice(1)), view, "the leading # is optional");
});

test("defaults are left out and come back", () => {
  const text = encodeView({
    layout: "1x1",
    active: 0,
    tool: "scroll",
    panes: [pane({ series: 3 })],
  });
  assert.equal(text, "#v=1&l=1x1&p0=s3");
  assert.deepEqual(decodeView(text), {
    layout: "1x1",
    active: 0,
    tool: "scroll",
    panes: [pane({ series: 3 })],
  });
});

test("every layout, tool and rotation survives a round trip", () => {
  for (const layout of LAYOUTS) {
    for (const tool of TOOLS) {
      for (const rotation of /** @type {const} */ ([0, 90, 180, 270])) {
        const count = paneCount(layout);
        const panes = Array.from({ length: count }, (_, i) =>
          pane({ series: i, frame: i * 7, rotation }),
        );
        const view = { layout, active: count - 1, tool, panes };
        const text = encodeView(view);
        assert.match(text, GRAMMAR);
        assert.deepEqual(decodeView(text), view, text);
      }
    }
  }
});

test("empty panes are left out and read back as null, keeping the others in place", () => {
  const view = {
    layout: "2x2",
    active: 2,
    tool: "pan",
    panes: [null, pane({ series: 2 }), pane({ series: -1 }), pane({ series: 0, frame: 4 })],
  };
  const text = encodeView(view);
  assert.equal(text, "#v=1&l=2x2&a=2&t=pan&p1=s2&p3=s0_f4");
  assert.deepEqual(decodeView(text)?.panes, [
    null,
    pane({ series: 2 }),
    null,
    pane({ series: 0, frame: 4 }),
  ]);
});

test("panes beyond the layout are not written", () => {
  const text = encodeView({
    layout: "1x2",
    active: 0,
    tool: "scroll",
    panes: [pane(), pane({ series: 1 }), pane({ series: 2 }), pane({ series: 3 })],
  });
  assert.equal(text, "#v=1&l=1x2&p0=s0&p1=s1");
});

// -- rounding ------------------------------------------------------------------------------

test("numbers are rounded: window and zoom to 3 decimals, pan to 1", () => {
  const text = encodeView({
    layout: "1x1",
    active: 0,
    tool: "scroll",
    panes: [pane({ window: [0.123456, 2.00049], zoom: 1.23456, pan: [10.06, -3.04] })],
  });
  assert.equal(text, "#v=1&l=1x1&p0=s0_w0.123,2_z1.235_p10.1,-3");
  assert.deepEqual(
    decodeView(text)?.panes[0],
    pane({ window: [0.123, 2], zoom: 1.235, pan: [10.1, -3] }),
  );
});

test("values that round to the default are left out; -0 is written as 0", () => {
  const text = encodeView({
    layout: "1x1",
    active: 0,
    tool: "scroll",
    panes: [pane({ zoom: 1.0001, pan: [0.04, -0.04], window: [-0.0001, 400] })],
  });
  assert.equal(text, "#v=1&l=1x1&p0=s0_w0,400");
});

test("large but real values are written without exponents (PET in Bq/ml)", () => {
  const text = encodeView({
    layout: "1x1",
    active: 0,
    tool: "scroll",
    panes: [pane({ window: [5_000_000, 12_000_000] })],
  });
  assert.equal(text, "#v=1&l=1x1&p0=s0_w5000000,12000000");
  assert.deepEqual(decodeView(text)?.panes[0]?.window, [5_000_000, 12_000_000]);
});

// -- limits --------------------------------------------------------------------------------

test("out-of-range values are not written", () => {
  const cases = [
    pane({ frame: -1 }),
    pane({ frame: 2.5 }),
    pane({ frame: LIMITS.frame + 1 }),
    pane({ window: [40, 0] }),
    pane({ window: [40, -5] }),
    pane({ window: [40, 0.0001] }), // rounds to a zero width
    pane({ window: [LIMITS.windowCenter * 2, 400] }),
    pane({ window: [NaN, 400] }),
    pane({ window: [40, Infinity] }),
    pane({ zoom: 0.01 }),
    pane({ zoom: 100 }),
    pane({ zoom: NaN }),
    pane({ pan: [LIMITS.pan + 1, 0] }),
    pane({ pan: [NaN, 0] }),
    pane({ rotation: /** @type {any} */ (45) }),
    pane({ flipH: /** @type {any} */ ("yes") }),
  ];
  for (const p of cases)
    assert.equal(
      encodeView({ layout: "1x1", active: 0, tool: "scroll", panes: [p] }),
      "#v=1&l=1x1&p0=s0",
      JSON.stringify(p),
    );
  for (const series of [-1, 1.5, LIMITS.series + 1, NaN, Infinity]) {
    assert.equal(
      encodeView({ layout: "1x1", active: 0, tool: "scroll", panes: [pane({ series })] }),
      "#v=1&l=1x1",
      String(series),
    );
  }
  assert.equal(
    encodeView({ layout: "1x2", active: 2, tool: "scroll", panes: [] }),
    "#v=1&l=1x2",
    "active beyond the layout",
  );
  assert.equal(
    encodeView({ layout: "3x3", active: 0, tool: "scroll", panes: [] }),
    "#v=1&l=1x1",
    "unknown layout",
  );
});

test("the bounds themselves are accepted", () => {
  const edge = pane({
    series: LIMITS.series,
    frame: LIMITS.frame,
    window: [-LIMITS.windowCenter, LIMITS.windowWidth],
    zoom: LIMITS.zoomMin,
    pan: [-LIMITS.pan, LIMITS.pan],
  });
  const view = { layout: /** @type {const} */ ("1x1"), active: 0, tool: "scroll", panes: [edge] };
  assert.deepEqual(decodeView(encodeView(view)), view);
  const top = { ...view, panes: [pane({ zoom: LIMITS.zoomMax })] };
  assert.deepEqual(decodeView(encodeView(top)), top);
});

test("out-of-range fields read from a URL fall back to their defaults", () => {
  const view = decodeView(
    `#v=1&l=1x2&a=5&t=wl&p0=s1_f${LIMITS.frame + 1}_w40,0_z0.001_p999999,0_r45`,
  );
  assert.deepEqual(view, {
    layout: "1x2",
    active: 0,
    tool: "wl",
    panes: [pane({ series: 1 }), null],
  });
});

// -- malformed input ---------------------------------------------------------------------

test("fragments that are not a view of version 1 give null", () => {
  for (const text of [
    "",
    "#",
    "#v=",
    "#v=2&l=1x1&p0=s0",
    "#l=1x1&p0=s0",
    "#V=1",
    "#v=1.0",
    "#v=01",
    "#section-3",
    "#v=1".padEnd(LIMITS.fragment + 2, "x"),
  ]) {
    assert.equal(decodeView(text), null, JSON.stringify(text.slice(0, 40)));
  }
  assert.equal(decodeView(/** @type {any} */ (undefined)), null);
  assert.equal(decodeView(/** @type {any} */ (42)), null);
});

test("the valid part of a damaged view is kept", () => {
  assert.deepEqual(
    decodeView("#v=1&l=4x4&t=scalpel&a=x&p0=sx_f3&p1=s2"),
    { layout: "1x1", active: 0, tool: "scroll", panes: [null] },
    "p1 is beyond a 1x1 layout",
  );
  assert.deepEqual(decodeView("#v=1&l=1x2&p0=s1_f3_wfoo_zbar_p1_r_h1_q7&p1=s2_w40,400,3"), {
    layout: "1x2",
    active: 0,
    tool: "scroll",
    panes: [pane({ series: 1, frame: 3 }), pane({ series: 2 })],
  });
  assert.deepEqual(decodeView("#v=1&l=1x1&p0=s1e3")?.panes, [null], "no exponents");
  assert.deepEqual(decodeView("#v=1&l=1x1&p0=s0_z1e1")?.panes, [pane()], "no exponents");
  assert.deepEqual(decodeView("#v=1&l=1x1&p0=s0_w0x10,400")?.panes, [pane()], "no hex");
  assert.deepEqual(decodeView("#v=1&l=1x1&p0=s0_w Infinity,400")?.panes, [pane()], "no Infinity");
  assert.deepEqual(
    decodeView("#v=1&l=1x1&p0=s0_w%ZZ")?.panes,
    [null],
    "a broken escape drops its field",
  );
});

test("the first of repeated keys wins", () => {
  assert.deepEqual(decodeView("#v=1&l=1x2&l=2x2&p0=s1_s2_f3_f4&p0=s5"), {
    layout: "1x2",
    active: 0,
    tool: "scroll",
    panes: [pane({ series: 1, frame: 3 }), null],
  });
});

test("percent-escaped fields are read like plain ones", () => {
  assert.deepEqual(
    decodeView("#v=1&l=1x1&p0=s1_w40%2C400"),
    decodeView("#v=1&l=1x1&p0=s1_w40,400"),
  );
});

test("unknown keys are ignored (room for later fields)", () => {
  assert.deepEqual(decodeView("#v=1&l=1x1&zz=9&p0=s1_k5&x"), {
    layout: "1x1",
    active: 0,
    tool: "scroll",
    panes: [pane({ series: 1 })],
  });
});

test("fuzz: random mutations never throw and always give null or a valid view", () => {
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const base =
    "#v=1&l=2x2&a=3&t=ellipse&p0=s1_f23_w40,400_z1.5_p10,-4_r90_h_i&p1=s0_v&p2=s9_f1&p3=s2_w-1000.5,2000";
  const alphabet = "v=1&l2x_sfwzpr hiv,.-#%09aZ/?<>\"'é\u0000";
  for (let i = 0; i < 3000; i += 1) {
    const chars = [...base];
    const edits = 1 + Math.floor(random() * 6);
    for (let e = 0; e < edits; e += 1) {
      const at = Math.floor(random() * (chars.length + 1));
      const kind = random();
      const ch = alphabet[Math.floor(random() * alphabet.length)];
      if (kind < 0.4) chars.splice(at, 1);
      else if (kind < 0.7) chars.splice(at, 0, ch);
      else chars[at] = ch;
    }
    const text = chars.join("");
    const view = decodeView(text);
    if (view === null) continue;
    assertValid(view, text);
    // A decoded view always encodes to the grammar, and decodes to itself.
    const again = encodeView(view);
    assert.match(again, GRAMMAR, text);
    assert.deepEqual(decodeView(again), view, text);
  }
});

/** @param {View} view @param {string} source */
function assertValid(view, source) {
  assert.ok(LAYOUTS.includes(view.layout), source);
  assert.ok(TOOLS.includes(/** @type {any} */ (view.tool)), source);
  assert.equal(view.panes.length, paneCount(view.layout), source);
  assert.ok(
    Number.isInteger(view.active) && view.active >= 0 && view.active < paneCount(view.layout),
    source,
  );
  for (const p of view.panes) {
    if (p === null) continue;
    assert.deepEqual(
      Object.keys(p).sort(),
      ["flipH", "flipV", "frame", "invert", "pan", "rotation", "series", "window", "zoom"],
      source,
    );
    assert.ok(Number.isInteger(p.series) && p.series >= 0 && p.series <= LIMITS.series, source);
    assert.ok(Number.isInteger(p.frame) && p.frame >= 0 && p.frame <= LIMITS.frame, source);
    assert.ok(p.window === null || (p.window[1] > 0 && p.window.every(Number.isFinite)), source);
    assert.ok(p.zoom >= LIMITS.zoomMin && p.zoom <= LIMITS.zoomMax, source);
    assert.ok(
      p.pan.every((v) => Number.isFinite(v) && Math.abs(v) <= LIMITS.pan),
      source,
    );
    assert.ok([0, 90, 180, 270].includes(p.rotation), source);
    for (const flag of [p.flipH, p.flipV, p.invert]) assert.equal(typeof flag, "boolean", source);
  }
}

// -- nothing but numbers, flags and the enumerations --------------------------------------

test("names, UIDs, file names and other strings never reach the fragment", () => {
  const secret = ["1.2.840.113619.2.55.3", "DOE^JANE", "IM0001.dcm", "<script>", "Jane"];
  const view = /** @type {any} */ ({
    layout: "1x2",
    active: 1,
    tool: "<img src=x onerror=alert(1)>",
    uid: secret[0],
    patientName: secret[1],
    file: secret[2],
    panes: [
      {
        ...pane({ series: 1 }),
        seriesUid: secret[0],
        description: secret[4],
        file: secret[2],
        frame: "7",
        zoom: "2",
        window: ["40", "400"],
        pan: ["1", "2"],
        rotation: "90",
        invert: "true",
      },
      { ...pane(), series: "1.2.3" },
    ],
  });
  const text = encodeView(view);
  assert.equal(text, "#v=1&l=1x2&a=1&p0=s1");
  assert.match(text, ALPHABET);
  for (const s of secret) assert.ok(!text.includes(s), s);
});

test("whatever the input, the output is only numbers, flags and the enumerations", () => {
  const strange = [
    undefined,
    null,
    "",
    "x",
    -1,
    0,
    1,
    1.5,
    1e21,
    -1e-7,
    NaN,
    Infinity,
    true,
    [],
    {},
    [1],
    ["a", "b"],
    [1, 2],
    [40, 400],
  ];
  let seed = 7;
  const pick = () => strange[(seed = (seed * 48271) % 2147483647) % strange.length];
  for (let i = 0; i < 2000; i += 1) {
    const p = {
      series: pick(),
      frame: pick(),
      window: pick(),
      zoom: pick(),
      pan: pick(),
      rotation: pick(),
      flipH: pick(),
      flipV: pick(),
      invert: pick(),
    };
    const view = /** @type {any} */ ({
      layout: pick(),
      active: pick(),
      tool: pick(),
      panes: [p, pick()],
    });
    const text = encodeView(view);
    assert.match(text, ALPHABET, JSON.stringify(view));
    assert.match(text, GRAMMAR, JSON.stringify(view));
  }
});

// -- paneView: from a live pane ------------------------------------------------------------

test("paneView takes a pane's state ({x, y} pan) and its user window", () => {
  const live = {
    series: 2,
    frame: 5,
    invert: true,
    zoom: 2,
    pan: { x: 3, y: -4 },
    rotation: -90,
    flipH: false,
    flipV: true,
    uid: "1.2.3",
  };
  assert.deepEqual(
    paneView(live, [40, 400]),
    pane({
      series: 2,
      frame: 5,
      invert: true,
      zoom: 2,
      pan: [3, -4],
      rotation: 270,
      flipV: true,
      window: [40, 400],
    }),
  );
  assert.equal(paneView({ ...live, series: -1 }, null), null, "an empty pane");
  assert.equal(paneView(live, undefined)?.window, null);
});
