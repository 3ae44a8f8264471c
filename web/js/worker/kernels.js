// Tight loops the worker runs for Python where numpy in WebAssembly is too slow for a
// frame at display rate: the trilinear sampling of a plane of a volume, in any direction
// (issue 14). numpy's version (py/lightbox/volume/sampling.py, trilinear) is the reference
// and what runs natively; this one gives the same values (in double precision, stored as
// float32) in one pass over the plane instead of some thirty numpy passes (or three
// one-dimensional ones along the voxel axes, still several times slower in wasm).
//
// A plane is affine (pixel (r, c) at start + c * alongRow + r * downColumn), so each row
// is split once into the columns whose point lies well inside the volume (between the
// outer voxel centres on every axis, where no clamp and no test is needed: the fast loop)
// and the few at its edges or beyond, which take the general rules. `windowedPlane` also
// applies the linear window and writes opaque grey RGBA, the display pipeline's common
// case, so that no float samples cross back to Python.

/**
 * @typedef {Int8Array|Uint8Array|Int16Array|Uint16Array|Int32Array|Uint32Array|Float32Array|Float64Array} Voxels
 */

/**
 * The columns [first, end) of a row where `p + c * s` lies in [0, last) along one axis
 * (so that the lower voxel index is its truncation and the next voxel exists), within
 * [from, to): checked with the same arithmetic the loop uses (a line is monotone, so its
 * two ends decide); a column of margin first for the rounding of the division.
 * @param {number} p the row's coordinate at column 0
 * @param {number} s its step from one column to the next
 * @param {number} last the end of the allowed range (exclusive)
 * @param {number} from
 * @param {number} to
 * @returns {number} first * 65536 + end (both below 65536), to return two integers
 *   without allocating
 */
function interiorAlong(p, s, last, from, to) {
  let first = from;
  let end = to;
  if (s === 0) {
    if (!(p >= 0 && p < last)) end = first;
  } else {
    const low = (s > 0 ? -p : last - p) / s;
    const high = (s > 0 ? last - p : -p) / s;
    if (low > first) first = Math.min(Math.ceil(low) + 1, end);
    if (high < end) end = Math.max(Math.floor(high), first);
  }
  while (first < end && !(p + first * s >= 0 && p + first * s < last)) first += 1;
  while (end > first && !(p + (end - 1) * s >= 0 && p + (end - 1) * s < last)) end -= 1;
  return first * 65536 + end;
}

/**
 * One row of trilinear samples into `row` (double precision), the plane's pixel (r, c) at
 * voxel coordinates (x0, y0, z0) + c (ax, ay, az). See {@link trilinearPlane} for the
 * rules. Scalars only (no arrays) in the loops, so that the compiler keeps them in
 * registers whatever kinds of arrays the caller passed.
 * @param {Voxels} data
 * @param {number} nx
 * @param {number} ny
 * @param {number} nz
 * @param {number} x0
 * @param {number} y0
 * @param {number} z0
 * @param {number} ax
 * @param {number} ay
 * @param {number} az
 * @param {number} columns
 * @param {number} fill
 * @param {Float64Array} row
 */
function sampleRow(data, nx, ny, nz, x0, y0, z0, ax, ay, az, columns, fill, row) {
  let first = 0;
  let end = 0;
  if (nx > 1 && ny > 1 && nz > 1) {
    // Well inside on every axis: the lower index is the truncation and its neighbours
    // exist, so nothing is tested or clamped.
    let range = interiorAlong(x0, ax, nx - 1, 0, columns);
    range = interiorAlong(y0, ay, ny - 1, Math.floor(range / 65536), range % 65536);
    range = interiorAlong(z0, az, nz - 1, Math.floor(range / 65536), range % 65536);
    first = Math.floor(range / 65536);
    end = range % 65536;
  }
  const slice = nx * ny;
  for (let c = first; c < end; c += 1) {
    const x = x0 + c * ax;
    const y = y0 + c * ay;
    const z = z0 + c * az;
    const ix = x | 0;
    const iy = y | 0;
    const iz = z | 0;
    const fx = x - ix;
    const fy = y - iy;
    const fz = z - iz;
    const b = iz * slice + iy * nx + ix;
    const b1 = b + nx;
    const b2 = b + slice;
    const b3 = b2 + nx;
    const v0 = data[b];
    const v1 = data[b1];
    const v2 = data[b2];
    const v3 = data[b3];
    const a0 = v0 + (data[b + 1] - v0) * fx;
    const a1 = v1 + (data[b1 + 1] - v1) * fx;
    const a2 = v2 + (data[b2 + 1] - v2) * fx;
    const a3 = v3 + (data[b3 + 1] - v3) * fx;
    const near = a0 + (a1 - a0) * fy;
    const far = a2 + (a3 - a2) * fy;
    row[c] = near + (far - near) * fz;
  }
  if (end > first) {
    edges(data, nx, ny, nz, x0, y0, z0, ax, ay, az, 0, first, fill, row);
    edges(data, nx, ny, nz, x0, y0, z0, ax, ay, az, end, columns, fill, row);
  } else edges(data, nx, ny, nz, x0, y0, z0, ax, ay, az, 0, columns, fill, row);
}

/**
 * Columns [from, to) of a row by the general rules: inside the box, the coordinate
 * clamped to the outer centres; beyond, `fill`.
 * @param {Voxels} data
 * @param {number} nx
 * @param {number} ny
 * @param {number} nz
 * @param {number} x0
 * @param {number} y0
 * @param {number} z0
 * @param {number} ax
 * @param {number} ay
 * @param {number} az
 * @param {number} from
 * @param {number} to
 * @param {number} fill
 * @param {Float64Array} row
 */
function edges(data, nx, ny, nz, x0, y0, z0, ax, ay, az, from, to, fill, row) {
  const slice = nx * ny;
  // The step to the next voxel along each axis (none for an axis of one voxel), and the
  // highest lower index (one short of the last centre, so that the next one exists).
  const sx = nx > 1 ? 1 : 0;
  const sy = ny > 1 ? nx : 0;
  const sz = nz > 1 ? slice : 0;
  const lastX = Math.max(nx - 2, 0);
  const lastY = Math.max(ny - 2, 0);
  const lastZ = Math.max(nz - 2, 0);
  for (let c = from; c < to; c += 1) {
    const x = x0 + c * ax;
    const y = y0 + c * ay;
    const z = z0 + c * az;
    if (!(x >= -0.5 && x <= nx - 0.5 && y >= -0.5 && y <= ny - 0.5 && z >= -0.5 && z <= nz - 0.5)) {
      row[c] = fill;
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
    row[c] = near + (far - near) * fz;
  }
}

/**
 * The plane's numbers as scalars (whatever kinds of arrays they came in), its size checked.
 * @param {Voxels} data
 * @param {number[]} dims
 * @param {number[]} start
 * @param {number[]} alongRow
 * @param {number[]} downColumn
 * @param {number} rows
 * @param {number} columns
 * @param {number} outLength
 * @returns {number[]} nx, ny, nz, start (3), along a row (3), down a column (3)
 */
function scalars(data, dims, start, alongRow, downColumn, rows, columns, outLength) {
  const [nx, ny, nz] = [dims[0], dims[1], dims[2]];
  if (data.length < nx * ny * nz || outLength < rows * columns) {
    throw new RangeError("trilinearPlane: the arrays are smaller than their dimensions");
  }
  if (columns >= 65536) throw new RangeError("trilinearPlane: 65,535 columns at most");
  return [nx, ny, nz, ...start, ...alongRow, ...downColumn].map(Number);
}

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
  const sampled = rowSampler(data, dims, start, alongRow, downColumn, rows, columns, fill, out);
  for (let r = 0; r < rows; r += 1) out.set(sampled(r), r * columns);
}

/**
 * The rows of a plane, one at a time: `sampled(r)` is row r's samples (double precision,
 * in one buffer reused from row to row). The arguments as {@link trilinearPlane}'s.
 * @param {Voxels} data
 * @param {number[]} dims
 * @param {number[]} start
 * @param {number[]} alongRow
 * @param {number[]} downColumn
 * @param {number} rows
 * @param {number} columns
 * @param {number} fill
 * @param {{length: number}} out
 * @returns {(r: number) => Float64Array}
 */
function rowSampler(data, dims, start, alongRow, downColumn, rows, columns, fill, out) {
  const [nx, ny, nz, sx, sy, sz, ax, ay, az, dx, dy, dz] = scalars(
    data,
    dims,
    start,
    alongRow,
    downColumn,
    rows,
    columns,
    out.length,
  );
  const row = new Float64Array(columns);
  return (r) => {
    const [x0, y0, z0] = [sx + r * dx, sy + r * dy, sz + r * dz];
    sampleRow(data, nx | 0, ny | 0, nz | 0, x0, y0, z0, ax, ay, az, columns, fill, row); // int32: see windowedPlane
    return row;
  };
}

/**
 * {@link trilinearPlane}, each sample then through the linear window of PS3.3
 * C.11.2.1.2.1 to 8 bits, written as one opaque grey RGBA pixel (R = G = B, A = 255,
 * little-endian: the bytes R, G, B, A) per pixel. The sample is first rounded to float32
 * and the window worked in the order `lightbox.display.voi.apply_window` and `to_uint8`
 * work it, so that the grey is the one the Python pipeline gives for the same samples.
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
  const n = scalars(data, dims, start, alongRow, downColumn, rows, columns, out.length);
  // The dimensions as int32 (`| 0`): the voxel index is then integer arithmetic, where
  // read from the array of doubles it is a double the typed array must convert (the
  // oblique plane of a 512 × 512 × 300 CT a third faster so, in Node and in the worker).
  const nx = n[0] | 0;
  const ny = n[1] | 0;
  const nz = n[2] | 0;
  const ax = n[6];
  const ay = n[7];
  const az = n[8];
  const dx = n[9];
  const dy = n[10];
  const dz = n[11];
  // The window's numbers computed here, not read from `win` (the loop is slower with
  // them loaded from its properties).
  const shift = center - 0.5;
  const divisor = width - 1;
  const below = shift - divisor / 2;
  const above = shift + divisor / 2;
  const flip = invert ? 255 : 0;
  const win = windowOf(shift, divisor, flip);
  const outside = win(fill);
  const slice = nx * ny;
  const regular = nx > 1 && ny > 1 && nz > 1;
  for (let r = 0; r < rows; r += 1) {
    const x0 = n[3] + r * dx;
    const y0 = n[4] + r * dy;
    const z0 = n[5] + r * dz;
    const k = r * columns;
    // The columns inside the box (half a voxel past the outer centres), and within them
    // those well inside, where the lower voxel is the truncation and nothing is clamped.
    let box = alongWithin(x0, ax, -0.5, nx - 0.5, 0, columns);
    box = alongWithin(y0, ay, -0.5, ny - 0.5, Math.floor(box / 65536), box % 65536);
    box = alongWithin(z0, az, -0.5, nz - 0.5, Math.floor(box / 65536), box % 65536);
    const boxFirst = Math.floor(box / 65536);
    const boxEnd = box % 65536;
    let first = boxFirst;
    let end = boxFirst;
    if (regular && boxEnd > boxFirst) {
      let range = interiorAlong(x0, ax, nx - 1, boxFirst, boxEnd);
      range = interiorAlong(y0, ay, ny - 1, Math.floor(range / 65536), range % 65536);
      range = interiorAlong(z0, az, nz - 1, Math.floor(range / 65536), range % 65536);
      first = Math.floor(range / 65536);
      end = range % 65536;
    }
    if (end <= first) end = first = boxEnd; // no interior: the box's columns by the rules
    out.fill(outside, k, k + boxFirst);
    out.fill(outside, k + boxEnd, k + columns);
    if (boxFirst < first) rim(data, n, x0, y0, z0, boxFirst, first, fill, win, out, k);
    if (end < boxEnd) rim(data, n, x0, y0, z0, end, boxEnd, fill, win, out, k);
    // The fast loop, the window inlined (the same arithmetic as `win`); its bounds int32.
    const last = end | 0;
    for (let c = first | 0; c < last; c += 1) {
      const x = x0 + c * ax;
      const y = y0 + c * ay;
      const z = z0 + c * az;
      const ix = x | 0;
      const iy = y | 0;
      const iz = z | 0;
      const fx = x - ix;
      const fy = y - iy;
      const fz = z - iz;
      const b = iz * slice + iy * nx + ix;
      const b1 = b + nx;
      const b2 = b + slice;
      const b3 = b2 + nx;
      const v0 = data[b];
      const v1 = data[b1];
      const v2 = data[b2];
      const v3 = data[b3];
      const a0 = v0 + (data[b + 1] - v0) * fx;
      const a1 = v1 + (data[b1 + 1] - v1) * fx;
      const a2 = v2 + (data[b2 + 1] - v2) * fx;
      const a3 = v3 + (data[b3 + 1] - v3) * fx;
      const near = a0 + (a1 - a0) * fy;
      const far = a2 + (a3 - a2) * fy;
      const v = Math.fround(near + (far - near) * fz);
      let g = ((v - shift) / divisor + 0.5) * 255;
      if (v <= below || g < 0) g = 0;
      else if (v > above || g > 255) g = 255;
      out[k + c] = 0xff000000 | ((((g + 0.5) | 0) ^ flip) * 0x010101);
    }
  }
}

/**
 * The linear window of PS3.3 C.11.2.1.2.1 to an opaque grey RGBA word: y = ((x - (c -
 * 0.5)) / (w - 1) + 0.5) * 255; x <= c - 0.5 - (w - 1) / 2 gives 0, x > c - 0.5 + (w - 1)
 * / 2 gives 255; the sample first rounded to float32 and the grey half up, in the order
 * `lightbox.display.voi.apply_window` and `to_uint8` work it (255 - g is g ^ 255 here).
 * @param {number} shift c - 0.5 @param {number} divisor w - 1 @param {number} flip 255 to invert, else 0
 */
function windowOf(shift, divisor, flip) {
  const below = shift - divisor / 2;
  const above = shift + divisor / 2;
  /** @param {number} sample */
  return (sample) => {
    const v = Math.fround(sample);
    let g = ((v - shift) / divisor + 0.5) * 255;
    if (v <= below || g < 0) g = 0;
    else if (v > above || g > 255) g = 255;
    return 0xff000000 | ((((g + 0.5) | 0) ^ flip) * 0x010101);
  };
}

/**
 * The columns [first, end) of a row where `lo <= p + c * s <= hi` along one axis, within
 * [from, to): as {@link interiorAlong}, closed at both ends.
 * @param {number} p @param {number} s @param {number} lo @param {number} hi
 * @param {number} from @param {number} to
 * @returns {number} first * 65536 + end
 */
function alongWithin(p, s, lo, hi, from, to) {
  let first = from;
  let end = to;
  const inside = (/** @type {number} */ c) => p + c * s >= lo && p + c * s <= hi;
  if (s === 0) {
    if (!inside(first)) end = first;
  } else {
    const low = ((s > 0 ? lo : hi) - p) / s;
    const high = ((s > 0 ? hi : lo) - p) / s;
    if (low > first) first = Math.min(Math.max(Math.ceil(low) - 1, first), end);
    if (high + 1 < end) end = Math.max(Math.floor(high) + 2, first);
  }
  while (first < end && !inside(first)) first += 1;
  while (end > first && !inside(end - 1)) end -= 1;
  return first * 65536 + end;
}

/**
 * Columns [from, to) of a windowed row by the general rules (the box's rim), apart from
 * the fast loop so that it stays small.
 * @param {Voxels} data @param {number[]} n {@link scalars}' numbers
 * @param {number} x0 @param {number} y0 @param {number} z0 the row's start
 * @param {number} from @param {number} to @param {number} fill
 * @param {(sample: number) => number} win @param {Int32Array} out @param {number} k the row's first pixel
 */
function rim(data, n, x0, y0, z0, from, to, fill, win, out, k) {
  for (let c = from; c < to; c += 1) {
    const sample = sampleAt(
      data,
      n[0],
      n[1],
      n[2],
      x0 + c * n[6],
      y0 + c * n[7],
      z0 + c * n[8],
      fill,
    );
    out[k + c] = win(sample);
  }
}

/**
 * One sample by the general rules of {@link trilinearPlane} (the box's edges): inside the
 * box, the coordinate clamped to the outer centres; beyond, `fill`.
 * @param {Voxels} data @param {number} nx @param {number} ny @param {number} nz
 * @param {number} x @param {number} y @param {number} z @param {number} fill
 */
function sampleAt(data, nx, ny, nz, x, y, z, fill) {
  edges(data, nx, ny, nz, x, y, z, 0, 0, 0, 0, 1, fill, ONE);
  return ONE[0];
}

/** {@link sampleAt}'s one sample. */
const ONE = new Float64Array(1);
