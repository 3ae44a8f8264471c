// The slide view's pure math (issue 15 item 2): which level a zoom shows, which tiles of it
// are in view, where each is drawn, the scale bar's length. Units: the view's centre in µm
// from the top-left of the finest level's total pixel matrix; zoom in µm per CSS pixel.

/**
 * @typedef {import("../rpc/protocol.js").SlideLevel} SlideLevel
 * @typedef {{center: number[], zoom: number}} SlideCamera
 * @typedef {{frame: number, x: number, y: number, w: number, h: number}} TilePlace
 */

/**
 * The level drawn at `zoom`: the coarsest whose pixels are no larger than a CSS pixel
 * (so the screen never shows a level magnified while a finer one exists).
 * @param {SlideLevel[]} levels finest first
 * @param {number} zoom µm per CSS pixel
 */
export function chooseLevel(levels, zoom) {
  let chosen = 0;
  levels.forEach((level, index) => {
    if (level.spacing[0] <= zoom * 1.0001) chosen = index;
  });
  return chosen;
}

/**
 * The view's top-left in a level's pixels, and CSS pixels per level pixel (x, y).
 * @param {SlideLevel} level @param {SlideCamera} camera @param {number} width @param {number} height
 */
export function placement(level, camera, width, height) {
  const [sx, sy] = level.spacing;
  const left = (camera.center[0] - (width / 2) * camera.zoom) / sx;
  const top = (camera.center[1] - (height / 2) * camera.zoom) / sy;
  return { left, top, kx: sx / camera.zoom, ky: sy / camera.zoom };
}

/**
 * For a TILED_SPARSE level: frames by "column,row" of the tile grid their top-left is in.
 * @param {SlideLevel} level
 * @returns {Map<string, number>}
 */
export function sparseGrid(level) {
  /** @type {Map<string, number>} */
  const grid = new Map();
  const positions = level.positions ?? [];
  for (let frame = 0; frame * 2 < positions.length; frame += 1) {
    const x = positions[2 * frame];
    const y = positions[2 * frame + 1];
    if (x < 0 || y < 0) continue;
    const key = `${Math.floor(x / level.tileWidth)},${Math.floor(y / level.tileHeight)}`;
    if (!grid.has(key)) grid.set(key, frame);
  }
  return grid;
}

/**
 * The tiles of a level that cover the view (clipped to the total pixel matrix), nearest the
 * view's centre first.
 * @param {SlideLevel} level @param {SlideCamera} camera @param {number} width @param {number} height
 * @param {Map<string, number> | null} grid sparseGrid(level) for a TILED_SPARSE level
 * @returns {TilePlace[]}
 */
export function visibleTiles(level, camera, width, height, grid) {
  const { left, top, kx, ky } = placement(level, camera, width, height);
  const right = left + width / kx;
  const bottom = top + height / ky;
  const across = Math.ceil(level.width / level.tileWidth);
  const down = Math.ceil(level.height / level.tileHeight);
  const c0 = Math.max(0, Math.floor(left / level.tileWidth));
  const c1 = Math.min(across - 1, Math.floor(right / level.tileWidth));
  const r0 = Math.max(0, Math.floor(top / level.tileHeight));
  const r1 = Math.min(down - 1, Math.floor(bottom / level.tileHeight));
  /** @type {TilePlace[]} */
  const out = [];
  for (let row = r0; row <= r1; row += 1) {
    for (let col = c0; col <= c1; col += 1) {
      const frame = grid
        ? grid.get(`${col},${row}`)
        : (level.frameOffset ?? 0) + row * across + col;
      if (frame === undefined || frame >= level.frames) continue;
      const x = grid ? (level.positions ?? [])[2 * frame] : col * level.tileWidth;
      const y = grid ? (level.positions ?? [])[2 * frame + 1] : row * level.tileHeight;
      const w = Math.min(level.tileWidth, level.width - x);
      const h = Math.min(level.tileHeight, level.height - y);
      if (w > 0 && h > 0) out.push({ frame, x, y, w, h });
    }
  }
  const cx = (left + right) / 2;
  const cy = (top + bottom) / 2;
  const d = (/** @type {TilePlace} */ t) => Math.hypot(t.x + t.w / 2 - cx, t.y + t.h / 2 - cy);
  return out.sort((a, b) => d(a) - d(b));
}

/**
 * A scale bar: the round length (1, 2 or 5 × 10^n µm) nearest to `target` CSS pixels.
 * @param {number} zoom µm per CSS pixel @param {number} [target]
 * @returns {{um: number, px: number, label: string}}
 */
export function scaleBar(zoom, target = 120) {
  const want = zoom * target;
  const power = 10 ** Math.floor(Math.log10(want));
  const um = [1, 2, 5, 10]
    .map((m) => m * power)
    .reduce((a, b) => (Math.abs(b - want) < Math.abs(a - want) ? b : a));
  return { um, px: um / zoom, label: lengthText(um) };
}

/** A length in µm as text: µm below 1 mm, else mm. @param {number} um */
export function lengthText(um) {
  if (um >= 1000) return `${+(um / 1000).toPrecision(4)} mm`;
  return `${+um.toPrecision(4)} µm`;
}

/**
 * The camera zoomed by `factor` (> 1 magnifies) about a CSS point of the view.
 * @param {SlideCamera} camera @param {number} factor @param {number} px @param {number} py
 * @param {number} width @param {number} height
 * @returns {SlideCamera}
 */
export function zoomAbout(camera, factor, px, py, width, height) {
  const zoom = camera.zoom / factor;
  const ux = camera.center[0] + (px - width / 2) * camera.zoom;
  const uy = camera.center[1] + (py - height / 2) * camera.zoom;
  return {
    zoom,
    center: [ux - (px - width / 2) * zoom, uy - (py - height / 2) * zoom],
  };
}
