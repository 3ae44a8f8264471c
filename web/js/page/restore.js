// Restoring the view a shared link carries (its fragment), once its files are open.
import { decodeView } from "../viewer/viewstate.js";
import { app } from "./app.js";
import { setTool } from "./controls.js";
import { whileRestoring } from "./fragment.js";
import { activate, setLayout } from "./layout.js";

/** Whether the page's address carries a view. */
export function linkHasView() {
  return decodeView(location.hash) !== null;
}

/** Restore the view of the page's address on the files open now. */
export async function restoreView() {
  const view = decodeView(location.hash);
  if (!view || !app.catalog.series.length) return;
  await whileRestoring(async () => {
    await setLayout(view.layout);
    setTool(view.tool);
    await Promise.all(
      view.panes.map(async (saved, i) => {
        const p = app.panes[i];
        if (!saved || !p || saved.series >= app.catalog.series.length) return;
        await p.select(saved.series, saved.frame).catch(() => {});
        p.invert = saved.invert;
        if (saved.window) p.windows.set(p.series, saved.window);
        p.zoom = saved.zoom;
        p.pan = { x: saved.pan[0], y: saved.pan[1] };
        p.rotation = saved.rotation;
        p.flipH = saved.flipH;
        p.flipV = saved.flipV;
        await p.changed().catch(() => {});
      }),
    );
    activate(Math.min(view.active, app.panes.length - 1));
  });
}
