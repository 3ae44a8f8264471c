// The page's one client of the worker (the viewer's engine): its start-up progress on the
// status line, and the crash notice when it stops.
import { Client } from "../rpc/client.js";
import { $, setStatus } from "./app.js";

export const client = new Client({
  onProgress: (p) => setStatus(`${p.label}… (${p.index + 1}/${p.total})`),
  onFatal: (reason) => {
    $("crash-text").textContent = `The viewer's engine stopped: ${reason}`;
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
