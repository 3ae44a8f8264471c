// The waveform plot's pure math, worked by hand: the caliper's ms and mV, zoom about the
// pointer, the ECG paper's grid at 25 mm/s and 10 mm/mV.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEFAULT_PX_PER_MS,
  DEFAULT_PX_PER_MV,
  caliper,
  caliperText,
  gridLines,
  zoomTime,
} from "../../web/js/viewer/waveform-math.js";

test("the default scale is 25 mm/s and 10 mm/mV at 4 px/mm", () => {
  assert.equal(DEFAULT_PX_PER_MS, 0.1);
  assert.equal(DEFAULT_PX_PER_MV, 40);
});

test("a caliper measures the time between its ends and the voltage up positive", () => {
  // 40 px at 0.1 px/ms is 400 ms; 40 px up at 40 px/mV is +1 mV.
  assert.deepEqual(caliper({ x: 100, y: 200 }, { x: 140, y: 160 }, 0.1, 40), { ms: 400, mv: 1 });
  // Back in time and down: -200 ms, -0.5 mV.
  assert.deepEqual(caliper({ x: 100, y: 200 }, { x: 80, y: 220 }, 0.1, 40), { ms: -200, mv: -0.5 });
  assert.equal(caliperText({ ms: -200, mv: -0.5 }), "200 ms · -0.50 mV");
});

test("zooming in time keeps the time under the pointer", () => {
  // At 0.1 px/ms from 1000 ms, x = 148 (100 px past left 48) is 2000 ms; doubled, 2000 ms
  // stays at x = 148 when the window starts at 2000 - 100 / 0.2 = 1500 ms.
  assert.deepEqual(zoomTime(1000, 0.1, 148, 48, 2), { start: 1500, pxPerMs: 0.2 });
  // Zooming out past the first sample starts at 0.
  assert.deepEqual(zoomTime(100, 0.1, 148, 48, 0.5), { start: 0, pxPerMs: 0.05 });
});

/** @param {number} v a coordinate, rounded off its floating-point noise */
const round = (v) => Math.round(v * 1e6) / 1e6;

test("the grid has a line every mm and a major one every 5 mm", () => {
  const area = { left: 0, right: 40, top: 0, bottom: 20, start: 0, pxPerMs: 0.1, pxPerMv: 40 };
  const { vertical, horizontal } = gridLines(area);
  // 40 ms a mm is 4 px: lines at 0, 4, ... 40, majors every 200 ms (20 px).
  assert.deepEqual(
    vertical.map((l) => round(l.x)),
    [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40],
  );
  assert.deepEqual(
    vertical.filter((l) => l.major).map((l) => round(l.x)),
    [0, 20, 40],
  );
  // 0.1 mV a mm is 4 px.
  assert.deepEqual(
    horizontal.map((l) => round(l.y)),
    [0, 4, 8, 12, 16, 20],
  );
  // At a quarter of the scale minor lines would be 1 px apart: only the majors are kept.
  const coarse = gridLines({ ...area, right: 400, pxPerMs: 0.025 });
  assert.ok(coarse.vertical.every((l) => l.major));
  assert.equal(coarse.vertical[1].x, 200 * 0.025);
});
