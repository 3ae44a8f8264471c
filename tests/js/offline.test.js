// registerOffline with a fake ServiceWorkerContainer: where it registers, when it
// announces an update, and what apply() does.
import assert from "node:assert/strict";
import { test } from "node:test";
import { canUseServiceWorker, registerOffline, workerUrls } from "../../web/js/offline/offline.js";

class FakeWorker extends EventTarget {
  /** @param {string} state */
  constructor(state) {
    super();
    this.state = state;
    /** @type {unknown[]} */
    this.messages = [];
  }
  /** @param {unknown} message */
  postMessage(message) {
    this.messages.push(message);
  }
  /** @param {string} state */
  become(state) {
    this.state = state;
    this.dispatchEvent(new Event("statechange"));
  }
}

class FakeRegistration extends EventTarget {
  constructor() {
    super();
    /** @type {FakeWorker | null} */
    this.installing = null;
    /** @type {FakeWorker | null} */
    this.waiting = null;
  }
  /** A new worker starts installing (what the browser does on an update). */
  found() {
    this.installing = new FakeWorker("installing");
    this.dispatchEvent(new Event("updatefound"));
    return this.installing;
  }
}

class FakeContainer extends EventTarget {
  /** @param {{controlled?: boolean, fail?: boolean}} [options] */
  constructor({ controlled = true, fail = false } = {}) {
    super();
    this.controller = controlled ? new FakeWorker("activated") : null;
    this.registration = new FakeRegistration();
    /** @type {[string, RegistrationOptions | undefined][]} */
    this.registered = [];
    this.fail = fail;
  }
  /** @param {string} url @param {RegistrationOptions} [options] */
  async register(url, options) {
    this.registered.push([url, options]);
    if (this.fail) throw new Error("SecurityError");
    return this.registration;
  }
}

/** @param {FakeContainer} container @param {Partial<{protocol: string, baseURI: string}>} [page] */
function env(container, page = {}) {
  const reloads = { count: 0 };
  return {
    reloads,
    env: {
      container: /** @type {any} */ (container),
      protocol: "http:",
      baseURI: "http://127.0.0.1:8000/app/index.html?kiosk",
      reload: () => void (reloads.count += 1),
      ...page,
    },
  };
}

test("service workers only on http(s) pages of browsers that have them", () => {
  assert.equal(canUseServiceWorker({ protocol: "https:" }, {}), true);
  assert.equal(canUseServiceWorker({ protocol: "http:" }, {}), true);
  assert.equal(canUseServiceWorker({ protocol: "file:" }, {}), false);
  assert.equal(canUseServiceWorker({ protocol: "http:" }, undefined), false);
});

test("sw.js and its scope are the page's directory, wherever the site is hosted", () => {
  assert.deepEqual(workerUrls("http://127.0.0.1:8000/app/index.html?kiosk#v=1"), {
    script: "http://127.0.0.1:8000/app/sw.js",
    scope: "http://127.0.0.1:8000/app/",
  });
  assert.deepEqual(workerUrls("https://example.org/"), {
    script: "https://example.org/sw.js",
    scope: "https://example.org/",
  });
});

test("registers ./sw.js with scope ./ and returns the registration", async () => {
  const container = new FakeContainer();
  const registration = await registerOffline({}, env(container).env);
  assert.equal(registration, container.registration);
  assert.deepEqual(container.registered, [
    ["http://127.0.0.1:8000/app/sw.js", { scope: "http://127.0.0.1:8000/app/" }],
  ]);
});

test("null, and no registration, on file: pages or without service workers", async () => {
  const container = new FakeContainer();
  assert.equal(await registerOffline({}, env(container, { protocol: "file:" }).env), null);
  assert.equal(container.registered.length, 0);
  assert.equal(await registerOffline({}, { ...env(container).env, container: undefined }), null);
});

test("null when registration fails (the app still works online)", async () => {
  const warn = console.warn;
  console.warn = () => {};
  try {
    assert.equal(await registerOffline({}, env(new FakeContainer({ fail: true })).env), null);
  } finally {
    console.warn = warn;
  }
});

test("an update that installs while an old version controls the page is announced once; apply switches and reloads", async () => {
  const container = new FakeContainer();
  const { env: e, reloads } = env(container);
  /** @type {(() => void)[]} */
  const applies = [];
  await registerOffline({ onUpdate: (apply) => applies.push(apply) }, e);
  const worker = container.registration.found();
  assert.equal(applies.length, 0, "not while installing");
  worker.become("installed");
  worker.become("installed");
  assert.equal(applies.length, 1);
  assert.equal(reloads.count, 0, "nothing happens until the user applies it");
  applies[0]();
  assert.deepEqual(worker.messages, [{ type: "skipWaiting" }]);
  assert.equal(reloads.count, 0, "the reload waits for the new worker to take control");
  container.dispatchEvent(new Event("controllerchange"));
  container.dispatchEvent(new Event("controllerchange"));
  assert.equal(reloads.count, 1, "one reload");
});

test("a worker already waiting at registration is announced", async () => {
  const container = new FakeContainer();
  container.registration.waiting = new FakeWorker("installed");
  /** @type {(() => void)[]} */
  const applies = [];
  await registerOffline({ onUpdate: (apply) => applies.push(apply) }, env(container).env);
  assert.equal(applies.length, 1);
});

test("the first install (no controller yet) is not an update", async () => {
  const container = new FakeContainer({ controlled: false });
  const { env: e, reloads } = env(container);
  let announced = 0;
  await registerOffline({ onUpdate: () => (announced += 1) }, e);
  container.registration.found().become("installed");
  container.dispatchEvent(new Event("controllerchange")); // clients.claim() on activation
  assert.equal(announced, 0);
  assert.equal(reloads.count, 0, "the page is not reloaded under the user");
});
