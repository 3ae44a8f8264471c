// The slide view's pure math (viewer/slide-math.js), against values worked by hand.
import assert from "node:assert/strict";
import test from "node:test";

import {
  chooseLevel,
  lengthText,
  placement,
  scaleBar,
  sparseGrid,
  visibleTiles,
  zoomAbout,
} from "../../web/js/viewer/slide-math.js";

/** @param {number} spacing @param {number} width @param {number} height @param {number[] | null} positions */
const level = (spacing, width, height, positions = null) => ({
  file: "x",
  width,
  height,
  tileWidth: 100,
  tileHeight: 100,
  spacing: [spacing, spacing],
  frames: positions ? positions.length / 2 : Math.ceil(width / 100) * Math.ceil(height / 100),
  organization: positions ? "TILED_SPARSE" : "TILED_FULL",
  flavor: "VOLUME",
  opticalPath: "1",
  transferSyntax: "",
  positions,
});

test("the level is the coarsest whose pixels are no larger than a screen pixel", () => {
  const levels = [level(0.5, 1000, 800), level(1, 500, 400), level(2, 250, 200)];
  assert.equal(chooseLevel(levels, 0.2), 0);
  assert.equal(chooseLevel(levels, 0.5), 0);
  assert.equal(chooseLevel(levels, 0.99), 0);
  assert.equal(chooseLevel(levels, 1), 1);
  assert.equal(chooseLevel(levels, 3.9), 2);
  assert.equal(chooseLevel(levels, 100), 2);
});

test("tiles in view: TILED_FULL by row and column, clipped at the matrix' edge", () => {
  const l = level(1, 250, 180); // 3 × 2 tiles, the last column 50 wide, the last row 80
  // A 100 × 100 view at 1 µm/px centred on (200, 150) µm: pixels x 150..250, y 100..200,
  // which is tile row 1 (y 100..180) and columns 1 and 2: frames 4 and 5.
  const tiles = visibleTiles(l, { center: [200, 150], zoom: 1 }, 100, 100, null);
  assert.deepEqual(tiles.map((t) => t.frame).sort(), [4, 5]);
  const last = tiles.find((t) => t.frame === 5);
  assert.deepEqual(last, { frame: 5, x: 200, y: 100, w: 50, h: 80 });
  const { left, top, kx } = placement(l, { center: [200, 150], zoom: 0.5 }, 100, 100);
  assert.deepEqual([left, top, kx], [175, 125, 2]);
});

test("tiles in view: TILED_SPARSE by each frame's position, missing tiles left out", () => {
  const l = level(1, 300, 100, [200, 0, 0, 0]); // frame 0 at x 200, frame 1 at x 0; none at 100
  const grid = sparseGrid(l);
  const tiles = visibleTiles(l, { center: [150, 50], zoom: 1 }, 300, 100, grid);
  assert.deepEqual(tiles.map((t) => [t.frame, t.x]).sort(), [
    [0, 200],
    [1, 0],
  ]);
});

test("the scale bar is a round length near 120 pixels, in µm or mm", () => {
  assert.deepEqual(scaleBar(1), { um: 100, px: 100, label: "100 µm" });
  assert.deepEqual(scaleBar(0.25).um, 20);
  assert.equal(scaleBar(20).label, "2 mm");
  assert.equal(lengthText(1500), "1.5 mm");
});

test("zooming about a point keeps the slide under it", () => {
  const camera = { center: [500, 400], zoom: 2 };
  const zoomed = zoomAbout(camera, 2, 30, 70, 200, 100);
  const under = (/** @type {{center: number[], zoom: number}} */ c) => [
    c.center[0] + (30 - 100) * c.zoom,
    c.center[1] + (70 - 50) * c.zoom,
  ];
  assert.equal(zoomed.zoom, 1);
  assert.deepEqual(under(zoomed), under(camera));
});
