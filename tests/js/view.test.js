// View transform, measurement geometry, CSV and window presets, in Node: node --test tests/js/
// Expected values are worked out by hand in the comments next to each table row.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  angleAt,
  applyMatrix,
  csvField,
  invertMatrix,
  lengthBetween,
  matrixScale,
  scaleBar,
  screenLabels,
  viewMatrix,
  wheelZoomFactor,
  windowFromDrag,
  zoomAbout,
} from "../../web/js/viewer/interaction.js";
import { presetsFor } from "../../web/js/viewer/presets.js";

const EPS = 1e-9;

/** @param {number} actual @param {number} expected @param {string} [message] @param {number} [eps] */
function near(actual, expected, message = "", eps = EPS) {
  assert.ok(Math.abs(actual - expected) <= eps, `${message} expected ${expected}, got ${actual}`);
}

/** @param {{x: number, y: number}} actual @param {{x: number, y: number}} expected @param {string} [message] */
function nearPoint(actual, expected, message = "", eps = 1e-7) {
  near(actual.x, expected.x, `${message} x:`, eps);
  near(actual.y, expected.y, `${message} y:`, eps);
}

/** @param {Partial<{zoom: number, pan: {x: number, y: number}, rotation: number, flipH: boolean, flipV: boolean}>} v */
function view(v = {}) {
  return { zoom: 1, pan: { x: 0, y: 0 }, rotation: 0, flipH: false, flipV: false, ...v };
}

// -- viewMatrix ------------------------------------------------------------------------------

// A 100x50 image (columns x rows) in a 400x400 box. Image corners are
// TL=(0,0), TR=(100,0), BL=(0,50), BR=(100,50) in image pixel coordinates.
//
// Unrotated: fit = min(400/100, 400/50) = 4; drawn area 400x200 centred → x 0..400, y 100..300.
// Quarter turn: rotated size 50x100, fit = min(400/50, 400/100) = 4; drawn area 200x400 → x 100..300, y 0..400.
// Rotation is clockwise on screen (y down): the image's top edge goes to the right side.
// Flips apply in image space before the rotation.
const CORNER_CASES = [
  // rotation 0: TL→top-left (0,100), TR→(400,100), BL→(0,300), BR→(400,300)
  {
    rotation: 0,
    flipH: false,
    flipV: false,
    TL: [0, 100],
    TR: [400, 100],
    BL: [0, 300],
    BR: [400, 300],
  },
  // 90° clockwise: image top edge becomes the right edge of the drawn area (x=300);
  // TL→top-right (300,0), TR→bottom-right (300,400), BL→top-left (100,0), BR→bottom-left (100,400)
  {
    rotation: 90,
    flipH: false,
    flipV: false,
    TL: [300, 0],
    TR: [300, 400],
    BL: [100, 0],
    BR: [100, 400],
  },
  // 180°: every corner to its opposite: TL→(400,300), TR→(0,300), BL→(400,100), BR→(0,100)
  {
    rotation: 180,
    flipH: false,
    flipV: false,
    TL: [400, 300],
    TR: [0, 300],
    BL: [400, 100],
    BR: [0, 100],
  },
  // 270° clockwise (= 90° counter-clockwise): image top edge becomes the left edge (x=100);
  // TL→bottom-left (100,400), TR→top-left (100,0), BL→bottom-right (300,400), BR→top-right (300,0)
  {
    rotation: 270,
    flipH: false,
    flipV: false,
    TL: [100, 400],
    TR: [100, 0],
    BL: [300, 400],
    BR: [300, 0],
  },
  // -90 and 450 are the same quarter turns as 270 and 90
  {
    rotation: -90,
    flipH: false,
    flipV: false,
    TL: [100, 400],
    TR: [100, 0],
    BL: [300, 400],
    BR: [300, 0],
  },
  {
    rotation: 450,
    flipH: false,
    flipV: false,
    TL: [300, 0],
    TR: [300, 400],
    BL: [100, 0],
    BR: [100, 400],
  },
  // flipH: left and right swap: TL→(400,100), TR→(0,100), BL→(400,300), BR→(0,300)
  {
    rotation: 0,
    flipH: true,
    flipV: false,
    TL: [400, 100],
    TR: [0, 100],
    BL: [400, 300],
    BR: [0, 300],
  },
  // flipV: top and bottom swap: TL→(0,300), TR→(400,300), BL→(0,100), BR→(400,100)
  {
    rotation: 0,
    flipH: false,
    flipV: true,
    TL: [0, 300],
    TR: [400, 300],
    BL: [0, 100],
    BR: [400, 100],
  },
  // both flips = 180° rotation
  {
    rotation: 0,
    flipH: true,
    flipV: true,
    TL: [400, 300],
    TR: [0, 300],
    BL: [400, 100],
    BR: [0, 100],
  },
  // flipH then 90°: TL goes where TR went unflipped (300,400); TR where TL went (300,0);
  // BL where BR went (100,400); BR where BL went (100,0)
  {
    rotation: 90,
    flipH: true,
    flipV: false,
    TL: [300, 400],
    TR: [300, 0],
    BL: [100, 400],
    BR: [100, 0],
  },
  // flipV then 90°: TL goes where BL went (100,0); TR where BR went (100,400); BL→(300,0); BR→(300,400)
  {
    rotation: 90,
    flipH: false,
    flipV: true,
    TL: [100, 0],
    TR: [100, 400],
    BL: [300, 0],
    BR: [300, 400],
  },
  // flipH then 180° = flipV: TL→(0,300) ...
  {
    rotation: 180,
    flipH: true,
    flipV: false,
    TL: [0, 300],
    TR: [400, 300],
    BL: [0, 100],
    BR: [400, 100],
  },
  // flipH then 270°: TL goes where TR went at 270 (100,0); TR→(100,400); BL→(300,0); BR→(300,400)
  {
    rotation: 270,
    flipH: true,
    flipV: false,
    TL: [100, 0],
    TR: [100, 400],
    BL: [300, 0],
    BR: [300, 400],
  },
];

for (const c of CORNER_CASES) {
  test(`viewMatrix puts a 100x50 image's corners right: rotation ${c.rotation}, flipH ${c.flipH}, flipV ${c.flipV}`, () => {
    const m = viewMatrix(
      100,
      50,
      400,
      400,
      view({ rotation: c.rotation, flipH: c.flipH, flipV: c.flipV }),
    );
    nearPoint(applyMatrix(m, { x: 0, y: 0 }), { x: c.TL[0], y: c.TL[1] }, "TL");
    nearPoint(applyMatrix(m, { x: 100, y: 0 }), { x: c.TR[0], y: c.TR[1] }, "TR");
    nearPoint(applyMatrix(m, { x: 0, y: 50 }), { x: c.BL[0], y: c.BL[1] }, "BL");
    nearPoint(applyMatrix(m, { x: 100, y: 50 }), { x: c.BR[0], y: c.BR[1] }, "BR");
    // the image centre (50,25) always lands on the box centre (no pan)
    nearPoint(applyMatrix(m, { x: 50, y: 25 }), { x: 200, y: 200 }, "centre");
    near(matrixScale(m), 4, "scale");
  });
}

test("viewMatrix fits the rotated size into a non-square box", () => {
  // 100x50 in 600x300. Unrotated: fit = min(6, 6) = 6 → drawn 600x300, TL at (0,0).
  let m = viewMatrix(100, 50, 600, 300, view());
  near(matrixScale(m), 6);
  nearPoint(applyMatrix(m, { x: 0, y: 0 }), { x: 0, y: 0 });
  nearPoint(applyMatrix(m, { x: 100, y: 50 }), { x: 600, y: 300 });
  // 90°: rotated 50x100, fit = min(600/50, 300/100) = 3 → drawn 150x300, x 225..375.
  // TL → top-right of the drawn area (375, 0); BR → bottom-left (225, 300).
  m = viewMatrix(100, 50, 600, 300, view({ rotation: 90 }));
  near(matrixScale(m), 3);
  nearPoint(applyMatrix(m, { x: 0, y: 0 }), { x: 375, y: 0 });
  nearPoint(applyMatrix(m, { x: 100, y: 50 }), { x: 225, y: 300 });
  // A tall narrow box, where fitting the unrotated size would be wrong.
  // 100x50 in 100x400. Unrotated: fit = min(100/100, 400/50) = 1 → drawn 100x50, y 175..225.
  m = viewMatrix(100, 50, 100, 400, view());
  near(matrixScale(m), 1);
  nearPoint(applyMatrix(m, { x: 0, y: 0 }), { x: 0, y: 175 });
  // 90°: rotated 50x100, fit = min(100/50, 400/100) = 2 → drawn 100x200, x 0..100, y 100..300.
  // TL → top-right (100, 100); BR → bottom-left (0, 300).
  for (const rotation of [90, 270]) {
    m = viewMatrix(100, 50, 100, 400, view({ rotation }));
    near(matrixScale(m), 2, `rotation ${rotation}`);
  }
  m = viewMatrix(100, 50, 100, 400, view({ rotation: 90 }));
  nearPoint(applyMatrix(m, { x: 0, y: 0 }), { x: 100, y: 100 });
  nearPoint(applyMatrix(m, { x: 100, y: 50 }), { x: 0, y: 300 });
});

test("viewMatrix zooms about the box centre, then pans (pan in CSS pixels times the pixel ratio)", () => {
  // 100x50 in 400x400, zoom 2: s = 8; p → (200,200) + pan + 8 * (p - (50,25)).
  // pan (10,-20): (0,0) → (200 + 10 - 400, 200 - 20 - 200) = (-190, -20)
  let m = viewMatrix(100, 50, 400, 400, view({ zoom: 2, pan: { x: 10, y: -20 } }));
  near(matrixScale(m), 8);
  nearPoint(applyMatrix(m, { x: 0, y: 0 }), { x: -190, y: -20 });
  nearPoint(applyMatrix(m, { x: 50, y: 25 }), { x: 210, y: 180 });
  // pixel ratio 2: the same pan is 20,-40 canvas pixels: (0,0) → (200 + 20 - 400, 200 - 40 - 200)
  m = viewMatrix(100, 50, 400, 400, view({ zoom: 2, pan: { x: 10, y: -20 } }), 2);
  nearPoint(applyMatrix(m, { x: 0, y: 0 }), { x: -180, y: -40 });
  // rotation 90 + zoom 2 + pan (10,-20): s = 8, TL = centre + pan + R90*(8*(-50,-25))
  // R90 (x,y) → (-y, x): (-400,-200) → (200,-400); plus (210,180) → (410,-220)
  m = viewMatrix(100, 50, 400, 400, view({ zoom: 2, pan: { x: 10, y: -20 }, rotation: 90 }));
  nearPoint(applyMatrix(m, { x: 0, y: 0 }), { x: 410, y: -220 });
});

// -- applyMatrix / invertMatrix / matrixScale ----------------------------------------------

const MATRICES = [
  [1, 0, 0, 1, 0, 0], // identity
  [2, 0, 0, 3, 5, -7], // axis-aligned scale + translation
  [0, 4, -4, 0, 300, 0], // 90° turn of the 100x50 example
  [-4, 0, 0, 4, 400, 100], // flipH
  [0.5, 1.5, -2, 0.25, 11, 13], // general affine
  ...[0, 90, 180, 270].flatMap((rotation) =>
    [false, true].map((flipH) =>
      viewMatrix(
        123,
        77,
        640,
        480,
        view({ rotation, flipH, zoom: 1.7, pan: { x: -9, y: 4 } }),
        1.5,
      ),
    ),
  ),
];
const POINTS = [
  { x: 0, y: 0 },
  { x: 1, y: 0 },
  { x: 0, y: 1 },
  { x: 37.25, y: -12.5 },
  { x: 1000, y: 777 },
];

test("applyMatrix uses canvas order a b c d e f: x' = a x + c y + e, y' = b x + d y + f", () => {
  // [2,0,0,3,5,-7]: (1,1) → (2+5, 3-7) = (7,-4); [0.5,1.5,-2,0.25,11,13]: (2,4) → (1-8+11, 3+1+13) = (4,17)
  assert.deepEqual(applyMatrix([2, 0, 0, 3, 5, -7], { x: 1, y: 1 }), { x: 7, y: -4 });
  assert.deepEqual(applyMatrix([0.5, 1.5, -2, 0.25, 11, 13], { x: 2, y: 4 }), { x: 4, y: 17 });
});

test("invertMatrix undoes applyMatrix both ways", () => {
  for (const m of MATRICES) {
    const inv = invertMatrix(/** @type {any} */ (m));
    for (const p of POINTS) {
      nearPoint(applyMatrix(inv, applyMatrix(/** @type {any} */ (m), p)), p, `inv(m(p)) for ${m}`);
      nearPoint(applyMatrix(/** @type {any} */ (m), applyMatrix(inv, p)), p, `m(inv(p)) for ${m}`);
    }
  }
  // hand check: inverse of [2,0,0,3,5,-7] is [1/2, 0, 0, 1/3, -5/2, 7/3]
  const inv = invertMatrix([2, 0, 0, 3, 5, -7]);
  [0.5, 0, 0, 1 / 3, -2.5, 7 / 3].forEach((v, i) => near(inv[i], v, `entry ${i}`));
});

test("invertMatrix of a singular matrix is the identity, not NaN", () => {
  assert.deepEqual(invertMatrix([0, 0, 0, 0, 5, 5]), [1, 0, 0, 1, 0, 0]);
  assert.deepEqual(invertMatrix([1, 2, 2, 4, 0, 0]), [1, 0, 0, 1, 0, 0]); // det = 4 - 4 = 0
});

test("matrixScale is the canvas pixels per image pixel whatever the rotation or flip", () => {
  // 100x50 in 400x400: fit 4 in every orientation; zoom 2.5 → 10; pixel ratio does not change the fit
  for (const rotation of [0, 90, 180, 270]) {
    for (const flipH of [false, true]) {
      for (const flipV of [false, true]) {
        near(matrixScale(viewMatrix(100, 50, 400, 400, view({ rotation, flipH, flipV }))), 4);
        near(
          matrixScale(viewMatrix(100, 50, 400, 400, view({ rotation, flipH, flipV, zoom: 2.5 }))),
          10,
        );
      }
    }
  }
  near(matrixScale([3, 4, -4, 3, 0, 0]), 5); // rotation-scale with cos·s = 3, sin·s = 4
});

// -- zoomAbout / wheelZoomFactor -------------------------------------------------------------

test("zoomAbout keeps the image point under the cursor fixed, for every rotation and flip", () => {
  const box = { width: 400, height: 300 };
  const cursors = [
    { x: 123, y: 77 },
    { x: 0, y: 0 },
    { x: 399, y: 299 },
    { x: 200, y: 150 },
  ];
  for (const ratio of [1, 2]) {
    for (const rotation of [0, 90, 180, 270]) {
      for (const flipH of [false, true]) {
        for (const flipV of [false, true]) {
          for (const factor of [1.25, 0.5, 3]) {
            for (const cursor of cursors) {
              const before = view({ rotation, flipH, flipV, zoom: 1.5, pan: { x: 17, y: -31 } });
              const mBefore = viewMatrix(
                100,
                50,
                box.width * ratio,
                box.height * ratio,
                before,
                ratio,
              );
              const canvasCursor = { x: cursor.x * ratio, y: cursor.y * ratio };
              const imagePoint = applyMatrix(invertMatrix(mBefore), canvasCursor);
              const next = zoomAbout(before, factor, cursor, box);
              near(next.zoom, 1.5 * factor, "zoom");
              const after = { ...before, zoom: next.zoom, pan: next.pan };
              const mAfter = viewMatrix(
                100,
                50,
                box.width * ratio,
                box.height * ratio,
                after,
                ratio,
              );
              nearPoint(
                applyMatrix(mAfter, imagePoint),
                canvasCursor,
                `rotation ${rotation} flipH ${flipH} flipV ${flipV} factor ${factor} ratio ${ratio} cursor ${cursor.x},${cursor.y}`,
              );
            }
          }
        }
      }
    }
  }
});

test("zoomAbout at the image centre does not pan; zoom is clamped to [0.05, 64] and the point still stays", () => {
  // cursor = box centre + pan → pan unchanged
  const before = view({ zoom: 2, pan: { x: 30, y: -10 } });
  const next = zoomAbout(before, 1.5, { x: 230, y: 140 }, { width: 400, height: 300 });
  near(next.zoom, 3);
  nearPoint(next.pan, { x: 30, y: -10 });

  for (const [zoom, factor, expected] of [
    [40, 4, 64], // 160 → 64
    [0.1, 0.1, 0.05], // 0.01 → 0.05
  ]) {
    const v = view({ zoom, rotation: 90, flipV: true, pan: { x: 5, y: 6 } });
    const cursor = { x: 50, y: 260 };
    const p = applyMatrix(invertMatrix(viewMatrix(100, 50, 400, 300, v)), cursor);
    const z = zoomAbout(v, factor, cursor, { width: 400, height: 300 });
    near(z.zoom, expected, "clamped zoom");
    nearPoint(
      applyMatrix(viewMatrix(100, 50, 400, 300, { ...v, ...z }), p),
      cursor,
      "point stays when clamped",
      1e-6,
    );
  }
});

test("wheelZoomFactor: 1 at 0, wheel up (negative deltaY) zooms in, strictly decreasing, multiplicative", () => {
  assert.equal(wheelZoomFactor(0), 1);
  assert.ok(wheelZoomFactor(-100) > 1);
  assert.ok(wheelZoomFactor(100) < 1);
  // exp(-100 * 0.002) = exp(-0.2) = 0.818730753...
  near(wheelZoomFactor(100), Math.exp(-0.2));
  const deltas = [-1000, -240, -100, -3, -0.5, 0, 0.5, 3, 100, 240, 1000];
  for (let i = 1; i < deltas.length; i += 1) {
    assert.ok(
      wheelZoomFactor(deltas[i]) < wheelZoomFactor(deltas[i - 1]),
      `not decreasing at ${deltas[i]}`,
    );
  }
  for (const d of [1, 50, 333]) {
    near(wheelZoomFactor(d) * wheelZoomFactor(-d), 1, "in and out cancel");
    near(
      wheelZoomFactor(d) * wheelZoomFactor(d),
      wheelZoomFactor(2 * d),
      "two events = one of twice the delta",
    );
  }
});

// -- windowFromDrag --------------------------------------------------------------------------

test("windowFromDrag: right widens, down raises the centre, proportional to the starting width", () => {
  // sensitivity = max(width, 2) / 250
  const cases = [
    // start, dx, dy, expected; worked out by hand
    [{ center: 40, width: 400 }, 0, 0, { center: 40, width: 400 }],
    [{ center: 40, width: 400 }, 10, 0, { center: 40, width: 416 }], // 400/250 = 1.6 per px
    [{ center: 40, width: 400 }, -10, 0, { center: 40, width: 384 }],
    [{ center: 40, width: 400 }, 0, 10, { center: 56, width: 400 }],
    [{ center: 40, width: 400 }, 0, -25, { center: 0, width: 400 }],
    [{ center: 40, width: 400 }, 25, 25, { center: 80, width: 440 }],
    [{ center: 1000, width: 4000 }, 10, 10, { center: 1160, width: 4160 }], // 16 per px
    [{ center: 100, width: 250 }, 4, -3, { center: 97, width: 254 }], // 1 per px
    [{ center: 0, width: 1 }, 250, 250, { center: 2, width: 3 }], // width floor 2 in the sensitivity: 0.008 per px
    [{ center: 40, width: 400 }, -1000, 0, { center: 40, width: 1 }], // 400 - 1600 → floor 1
    [{ center: 40, width: 400 }, -250, 0, { center: 40, width: 1 }], // exactly 0 → 1
  ];
  for (const [start, dx, dy, expected] of cases) {
    const got = windowFromDrag(
      /** @type {any} */ (start),
      /** @type {number} */ (dx),
      /** @type {number} */ (dy),
    );
    near(
      got.center,
      /** @type {any} */ (expected).center,
      `center for ${JSON.stringify([start, dx, dy])}`,
    );
    near(
      got.width,
      /** @type {any} */ (expected).width,
      `width for ${JSON.stringify([start, dx, dy])}`,
    );
  }
});

test("windowFromDrag: width never below 1 for any drag; change scales with the starting width", () => {
  for (const width of [1, 2, 80, 400, 4000]) {
    for (const dx of [-1e6, -1000, -1, 0, 1]) {
      assert.ok(windowFromDrag({ center: 0, width }, dx, 0).width >= 1, `width ${width} dx ${dx}`);
    }
  }
  // ten times the starting width → ten times the change, for the same drag
  const small = windowFromDrag({ center: 0, width: 100 }, 7, 9);
  const large = windowFromDrag({ center: 0, width: 1000 }, 7, 9);
  near(large.width - 1000, 10 * (small.width - 100));
  near(large.center, 10 * small.center);
});

// -- screenLabels ----------------------------------------------------------------------------

const AXIAL = { top: "A", right: "L", bottom: "P", left: "R" };

test("screenLabels: hand-worked table for an axial image", () => {
  const cases = [
    // rotation, flipH, flipV, expected
    [0, false, false, { top: "A", right: "L", bottom: "P", left: "R" }],
    // flipH swaps left and right
    [0, true, false, { top: "A", right: "R", bottom: "P", left: "L" }],
    // flipV swaps top and bottom
    [0, false, true, { top: "P", right: "L", bottom: "A", left: "R" }],
    // 90° clockwise: image top (A) → right, right (L) → bottom, bottom (P) → left, left (R) → top
    [90, false, false, { top: "R", right: "A", bottom: "L", left: "P" }],
    [180, false, false, { top: "P", right: "R", bottom: "A", left: "L" }],
    // 270° clockwise: image top (A) → left, right (L) → top, bottom (P) → right, left (R) → bottom
    [270, false, false, { top: "L", right: "P", bottom: "R", left: "A" }],
    [-90, false, false, { top: "L", right: "P", bottom: "R", left: "A" }],
    [360, false, false, AXIAL],
    [720, false, false, AXIAL],
    // flipH (image left L, right R), then 90° clockwise: top edge A → right,
    // the now-right edge R → bottom, bottom P → left, the now-left L → top
    [90, true, false, { top: "L", right: "A", bottom: "R", left: "P" }],
    // flipV (image top P, bottom A), then 90°: P → right, L → bottom, A → left, R → top
    [90, false, true, { top: "R", right: "P", bottom: "L", left: "A" }],
    // both flips = 180°
    [0, true, true, { top: "P", right: "R", bottom: "A", left: "L" }],
  ];
  for (const [rotation, flipH, flipV, expected] of cases) {
    assert.deepEqual(
      screenLabels(
        AXIAL,
        /** @type {number} */ (rotation),
        /** @type {boolean} */ (flipH),
        /** @type {boolean} */ (flipV),
      ),
      expected,
      `rotation ${rotation} flipH ${flipH} flipV ${flipV}`,
    );
  }
});

/**
 * Which screen side an image edge ends up on, from where viewMatrix puts the
 * edge's midpoint (a 100x100 image in a 400x400 box fills it; midpoints land on the box edges).
 * @param {number} rotation @param {boolean} flipH @param {boolean} flipV
 */
function edgesFromGeometry(rotation, flipH, flipV) {
  const m = viewMatrix(100, 100, 400, 400, view({ rotation, flipH, flipV }));
  const midpoints = {
    top: { x: 50, y: 0 },
    right: { x: 100, y: 50 },
    bottom: { x: 50, y: 100 },
    left: { x: 0, y: 50 },
  };
  /** @type {Record<string, string>} */
  const screen = {};
  for (const [edge, p] of Object.entries(midpoints)) {
    const q = applyMatrix(m, p);
    const side =
      Math.abs(q.y) < 1e-9
        ? "top"
        : Math.abs(q.x - 400) < 1e-9
          ? "right"
          : Math.abs(q.y - 400) < 1e-9
            ? "bottom"
            : "left";
    screen[side] = AXIAL[/** @type {keyof typeof AXIAL} */ (edge)];
  }
  return screen;
}

test("screenLabels agree with where viewMatrix draws each image edge, for all 16 views", () => {
  for (const rotation of [0, 90, 180, 270]) {
    for (const flipH of [false, true]) {
      for (const flipV of [false, true]) {
        const expected = edgesFromGeometry(rotation, flipH, flipV);
        assert.equal(Object.keys(expected).length, 4);
        assert.deepEqual(
          screenLabels(AXIAL, rotation, flipH, flipV),
          expected,
          `rotation ${rotation} flipH ${flipH} flipV ${flipV}`,
        );
      }
    }
  }
});

test("screenLabels: four quarter turns are the identity, and flipping twice restores", () => {
  const labels = { top: "HA", right: "LP", bottom: "FP", left: "RA" };
  let step = labels;
  for (let i = 0; i < 4; i += 1) step = screenLabels(step, 90, false, false);
  assert.deepEqual(step, labels);
  assert.deepEqual(screenLabels(screenLabels(labels, 0, true, true), 0, true, true), labels);
  assert.deepEqual(
    labels,
    { top: "HA", right: "LP", bottom: "FP", left: "RA" },
    "input not mutated",
  );
});

// -- lengthBetween / angleAt -----------------------------------------------------------------

test("lengthBetween: mm with row and column spacing, pixels when uncalibrated", () => {
  const cal = (/** @type {number|null} */ row_mm, /** @type {number|null} */ column_mm) => ({
    row_mm,
    column_mm,
    kind: "Pixel Spacing",
    note: "",
  });
  const cases = [
    // p0, p1, calibration, value, unit
    [{ x: 0, y: 0 }, { x: 3, y: 4 }, cal(1, 1), 5, "mm"],
    [{ x: 0, y: 0 }, { x: 3, y: 4 }, cal(0.5, 0.5), 2.5, "mm"],
    // dx along columns uses column_mm, dy along rows uses row_mm:
    [{ x: 0, y: 0 }, { x: 10, y: 0 }, cal(0.7, 0.3), 3, "mm"], // 10 * 0.3
    [{ x: 0, y: 0 }, { x: 0, y: 10 }, cal(0.7, 0.3), 7, "mm"], // 10 * 0.7
    // (3,4) with row 0.5, column 2: hypot(3*2, 4*0.5) = hypot(6, 2) = sqrt(40)
    [{ x: 1, y: 1 }, { x: 4, y: 5 }, cal(0.5, 2), Math.sqrt(40), "mm"],
    // direction does not matter
    [{ x: 4, y: 5 }, { x: 1, y: 1 }, cal(0.5, 2), Math.sqrt(40), "mm"],
    [
      { x: 0, y: 0 },
      { x: 3, y: 4 },
      { row_mm: null, column_mm: null, kind: "uncalibrated", note: "" },
      5,
      "px",
    ],
    // only one spacing known → not calibrated
    [{ x: 0, y: 0 }, { x: 3, y: 4 }, cal(2, null), 5, "px"],
    [{ x: 2, y: 2 }, { x: 2, y: 2 }, cal(0.5, 2), 0, "mm"],
  ];
  for (const [p0, p1, c, value, unit] of cases) {
    const got = lengthBetween(
      /** @type {any} */ (p0),
      /** @type {any} */ (p1),
      /** @type {any} */ (c),
    );
    assert.equal(got.unit, unit);
    near(got.value, /** @type {number} */ (value), `${JSON.stringify([p0, p1, c])}`);
  }
});

test("angleAt: right angle, 45°, straight, and anisotropic spacing changes the angle", () => {
  const iso = { row_mm: 1, column_mm: 1, kind: "Pixel Spacing", note: "" };
  const none = { row_mm: null, column_mm: null, kind: "uncalibrated", note: "" };
  const tall = { row_mm: 2, column_mm: 1, kind: "Pixel Spacing", note: "" }; // rows twice as far apart
  const deg = (/** @type {number} */ r) => (r * 180) / Math.PI;
  const cases = [
    // a, vertex b, c, calibration, degrees
    [{ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 0, y: 10 }, iso, 90],
    [{ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 10, y: 10 }, iso, 45],
    [{ x: -5, y: 0 }, { x: 0, y: 0 }, { x: 5, y: 0 }, iso, 180],
    [{ x: 1, y: 1 }, { x: 5, y: 3 }, { x: 9, y: 5 }, iso, 180], // collinear, b in the middle
    [{ x: 5, y: 0 }, { x: 0, y: 0 }, { x: 9, y: 0 }, iso, 0], // same ray
    [{ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 10, y: 10 }, none, 45], // uncalibrated: pixel space
    // axis-aligned rays stay perpendicular whatever the spacing
    [{ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 0, y: 10 }, tall, 90],
    // 45° in pixels, rows 2 mm apart: v = (10, 20) mm → atan2(20, 10) = 63.4349°
    [{ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 10, y: 10 }, tall, deg(Math.atan2(20, 10))],
    // 90° in pixels between (1,1) and (1,-1): in mm (1,2)·(1,-2) = 1 - 4 = -3, |u||v| = 5 → acos(-0.6) = 126.87°
    [{ x: 1, y: 1 }, { x: 0, y: 0 }, { x: 1, y: -1 }, tall, deg(Math.acos(-0.6))],
    // column spacing 3, row 1: 45° in pixels → v = (30, 10) mm → atan2(10, 30) = 18.4349°
    [
      { x: 10, y: 0 },
      { x: 0, y: 0 },
      { x: 10, y: 10 },
      { row_mm: 1, column_mm: 3, kind: "Pixel Spacing", note: "" },
      deg(Math.atan2(10, 30)),
    ],
    // degenerate: a point on the vertex
    [{ x: 0, y: 0 }, { x: 0, y: 0 }, { x: 10, y: 10 }, iso, 0],
  ];
  for (const [a, b, c, cal, expected] of cases) {
    near(
      angleAt(
        /** @type {any} */ (a),
        /** @type {any} */ (b),
        /** @type {any} */ (c),
        /** @type {any} */ (cal),
      ),
      /** @type {number} */ (expected),
      `${JSON.stringify([a, b, c, cal])}`,
      1e-5, // acos is ill-conditioned at 0° and 180°
    );
  }
  near(angleAt({ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 10, y: 10 }, iso), 45);
  near(angleAt({ x: 10, y: 10 }, { x: 0, y: 0 }, { x: 10, y: 0 }, iso), 45, "order of the rays");
});

// -- scaleBar --------------------------------------------------------------------------------

test("scaleBar: the first round length that is at least 60 px", () => {
  const cases = [
    // css px per mm, expected mm, expected pixels
    [1, 100, 100], // 50 mm = 50 px is too short, 100 mm = 100 px
    [3, 20, 60], // 20 mm = 60 px exactly
    [2.9, 50, 145], // 20 mm = 58 px < 60 → 50 mm = 145 px
    [12, 5, 60], // 5 mm = 60 px
    [60, 1, 60],
    [0.6, 100, 60],
    [0.3, 200, 60],
    [0.2, 500, 100], // 200 mm = 40 px → 500 mm = 100 px
  ];
  for (const [ppm, mm, pixels] of cases) {
    const bar = scaleBar(ppm);
    assert.ok(bar, `bar for ${ppm}`);
    assert.equal(bar.mm, mm, `mm for ${ppm}`);
    near(bar.pixels, pixels, `pixels for ${ppm}`, 1e-9);
  }
  for (const bad of [0, -1, NaN]) assert.equal(scaleBar(bad), null, `${bad}`);
});

test("scaleBar: 60-150 px whenever 1 mm is between 0.12 and 60 px (steps 1-2-5 never more than 2.5x apart)", () => {
  for (let ppm = 0.12; ppm <= 60; ppm *= 1.013) {
    const bar = scaleBar(ppm);
    assert.ok(bar && bar.pixels >= 60 && bar.pixels <= 150, `ppm ${ppm}: ${JSON.stringify(bar)}`);
    near(bar.pixels, bar.mm * ppm, "pixels = mm * ppm");
  }
});

// Regression (was a bug at commit 102a752, fixed in the working tree since): scaleBar's contract
// ("a round length in mm that is 60-150 CSS px long") broke at the zoom levels the viewer allows.
// Its steps were only 1..500 mm, so when 1 mm was more than 150 CSS px it returned {mm: 1} at that
// full length (200 px/mm → a 200 px bar; a 0.4 mm-pixel CT fitted at 1.56 css px/pixel is
// 3.9 px/mm, at the maximum zoom 64 that is 250 px/mm), and when 500 mm was under 60 px (below
// 0.12 px/mm, e.g. a 430 mm chest radiograph zoomed out to 0.05) it returned a bar under 60 px.
/** @param {number} mm */
function isRound(mm) {
  const decade = 10 ** Math.floor(Math.log10(mm) + 1e-9);
  return [1, 2, 5].some((step) => Math.abs(mm - step * decade) <= 1e-9 * decade);
}

test("scaleBar stays 60-150 px with a round length at high zoom (>150 px per mm) and far out (<0.12 px per mm)", () => {
  for (const ppm of [200, 250, 1000, 2500, 0.1, 0.05, 0.001]) {
    const bar = scaleBar(ppm);
    assert.ok(bar && bar.pixels >= 60 && bar.pixels <= 150, `ppm ${ppm}: ${JSON.stringify(bar)}`);
    assert.ok(isRound(bar.mm), `ppm ${ppm}: ${bar.mm} mm is not 1, 2 or 5 times a power of ten`);
    near(bar.pixels, bar.mm * ppm, `ppm ${ppm}: pixels = mm * ppm`, 1e-6 * bar.pixels);
  }
  // hand checks: 200 px/mm → 0.5 mm = 100 px (0.2 mm = 40 px is too short); 0.1 px/mm → 1000 mm = 100 px
  assert.equal(scaleBar(200)?.mm, 0.5);
  assert.equal(scaleBar(0.1)?.mm, 1000);
});

// -- csvField --------------------------------------------------------------------------------

test("csvField quotes fields with commas, quotes or newlines and doubles inner quotes", () => {
  const cases = [
    [null, ""],
    [undefined, ""],
    [0, "0"],
    [false, "false"],
    [12.5, "12.5"],
    ["plain text", "plain text"],
    ["", ""],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['"', '""""'],
    ["line1\nline2", '"line1\nline2"'],
    ["line1\r\nline2", '"line1\r\nline2"'],
    ["mm²", "mm²"],
    ["Pixel Spacing; note", "Pixel Spacing; note"],
  ];
  for (const [input, expected] of cases)
    assert.equal(csvField(input), expected, JSON.stringify(input));
});

// Regression (was a bug at commit 102a752, fixed in the working tree since): csvField left a field
// holding a lone carriage return ("\r") unquoted. RFC 4180 requires line breaks inside a field to
// be quoted, and CSV readers (Excel, Python's csv module) take a bare CR as a record separator, so
// such a value split the measurement row.
test("csvField quotes a field containing a lone carriage return", () => {
  assert.equal(csvField("first\rsecond"), '"first\rsecond"');
});

// -- presetsFor ------------------------------------------------------------------------------

const CT_LABELS = [
  "Brain (40/80)",
  "Subdural (75/215)",
  "Stroke (40/40)",
  "Lung (-600/1500)",
  "Mediastinum (50/350)",
  "Abdomen (50/400)",
  "Liver (30/150)",
  "Bone (400/1800)",
];

test("presetsFor: the first entry is the default with a null window; CT adds the CT windows", () => {
  const ct = presetsFor("CT", []);
  assert.deepEqual(ct[0], { label: "Automatic", center: null, width: null });
  assert.deepEqual(
    ct.slice(1).map((p) => p.label),
    CT_LABELS,
  );
  assert.deepEqual(ct[4], { label: "Lung (-600/1500)", center: -600, width: 1500 });
  for (const p of ct.slice(1)) {
    assert.equal(typeof p.center, "number");
    assert.ok(p.width !== null && p.width > 0);
  }
});

test("presetsFor: no CT windows for other modalities", () => {
  for (const modality of ["MR", "CR", "US", "PT", "", "ct"]) {
    assert.deepEqual(
      presetsFor(modality, []),
      [{ label: "Automatic", center: null, width: null }],
      modality,
    );
  }
});

test("presetsFor: the file's windows come first, in order, then the CT windows", () => {
  const files = [
    { center: 40, width: 80, explanation: "BRAIN" },
    { center: 300, width: 1500, explanation: "" },
  ];
  const ct = presetsFor("CT", files);
  assert.deepEqual(ct.slice(0, 3), [
    { label: "File default", center: null, width: null },
    { label: "File: BRAIN (40/80)", center: 40, width: 80, voi: 0 },
    { label: "File: window 2 (300/1500)", center: 300, width: 1500, voi: 1 },
  ]);
  assert.deepEqual(
    ct.slice(3).map((p) => p.label),
    CT_LABELS,
  );
  const mr = presetsFor("MR", [{ center: 600, width: 1200, explanation: "T2" }]);
  assert.deepEqual(mr, [
    { label: "File default", center: null, width: null },
    { label: "File: T2 (600/1200)", center: 600, width: 1200, voi: 0 },
  ]);
  // A VOI LUT is chosen by its index, with no centre or width.
  const lut = presetsFor("XA", [{ center: null, width: null, explanation: "NORMAL", kind: "lut" }]);
  assert.deepEqual(lut[1], { label: "File LUT: NORMAL", center: null, width: null, voi: 0 });
});
