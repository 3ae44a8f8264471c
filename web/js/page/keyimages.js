// The key-image filter (issue 16 item 2): while on, a pane on a series that a Key Object
// Selection flags images of steps from key image to key image (viewer/pane.js keyFrame),
// and state().frames counts only them. The series browser shows its toggle.
import { app } from "./app.js";

/**
 * Show only the key images (issue 16 item 2): every pane on a series with key images moves
 * to the nearest one, and scrolling steps from key image to key image.
 * @param {boolean} [on] the new state (default: the other one)
 */
export async function setKeyImagesOnly(on = !app.keyImagesOnly) {
  app.keyImagesOnly = Boolean(on);
  // the series browser's toggle, shown while a series has key images
  document.getElementById("key-button")?.setAttribute("aria-pressed", String(app.keyImagesOnly));
  await Promise.all(
    app.panes.map((p) =>
      p.series >= 0 && p.seriesInfo?.keyImages?.length ? p.select(p.series, p.frame) : null,
    ),
  );
}
