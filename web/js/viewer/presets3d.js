// The 3D view's presets, pure (unit-tested in Node): each is a transfer function (colour
// and opacity along the window, as control points from its low end, 0, to its high end,
// 1) and a default window. The window is the window-like control of the transfer
// function: a window/level drag moves and stretches the ramp as it does a 2D window. CT
// windows are in HU; for other modalities the window is placed on the volume's value
// range by the same fractions. "mip" is a maximum intensity projection shown through the
// window as the 2D views are (DICOM's LINEAR window), starting from the series' window.

/** @typedef {[number, number, number, number, number]} Point t, red, green, blue, opacity */
/**
 * @typedef {{label: string, mip: boolean, shade: boolean, window: [number, number],
 *            points: Point[]}} Preset3D window: (center, width) in HU for CT
 */

/** @type {Record<string, Preset3D>} */
export const PRESETS_3D = {
  bone: {
    label: "Bone",
    mip: false,
    shade: true,
    window: [700, 1000],
    points: [
      [0, 0.55, 0.4, 0.3, 0],
      [0.2, 0.85, 0.72, 0.55, 0.15],
      [0.5, 0.95, 0.9, 0.8, 0.6],
      [1, 1, 1, 0.95, 0.9],
    ],
  },
  "soft-tissue": {
    label: "Soft tissue",
    mip: false,
    shade: true,
    window: [100, 600],
    points: [
      [0, 0.6, 0.3, 0.2, 0],
      [0.3, 0.8, 0.45, 0.35, 0.04],
      [0.5, 0.9, 0.55, 0.45, 0.15],
      [0.8, 1, 0.85, 0.75, 0.4],
      [1, 1, 0.97, 0.9, 0.8],
    ],
  },
  angio: {
    label: "Angiography",
    mip: false,
    shade: true,
    window: [375, 450],
    points: [
      [0, 0.5, 0.05, 0.05, 0],
      [0.15, 0.75, 0.12, 0.08, 0.3],
      [0.6, 0.95, 0.4, 0.3, 0.7],
      [1, 1, 0.95, 0.9, 0.9],
    ],
  },
  mip: { label: "MIP", mip: true, shade: false, window: [0, 0], points: [] },
};

export const PRESET_NAMES = Object.keys(PRESETS_3D);

/** @param {string} name @returns {Preset3D} */
export function preset3d(name) {
  const preset = PRESETS_3D[name];
  if (!preset)
    throw new RangeError(`preset must be one of ${PRESET_NAMES.join(", ")}, not ${name}`);
  return preset;
}

/**
 * The transfer function as a 256-entry RGBA table (8 bits each) over the window, linear
 * between control points; entry i is t = i / 255.
 * @param {Preset3D} preset @returns {Uint8Array}
 */
export function transferTable(preset) {
  const table = new Uint8Array(256 * 4);
  const points = preset.points;
  if (!points.length) return table;
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    let k = 0;
    while (k < points.length - 2 && t > points[k + 1][0]) k += 1;
    const a = points[k];
    const b = points[Math.min(k + 1, points.length - 1)];
    const span = b[0] - a[0];
    const f = span > 0 ? Math.min(1, Math.max(0, (t - a[0]) / span)) : 0;
    for (let c = 0; c < 4; c++) {
      table[i * 4 + c] = Math.round(255 * (a[c + 1] + f * (b[c + 1] - a[c + 1])));
    }
  }
  return table;
}

/**
 * A preset's starting window (center, width): its CT window for CT; the same fractions
 * of the value range otherwise (CT's full range taken as -1024 .. 3071 HU); for MIP the
 * series' window, else the value range.
 * @param {Preset3D} preset @param {string} modality @param {number[]} range [low, high]
 * @param {[number, number] | null} seriesWindow
 * @returns {[number, number]}
 */
export function defaultWindow(preset, modality, range, seriesWindow) {
  const [low, high] = range;
  const span = Math.max(high - low, 1);
  if (preset.mip) return seriesWindow ?? [low + span / 2, span];
  if (modality === "CT") return preset.window;
  const [center, width] = preset.window;
  return [low + ((center + 1024) / 4095) * span, (width / 4095) * span];
}

/**
 * A SEG's palette for the 3D view (issue 16 item 4): RGBA per segment index (1 + the
 * segment's place in the SEG; entry 0 unused), the segment's sRGB and the SEG's opacity
 * as a byte (0: hidden, as are the segments in `setting.hidden`); and the segments the
 * grid holds (`voxels` > 0), for the legend.
 * @param {string} uid
 * @param {{index: number, number: number, label: string, color: number[], voxels: number}[]} segments
 * @param {{opacity: number, hidden: number[]}} setting
 * @returns {{entry: Uint8Array, drawn: {uid: string, segment: number, label: string,
 *            color: number[], visible: boolean}[]}}
 */
export function segmentPalette(uid, segments, setting) {
  const alpha = Math.round(Math.min(Math.max(setting.opacity, 0), 1) * 255);
  const size = Math.max(0, ...segments.map((s) => s.index)) + 1;
  const entry = new Uint8Array(4 * size);
  const drawn = [];
  for (const s of segments) {
    const visible = !setting.hidden.includes(s.number);
    entry.set([s.color[0], s.color[1], s.color[2], visible ? alpha : 0], 4 * s.index);
    if (s.voxels > 0) {
      drawn.push({ uid, segment: s.number, label: s.label, color: s.color, visible });
    }
  }
  return { entry, drawn };
}
