// The view in the address bar's fragment, written a moment after it changes: shareable,
// and never patient data (viewstate.js says what is written).
import { encodeView, paneView } from "../viewer/viewstate.js";
import { app, currentLayout } from "./app.js";

/** @type {number|null} the pending save of the view to the URL fragment */
let viewTimer = null;
let restoring = false;

export function scheduleViewSave() {
  if (viewTimer !== null || restoring) return;
  viewTimer = window.setTimeout(() => {
    viewTimer = null;
    if (!app.catalog.series.length) return;
    const view = {
      layout: currentLayout(),
      active: app.active,
      tool: app.tool,
      panes: app.panes.map((p) =>
        p.root.hidden ? null : paneView(p, p.windows.get(p.series) ?? null),
      ),
    };
    history.replaceState(history.state, "", encodeView(view));
  }, 300);
}

/**
 * Run `task` (restoring a shared view) without saving the steps on the way.
 * @template T @param {() => Promise<T>} task @returns {Promise<T>}
 */
export async function whileRestoring(task) {
  restoring = true;
  try {
    return await task();
  } finally {
    restoring = false;
  }
}
