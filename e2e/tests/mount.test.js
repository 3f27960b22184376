// End-to-end: langgraph.json http.mount_prefix. The official SDK, pointed at
// http://host:port/api, works as at the root (runs, streams, joins through
// the Location the server hands out), and nothing answers outside /api.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@langchain/langgraph-sdk";
import { startServer } from "../harness.js";

const human = (content) => ({ messages: [{ type: "human", content }] });

describe("http.mount_prefix (memory)", () => {
  let srv, client;
  before(async () => {
    srv = await startServer("memory", {
      configJSON: { graphs: { chatbot: "builtin:chatbot" }, http: { mount_prefix: "/api" } },
    });
    client = new Client({ apiUrl: `${srv.url}/api`, apiKey: null, callerOptions: { maxRetries: 0 } });
  });
  after(async () => {
    if (!srv) return;
    const { code, signal } = await srv.stop();
    assert.equal(code, 0, `agentgate exited with ${code ?? signal}; stderr:\n${srv.stderr()}`);
  });

  test("the SDK works under the prefix", async () => {
    const t = await client.threads.create();
    const res = await client.runs.wait(t.thread_id, "chatbot", { input: human("mounted") });
    assert.equal(res.messages.at(-1).content, "You said: mounted");
    let created;
    const parts = [];
    for await (const p of client.runs.stream(t.thread_id, "chatbot", {
      input: human("again"),
      streamMode: "values",
      streamResumable: true,
      onRunCreated: (m) => (created = m),
    })) {
      parts.push(p);
    }
    assert.ok(parts.some((p) => p.event === "values"));
    const replay = [];
    for await (const p of client.runs.joinStream(t.thread_id, created.run_id, { lastEventId: "-1" })) replay.push(p);
    assert.deepEqual(replay.map((p) => p.event), parts.map((p) => p.event));
    const found = await client.threads.search();
    assert.ok(found.some((x) => x.thread_id === t.thread_id));
  });

  test("Location headers carry the prefix; nothing answers outside it", async () => {
    const r = await fetch(`${srv.url}/api/runs/stream`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ assistant_id: "chatbot", input: human("where") }),
    });
    await r.text();
    assert.match(r.headers.get("location"), /^\/api\/runs\/[0-9a-f-]+\/stream$/);
    for (const p of ["/ok", "/threads/search", "/apix/ok"]) {
      const o = await fetch(`${srv.url}${p}`, { method: p.endsWith("search") ? "POST" : "GET" });
      assert.equal(o.status, 404, p);
    }
    assert.equal((await fetch(`${srv.url}/api/docs`)).status, 200);
  });
});
