// End-to-end: behaviours the official SDK relies on that match LangGraph
// (found by comparing with the JS server's own test suite).
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startServer } from "../harness.js";

const graph = "chatbot";
const human = (content) => ({ messages: [{ type: "human", content, id: randomUUID() }] });

async function collect(gen) {
  const out = [];
  for await (const part of gen) out.push(part);
  return out;
}

describe("LangGraph compatibility (memory)", () => {
  let srv;
  before(async () => {
    srv = await startServer("memory");
  });
  after(async () => {
    if (!srv) return;
    const { code, signal } = await srv.stop();
    assert.equal(code, 0, `agentgate exited with ${code ?? signal} on SIGTERM; stderr:\n${srv.stderr()}`);
  });

  test("joinStream with lastEventId -1 replays the run from its start", async () => {
    const c = srv.client;
    const t = await c.threads.create();
    let created;
    const parts = await collect(
      c.runs.stream(t.thread_id, graph, {
        input: human("replay me from the start"),
        streamMode: ["messages-tuple", "values"],
        streamResumable: true,
        onRunCreated: (m) => (created = m),
      }),
    );
    assert.ok(parts.length >= 3, `${parts.length} events`);
    // What useStream's reconnect after a page reload sends.
    const replay = await collect(c.runs.joinStream(t.thread_id, created.run_id, { lastEventId: "-1" }));
    assert.deepEqual(
      replay.map((p) => [p.id, p.event]),
      parts.map((p) => [p.id, p.event]),
    );
    const byId = await collect(c.runs.joinStream(null, created.run_id, { lastEventId: "-1", streamMode: "values" }));
    assert.deepEqual(
      byId.map((p) => p.event),
      parts.filter((p) => p.event === "metadata" || p.event === "values").map((p) => p.event),
    );
  });

  test("history.at(-1).values.messages is [] (the input checkpoint)", async () => {
    const c = srv.client;
    const t = await c.threads.create();
    await c.runs.wait(t.thread_id, graph, { input: human("hi") });
    const history = await c.threads.getHistory(t.thread_id, { limit: 100 });
    assert.equal(history.at(-1).metadata.source, "input");
    assert.deepEqual(history.at(-1).values.messages, []);
    assert.equal(history[0].values.messages.length, 2);
  });

  test("messages and values: messages/complete for the human input too, each message once", async () => {
    const c = srv.client;
    const t = await c.threads.create();
    const parts = await collect(
      c.runs.stream(t.thread_id, graph, { input: human("complete me"), streamMode: ["messages", "values"] }),
    );
    const complete = parts.filter((p) => p.event === "messages/complete").flatMap((p) => p.data);
    assert.deepEqual(
      complete.map((m) => [m.type, m.content]),
      [
        ["human", "complete me"],
        ["ai", "You said: complete me"],
      ],
    );
    assert.equal(new Set(complete.map((m) => m.id)).size, complete.length);
  });
});
