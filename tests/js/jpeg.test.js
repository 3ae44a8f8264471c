// The JPEG Extended (Process 2 & 4) decoder in web/js/worker/jpeg.js, against libjpeg.
// Fixtures (real JPEG streams and natively decoded references) are made at test time by
// tests/js/fixtures.py with the project's .venv: see that file for the sources.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { decodeJpeg } from "../../web/js/worker/jpeg.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lightbox-jpeg-"));
execFileSync(".venv/bin/python", ["tests/js/fixtures.py", dir], {
  cwd: root,
  stdio: ["ignore", "ignore", "pipe"],
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * @typedef {{name: string, source: string, precision: number, shape?: number[], dtype?: string,
 *   rgb?: boolean, turbo?: boolean, reference_error?: string, sop_instance_uid?: string,
 *   expect_error?: string}} Case
 */
/** @type {Case[]} */
const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
const byName = new Map(manifest.map((c) => [c.name, c]));

/** @param {string} name */
function stream(name) {
  return new Uint8Array(fs.readFileSync(path.join(dir, `${name}.jpg`)));
}

/**
 * @param {string} name
 * @param {string} suffix
 * @param {string} dtype
 */
function samples(name, suffix, dtype) {
  const buf = fs.readFileSync(path.join(dir, `${name}${suffix}`));
  const copy = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  return dtype === "uint16" ? new Uint16Array(copy) : new Uint8Array(copy);
}

/**
 * Agreement of two sample arrays.
 * @param {ArrayLike<number>} got
 * @param {ArrayLike<number>} want
 */
function agreement(got, want) {
  assert.equal(got.length, want.length);
  let exact = 0;
  let within1 = 0;
  let max = 0;
  for (let i = 0; i < want.length; i += 1) {
    const d = Math.abs(got[i] - want[i]);
    if (d === 0) exact += 1;
    if (d <= 1) within1 += 1;
    if (d > max) max = d;
  }
  return { exact: exact / want.length, within1: within1 / want.length, max };
}

/** @param {{exact: number, within1: number, max: number}} a */
function describe(a) {
  return `exact ${(100 * a.exact).toFixed(3)} %, within 1 ${(100 * a.within1).toFixed(3)} %, max diff ${a.max}`;
}

/**
 * Decode and require that it either returns a well-formed image or throws this
 * decoder's own Error (never a TypeError/RangeError from inside it).
 * @param {Uint8Array} bytes
 */
function decodeOrReject(bytes) {
  try {
    const out = decodeJpeg(bytes, { colorTransform: false });
    assert.equal(out.data.length, out.width * out.height * out.components);
    return "ok";
  } catch (error) {
    assert.ok(error instanceof Error, "throws an Error");
    assert.match(/** @type {Error} */ (error).message, /^JPEG: /, `a decoder error, not: ${error}`);
    return "error";
  }
}

// --- accuracy against libjpeg ---

for (const c of manifest) {
  if (!c.shape || c.expect_error) continue;
  test(`${c.name} matches libjpeg (${c.source})`, (t) => {
    const [height, width, components] = c.shape ?? [];
    const out = decodeJpeg(stream(c.name), { colorTransform: false });
    assert.equal(out.width, width);
    assert.equal(out.height, height);
    assert.equal(out.components, components);
    assert.equal(out.bits, c.precision);
    assert.equal(out.colorTransformed, false);
    assert.ok(out.data instanceof (c.precision > 8 ? Uint16Array : Uint8Array));
    const a = agreement(out.data, samples(c.name, ".raw", c.dtype ?? "uint8"));
    t.diagnostic(`${c.precision}-bit ${width}x${height}x${components}: ${describe(a)}`);
    assert.ok(a.within1 >= (c.precision > 8 ? 0.999 : 0.99), describe(a));
    assert.deepEqual(out.warnings, []);
  });
}

for (const c of manifest.filter((x) => x.turbo)) {
  test(`${c.name}: upsampled chroma matches libjpeg-turbo's too`, (t) => {
    const out = decodeJpeg(stream(c.name), { colorTransform: false });
    const a = agreement(out.data, samples(c.name, ".turbo.raw", "uint8"));
    t.diagnostic(describe(a));
    assert.ok(a.within1 >= 0.99, describe(a));
  });
}

for (const c of manifest.filter((x) => x.rgb)) {
  test(`${c.name}: colorTransform true gives pydicom's YCbCr -> RGB`, (t) => {
    const out = decodeJpeg(stream(c.name), { colorTransform: true });
    assert.equal(out.colorTransformed, true);
    const a = agreement(out.data, samples(c.name, ".rgb.raw", "uint8"));
    t.diagnostic(describe(a));
    assert.ok(a.within1 >= 0.99, describe(a));
    assert.ok(a.max <= 3, describe(a));
  });
}

test("JPEG-lossy.dcm (Se = 0 in its scan header): libjpeg refuses it, we decode it like JPGExtended.dcm", (t) => {
  const lossy = /** @type {Case} */ (byName.get("JPEG-lossy"));
  const ext = /** @type {Case} */ (byName.get("JPGExtended"));
  assert.match(lossy.reference_error ?? "", /misplaced marker/i);
  assert.equal(lossy.sop_instance_uid, ext.sop_instance_uid, "the same image");
  const out = decodeJpeg(stream("JPEG-lossy"), { colorTransform: false });
  assert.equal(out.warnings.length, 1);
  assert.match(out.warnings[0], /Se=0/);
  // Its stream differs from JPGExtended's only in that byte, so the pixels are identical.
  const same = decodeJpeg(stream("JPGExtended"), { colorTransform: false });
  assert.deepEqual(out.data, same.data);
  const ref = samples("JPGExtended", ".raw", "uint16");
  /** @param {ArrayLike<number>} d */
  const stats = (d) => {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let i = 0; i < d.length; i += 1) {
      min = Math.min(min, d[i]);
      max = Math.max(max, d[i]);
      sum += d[i];
    }
    return { min, max, mean: sum / d.length };
  };
  const mine = stats(out.data);
  const theirs = stats(ref);
  t.diagnostic(
    `JPEG-lossy (ours) ${JSON.stringify(mine)}; JPGExtended (libjpeg) ${JSON.stringify(theirs)}`,
  );
  // libjpeg's IDCT rounds a little high (values from n + 0.47 up become n + 1, where
  // exact arithmetic gives n): its mean is ~0.014 above the exact one.
  assert.ok(Math.abs(mine.mean - theirs.mean) < 0.05);
  assert.ok(Math.abs(mine.min - theirs.min) <= 1 && Math.abs(mine.max - theirs.max) <= 1);
  assert.ok(agreement(out.data, ref).within1 >= 0.999);
});

// --- colour transform selection ---

test("colorTransform null follows Adobe APP14, else leaves samples as stored", () => {
  // JFIF, YCbCr, no Adobe segment: left alone.
  const jfif = stream("SC_rgb_jpeg_dcmtk");
  const stored = decodeJpeg(jfif, { colorTransform: false });
  const auto = decodeJpeg(jfif, { colorTransform: null });
  assert.equal(auto.colorTransformed, false);
  assert.deepEqual(auto.data, stored.data);
  assert.deepEqual(decodeJpeg(jfif).data, stored.data, "options default to null");
  // Adobe transform 0 (RGB stored as is): left alone, even though there are 3 components.
  const app14 = decodeJpeg(stream("SC_rgb_jpeg_app14_dcmd"), { colorTransform: null });
  assert.equal(app14.colorTransformed, false);
  // Adobe transform 1 (YCbCr) inserted after SOI: converted, as with colorTransform true.
  const adobe = [0xff, 0xee, 0x00, 0x0e, ...Buffer.from("Adobe"), 0x00, 0x64, 0, 0, 0, 0, 1];
  const patched = new Uint8Array([0xff, 0xd8, ...adobe, ...jfif.subarray(2)]);
  const converted = decodeJpeg(patched, { colorTransform: null });
  assert.equal(converted.colorTransformed, true);
  assert.deepEqual(converted.data, decodeJpeg(jfif, { colorTransform: true }).data);
  // ... and colorTransform false overrides it.
  assert.deepEqual(decodeJpeg(patched, { colorTransform: false }).data, stored.data);
});

test("colorTransform true does nothing to 1- and 4-component images", () => {
  for (const name of ["JPGExtended", "pil_cmyk"]) {
    const a = decodeJpeg(stream(name), { colorTransform: true });
    assert.equal(a.colorTransformed, false);
    assert.deepEqual(a.data, decodeJpeg(stream(name), { colorTransform: false }).data);
  }
});

// --- what is not supported ---

/**
 * A copy of a stream with its SOF marker replaced.
 * @param {Uint8Array} bytes
 * @param {number} marker
 */
function withSof(bytes, marker) {
  const copy = bytes.slice();
  for (let i = 2; i + 1 < copy.length; i += 1) {
    if (copy[i] === 0xff && (copy[i + 1] === 0xc0 || copy[i + 1] === 0xc1)) {
      copy[i + 1] = marker;
      return copy;
    }
  }
  throw new Error("no SOF0/SOF1 in the stream");
}

test("progressive, lossless, hierarchical, arithmetic-coded and JPEG-LS streams throw naming what is unsupported", () => {
  assert.throws(
    () => decodeJpeg(stream("pil_progressive")),
    /JPEG: progressive DCT \(SOF2\) is not supported/,
  );
  const base = stream("JPGExtended");
  assert.throws(() => decodeJpeg(withSof(base, 0xc3)), /lossless \(SOF3\) is not supported/);
  assert.throws(() => decodeJpeg(withSof(base, 0xc5)), /hierarchical \(SOF5\) is not supported/);
  assert.throws(
    () => decodeJpeg(withSof(base, 0xc9)),
    /arithmetic-coded extended sequential DCT \(SOF9\)/,
  );
  assert.throws(
    () => decodeJpeg(withSof(base, 0xca)),
    /arithmetic-coded progressive DCT \(SOF10\)/,
  );
  assert.throws(() => decodeJpeg(withSof(base, 0xf7)), /JPEG-LS/);
});

test("16-bit precision and other frame header errors are rejected clearly", () => {
  const base = stream("JPGExtended");
  const sof = base.indexOf(0xc1, 2) - 1; // FF C1 at sof
  const p16 = base.slice();
  p16[sof + 4] = 16;
  assert.throws(() => decodeJpeg(p16), /16-bit samples are not allowed in DCT-based JPEG/);
  const huge = base.slice();
  huge.set([0xff, 0xff, 0xff, 0xff], sof + 5); // 65535 x 65535 from 7 kB of data
  assert.throws(() => decodeJpeg(huge), /far larger than the data/);
  const dnl = base.slice();
  dnl.set([0, 0], sof + 5);
  assert.throws(() => decodeJpeg(dnl), /DNL/);
  assert.throws(() => decodeJpeg(new Uint8Array(0)), /not a JPEG stream/);
  assert.throws(() => decodeJpeg(new Uint8Array([0x89, 0x50, 0x4e, 0x47])), /not a JPEG stream/);
  assert.throws(() => decodeJpeg(new Uint8Array([0xff, 0xd8, 0xff, 0xd9])), /no frame header/);
});

// --- corrupt input ---

test("every truncation of a stream throws a decoder Error or decodes (never hangs or crashes)", () => {
  for (const name of [
    "JPGExtended",
    "pil_420_restart_blocks",
    "enc12_ycc_422_scans",
    "SC_rgb_small_odd_jpeg",
  ]) {
    const bytes = stream(name);
    const eoi = bytes.lastIndexOf(0xd9) - 1;
    assert.equal(bytes[eoi], 0xff);
    const step = Math.max(1, Math.floor(bytes.length / 400));
    for (let n = 0; n < bytes.length; n += step) {
      const result = decodeOrReject(bytes.subarray(0, n));
      // Only cuts that leave all the entropy-coded data (losing EOI at most) decode.
      assert.equal(
        result,
        n >= eoi ? "ok" : "error",
        `${name} cut to ${n} of ${bytes.length} bytes`,
      );
    }
    // Cutting just the EOI marker is tolerated, with a warning.
    const out = decodeJpeg(bytes.subarray(0, bytes.lastIndexOf(0xd9) - 1));
    assert.ok(out.warnings.some((w) => /EOI/.test(w)));
  }
});

test("random corruption throws a decoder Error or decodes, quickly", () => {
  let seed = 12345;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const started = performance.now();
  let errors = 0;
  let runs = 0;
  for (const name of [
    "JPGExtended",
    "pil_420_restart_blocks",
    "pil_grey_restart_rows",
    "enc12_ycc_420_restart",
    "pil_cmyk",
  ]) {
    const bytes = stream(name);
    for (let i = 0; i < 150; i += 1) {
      const copy = bytes.slice();
      const flips = 1 + Math.floor(random() * 4);
      for (let k = 0; k < flips; k += 1) {
        // Half the time hit the headers, where damage is most varied.
        const limit = random() < 0.5 ? Math.min(copy.length, 700) : copy.length;
        copy[Math.floor(random() * limit)] = Math.floor(random() * 256);
      }
      if (decodeOrReject(copy) === "error") errors += 1;
      runs += 1;
    }
  }
  const ms = performance.now() - started;
  assert.ok(errors > 0);
  assert.ok(ms < 20000, `${runs} corrupt streams took ${ms} ms`);
});

test("a missing restart marker is an error or is resynchronised at the next one", () => {
  const bytes = stream("pil_grey_restart_rows");
  let at = -1;
  for (let i = 2; i + 1 < bytes.length; i += 1) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd3) at = i;
  }
  assert.ok(at > 0);
  const cut = new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(at + 2)]);
  assert.equal(decodeOrReject(cut), "error");
  // A restart marker with the wrong number is accepted, with a warning.
  const renumbered = bytes.slice();
  renumbered[at + 1] = 0xd6;
  const out = decodeJpeg(renumbered);
  assert.ok(out.warnings.some((w) => /RST6 found where RST3/.test(w)));
  assert.deepEqual(out.data, decodeJpeg(bytes).data);
});

// --- speed ---

test("speed: JPGExtended.dcm (12-bit 256x1024) and a 12-bit 512x512 frame", (t) => {
  /** @param {string} name */
  const time = (name) => {
    const bytes = stream(name);
    for (let i = 0; i < 5; i += 1) decodeJpeg(bytes); // warm up the JIT
    const runs = [];
    for (let i = 0; i < 15; i += 1) {
      const start = performance.now();
      decodeJpeg(bytes);
      runs.push(performance.now() - start);
    }
    runs.sort((a, b) => a - b);
    return runs[Math.floor(runs.length / 2)];
  };
  const ext = time("JPGExtended");
  const ct = time("enc12_grey_512");
  t.diagnostic(
    `median decode: JPGExtended ${ext.toFixed(2)} ms, 12-bit 512x512 ${ct.toFixed(2)} ms`,
  );
  assert.ok(ct < 100, `512x512 12-bit took ${ct} ms`);
});
