// The page's one client of the worker (the viewer's engine): its start-up progress on the
// status line; when it stops after it was ready, a restart (page/revive.js puts back what
// was open); when it stops at start-up, or a restart fails too, the crash notice with its
// Reload button (the client learns of an engine that ended without a word: rpc/client.js).
import { Client } from "../rpc/client.js";
import { $, app, setStatus } from "./app.js";
import { t } from "../i18n/i18n.js";
import { setText } from "./language.js";
import { busyCount, withProgress } from "./busy.js";

/** Restarts in one page's life: an engine that keeps stopping is left to Reload. */
export const MAX_RESTARTS = 3;

/**
 * What became of the engine: how often it was restarted, whether a restart is under way,
 * and the last reason it stopped (window.lightbox.engine()).
 */
export const engine = {
  restarts: 0,
  restarting: false,
  /** @type {string | null} */
  stopped: null,
};

/** @type {((reason: string) => Promise<void>) | null} restarts it and puts back what was open */
let reviver = null;

/** @param {(reason: string) => Promise<void>} revive */
export function setReviver(revive) {
  reviver = revive;
}

export const client = new Client({
  onProgress: (p) => {
    if (p.step === "volume") return busyCount(p.index, p.total, "slices"); // a volume's build
    const params = { step: t(`boot.${p.step}`), n: p.index + 1, total: p.total };
    if (!engine.restarting) setStatus({ key: "status.boot", params });
  },
  onFatal: (reason) => {
    engine.stopped = reason;
    if (engine.restarting) return; // the restart under way fails with it, and says so
    if (!client.started || !reviver || engine.restarts >= MAX_RESTARTS) {
      const again = engine.restarts >= MAX_RESTARTS ? ` again (${engine.restarts} restarts)` : "";
      crashed(`${reason.replace(/\.$/, "")}${again}`);
      return;
    }
    engine.restarts += 1;
    engine.restarting = true;
    const revive = reviver;
    void revive(reason)
      .catch((error) => {
        const why = error instanceof Error ? error.message : String(error);
        crashed(
          `${reason.replace(/\.$/, "")}, and restarting it failed (${why.replace(/\.$/, "")})`,
        );
      })
      .finally(() => {
        engine.restarting = false;
      });
  },
});

/**
 * The engine's client for what can take long (building a volume, the 3D view): such calls
 * show their progress, and Cancel also tells the engine, which stops building the volume
 * between two steps and releases it (worker.js buildVolume).
 */
export const busyClient = withProgress(client, () => {
  client.call("cancelWork").catch(() => {}); // an engine that stopped builds nothing either
});

/** The notice that only a reload helps. @param {string} reason */
function crashed(reason) {
  const open = app.catalog.series.length > 0 || Boolean(app.catalog.documents?.length);
  setText($("crash-text"), open ? "crash.files" : "crash.text", { reason });
  $("crash").hidden = false;
  setStatus({ key: "crash.status" }, true);
}

const MiB = 1024 * 1024;

/**
 * The decoded-frame cache's budget on a device of `gigabytes` (navigator.deviceMemory,
 * which Chromium rounds and caps at 8): 64 MiB a gigabyte, from 32 MiB to 512 MiB;
 * 512 MiB where the browser does not say (issue 19 item 3).
 * @param {number | undefined} gigabytes
 */
export function cacheBudget(gigabytes) {
  if (!gigabytes || !(gigabytes > 0)) return 512 * MiB;
  return Math.min(512, Math.max(32, Math.round(gigabytes * 64))) * MiB;
}

/** This device's memory as the browser says it (GB), or null. */
export const deviceMemory = /** @type {{deviceMemory?: number}} */ (navigator).deviceMemory ?? null;

/** The budget the engine's frame cache is given (at start-up and after a restart). */
export const budget = { bytes: cacheBudget(deviceMemory ?? undefined) };

/** Resolves once the engine has started and has its budget (window.lightbox.ready). */
export const ready = client.ready.then(async (seconds) => {
  await client.call("setCacheBudget", { bytes: budget.bytes });
  performance.mark("lightbox-ready"); // User Timing: what `npm run bench` reads
  setStatus({ key: "status.ready", params: { seconds: { number: seconds, digits: 1 } } });
});
ready.catch(() => {});
