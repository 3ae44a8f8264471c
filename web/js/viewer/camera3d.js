// The geometry of the 3D view, pure (unit-tested in Node): where the camera looks from
// (azimuth and elevation in degrees), the image plane a rendering's pixels lie on (the
// same record as a reformatted view's `reslice`), and the map from patient mm to the
// volume texture's coordinates. Patient axes are DICOM's (LPS: +x the patient's left,
// +y posterior, +z head). Azimuth 0, elevation 0 looks at the patient from the front
// (anterior view: the patient's left on the image's right, head up, as a coronal view);
// azimuth 90 looks from the patient's left side (anterior on the image's left, as a
// sagittal view); elevation 90 looks down from above the head.

/** @typedef {[number, number, number]} Vec3 */
/**
 * The grid of a volume as the worker sends it (protocol.js VolumeData).
 * @typedef {{dims: number[], spacing: number[], origin: number[], axes: number[][]}} Grid
 * @typedef {{dir: Vec3, right: Vec3, down: Vec3}} Camera unit patient vectors: the
 *   viewing direction (into the screen), the image's rightward and downward directions
 * @typedef {{origin: number[], rowDirection: number[], columnDirection: number[],
 *            rowSpacing: number, columnSpacing: number, rows: number, columns: number}} Plane
 */

/** @param {number[]} a @param {number[]} b @returns {Vec3} */
export function cross(a, b) {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** @param {number[]} a @param {number[]} b */
export function dot(a, b) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/** An angle in degrees as (-180, 180]. @param {number} degrees */
export function normalAngle(degrees) {
  const turned = ((degrees % 360) + 360) % 360;
  return turned > 180 ? turned - 360 : turned;
}

/**
 * The camera at an azimuth (about the patient's head-foot axis) and elevation (above the
 * horizontal plane), both in degrees.
 * @param {number} azimuth @param {number} elevation
 * @returns {Camera}
 */
export function camera(azimuth, elevation) {
  const a = (azimuth * Math.PI) / 180;
  const e = (Math.max(-90, Math.min(90, elevation)) * Math.PI) / 180;
  /** @type {Vec3} */
  const dir = [-Math.sin(a) * Math.cos(e), Math.cos(a) * Math.cos(e), -Math.sin(e)];
  /** @type {Vec3} */
  const up = [-Math.sin(a) * Math.sin(e), Math.cos(a) * Math.sin(e), Math.cos(e)];
  const right = cross(dir, up);
  return { dir, right, down: [-up[0], -up[1], -up[2]] };
}

/**
 * The 3×3 matrix (rows) whose columns are the grid's steps in patient mm along x, y, z.
 * @param {Grid} grid @returns {number[][]}
 */
function steps(grid) {
  const [ax, ay, az] = grid.axes;
  const [sx, sy, sz] = grid.spacing;
  return [0, 1, 2].map((i) => [ax[i] * sx, ay[i] * sy, az[i] * sz]);
}

/** @param {number[][]} m a 3×3 matrix (rows) @returns {number[][]} its inverse */
export function inverse3(m) {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new RangeError("a degenerate grid");
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}

/**
 * The patient-mm centre of the box the volume covers (half a voxel beyond its outer voxel
 * centres) and the radius of the sphere about it that holds the whole box.
 * @param {Grid} grid @returns {{centre: Vec3, radius: number}}
 */
export function bounds(grid) {
  const m = steps(grid);
  const at = (/** @type {number[]} */ index) =>
    /** @type {Vec3} */ ([0, 1, 2].map((i) => grid.origin[i] + dot(m[i], index)));
  const centre = at(grid.dims.map((n) => (n - 1) / 2));
  let radius = 0;
  for (const cx of [-0.5, grid.dims[0] - 0.5])
    for (const cy of [-0.5, grid.dims[1] - 0.5])
      for (const cz of [-0.5, grid.dims[2] - 0.5]) {
        const p = at([cx, cy, cz]);
        radius = Math.max(radius, Math.hypot(p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]));
      }
  return { centre, radius };
}

/**
 * The plane of a rendering's pixels (orthographic camera): pixel (r, c) is the ray
 * through `origin + c·columnSpacing·rowDirection + r·rowSpacing·columnDirection` along
 * `rowDirection × columnDirection` (the camera's direction). The image holds the sphere
 * about the volume across its shorter side at zoom 1, centred.
 * @param {Grid} grid @param {Camera} cam @param {number} columns @param {number} rows
 * @param {number} zoom
 * @returns {Plane}
 */
export function imagePlane(grid, cam, columns, rows, zoom) {
  const { centre, radius } = bounds(grid);
  const pixel = (2 * radius) / Math.max(1, Math.min(columns, rows)) / zoom;
  const origin = [0, 1, 2].map(
    (i) =>
      centre[i] -
      ((columns - 1) / 2) * pixel * cam.right[i] -
      ((rows - 1) / 2) * pixel * cam.down[i],
  );
  return {
    origin,
    rowDirection: [...cam.right],
    columnDirection: [...cam.down],
    rowSpacing: pixel,
    columnSpacing: pixel,
    rows,
    columns,
  };
}

/**
 * The affine map from patient mm to texture coordinates (0 .. 1 across the box the
 * volume covers; voxel i's centre at (i + 0.5) / n), as a column-major 4×4 matrix for
 * WebGL.
 * @param {Grid} grid @returns {Float32Array}
 */
export function patientToTexture(grid) {
  const inv = inverse3(steps(grid));
  const [nx, ny, nz] = grid.dims;
  const n = [nx, ny, nz];
  // tex_i = (inv_i · (p - origin) + 0.5) / n_i
  const rows = [0, 1, 2].map((i) => {
    const scale = inv[i].map((v) => v / n[i]);
    const offset = (0.5 - dot(inv[i], grid.origin)) / n[i];
    return [...scale, offset];
  });
  const out = new Float32Array(16);
  for (let col = 0; col < 4; col++) {
    for (let row = 0; row < 3; row++) out[col * 4 + row] = rows[row][col];
    out[col * 4 + 3] = col === 3 ? 1 : 0;
  }
  return out;
}

/** The finest spacing of the grid (mm): the step of a full-quality ray. @param {Grid} grid */
export function finestSpacing(grid) {
  return Math.min(...grid.spacing);
}
