// A viewport's render queue (web/js/viewer/render-queue.js): one render in flight, the
// latest state wins, promises settle when their state is on screen.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RenderQueue } from "../../web/js/viewer/render-queue.js";

/** A queue whose renders wait until the test lets them finish. */
function controlled() {
  /** @type {{version: number, finish: (final?: boolean) => void, fail: (e: Error) => void}[]} */
  const renders = [];
  let after = 0;
  const queue = new RenderQueue(
    () =>
      new Promise((resolve, reject) => {
        renders.push({
          version: queue.version,
          finish: (final = true) => resolve(final),
          fail: reject,
        });
      }),
    () => (after += 1),
  );
  return { queue, renders, afters: () => after };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test("changes made together make one render", async () => {
  const { queue, renders } = controlled();
  const a = queue.changed();
  const b = queue.changed();
  await tick();
  assert.equal(renders.length, 1);
  renders[0].finish();
  await Promise.all([a, b]);
  assert.equal(queue.drawnVersion, 2);
});

test("one render in flight; the latest state is rendered next, the ones between are skipped", async () => {
  const { queue, renders, afters } = controlled();
  const first = queue.changed();
  await tick();
  const second = queue.changed();
  const third = queue.changed();
  await tick();
  assert.equal(renders.length, 1, "no second render while one is in flight");
  renders[0].finish();
  await first;
  await tick();
  assert.equal(renders.length, 2);
  assert.equal(renders[1].version, 3, "the latest state");
  renders[1].finish();
  await Promise.all([second, third]);
  assert.equal(afters(), 2);
});

test("a failed render rejects its waiters, and the next change renders again", async () => {
  const { queue, renders } = controlled();
  const failing = queue.changed();
  await tick();
  renders[0].fail(new Error("no such frame"));
  await assert.rejects(failing, /no such frame/);
  const next = queue.changed();
  await tick();
  renders[1].finish();
  await next;
});

test("a provisional frame keeps its waiters until refine() renders the final one", async () => {
  const { queue, renders } = controlled();
  let settled = false;
  const done = queue.changed().then(() => (settled = true));
  await tick();
  renders[0].finish(false); // a coarse preview
  await tick();
  assert.equal(settled, false);
  assert.equal(queue.provisional, true);
  queue.refine();
  await tick();
  assert.equal(renders.length, 2);
  renders[1].finish(true);
  await done;
  assert.equal(queue.provisional, false);
  await queue.drawn(); // nothing pending: resolves at once
});
