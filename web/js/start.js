// The first script the page runs: the worker starts booting Python while the rest of
// the page's modules download and run. main.js's Client adopts it (client.js).
import { startWorker } from "./client.js";

startWorker();
