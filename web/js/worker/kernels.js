// Tight loops the worker runs for Python where numpy in WebAssembly is too slow for a
// frame at display rate: the trilinear sampling of a plane of a volume, in any direction
// (issue 14). numpy's version (py/lightbox/volume/sampling.py, trilinear) is the reference
// and what runs natively; this one gives the same values (in double precision, stored as
// float32) in one pass over the plane instead of some thirty numpy passes (or three
// one-dimensional ones along the voxel axes, still several times slower in wasm).
// `windowedPlane` also applies the linear window and writes opaque grey RGBA, the
// display pipeline's common case for one plane (lightbox.volume.project_windowed).

/**
 * @typedef {Int8Array|Uint8Array|Int16Array|Uint16Array|Int32Array|Uint32Array|Float32Array|Float64Array} Voxels
 */

/**
 * Sample `data[z][y][x]` (C order, `nx` fastest) on the plane whose pixel (r, c) lies at
 * voxel coordinates `start + c * alongRow + r * downColumn`, trilinear. A point inside the
 * volume's box (half a voxel past the outer centres) is interpolated between the eight
 * voxels around it, the coordinate clamped to the outer centres; a point beyond takes
 * `fill`. Writes `rows * columns` values, row by row, into `out`.
 * @param {Voxels} data
 * @param {number[]} dims [nx, ny, nz]
 * @param {number[]} start voxel (x, y, z) of pixel (0, 0)
 * @param {number[]} alongRow voxel step from one column to the next
 * @param {number[]} downColumn voxel step from one row to the next
 * @param {number} rows
 * @param {number} columns
 * @param {number} fill
 * @param {Float32Array|Float64Array} out
 */
export function trilinearPlane(data, dims, start, alongRow, downColumn, rows, columns, fill, out) {
  const [nx, ny, nz] = dims;
  if (data.length < nx * ny * nz || out.length < rows * columns) {
    throw new RangeError("trilinearPlane: the arrays are smaller than their dimensions");
  }
  const slice = nx * ny;
  // The step to the next voxel along each axis (none for an axis of one voxel), and the
  // highest lower index (one short of the last centre, so that the next one exists).
  const sx = nx > 1 ? 1 : 0;
  const sy = ny > 1 ? nx : 0;
  const sz = nz > 1 ? slice : 0;
  const lastX = Math.max(nx - 2, 0);
  const lastY = Math.max(ny - 2, 0);
  const lastZ = Math.max(nz - 2, 0);
  const [ax, ay, az] = alongRow;
  let k = 0;
  for (let r = 0; r < rows; r += 1) {
    const rowX = start[0] + r * downColumn[0];
    const rowY = start[1] + r * downColumn[1];
    const rowZ = start[2] + r * downColumn[2];
    for (let c = 0; c < columns; c += 1, k += 1) {
      const x = rowX + c * ax;
      const y = rowY + c * ay;
      const z = rowZ + c * az;
      if (!(
        x >= -0.5 &&
        x <= nx - 0.5 &&
        y >= -0.5 &&
        y <= ny - 0.5 &&
        z >= -0.5 &&
        z <= nz - 0.5
      )) {
        out[k] = fill;
        continue;
      }
      const cx = x < 0 ? 0 : x > nx - 1 ? nx - 1 : x;
      const cy = y < 0 ? 0 : y > ny - 1 ? ny - 1 : y;
      const cz = z < 0 ? 0 : z > nz - 1 ? nz - 1 : z;
      const ix = Math.min(Math.floor(cx), lastX);
      const iy = Math.min(Math.floor(cy), lastY);
      const iz = Math.min(Math.floor(cz), lastZ);
      const fx = cx - ix;
      const fy = cy - iy;
      const fz = cz - iz;
      const b = iz * slice + iy * nx + ix;
      const v0 = data[b];
      const v1 = data[b + sy];
      const v2 = data[b + sz];
      const v3 = data[b + sz + sy];
      const a0 = v0 + (data[b + sx] - v0) * fx;
      const a1 = v1 + (data[b + sy + sx] - v1) * fx;
      const a2 = v2 + (data[b + sz + sx] - v2) * fx;
      const a3 = v3 + (data[b + sz + sy + sx] - v3) * fx;
      const near = a0 + (a1 - a0) * fy;
      const far = a2 + (a3 - a2) * fy;
      out[k] = near + (far - near) * fz;
    }
  }
}

/**
 * {@link trilinearPlane}, each sample then through the linear window of PS3.3
 * C.11.2.1.2.1 to 8 bits, written as one opaque grey RGBA pixel (R = G = B, A = 255;
 * little-endian words, so the bytes R, G, B, A) per pixel: the display pipeline's common
 * case, so that no float samples go back to Python to be windowed there. The samples are
 * float32 (a scratch array kept between calls) and the window is worked in the order
 * `lightbox.display.voi.apply_window` and `to_uint8` work it, so that the grey is the one
 * the Python pipeline gives for the same samples. (Sampling and windowing in one loop
 * measured slower in V8 than these two passes.)
 * @param {Voxels} data
 * @param {number[]} dims [nx, ny, nz]
 * @param {number[]} start
 * @param {number[]} alongRow
 * @param {number[]} downColumn
 * @param {number} rows
 * @param {number} columns
 * @param {number} fill the value (before the window) of a point beyond the volume
 * @param {number} center the window's centre (c)
 * @param {number} width the window's width (w), more than 1
 * @param {boolean} invert 255 - grey (MONOCHROME1, Presentation LUT Shape INVERSE)
 * @param {Int32Array} out the pixels as little-endian 32-bit words
 */
export function windowedPlane(
  data,
  dims,
  start,
  alongRow,
  downColumn,
  rows,
  columns,
  fill,
  center,
  width,
  invert,
  out,
) {
  if (!(width > 1)) throw new RangeError("windowedPlane: the window's width must exceed 1");
  if (out.length < rows * columns) {
    throw new RangeError("windowedPlane: the output is smaller than its dimensions");
  }
  // PS3.3 C.11.2.1.2.1: y = ((x - (c - 0.5)) / (w - 1) + 0.5) * (ymax - ymin) + ymin, ymin 0,
  // ymax 255; x <= c - 0.5 - (w - 1) / 2 gives ymin, x > c - 0.5 + (w - 1) / 2 gives ymax.
  const shift = center - 0.5;
  const divisor = width - 1;
  const below = shift - divisor / 2;
  const above = shift + divisor / 2;
  const flip = invert ? 255 : 0;
  const samples = scratch(rows * columns);
  trilinearPlane(data, dims, start, alongRow, downColumn, rows, columns, fill, samples);
  for (let k = 0; k < rows * columns; k += 1) {
    const x = samples[k];
    let y = ((x - shift) / divisor + 0.5) * 255;
    if (x <= below || y < 0) y = 0;
    else if (x > above || y > 255) y = 255;
    // Half up (y + 0.5 is positive: truncation is the floor); 255 - g is g ^ 255 here.
    out[k] = 0xff000000 | ((((y + 0.5) | 0) ^ flip) * 0x010101);
  }
}

/** @type {Float32Array} the samples of the last windowed plane, kept for the next one */
let kept = new Float32Array(0);

/**
 * @param {number} length
 * @returns {Float32Array} at least `length` floats
 */
function scratch(length) {
  if (kept.length < length) kept = new Float32Array(length);
  return kept;
}
