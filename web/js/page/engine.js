// The page's one client of the worker (the viewer's engine): its start-up progress on the
// status line, and the crash notice with its Reload button when it stops, at start-up or
// later (the client learns of an engine that ended without a word: rpc/client.js).
import { Client } from "../rpc/client.js";
import { $, app, setStatus } from "./app.js";

export const client = new Client({
  onProgress: (p) => setStatus(`${p.label}… (${p.index + 1}/${p.total})`),
  onFatal: (reason) => {
    const open = app.catalog.series.length > 0 || Boolean(app.catalog.documents?.length);
    const files = open
      ? "; the files you opened are not changed: open them again after the reload."
      : ".";
    $("crash-text").textContent =
      `The viewer's engine stopped: ${reason.replace(/\.$/, "")}. ` +
      `Reload Lightbox to start it again${files}`;
    $("crash").hidden = false;
    setStatus("The viewer's engine stopped", true);
  },
});

/** Resolves once the engine has started (window.lightbox.ready). */
export const ready = client.ready.then((seconds) => {
  performance.mark("lightbox-ready"); // User Timing: what `npm run bench` reads
  setStatus(`Ready (started in ${seconds.toFixed(1)} s)`);
});
ready.catch(() => {});
