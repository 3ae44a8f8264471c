// The service worker: the whole app in the Cache API, so Lightbox starts with no network.
// A classic script served from the site root (its scope is the whole app); every URL here
// is relative to this script's own URL, so the site works under any path.
//
// install   fetch precache.json (written by tools/build.py: every file of the build but
//           itself and this script, and a version that is a hash of their hashes), then
//           every file in it, bypassing the HTTP cache, into the cache "lightbox-<version>".
//           Responses are stored exactly as the server sent them: status, body and headers
//           (so .wasm keeps Content-Type: application/wasm, which Pyodide needs).
// activate  delete every other "lightbox-*" cache; take control of open pages.
// fetch     same-origin GETs inside the scope: from the cache first, else the network.
//           Navigations ignore the query (index.html?kiosk, ?case=...) and a directory
//           URL means its index.html. A Range request for a cached file gets a 206 cut
//           from the cached body. Nothing fetched at run time is cached.
// message   {type: "skipWaiting"}: a waiting new version takes over (the page asked).
//
// VERSION is stamped by tools/build.py (write_precache) into build/sw.js, so that every
// build with different files is a byte-different script and browsers see the update.
"use strict";

const VERSION = "dev";
const CACHE_PREFIX = "lightbox-";
const CACHE_NAME = CACHE_PREFIX + VERSION;

const worker = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));
/** The directory this script is served from: the app's root. */
const ROOT = new URL("./", worker.location.href).href;

/**
 * @typedef {{version: string, files: string[]}} Precache
 */

/**
 * The cache key for a request, or null when the worker must leave it to the browser
 * (another origin, outside the app, not a GET).
 * @param {string} url the request's URL
 * @param {string} method
 * @param {string} mode the request's mode ("navigate" for a page load)
 * @param {string} root the app's root URL (ends in "/")
 * @returns {string | null}
 */
function cacheKey(url, method, mode, root) {
  if (method !== "GET") return null;
  let target;
  try {
    target = new URL(url);
  } catch {
    return null;
  }
  const base = new URL(root);
  if (target.origin !== base.origin || !target.pathname.startsWith(base.pathname)) return null;
  target.hash = "";
  if (mode === "navigate") {
    target.search = ""; // index.html?kiosk and ?case=... are all the cached index.html
    if (target.pathname.endsWith("/")) target.pathname += "index.html";
  }
  return target.href;
}

/**
 * The byte range a Range header asks for, in a body of `size` bytes.
 * One range only (`bytes=a-b`, `bytes=a-`, `bytes=-n`); anything else gives "full"
 * (a server may always ignore Range and send the whole body), an impossible range
 * gives "unsatisfiable" (416).
 * @param {string} header
 * @param {number} size
 * @returns {{start: number, end: number} | "full" | "unsatisfiable"}
 */
function parseRange(header, size) {
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match || (match[1] === "" && match[2] === "")) return "full";
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0) return "unsatisfiable";
    return { start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return "unsatisfiable";
  return { start, end };
}

/**
 * A 206 (or 416) answer to a Range request, cut from a cached full response.
 * @param {Response} cached
 * @param {string} header the Range header
 * @returns {Promise<Response>}
 */
async function rangeResponse(cached, header) {
  const body = await cached.arrayBuffer();
  const range = parseRange(header, body.byteLength);
  if (range === "full")
    return new Response(body, {
      status: cached.status,
      statusText: cached.statusText,
      headers: cached.headers,
    });
  if (range === "unsatisfiable") {
    return new Response(null, {
      status: 416,
      statusText: "Range Not Satisfiable",
      headers: { "Content-Range": `bytes */${body.byteLength}` },
    });
  }
  const headers = new Headers(cached.headers);
  headers.set("Content-Range", `bytes ${range.start}-${range.end}/${body.byteLength}`);
  headers.set("Content-Length", String(range.end - range.start + 1));
  return new Response(body.slice(range.start, range.end + 1), {
    status: 206,
    statusText: "Partial Content",
    headers,
  });
}

/**
 * A response fit to keep: a full, same-origin, non-redirected 200.
 * @param {Response} response
 * @param {string} file
 */
function checkCacheable(response, file) {
  if (response.status !== 200 || response.type !== "basic" || response.redirected) {
    throw new Error(
      `precache: ${file} answered ${response.status} ${response.type}${response.redirected ? " (redirected)" : ""}`,
    );
  }
  if (
    /\.wasm$/.test(file) &&
    !/^application\/wasm\b/.test(response.headers.get("Content-Type") ?? "")
  ) {
    // Pyodide hangs on wasm served with another type: keeping it would break every start.
    throw new Error(
      `precache: ${file} is served as ${response.headers.get("Content-Type")}, not application/wasm`,
    );
  }
}

/** Fetch precache.json and every file it lists into this version's cache. */
async function precache() {
  const listUrl = new URL("precache.json", worker.location.href);
  const listed = await fetch(listUrl, { cache: "no-store" });
  if (!listed.ok) throw new Error(`precache: precache.json answered ${listed.status}`);
  const manifest = /** @type {Precache} */ (await listed.json());
  if (manifest.version !== VERSION) {
    // A build half copied, or an unstamped sw.js: do not install a mixture.
    throw new Error(
      `precache: precache.json is version ${manifest.version}, this worker ${VERSION}`,
    );
  }
  const cache = await caches.open(CACHE_NAME);
  try {
    await Promise.all(
      manifest.files.map(async (file) => {
        const url = new URL(file, ROOT).href;
        const response = await fetch(
          new Request(url, { cache: "reload", credentials: "same-origin" }),
        );
        checkCacheable(response, file);
        await cache.put(url, response); // as is: status, headers (Content-Type) and body
      }),
    );
  } catch (error) {
    await caches.delete(CACHE_NAME); // no half-filled cache survives a failed install
    throw error;
  }
}

/** Delete the caches of other versions, then control the pages already open. */
async function activate() {
  const names = await caches.keys();
  await Promise.all(
    names
      .filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE_NAME)
      .map((name) => caches.delete(name)),
  );
  await worker.clients.claim();
}

/**
 * Cache first, then the network.
 * @param {Request} request
 * @param {string} key
 * @returns {Promise<Response>}
 */
async function respond(request, key) {
  const cache = await caches.open(CACHE_NAME);
  const cached = await cache.match(key);
  if (!cached) return fetch(request);
  const range = request.headers.get("Range");
  return range ? rangeResponse(cached, range) : cached;
}

worker.addEventListener("install", (event) => event.waitUntil(precache()));
worker.addEventListener("activate", (event) => event.waitUntil(activate()));
worker.addEventListener("fetch", (event) => {
  const request = event.request;
  const key = cacheKey(request.url, request.method, request.mode, ROOT);
  if (key === null) return; // the browser's own handling: another origin, not a GET
  event.respondWith(respond(request, key));
});
worker.addEventListener("message", (event) => {
  if (event.data && event.data.type === "skipWaiting") void worker.skipWaiting();
});
