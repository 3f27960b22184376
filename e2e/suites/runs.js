import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { statusOf } from "../harness.js";

const human = (content) => ({ messages: [{ type: "human", content, id: randomUUID() }] });

async function collect(gen) {
  const out = [];
  for await (const part of gen) out.push(part);
  return out;
}

/**
 * Runs through the official SDK on the built-in chatbot (an echo model
 * that streams its reply word by word). opts.todo marks these pending
 * while builtin:chatbot is missing.
 */
export function runsSuite(srv, graph, opts) {
  test("runs: create, join, get and list", opts, async () => {
    const c = srv().client;
    const t = await c.threads.create();
    let created;
    const run = await c.runs.create(t.thread_id, graph, {
      input: human("hello runs"),
      metadata: { tag: "e2e" },
      onRunCreated: (m) => (created = m),
    });
    assert.equal(run.status, "pending");
    assert.equal(run.thread_id, t.thread_id);
    assert.equal(run.metadata.tag, "e2e");
    assert.deepEqual(created, { run_id: run.run_id, thread_id: t.thread_id }, "Content-Location parsed by the SDK");
    const res = await c.runs.join(t.thread_id, run.run_id);
    assert.deepEqual(res.messages.map((m) => m.content), ["hello runs", "You said: hello runs"]);
    const got = await c.runs.get(t.thread_id, run.run_id);
    assert.equal(got.status, "success");
    const list = await c.runs.list(t.thread_id);
    assert.deepEqual(list.map((r) => r.run_id), [run.run_id]);
    const thread = await c.threads.get(t.thread_id);
    assert.equal(thread.status, "idle");
    assert.equal(thread.metadata.graph_id, graph);
    assert.equal(thread.values.messages.length, 2);
    await c.runs.delete(t.thread_id, run.run_id);
    assert.equal(await statusOf(c.runs.get(t.thread_id, run.run_id)), 404);
  });

  test("runs: wait, stateful and stateless", opts, async () => {
    const c = srv().client;
    const t = await c.threads.create();
    const first = await c.runs.wait(t.thread_id, graph, { input: human("one") });
    assert.deepEqual(first.messages.map((m) => m.content), ["one", "You said: one"]);
    const second = await c.runs.wait(t.thread_id, graph, { input: human("two") });
    assert.equal(second.messages.length, 4, "the thread keeps the conversation");
    const stateless = await c.runs.wait(null, graph, { input: human("no thread") });
    assert.deepEqual(stateless.messages.map((m) => m.content), ["no thread", "You said: no thread"]);
    // createBatch sends the payloads as given (only assistantId is renamed).
    const batch = await c.runs.createBatch([
      { assistantId: graph, input: human("b1"), on_completion: "keep" },
      { assistantId: graph, input: human("b2"), on_completion: "keep" },
    ]);
    assert.equal(batch.length, 2);
    for (const r of batch) {
      const res = await c.runs.join(r.thread_id, r.run_id);
      assert.equal(res.messages.length, 2);
    }
  });

  test("runs: stream with messages-tuple, values and updates", opts, async () => {
    const c = srv().client;
    const t = await c.threads.create();
    let created;
    const parts = await collect(
      c.runs.stream(t.thread_id, graph, {
        input: human("stream these words please"),
        streamMode: ["messages-tuple", "values", "updates"],
        onRunCreated: (m) => (created = m),
      }),
    );
    const events = parts.map((p) => p.event);
    assert.equal(events[0], "metadata");
    assert.equal(parts[0].data.run_id, created.run_id);
    assert.equal(parts[0].data.attempt, 1);
    const chunks = parts.filter((p) => p.event === "messages");
    assert.ok(chunks.length >= 3, `${chunks.length} message chunks`);
    assert.equal(chunks.map((p) => p.data[0].content).join(""), "You said: stream these words please");
    assert.equal(chunks[0].data[1].langgraph_node, "chatbot");
    const updates = parts.filter((p) => p.event === "updates");
    assert.equal(updates.length, 1);
    assert.equal(updates[0].data.chatbot.messages[0].content, "You said: stream these words please");
    const values = parts.filter((p) => p.event === "values");
    assert.equal(values.at(-1).data.messages.length, 2);
    assert.ok(!events.includes("error"), `no error: ${events}`);

    const stateless = await collect(c.runs.stream(null, graph, { input: human("x"), streamMode: "values" }));
    assert.deepEqual([...new Set(stateless.map((p) => p.event))], ["metadata", "values"]);
  });

  test("runs: stream with the legacy messages mode", opts, async () => {
    const c = srv().client;
    const parts = await collect(c.runs.stream(null, graph, { input: human("old style"), streamMode: "messages" }));
    const partial = parts.filter((p) => p.event === "messages/partial").map((p) => p.data[0].content);
    assert.ok(partial.length >= 2, `${partial.length} partial events`);
    assert.equal(partial.at(-1), "You said: old style");
    assert.equal(parts.filter((p) => p.event === "messages/metadata").length, 1);
    // Each message once, when values first hold it: the input, then the reply.
    const complete = parts.filter((p) => p.event === "messages/complete").flatMap((p) => p.data);
    assert.deepEqual(complete.map((m) => m.content), ["old style", "You said: old style"]);
  });

  test("runs: joinStream resumes after lastEventId", opts, async () => {
    const c = srv().client;
    const t = await c.threads.create();
    let created;
    const parts = await collect(
      c.runs.stream(t.thread_id, graph, {
        input: human("resume me from the middle"),
        streamMode: ["messages-tuple", "values"],
        streamResumable: true,
        onRunCreated: (m) => (created = m),
      }),
    );
    assert.ok(parts.length >= 5, `${parts.length} events`);
    assert.ok(parts.every((p) => p.id), "every event has an id");
    const replay = await collect(c.runs.joinStream(t.thread_id, created.run_id, { lastEventId: parts[1].id }));
    assert.deepEqual(
      replay.map((p) => [p.id, p.event]),
      parts.slice(2).map((p) => [p.id, p.event]),
    );
    const onlyValues = await collect(
      c.runs.joinStream(t.thread_id, created.run_id, { lastEventId: parts[0].id, streamMode: "values" }),
    );
    assert.ok(onlyValues.length > 0 && onlyValues.every((p) => p.event === "values"));
  });

  test("runs: joinStream of a stateless run by its id alone (GET /runs/{run_id}/stream)", opts, async () => {
    const c = srv().client;
    // Delayed, so that it is still pending when joined (a temporary run's
    // thread and run are deleted when it ends).
    const run = await c.runs.create(null, graph, { input: human("join me statelessly"), afterSeconds: 1 });
    assert.equal(run.status, "pending");
    const parts = await collect(c.runs.joinStream(null, run.run_id, { streamMode: "values" }));
    const values = parts.filter((p) => p.event === "values");
    assert.ok(values.length > 0, JSON.stringify(parts));
    assert.deepEqual(values.at(-1).data.messages.map((m) => m.content), ["join me statelessly", "You said: join me statelessly"]);
  });

  test("runs: interrupt before a node, then resume", opts, async () => {
    const c = srv().client;
    const t = await c.threads.create();
    const stopped = await c.runs.wait(t.thread_id, graph, { input: human("wait for it"), interruptBefore: [graph] });
    assert.deepEqual(stopped.messages.map((m) => m.content), ["wait for it"]);
    const thread = await c.threads.get(t.thread_id);
    assert.equal(thread.status, "interrupted");
    assert.deepEqual((await c.threads.getState(t.thread_id)).next, [graph]);
    const parts = await collect(c.runs.stream(t.thread_id, graph, { input: null, streamMode: "values" }));
    assert.deepEqual(parts.at(-1).data.messages.map((m) => m.content), ["wait for it", "You said: wait for it"]);
    assert.equal((await c.threads.get(t.thread_id)).status, "idle");
    assert.deepEqual((await c.threads.getState(t.thread_id)).next, []);
  });

  test("runs: cancel, multitask reject and rollback", opts, async () => {
    const c = srv().client;
    const t = await c.threads.create();
    const later = await c.runs.create(t.thread_id, graph, { input: human("later"), afterSeconds: 60 });
    assert.equal((await c.threads.get(t.thread_id)).status, "busy");
    assert.equal(
      await statusOf(c.runs.create(t.thread_id, graph, { input: human("no"), multitaskStrategy: "reject" })),
      409,
    );
    await c.runs.cancel(t.thread_id, later.run_id);
    assert.equal((await c.runs.get(t.thread_id, later.run_id)).status, "interrupted");
    assert.equal((await c.threads.get(t.thread_id)).status, "idle");
    assert.equal(await statusOf(c.runs.cancel(t.thread_id, later.run_id)), 404, "nothing left to cancel");

    const again = await c.runs.create(t.thread_id, graph, { input: human("again"), afterSeconds: 60 });
    await c.runs.cancel(t.thread_id, again.run_id, false, "rollback");
    assert.equal(await statusOf(c.runs.get(t.thread_id, again.run_id)), 404, "rolled back run is gone");

    // interrupt: a newer run replaces a queued one.
    const queued = await c.runs.create(t.thread_id, graph, { input: human("queued"), afterSeconds: 60 });
    const res = await c.runs.wait(t.thread_id, graph, { input: human("now"), multitaskStrategy: "interrupt" });
    assert.deepEqual(res.messages.map((m) => m.content), ["now", "You said: now"]);
    assert.equal((await c.runs.get(t.thread_id, queued.run_id)).status, "interrupted");

    assert.equal(await statusOf(c.runs.wait(randomUUID(), graph, { input: human("x") })), 404, "missing thread");
    const created = await c.runs.wait(randomUUID(), graph, { input: human("made"), ifNotExists: "create" });
    assert.equal(created.messages.length, 2, "if_not_exists=create");
  });
}

/** Human in the loop on builtin:approval: an interrupt, then a resume with a command. */
export function approvalSuite(srv, graph, opts) {
  test("runs: interrupt() then resume with command.resume", opts, async () => {
    const c = srv().client;
    const t = await c.threads.create();
    const stopped = await c.runs.wait(t.thread_id, graph, { input: human("deploy") });
    assert.equal(stopped.__interrupt__?.length, 1, "the wait body carries the interrupt");
    assert.deepEqual(stopped.__interrupt__[0].value, { question: "Approve?", request: "deploy" });
    assert.equal((await c.threads.get(t.thread_id)).status, "interrupted");
    const state = await c.threads.getState(t.thread_id);
    assert.deepEqual(state.next, ["approve"]);
    assert.equal(state.tasks[0].interrupts[0].value.question, "Approve?");
    const parts = await collect(c.runs.stream(t.thread_id, graph, { command: { resume: "yes" }, streamMode: "values" }));
    const final = parts.at(-1).data.messages.map((m) => m.content);
    assert.deepEqual(final, ["deploy", 'Decision on "deploy": yes']);
    assert.equal((await c.threads.get(t.thread_id)).status, "idle");
  });
}
