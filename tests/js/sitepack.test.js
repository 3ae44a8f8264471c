// The site pack's reader (web/js/worker/sitepack.js): the layout tools/build.py write_pack writes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { install, PACK_MAGIC, parsePack } from "../../web/js/worker/sitepack.js";

/** A pack of the given files, laid out as write_pack lays it out (before gzip). */
function pack(/** @type {[string, Uint8Array][]} */ files) {
  const index = new TextEncoder().encode(
    JSON.stringify(files.map(([path, bytes]) => [path, bytes.length])),
  );
  const head = new TextEncoder().encode(PACK_MAGIC);
  const size = new Uint8Array(4);
  new DataView(size.buffer).setUint32(0, index.length, true);
  const parts = [head, size, index, ...files.map(([, bytes]) => bytes)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const FILES = /** @type {[string, Uint8Array][]} */ ([
  ["numpy/__init__.pyc", new Uint8Array([1, 2, 3])],
  ["numpy/_core/_multiarray_umath.so", new Uint8Array(1000).map((_, i) => i % 251)],
  ["lightbox/data/table.json", new TextEncoder().encode("{}")],
  ["empty.txt", new Uint8Array(0)],
]);

test("parsePack gives every file, in order, with its bytes", () => {
  const files = parsePack(pack(FILES), "site.pack");
  assert.deepEqual(
    files.map((f) => [f.path, [...f.bytes]]),
    FILES.map(([path, bytes]) => [path, [...bytes]]),
  );
});

test("parsePack refuses what is not a pack, naming it", () => {
  const html = new TextEncoder().encode("<html>a host's error page</html>");
  assert.throws(() => parsePack(html, "py/site.pack"), /py\/site\.pack: not a Lightbox site pack/);
});

test("parsePack refuses a pack whose index does not match its contents", () => {
  const whole = pack(FILES);
  assert.throws(
    () => parsePack(whole.subarray(0, whole.length - 10), "site.pack"),
    /does not match/,
  );
  const longer = new Uint8Array(whole.length + 3);
  longer.set(whole);
  assert.throws(() => parsePack(longer, "site.pack"), /does not match/);
});

test("install writes each file under site-packages, making each directory once", () => {
  /** @type {string[]} */
  const made = [];
  /** @type {Map<string, Uint8Array>} */
  const written = new Map();
  const fs = {
    mkdirTree: (/** @type {string} */ d) => made.push(d),
    writeFile: (/** @type {string} */ p, /** @type {Uint8Array} */ b) => written.set(p, b),
  };
  install(fs, parsePack(pack(FILES), "site.pack"));
  const root = "/lib/python3.12/site-packages/";
  assert.deepEqual(made, [root + "numpy/", root + "numpy/_core/", root + "lightbox/data/", root]);
  assert.deepEqual(
    [...written.keys()],
    FILES.map(([path]) => root + path),
  );
  assert.deepEqual([...(written.get(root + "numpy/__init__.pyc") ?? [])], [1, 2, 3]);
});
