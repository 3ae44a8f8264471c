// The 3D view's pure parts: the camera in DICOM's patient axes (LPS, worked by hand), the
// image plane, the patient-to-texture map of a sheared grid, the transfer tables and the
// presets' windows.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bounds,
  camera,
  imagePlane,
  inverse3,
  normalAngle,
  patientToTexture,
} from "../../web/js/viewer/camera3d.js";
import {
  PRESETS_3D,
  defaultWindow,
  preset3d,
  segmentPalette,
  transferTable,
} from "../../web/js/viewer/presets3d.js";

/** @param {number[]} got @param {number[]} expected */
function near(got, expected, tolerance = 1e-9) {
  assert.equal(got.length, expected.length);
  got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= tolerance, `${got} ≠ ${expected}`));
}

test("azimuth 0 looks from the front: the patient's left on the right, head up", () => {
  const cam = camera(0, 0);
  near(cam.dir, [0, 1, 0]); // anterior to posterior (+y is posterior)
  near(cam.right, [1, 0, 0]); // +x is the patient's left
  near(cam.down, [0, 0, -1]); // +z is the head
});

test("azimuth 90 looks from the patient's left: anterior on the left; 180 from behind", () => {
  const side = camera(90, 0);
  near(side.dir, [-1, 0, 0]);
  near(side.right, [0, 1, 0]); // posterior on the right, so anterior on the left
  near(side.down, [0, 0, -1]);
  const behind = camera(180, 0);
  near(behind.right, [-1, 0, 0]);
});

test("elevation 90 looks down from above the head, anterior at the bottom", () => {
  const above = camera(0, 90);
  near(above.dir, [0, 0, -1]);
  near(above.right, [1, 0, 0]);
  near(above.down, [0, -1, 0]);
});

test("the camera is a right-handed orthonormal frame whatever the angles", () => {
  for (const [a, e] of [
    [17, -33],
    [-140, 75],
    [300, 5],
  ]) {
    const { dir, right, down } = camera(a, e);
    for (const v of [dir, right, down]) near([Math.hypot(...v)], [1]);
    near([right[0] * down[0] + right[1] * down[1] + right[2] * down[2]], [0]);
    // right × down = dir, as a reslice's rowDirection × columnDirection is its normal
    near(
      [
        right[1] * down[2] - right[2] * down[1],
        right[2] * down[0] - right[0] * down[2],
        right[0] * down[1] - right[1] * down[0],
      ],
      dir,
    );
  }
});

test("angles are reported in (-180, 180]", () => {
  assert.equal(normalAngle(190), -170);
  assert.equal(normalAngle(-180), 180);
  assert.equal(normalAngle(720 + 45), 45);
});

const SHEARED = {
  dims: [10, 8, 5],
  spacing: [0.5, 0.75, 2],
  origin: [-3, 4, 10],
  // a gantry-tilted stack: slices step along z and y
  axes: [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0.6, 0.8],
  ],
};

test("voxel centres map to texture coordinates (i + 0.5) / n on a sheared grid", () => {
  const m = patientToTexture(SHEARED);
  for (const [i, j, k] of [
    [0, 0, 0],
    [9, 7, 4],
    [3, 5, 2],
  ]) {
    // patient point of voxel (i, j, k): origin + i*0.5*x + j*0.75*y + k*2*(0, 0.6, 0.8)
    const p = [-3 + i * 0.5, 4 + j * 0.75 + k * 2 * 0.6, 10 + k * 2 * 0.8];
    const tex = [0, 1, 2].map((r) => m[r] * p[0] + m[4 + r] * p[1] + m[8 + r] * p[2] + m[12 + r]);
    near(tex, [(i + 0.5) / 10, (j + 0.5) / 8, (k + 0.5) / 5], 1e-6);
  }
  near([m[3], m[7], m[11], m[15]], [0, 0, 0, 1]);
});

test("a 3×3 inverse is an inverse", () => {
  const m = [
    [2, 0, 1],
    [1, 3, 0],
    [0, 1, 4],
  ];
  const inv = inverse3(m);
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 3; c++) {
      const v = m[r][0] * inv[0][c] + m[r][1] * inv[1][c] + m[r][2] * inv[2][c];
      near([v], [r === c ? 1 : 0], 1e-12);
    }
});

test("the image plane is centred on the volume and holds its sphere across the short side", () => {
  const grid = {
    dims: [4, 4, 4],
    spacing: [1, 1, 1],
    origin: [0, 0, 0],
    axes: SHEARED.axes.slice(0, 2).concat([[0, 0, 1]]),
  };
  const { centre, radius } = bounds(grid);
  near(centre, [1.5, 1.5, 1.5]);
  near([radius], [Math.sqrt(3) * 2]); // half the diagonal of the 4 mm cube
  const plane = imagePlane(grid, camera(0, 0), 101, 51, 2);
  assert.equal(plane.rowSpacing, (2 * radius) / 51 / 2);
  // the middle pixel (row 25, column 50) is the centre
  const mid = [0, 1, 2].map(
    (i) =>
      plane.origin[i] +
      50 * plane.columnSpacing * plane.rowDirection[i] +
      25 * plane.rowSpacing * plane.columnDirection[i],
  );
  near(mid, centre, 1e-9);
});

test("a transfer table is linear between its control points", () => {
  const preset = {
    label: "t",
    mip: false,
    shade: false,
    window: /** @type {[number, number]} */ ([0, 1]),
    points: /** @type {[number, number, number, number, number][]} */ ([
      [0, 0, 0, 0, 0],
      [0.2, 1, 0.5, 0, 0.25],
      [1, 1, 1, 1, 1],
    ]),
  };
  const table = transferTable(preset);
  assert.equal(table.length, 1024);
  assert.deepEqual([...table.subarray(0, 4)], [0, 0, 0, 0]);
  assert.deepEqual([...table.subarray(255 * 4)], [255, 255, 255, 255]);
  // entry 51 is t = 0.2 exactly
  assert.deepEqual([...table.subarray(51 * 4, 52 * 4)], [255, 128, 0, 64]);
  // entry 102 is t = 0.4: a quarter of the way from 0.2 to 1
  assert.deepEqual([...table.subarray(102 * 4, 103 * 4)], [255, 159, 64, 112]);
  assert.equal(
    transferTable(PRESETS_3D.mip).every((v) => v === 0),
    true,
  );
});

test("presets' windows: HU for CT, the same fractions of the range elsewhere, MIP the series'", () => {
  assert.deepEqual(defaultWindow(preset3d("bone"), "CT", [-1024, 3000], null), [700, 1000]);
  const [center, width] = defaultWindow(preset3d("bone"), "MR", [0, 4095], null);
  near([center, width], [1724, 1000], 1e-9);
  assert.deepEqual(defaultWindow(preset3d("mip"), "CT", [-1024, 3000], [40, 400]), [40, 400]);
  assert.deepEqual(defaultWindow(preset3d("mip"), "MR", [0, 100], null), [50, 100]);
  assert.throws(() => preset3d("lungs"), /preset must be one of bone, soft-tissue, angio, mip/);
});

test("a SEG's 3D palette: each index its segment's colour at the opacity, hidden ones clear", () => {
  const segments = [
    { index: 1, number: 3, label: "Liver", color: [200, 120, 90], voxels: 10 },
    { index: 2, number: 7, label: "Spleen", color: [40, 80, 220], voxels: 0 },
    { index: 3, number: 9, label: "Kidney", color: [10, 250, 30], voxels: 4 },
  ];
  const { entry, drawn } = segmentPalette("1.2.3", segments, { opacity: 0.6, hidden: [9] });
  // 0.6 of 255 is 153; index 0 (no segment) stays clear
  assert.deepEqual([...entry], [0, 0, 0, 0, 200, 120, 90, 153, 40, 80, 220, 153, 10, 250, 30, 0]);
  // the legend: the segments the grid holds (Spleen has no voxel there), Kidney hidden
  assert.deepEqual(
    drawn.map((d) => [d.uid, d.segment, d.label, d.visible]),
    [
      ["1.2.3", 3, "Liver", true],
      ["1.2.3", 9, "Kidney", false],
    ],
  );
  const clamped = segmentPalette("1.2.3", segments, { opacity: 7, hidden: [] }).entry;
  assert.deepEqual([clamped[7], clamped[11], clamped[15]], [255, 255, 255]);
});
