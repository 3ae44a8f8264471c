// The page's entry: it wires the page's modules together and starts what the address asks
// for (?case= a hosted case, #… a shared view, ?kiosk), then offline use. The page never
// parses DICOM: the worker does (rpc/client.js).
import "./language.js"; // first: the catalog of the language shown, before any text is made
import { setupDeid } from "../deid/deid.js";
import { Kiosk, kioskOptions } from "../kiosk/kiosk.js";
import { registerOffline } from "../offline/offline.js";
import { $, app, pane, reportFailure, setStatus } from "./app.js";
import { exposeApi, state } from "./api.js";
import { startCine, stopCine } from "./cine.js";
import { setHidePatient, setTool } from "./controls.js";
import { ready } from "./engine.js";
import { download } from "./files.js";
import { attachDrop, attachWheel } from "./gestures.js";
import { attachKeys } from "./keys.js";
import { activate, setLayout } from "./layout.js";
import { rectangles } from "./measurements.js";
import { openCase, openDemo } from "./hosted.js";
import { closeAll } from "./open.js";
import { attachConsole } from "./console.js";
import { linkHasView, restoreView } from "./restore.js";
import { select } from "./report.js";
import { attachToolbar } from "./toolbar.js";
import { allowKeeping } from "./keep.js";
import { setupStart } from "./start.js";
import { attachPrint } from "./print.js";
import { attachSharpness } from "./sharpness.js";
import { attachBusy, busyCount, withProgress } from "./busy.js";
import { cancelDeid, deidClient } from "./deid-engine.js";
import { attachRevive } from "./revive.js";

const deid = setupDeid({
  client: withProgress(deidClient(busyCount), cancelDeid),
  catalog: () => app.catalog,
  activeSeries: () => pane().series,
  rectangles,
  findText: () => pane().findText(),
  download,
  status: setStatus,
});
exposeApi(deid);
attachRevive();

attachToolbar();
attachDrop();
attachWheel();
attachKeys();
void setLayout("1x1");
activate(0);
setTool("scroll");

const params = new URLSearchParams(location.search);
const kioskMode = params.has("kiosk");
attachConsole(kioskMode); // kiosk mode has no console
const hostedCase = params.get("case");
const restoreAfterOpen = linkHasView();
/** @type {Promise<unknown> | null} */
let caseOpened = null;
if (hostedCase) {
  const opened = ready.then(() => openCase(hostedCase));
  caseOpened = opened;
  reportFailure(opened.then(() => (restoreAfterOpen ? restoreView() : undefined)));
}
// The start screen: never in a kiosk (it starts into its demo, and keeps nothing); hidden
// while a case from the address loads.
allowKeeping(!kioskMode);
setupStart({ kiosk: kioskMode, loading: caseOpened });
attachPrint();
attachSharpness();
attachBusy();
/** The first open restores a shared view (the link's files were opened by hand). */
let viewRestored = Boolean(hostedCase);
document.body.addEventListener("lightbox-opened", () => {
  if (viewRestored || !restoreAfterOpen) return;
  viewRestored = true;
  reportFailure(restoreView());
});

// Precaching fetches the whole app (about 23 MB): start it once Python is ready, so it
// never competes with the first start-up for the network and the cores.
ready
  .then(() =>
    registerOffline({
      onUpdate: (apply) => {
        if (kioskMode) return apply(); // a kiosk takes the new version at once
        $("update").hidden = false;
        $("update-button").addEventListener("click", () => apply(), { once: true });
      },
    }),
  )
  .catch(() => {});

if (kioskMode) {
  document.body.classList.add("kiosk");
  // No cine starts by itself for a user who asked for less motion (WCAG 2.3.3, 2.2.2).
  const still = matchMedia("(prefers-reduced-motion: reduce)");
  const autoCine = () => (still.matches ? undefined : startCine());
  const kiosk = new Kiosk(
    {
      openDemo,
      closeAll,
      select,
      state,
      setHidePatient,
      startCine: autoCine,
      stopCine,
      setLayout,
      setTool,
    },
    kioskOptions(params),
  );
  // Files opened by hand are someone using the kiosk, even dropped (no pointer event says
  // so): the kiosk goes back to the demo after its reset time, as after any other input.
  document.body.addEventListener("lightbox-opened", (event) => {
    if (/** @type {CustomEvent<{own: boolean}>} */ (event).detail?.own) kiosk.input();
  });
  reportFailure(ready.then(() => kiosk.start()));
}
