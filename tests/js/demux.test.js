// The video demuxer (web/js/viewer/demux.js) against ffprobe: streams encoded by ffmpeg at
// test time (tests/js/video_fixtures.py), split into access units whose count, order and
// key flags must be ffprobe's packets, MP4 samples byte for byte; the codec string must
// carry the profile and level ffprobe reads.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  accessUnits,
  demuxH264,
  extension,
  nalUnits,
  sniff,
  tsElementaryStream,
} from "../../web/js/viewer/demux.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lightbox-video-"));
execFileSync(".venv/bin/python", ["tests/js/video_fixtures.py", dir], {
  cwd: root,
  stdio: ["ignore", "ignore", "pipe"],
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** @type {Record<string, {codec: string, profile: string, level: number, keys: boolean[], sizes: number[]}>} */
const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
/** @param {string} kind */
const bytes = (kind) => new Uint8Array(fs.readFileSync(path.join(dir, `${kind}.bin`)));

const PROFILES = /** @type {Record<string, number>} */ ({ Baseline: 66, Main: 77, High: 100 });

for (const [kind, container] of [
  ["h264-ts", "ts"],
  ["h264-mp4", "mp4"],
  ["h264-mp4-bframes", "mp4"],
  ["h264-annexb", "annexb"],
]) {
  test(`${kind}: access units as ffprobe's packets`, () => {
    const b = bytes(kind);
    assert.equal(sniff(b), container);
    const expected = manifest[kind];
    const { codec, description, units } = demuxH264(b);
    assert.deepEqual(
      units.map((u) => u.key),
      expected.keys,
    );
    const profile = PROFILES[expected.profile].toString(16).padStart(2, "0");
    const level = expected.level.toString(16).padStart(2, "0");
    assert.match(codec, new RegExp(`^avc1\\.${profile}[0-9a-f]{2}${level}$`));
    if (container === "mp4") {
      assert.ok(description && description[0] === 1, "an avcC record (version 1)");
      assert.deepEqual(
        units.map((u) => u.data.length),
        expected.sizes,
      );
    } else {
      assert.equal(description, null);
      for (const unit of units) assert.deepEqual([...unit.data.subarray(0, 4)], [0, 0, 0, 1]);
    }
  });
}

test("an HEVC transport stream is found and said not to be H.264", () => {
  const b = bytes("hevc-ts");
  assert.equal(sniff(b), "ts");
  assert.equal(tsElementaryStream(b).streamType, 0x24); // ISO/IEC 13818-1 Table 2-34
  assert.throws(() => demuxH264(b), /not H\.264 \(stream type 36\)/);
});

test("Annex B: 3- and 4-byte start codes, access units split at slices and parameter sets", () => {
  const sps = [0x67, 0x64, 0, 0x0a, 0xac];
  const pps = [0x68, 0xee];
  const idr = [0x65, 0x88, 0x84]; // first_mb_in_slice 0: its first bit is 1
  const second = [0x65, 0x08, 0x84]; // a second slice of the same picture (first bit 0)
  const p = [0x41, 0x9a, 0x01];
  const stream = new Uint8Array([
    ...[0, 0, 0, 1, ...sps],
    ...[0, 0, 1, ...pps],
    ...[0, 0, 1, ...idr],
    ...[0, 0, 1, ...second],
    ...[0, 0, 0, 1, ...p],
  ]);
  const nals = nalUnits(stream);
  assert.deepEqual(
    nals.map((n) => [...n]),
    [sps, pps, idr, second, p],
  );
  const units = accessUnits(nals);
  assert.deepEqual(
    units.map((u) => u.key),
    [true, false],
  );
  assert.equal(units[0].data.length, 4 * 4 + sps.length + pps.length + idr.length + second.length);
});

test("streams that are not video say so; a saved file gets its container's extension", () => {
  assert.equal(sniff(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), "unknown");
  assert.throws(() => demuxH264(new Uint8Array(64)), /neither MP4/);
  assert.equal(extension("ps", "mpeg2"), "mpg");
  assert.equal(extension("annexb", "hevc"), "hevc");
});
