// Offline use: register the service worker (web/sw.js), which keeps the whole app in
// the Cache API, and tell the page when a newer build is waiting to take over.
//
//   registerOffline({onUpdate: (apply) => showBanner("A new version is ready", apply)})
//
// apply() asks the waiting worker to take over; the page reloads once it has.

/**
 * Where the page's globals are looked up; injected in tests.
 * @typedef {{container: ServiceWorkerContainer | undefined, protocol: string, baseURI: string,
 *            reload: () => void}} OfflineEnv
 */

/**
 * Whether this page can and should use a service worker: the browser has one, and the
 * page came over http(s) (not file:, where service workers do not exist).
 * @param {{protocol: string}} location
 * @param {unknown} container navigator.serviceWorker
 */
export function canUseServiceWorker(location, container) {
  return Boolean(container) && (location.protocol === "https:" || location.protocol === "http:");
}

/**
 * The service worker's URL and scope: the site root, i.e. the directory of the page
 * (./sw.js beside index.html), so the worker controls the whole app wherever it is hosted.
 * @param {string} baseURI document.baseURI
 */
export function workerUrls(baseURI) {
  return { script: new URL("sw.js", baseURI).href, scope: new URL("./", baseURI).href };
}

/** @returns {OfflineEnv} */
function browserEnv() {
  return {
    container: typeof navigator !== "undefined" ? navigator.serviceWorker : undefined,
    protocol: typeof location !== "undefined" ? location.protocol : "",
    baseURI: typeof document !== "undefined" ? document.baseURI : "",
    reload: () => location.reload(),
  };
}

/**
 * Register ./sw.js with scope ./ and report updates. When a new worker has installed
 * while an older one controls this page, onUpdate(apply) is called (once per worker);
 * apply() posts {type: "skipWaiting"} to it and reloads the page when it takes control.
 * The first install calls nothing: there is no older version to replace.
 * @param {{onUpdate?: (apply: () => void) => void}} [hooks]
 * @param {Partial<OfflineEnv>} [env] injected in tests; the browser's by default
 * @returns {Promise<ServiceWorkerRegistration | null>} null where there is no service worker
 *   (file:, an old browser) or registration failed (the app still works online)
 */
export async function registerOffline(hooks = {}, env = {}) {
  const { container, protocol, baseURI, reload } = { ...browserEnv(), ...env };
  if (!container || !canUseServiceWorker({ protocol }, container)) return null;
  const { script, scope } = workerUrls(baseURI);
  let registration;
  try {
    registration = await container.register(script, { scope });
  } catch (error) {
    console.warn("offline use is not available:", error);
    return null;
  }
  /** @type {WeakSet<ServiceWorker>} */
  const announced = new WeakSet();
  let reloading = false;
  /** @param {ServiceWorker} worker */
  const announce = (worker) => {
    if (announced.has(worker) || !container.controller) return;
    announced.add(worker);
    hooks.onUpdate?.(() => {
      container.addEventListener("controllerchange", () => {
        if (reloading) return;
        reloading = true;
        reload();
      });
      worker.postMessage({ type: "skipWaiting" });
    });
  };
  /** @param {ServiceWorker} worker */
  const watch = (worker) => {
    worker.addEventListener("statechange", () => {
      if (worker.state === "installed") announce(worker);
    });
  };
  if (registration.waiting) announce(registration.waiting);
  if (registration.installing) watch(registration.installing);
  registration.addEventListener("updatefound", () => {
    if (registration.installing) watch(registration.installing);
  });
  return registration;
}
