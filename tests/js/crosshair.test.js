// The MPR geometry (viewer/crosshair.js) against values worked by hand.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  cutLine,
  distanceToLine,
  fromView,
  normalOf,
  rotateAbout,
  toView,
} from "../../web/js/viewer/crosshair.js";

/** A coronal view: rows run left→right (+x), columns head→foot (−z), 0.5 mm × 2 mm pixels. */
const coronal = {
  origin: [-100, 20, 50],
  rowDirection: [1, 0, 0],
  columnDirection: [0, 0, -1],
  rowSpacing: 2,
  columnSpacing: 0.5,
  rows: 60,
  columns: 400,
};

/** @param {number[]} a @param {number[]} b */
function close(a, b, eps = 1e-9) {
  assert.equal(a.length, b.length);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < eps, `${a} != ${b}`));
}

test("the normal of a coronal view faces posterior (+y): x × −z", () => {
  close(normalOf(coronal), [0, 1, 0]);
});

test("a point maps to the centre of the pixel that samples it, and back", () => {
  // x = -100 + 10 * 0.5 → column 10; z = 50 - 3 * 2 → row 3; y is off the plane.
  const p = toView(coronal, [-95, 33, 44]);
  close([p.x, p.y], [10.5, 3.5]);
  close(fromView(coronal, p), [-95, 20, 44]);
});

test("an axial plane cuts a coronal view along a row; a sagittal one along a column", () => {
  const axial = cutLine(coronal, [-95, 20, 44], [0, 0, 1]);
  assert.ok(axial);
  close([axial.at.x, axial.at.y], [10.5, 3.5]);
  close([Math.abs(axial.direction.x), axial.direction.y], [1, 0]);
  const sagittal = cutLine(coronal, [-95, 20, 44], [1, 0, 0]);
  assert.ok(sagittal);
  close([sagittal.direction.x, Math.abs(sagittal.direction.y)], [0, 1]);
  assert.equal(cutLine(coronal, [0, 0, 0], [0, -1, 0]), null, "a parallel plane does not cut");
});

test("a cut line's direction is in image pixels, so anisotropic pixels bend it", () => {
  // A plane facing (1, 0, 1)/√2 cuts the coronal plane along (1, 0, -1) in mm: 1 mm
  // right is 2 columns, 1 mm down is 0.5 rows, so the line goes (2, 0.5) in pixels.
  const line = cutLine(coronal, [0, 20, 0], [1, 0, 1]);
  assert.ok(line);
  const slope = line.direction.y / line.direction.x;
  assert.ok(Math.abs(Math.abs(slope) - 0.25) < 1e-9, `slope ${slope}`);
});

test("distance to a line", () => {
  assert.equal(distanceToLine({ x: 3, y: 7 }, { x: 0, y: 2 }, { x: 1, y: 0 }), 5);
});

test("rotation about an axis is right-handed", () => {
  close(rotateAbout([1, 0, 0], [0, 0, 1], 90), [0, 1, 0]);
  close(rotateAbout([0, 1, 0], [0, 0, 2], -90), [1, 0, 0]);
  const c = Math.cos(Math.PI / 6);
  close(rotateAbout([0, 1, 0], [1, 0, 0], 30), [0, c, 0.5]);
});
