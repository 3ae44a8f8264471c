// The worker's sampling kernel against values worked by hand (trilinear interpolation is
// the weighted mean of the eight voxels around a point, weights the products of the
// fractions), and against its edge rules (clamped within half a voxel, fill beyond).
import assert from "node:assert/strict";
import test from "node:test";

import { trilinearPlane, windowedPlane } from "../../web/js/worker/kernels.js";

// A 3 × 2 × 2 volume (x fastest): value = 1 + x + 10 y + 100 z, so that any trilinear
// sample is exactly that linear function of the point.
const DIMS = [3, 2, 2];
const data = new Int16Array(12);
for (let z = 0; z < 2; z += 1)
  for (let y = 0; y < 2; y += 1)
    for (let x = 0; x < 3; x += 1) data[z * 6 + y * 3 + x] = 1 + x + 10 * y + 100 * z;

/** @param {number[]} start @param {number[]} along @param {number[]} down @param {number} rows @param {number} columns */
function sample(start, along, down, rows, columns, fill = -7) {
  const out = new Float32Array(rows * columns);
  trilinearPlane(data, DIMS, start, along, down, rows, columns, fill, out);
  return Array.from(out);
}

test("a point between voxels is the weighted mean of the eight around it", () => {
  // (0.25, 0.5, 0.75): 1 + 0.25 + 5 + 75 = 81.25
  assert.deepEqual(sample([0.25, 0.5, 0.75], [1, 0, 0], [0, 0, 0], 1, 2), [81.25, 82.25]);
  // A non-linear volume, worked by hand: only voxel (1, 1, 1) set to 80 → weight
  // 0.5 * 0.5 * 0.5 at (0.5, 0.5, 0.5): 0.125 * 80 = 10 (the others 0).
  const spike = new Int16Array(8);
  spike[7] = 80;
  const out = new Float32Array(1);
  trilinearPlane(spike, [2, 2, 2], [0.5, 0.5, 0.5], [0, 0, 0], [0, 0, 0], 1, 1, 0, out);
  assert.equal(out[0], 10);
});

test("rows and columns step as the plane says", () => {
  // Down a column: z from 0 to 1 in two rows; along a row: y from 0 to 1.
  assert.deepEqual(sample([2, 0, 0], [0, 1, 0], [0, 0, 1], 2, 2), [3, 13, 103, 113]);
});

test("within half a voxel past the outer centres the edge holds; beyond, the fill", () => {
  assert.deepEqual(sample([-0.4, 0, 0], [0, 0, 0], [0, 0, 0], 1, 1), [1]);
  assert.deepEqual(sample([2.4, 1.4, 1.4], [0, 0, 0], [0, 0, 0], 1, 1), [113]);
  assert.deepEqual(sample([-0.6, 0, 0], [0, 0, 0], [0, 0, 0], 1, 1), [-7]);
  assert.deepEqual(sample([0, 0, 1.6], [0, 0, 0], [0, 0, 0], 1, 1, NaN), [NaN]);
});

test("an axis of one voxel has no neighbour to reach for", () => {
  const flat = new Int16Array([5, 9]); // 2 × 1 × 1
  const out = new Float32Array(1);
  trilinearPlane(flat, [2, 1, 1], [0.5, 0.3, -0.2], [0, 0, 0], [0, 0, 0], 1, 1, 0, out);
  assert.equal(out[0], 7);
});

test("arrays smaller than their dimensions are refused", () => {
  assert.throws(
    () =>
      trilinearPlane(
        data,
        [3, 2, 3],
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        1,
        1,
        0,
        new Float32Array(1),
      ),
    RangeError,
  );
});

/**
 * PS3.3 C.11.2.1.2.1 LINEAR, written here: y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255,
 * 0 at or below c - 0.5 - (w - 1) / 2, 255 above c - 0.5 + (w - 1) / 2; rounded half up.
 * @param {number} x @param {number} c @param {number} w
 */
function linear(x, c, w) {
  if (x <= c - 0.5 - (w - 1) / 2) return 0;
  if (x > c - 0.5 + (w - 1) / 2) return 255;
  return Math.floor(((x - (c - 0.5)) / (w - 1) + 0.5) * 255 + 0.5);
}

/** @param {number[]} start @param {number[]} along @param {number} columns @param {number} c @param {number} w @param {boolean} invert */
function windowed(start, along, columns, c, w, invert = false) {
  const out = new Int32Array(columns);
  windowedPlane(data, DIMS, start, along, [0, 0, 0], 1, columns, -7, c, w, invert, out);
  return new Uint8Array(out.buffer);
}

test("the windowed plane is the linear window of the samples, as opaque grey RGBA bytes", () => {
  // Samples 81.25, 82.25, 83.25 (as above); beyond the volume, the fill -7.
  const bytes = windowed([0.25, 0.5, 0.75], [1, 0, 0], 4, 40, 400);
  const expected = [81.25, 82.25, 83.25, -7].map((v) => linear(v, 40, 400));
  assert.deepEqual(expected, [154, 155, 155, 98]); // worked by hand from the formula
  for (let k = 0; k < 4; k += 1) {
    assert.deepEqual(Array.from(bytes.subarray(4 * k, 4 * k + 4)), [
      expected[k],
      expected[k],
      expected[k],
      255,
    ]);
  }
});

test("the window's ends clip to 0 and 255, and inverting turns the grey over", () => {
  // Samples 1 .. 113 (the corners) through a narrow window at 50: the ends clip.
  const ends = windowed([0, 0, 0], [2, 1, 1], 2, 50, 20);
  assert.deepEqual([ends[0], ends[4]], [0, 255]);
  const inverted = windowed([0.25, 0.5, 0.75], [1, 0, 0], 2, 40, 400, true);
  assert.deepEqual([inverted[0], inverted[4], inverted[3]], [255 - 154, 255 - 155, 255]);
});

test("a window of width 1 or less is refused (the caller windows those itself)", () => {
  assert.throws(() => windowed([0, 0, 0], [0, 0, 0], 1, 40, 1), RangeError);
});

test("the windowed plane is the window of the samples on oblique planes partly outside", () => {
  // A volume of 9 × 7 × 5 voxels of varied values, planes through it at odd angles and
  // offsets (some columns beyond the box, some on its rim, some well inside): each pixel
  // the linear window (written above) of the trilinear sample worked here (`trilinear`
  // below: the standard's rules for the box, no code of the kernel's) rounded to float32.
  const dims = [9, 7, 5];
  const voxels = new Int16Array(9 * 7 * 5).map((_, i) => ((i * 7919) % 601) - 300);
  let checked = 0;
  for (const [start, along, down] of [
    [
      [-3.2, -1.1, 0.4],
      [0.83, 0.31, 0.05],
      [0.12, 0.71, 0.3],
    ],
    [
      [8.9, 6.4, 4.6],
      [-0.9, -0.2, -0.33],
      [0.05, -0.6, 0.02],
    ],
    [
      [-0.5, 2.0, 2.0],
      [0.5, 0, 0],
      [0, 0.5, 0.25],
    ],
    [
      [4.0, -0.5, -0.5],
      [0, 0.37, 0.21],
      [0.4, 0, 0],
    ],
  ]) {
    const rows = 23;
    const columns = 29;
    const samples = new Float64Array(rows * columns);
    for (let r = 0; r < rows; r += 1) {
      for (let c = 0; c < columns; c += 1) {
        const at = [0, 1, 2].map((a) => start[a] + c * along[a] + r * down[a]);
        samples[r * columns + c] = trilinear(voxels, dims, at, -1000);
      }
    }
    const out = new Int32Array(rows * columns);
    windowedPlane(voxels, dims, start, along, down, rows, columns, -1000, 20, 300, false, out);
    const bytes = new Uint8Array(out.buffer);
    for (let p = 0; p < rows * columns; p += 1) {
      const grey = linear(Math.fround(samples[p]), 20, 300);
      assert.deepEqual(Array.from(bytes.subarray(4 * p, 4 * p + 4)), [grey, grey, grey, 255]);
      checked += samples[p] === -1000 ? 0 : 1;
    }
  }
  assert.ok(checked > 500, `only ${checked} pixels inside the volume`);
});

/**
 * The trilinear sample at voxel point `at` of `data[z][y][x]`, worked out on its own: a
 * point more than half a voxel beyond the outer centres on any axis is `fill`; else each
 * coordinate is clamped to the outer centres and the sample is the mean of the eight voxels
 * around it weighted by the products of the fractions, as three nested interpolations.
 * @param {Int16Array} data @param {number[]} dims @param {number[]} at @param {number} fill
 */
function trilinear(data, dims, at, fill) {
  if (at.some((v, a) => v < -0.5 || v > dims[a] - 0.5)) return fill;
  const p = at.map((v, a) => Math.min(Math.max(v, 0), dims[a] - 1));
  const low = p.map((v, a) => Math.min(Math.floor(v), Math.max(dims[a] - 2, 0)));
  const f = p.map((v, a) => v - low[a]);
  const voxel = (/** @type {number[]} */ i) =>
    data[(low[2] + i[2]) * dims[0] * dims[1] + (low[1] + i[1]) * dims[0] + (low[0] + i[0])];
  const lerp = (/** @type {number} */ a, /** @type {number} */ b, /** @type {number} */ t) =>
    a + (b - a) * t;
  const row = (/** @type {number} */ y, /** @type {number} */ z) =>
    lerp(voxel([0, y, z]), voxel([1, y, z]), f[0]);
  return lerp(lerp(row(0, 0), row(1, 0), f[1]), lerp(row(0, 1), row(1, 1), f[1]), f[2]);
}
