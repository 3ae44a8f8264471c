// The service worker (web/sw.js, a classic script) run in a Node vm with a fake Cache API
// and a fake server: what install stores, what fetch answers, what activate deletes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import vm from "node:vm";

const SOURCE = readFileSync(new URL("../../web/sw.js", import.meta.url), "utf8");
const VERSION_LINE = 'const VERSION = "dev";';

/** A site as a server would send it: path below the root → [body, Content-Type]. */
/** @type {Record<string, [string, string]>} files by path: body and Content-Type */
const SITE = {
  "index.html": ["<!doctype html><title>Lightbox</title>", "text/html; charset=utf-8"],
  "js/page/main.js": ["export {};", "text/javascript"],
  "pyodide/pyodide.asm.wasm": ["\0asm\x01\0\0\0", "application/wasm"],
  "demo/IM0001": ["0123456789", "application/octet-stream"],
};

class FakeCache {
  constructor() {
    /** @type {Map<string, {body: ArrayBuffer, init: ResponseInit}>} */
    this.entries = new Map();
  }
  /** @param {string} url @param {Response} response */
  async put(url, response) {
    const headers = new Headers(response.headers);
    this.entries.set(url, {
      body: await response.arrayBuffer(),
      init: { status: response.status, statusText: response.statusText, headers },
    });
  }
  /** @param {string} url */
  async match(url) {
    const entry = this.entries.get(url);
    return entry ? new Response(entry.body.slice(0), entry.init) : undefined;
  }
}

class FakeCaches {
  constructor() {
    /** @type {Map<string, FakeCache>} */
    this.stores = new Map();
  }
  /** @param {string} name */
  async open(name) {
    if (!this.stores.has(name)) this.stores.set(name, new FakeCache());
    return /** @type {FakeCache} */ (this.stores.get(name));
  }
  async keys() {
    return [...this.stores.keys()];
  }
  /** @param {string} name */
  async delete(name) {
    return this.stores.delete(name);
  }
}

/**
 * Load sw.js as served from `root` + "sw.js", stamped with `version`, against a server
 * holding `site` and a precache.json listing it.
 * @param {{version?: string, listed?: string, root?: string, site?: Record<string, [string, string]>, files?: string[]}} [setup]
 */
function load({
  version = "abc123",
  listed = version,
  root = "http://127.0.0.1:8000/",
  site = SITE,
  files = Object.keys(site),
} = {}) {
  /** @type {Record<string, (event: any) => void>} */
  const handlers = {};
  /** @type {{url: string, cache: string | undefined, range: string | null}[]} */
  const requests = [];
  const calls = { claim: 0, skipWaiting: 0 };
  const caches = new FakeCaches();
  /** @param {string | URL | Request} input @param {RequestInit} [init] */
  const fetch = async (input, init = {}) => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    requests.push({
      url: request.url,
      cache: init.cache ?? request.cache,
      range: request.headers.get("Range"),
    });
    const url = new URL(request.url);
    const path = url.pathname.slice(new URL(root).pathname.length);
    const body =
      path === "precache.json"
        ? [JSON.stringify({ version: listed, files }), "application/json"]
        : site[path];
    const response = body
      ? new Response(body[0], {
          status: 200,
          headers: { "Content-Type": body[1], "Content-Security-Policy": "default-src 'self'" },
        })
      : new Response("not found", { status: 404 });
    Object.defineProperty(response, "type", { value: "basic" }); // a same-origin answer
    return response;
  };
  const self = {
    location: { href: root + "sw.js" },
    /** @param {string} type @param {(event: any) => void} handler */
    addEventListener: (type, handler) => void (handlers[type] = handler),
    clients: { claim: async () => void (calls.claim += 1) },
    skipWaiting: async () => void (calls.skipWaiting += 1),
  };
  const context = vm.createContext({
    self,
    caches,
    fetch,
    Request,
    Response,
    Headers,
    URL,
    console,
  });
  assert.equal(SOURCE.split(VERSION_LINE).length, 2, "sw.js holds the line the build stamps, once");
  vm.runInContext(
    SOURCE.replace(VERSION_LINE, `const VERSION = ${JSON.stringify(version)};`),
    context,
  );
  return { handlers, requests, calls, caches, root };
}

/** @param {(event: any) => void} handler */
async function extend(handler) {
  /** @type {Promise<unknown>[]} */
  const waits = [];
  handler({ waitUntil: (/** @type {Promise<unknown>} */ p) => waits.push(p) });
  await Promise.all(waits);
}

/**
 * Dispatch a fetch event; the response, or null when the worker left it to the browser.
 * @param {ReturnType<typeof load>} sw @param {string} url @param {{mode?: string, method?: string, headers?: Record<string, string>}} [init]
 * @returns {Promise<Response | null>}
 */
async function request(sw, url, { mode = "cors", method = "GET", headers = {} } = {}) {
  /** @type {Promise<Response> | null} */
  let answer = null;
  const req = new Request(url, { method, headers });
  sw.handlers.fetch({
    request: Object.defineProperty(req, "mode", { value: mode }),
    respondWith: (/** @type {Promise<Response>} */ p) => (answer = p),
  });
  return answer ? await answer : null;
}

async function installed(setup = {}) {
  const sw = load(setup);
  await extend(sw.handlers.install);
  await extend(sw.handlers.activate);
  sw.requests.length = 0;
  return sw;
}

// -- install -------------------------------------------------------------------------------

test("install stores every listed file, bypassing the HTTP cache, in lightbox-<version>", async () => {
  const sw = load();
  await extend(sw.handlers.install);
  assert.deepEqual([...sw.caches.stores.keys()], ["lightbox-abc123"]);
  const cache = /** @type {FakeCache} */ (sw.caches.stores.get("lightbox-abc123"));
  assert.deepEqual(
    [...cache.entries.keys()].sort(),
    Object.keys(SITE)
      .map((f) => sw.root + f)
      .sort(),
  );
  const list = sw.requests.find((r) => r.url.endsWith("/precache.json"));
  assert.equal(list?.cache, "no-store");
  for (const r of sw.requests.filter((r) => !r.url.endsWith("/precache.json")))
    assert.equal(r.cache, "reload", r.url);
});

test("cached responses keep the server's headers: .wasm stays application/wasm", async () => {
  const sw = await installed();
  const response = await request(sw, sw.root + "pyodide/pyodide.asm.wasm");
  assert.equal(response?.headers.get("Content-Type"), "application/wasm");
  assert.equal(response?.headers.get("Content-Security-Policy"), "default-src 'self'");
  assert.equal(await response?.text(), SITE["pyodide/pyodide.asm.wasm"][0]);
  assert.equal(sw.requests.length, 0, "from the cache, not the network");
});

test("install refuses a precache.json of another version (a half-copied build)", async () => {
  const sw = load({ version: "new", listed: "old" });
  await assert.rejects(extend(sw.handlers.install), /version old, this worker new/);
  assert.equal(sw.caches.stores.size, 0);
});

test("an unstamped worker (served from web/ directly) does not install", async () => {
  const sw = load({ version: "dev", listed: "abc123" });
  await assert.rejects(extend(sw.handlers.install));
});

test("install fails, leaving no cache, when a file is missing", async () => {
  const sw = load({ files: [...Object.keys(SITE), "js/gone.js"] });
  await assert.rejects(extend(sw.handlers.install), /js\/gone\.js answered 404/);
  assert.equal(sw.caches.stores.size, 0);
});

test("install refuses .wasm served with the wrong type (Pyodide would hang)", async () => {
  const site = {
    ...SITE,
    "codecs/x.wasm": /** @type {[string, string]} */ (["\0asm", "application/octet-stream"]),
  };
  const sw = load({ site });
  await assert.rejects(
    extend(sw.handlers.install),
    /codecs\/x\.wasm is served as application\/octet-stream/,
  );
  assert.equal(sw.caches.stores.size, 0);
});

// -- fetch -----------------------------------------------------------------------------------

test("navigations ignore the query: ?kiosk, ?case=... and index.html?... are the cached page", async () => {
  const sw = await installed();
  for (const url of [
    "",
    "?kiosk",
    "?kiosk&idle=60",
    "?case=cases/ct1/",
    "index.html",
    "index.html?kiosk",
    "#v=1&l=1x1",
  ]) {
    const response = await request(sw, sw.root + url, { mode: "navigate" });
    assert.equal(await response?.text(), SITE["index.html"][0], url);
  }
  assert.equal(sw.requests.length, 0, "no network at all");
});

test("subresources are matched exactly: a query that was not cached goes to the network", async () => {
  const sw = await installed();
  assert.equal(await (await request(sw, sw.root + "js/page/main.js"))?.text(), "export {};");
  assert.equal(sw.requests.length, 0);
  await request(sw, sw.root + "js/main.js?v=2");
  assert.deepEqual(
    sw.requests.map((r) => r.url),
    [sw.root + "js/main.js?v=2"],
  );
});

test("files not in the cache come from the network", async () => {
  const sw = await installed();
  const response = await request(sw, sw.root + "nowhere.js");
  assert.equal(response?.status, 404);
  assert.deepEqual(
    sw.requests.map((r) => r.url),
    [sw.root + "nowhere.js"],
  );
});

test("other origins, other paths and non-GET requests are left to the browser", async () => {
  const sw = await installed({ root: "http://127.0.0.1:8000/app/" });
  assert.equal(await request(sw, "https://example.org/x.js"), null);
  assert.equal(
    await request(sw, "http://127.0.0.1:9000/app/index.html"),
    null,
    "another port is another origin",
  );
  assert.equal(
    await request(sw, "http://127.0.0.1:8000/other/index.html", { mode: "navigate" }),
    null,
    "outside the scope",
  );
  assert.equal(await request(sw, "http://127.0.0.1:8000/app/index.html", { method: "POST" }), null);
  assert.equal(
    await (await request(sw, "http://127.0.0.1:8000/app/?kiosk", { mode: "navigate" }))?.text(),
    SITE["index.html"][0],
  );
  assert.equal(sw.requests.length, 0);
});

test("range requests on cached files get 206 with the right bytes", async () => {
  const sw = await installed();
  const url = sw.root + "demo/IM0001"; // "0123456789"
  const table = [
    ["bytes=2-5", "2345", "bytes 2-5/10"],
    ["bytes=7-", "789", "bytes 7-9/10"],
    ["bytes=-3", "789", "bytes 7-9/10"],
    ["bytes=8-100", "89", "bytes 8-9/10"],
    ["bytes=-50", "0123456789", "bytes 0-9/10"],
  ];
  for (const [range, body, contentRange] of table) {
    const response = await request(sw, url, { headers: { Range: range } });
    assert.equal(response?.status, 206, range);
    assert.equal(await response?.text(), body, range);
    assert.equal(response?.headers.get("Content-Range"), contentRange, range);
    assert.equal(response?.headers.get("Content-Length"), String(body.length), range);
    assert.equal(response?.headers.get("Content-Type"), "application/octet-stream", range);
  }
  for (const range of ["bytes=10-", "bytes=5-2", "bytes=-0"]) {
    const response = await request(sw, url, { headers: { Range: range } });
    assert.equal(response?.status, 416, range);
    assert.equal(response?.headers.get("Content-Range"), "bytes */10", range);
  }
  for (const range of ["bytes=0-1,4-5", "items=0-1", "bytes=-"]) {
    const response = await request(sw, url, { headers: { Range: range } });
    assert.equal(response?.status, 200, `${range}: a server may ignore Range`);
    assert.equal(await response?.text(), "0123456789", range);
  }
  assert.equal(sw.requests.length, 0);
});

test("range requests for files not cached go to the network with their Range header", async () => {
  const sw = await installed();
  await request(sw, sw.root + "media/clip.mp4", { headers: { Range: "bytes=0-" } });
  assert.deepEqual(sw.requests, [
    { url: sw.root + "media/clip.mp4", cache: "default", range: "bytes=0-" },
  ]);
});

// -- activate and messages ---------------------------------------------------------------------

test("activate deletes older lightbox-* caches, keeps others, and takes control", async () => {
  const sw = load();
  await sw.caches.open("lightbox-0ld");
  await sw.caches.open("lightbox-dev");
  await sw.caches.open("someone-else");
  await extend(sw.handlers.install);
  await extend(sw.handlers.activate);
  assert.deepEqual((await sw.caches.keys()).sort(), ["lightbox-abc123", "someone-else"]);
  assert.equal(sw.calls.claim, 1);
});

test("a skipWaiting message makes the waiting worker take over; other messages do nothing", () => {
  const sw = load();
  sw.handlers.message({ data: { type: "hello" } });
  sw.handlers.message({ data: null });
  sw.handlers.message({ data: "skipWaiting" });
  assert.equal(sw.calls.skipWaiting, 0);
  sw.handlers.message({ data: { type: "skipWaiting" } });
  assert.equal(sw.calls.skipWaiting, 1);
});
