// Pure interaction math, in Node: node --test tests/js/
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  clampFrame,
  frameForKey,
  wheelSteps,
  WHEEL_STEP,
} from "../../web/js/viewer/interaction.js";
import { toWorkerError } from "../../web/js/rpc/protocol.js";

test("clampFrame keeps the index inside the series", () => {
  assert.equal(clampFrame(-3, 10), 0);
  assert.equal(clampFrame(4.7, 10), 4);
  assert.equal(clampFrame(99, 10), 9);
  assert.equal(clampFrame(2, 0), 0);
});

test("one mouse notch moves one slice, whatever the delta mode", () => {
  assert.deepEqual(wheelSteps(0, WHEEL_STEP, 0), { steps: 1, carry: 0 });
  assert.deepEqual(wheelSteps(0, -WHEEL_STEP, 0), { steps: -1, carry: 0 });
  assert.equal(wheelSteps(0, 3, 1).steps, 1); // 3 lines
  assert.equal(wheelSteps(0, 1, 2).steps, 4); // one page
  assert.equal(wheelSteps(0, 3 * WHEEL_STEP, 0).steps, 3);
});

test("trackpad deltas accumulate into whole steps", () => {
  let carry = 0;
  let steps = 0;
  for (let i = 0; i < 20; i += 1) {
    const result = wheelSteps(carry, 10, 0);
    carry = result.carry;
    steps += result.steps;
  }
  assert.equal(steps, 2);
  assert.equal(carry, 0);
});

test("navigation keys", () => {
  assert.equal(frameForKey("ArrowDown", 0, 10), 1);
  assert.equal(frameForKey("ArrowUp", 0, 10), 0);
  assert.equal(frameForKey("ArrowRight", 9, 10), 9);
  assert.equal(frameForKey("PageDown", 0, 100), 10);
  assert.equal(frameForKey("PageUp", 5, 100), 0);
  assert.equal(frameForKey("Home", 7, 10), 0);
  assert.equal(frameForKey("End", 0, 10), 9);
  assert.equal(frameForKey("x", 3, 10), null);
});

test("a JavaScript error becomes a WorkerError object with no file", () => {
  assert.deepEqual(toWorkerError(new TypeError("bad")), {
    name: "TypeError",
    file: null,
    reason: "bad",
    message: "bad",
  });
  assert.deepEqual(toWorkerError("plain text"), {
    name: "Error",
    file: null,
    reason: "plain text",
    message: "plain text",
  });
});
