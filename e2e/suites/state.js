import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { statusOf } from "../harness.js";

/**
 * Thread state through a real graph: getState, updateState, getHistory.
 * opts.todo marks these pending while builtin:chatbot is missing.
 */
export function stateSuite(srv, graph, opts) {
  test("state: a new thread has empty state; updateState writes a checkpoint", opts, async () => {
    const c = srv().client;
    const t = await c.threads.create({ graphId: graph, metadata: { tag: randomUUID() } });
    const empty = await c.threads.getState(t.thread_id);
    assert.deepEqual(empty.values, {});
    assert.deepEqual(empty.next, []);

    const msg = { type: "human", content: "hello from e2e", id: randomUUID() };
    const res = await c.threads.updateState(t.thread_id, { values: { messages: [msg] } });
    assert.equal(res.configurable?.thread_id ?? res.checkpoint?.thread_id, t.thread_id);

    const st = await c.threads.getState(t.thread_id);
    assert.equal(st.values.messages.length, 1);
    assert.equal(st.values.messages[0].content, "hello from e2e");
    assert.ok(st.checkpoint?.checkpoint_id, "state has a checkpoint id");

    const msg2 = { type: "human", content: "second", id: randomUUID() };
    await c.threads.updateState(t.thread_id, { values: { messages: [msg2] } });
    const st2 = await c.threads.getState(t.thread_id);
    assert.deepEqual(st2.values.messages.map((m) => m.content), ["hello from e2e", "second"], "messages reducer appends");

    const hist = await c.threads.getHistory(t.thread_id, { limit: 10 });
    assert.ok(hist.length >= 2, `history has ${hist.length} states`);
    assert.deepEqual(hist[0].values.messages.map((m) => m.content), ["hello from e2e", "second"], "newest first");

    const old = await c.threads.getState(t.thread_id, hist[1].checkpoint.checkpoint_id);
    assert.deepEqual(old.values.messages.map((m) => m.content), ["hello from e2e"]);

    const thread = await c.threads.get(t.thread_id);
    assert.deepEqual(thread.values.messages.map((m) => m.content), ["hello from e2e", "second"]);

    const copy = await c.threads.copy(t.thread_id);
    const copied = await c.threads.getState(copy.thread_id);
    assert.deepEqual(copied.values.messages.map((m) => m.content), ["hello from e2e", "second"], "copy keeps checkpoints");
  });

  test("state: error statuses", opts, async () => {
    const c = srv().client;
    assert.equal(await statusOf(c.threads.getState(randomUUID())), 404, "state of a missing thread");
    assert.equal(await statusOf(c.threads.getHistory(randomUUID())), 404, "history of a missing thread");
    assert.equal(await statusOf(c.threads.updateState(randomUUID(), { values: {} })), 404, "update a missing thread");
    const t = await c.threads.create({ graphId: graph });
    assert.equal(await statusOf(c.threads.getHistory(t.thread_id, { limit: -1 })), 422, "negative history limit");
  });
}
