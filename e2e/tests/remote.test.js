// End-to-end: RemoteGraph from @langchain/langgraph (a graph running on a
// server, used like a local one) invoking and streaming agentgate's built-in
// chatbot, open and behind the quick start's auth.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { RemoteGraph } from "@langchain/langgraph/remote";
import { startServer } from "../harness.js";

const hello = (text) => ({ messages: [{ role: "user", content: text }] });
const texts = (values) => values.messages.map((m) => m.content);

async function collect(stream) {
  const out = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

for (const backend of ["memory", "sqlite"]) {
  describe(`RemoteGraph against agentgate (${backend})`, () => {
    let srv;
    let remote;
    before(async () => {
      srv = await startServer(backend);
      remote = new RemoteGraph({ graphId: "chatbot", url: srv.url, apiKey: "" });
    });
    after(async () => {
      if (!srv) return;
      const { code, signal } = await srv.stop();
      assert.equal(code, 0, `agentgate exited with ${code ?? signal}; stderr:\n${srv.stderr()}`);
    });

    test("invoke without a thread runs statelessly and returns the final values", async () => {
      const values = await remote.invoke(hello("ping"));
      assert.deepEqual(texts(values), ["ping", "You said: ping"]);
    });

    test("invoke on a thread keeps the conversation; getState and history read it back", async () => {
      const config = { configurable: { thread_id: randomUUID() } };
      await remote.invoke(hello("first"), config); // the thread is created (if_not_exists)
      const values = await remote.invoke(hello("second"), config);
      assert.deepEqual(texts(values), ["first", "You said: first", "second", "You said: second"]);
      const state = await remote.getState(config);
      assert.deepEqual(texts(state.values), texts(values));
      assert.deepEqual(state.next, []);
      assert.equal(state.config.configurable.thread_id, config.configurable.thread_id);
      assert.ok(state.config.configurable.checkpoint_id);
      const history = await collect(remote.getStateHistory(config, { limit: 100 }));
      assert.ok(history.length >= 4, `history has ${history.length} states`);
      assert.deepEqual(texts(history[0].values), texts(values));
    });

    test("stream with values and updates modes", async () => {
      const config = { configurable: { thread_id: randomUUID() } };
      const values = await collect(await remote.stream(hello("v"), { ...config, streamMode: "values" }));
      assert.deepEqual(texts(values.at(-1)), ["v", "You said: v"]);
      const updates = await collect(await remote.stream(hello("u"), { ...config, streamMode: "updates" }));
      const nodes = updates.flatMap((u) => Object.keys(u));
      assert.ok(nodes.length > 0, "no updates");
      const replies = updates.flatMap((u) => Object.values(u)).flatMap((v) => v?.messages ?? []);
      assert.ok(replies.some((m) => m.content === "You said: u"), JSON.stringify(updates));
      const both = await collect(await remote.stream(hello("b"), { ...config, streamMode: ["values", "updates"] }));
      assert.deepEqual([...new Set(both.map(([mode]) => mode))].sort(), ["updates", "values"]);
    });

    test("stream with messages mode yields the reply token by token", async () => {
      const chunks = await collect(await remote.stream(hello("token by token"), { streamMode: "messages" }));
      const pieces = chunks.map(([message]) => message.content).filter((c) => typeof c === "string" && c !== "");
      assert.ok(pieces.length > 1, `one chunk only: ${JSON.stringify(chunks)}`);
      assert.equal(pieces.join(""), "You said: token by token");
    });

    test("getGraphAsync draws the graph from the server", async () => {
      const g = await remote.getGraphAsync();
      const ids = Object.keys(g.nodes);
      assert.ok(ids.includes("__start__") && ids.includes("__end__"), ids.join(","));
    });
  });
}

describe("RemoteGraph with the quick start's auth", () => {
  let srv;
  const as = (token) => new RemoteGraph({ graphId: "chatbot", url: srv.url, apiKey: "", headers: { Authorization: `Bearer ${token}` } });
  before(async () => {
    srv = await startServer("memory", { configDir: "examples/secured-chatbot" });
  });
  after(async () => {
    if (!srv) return;
    const { code, signal } = await srv.stop();
    assert.equal(code, 0, `agentgate exited with ${code ?? signal}; stderr:\n${srv.stderr()}`);
  });

  test("each user's remote graph sees only their own thread", async () => {
    const alice = as("alice-demo-token-not-secret");
    const bob = as("bob-demo-token-not-secret");
    const config = { configurable: { thread_id: randomUUID() } };
    const values = await alice.invoke(hello("mine"), config);
    assert.deepEqual(texts(values), ["mine", "You said: mine"]);
    await assert.rejects(bob.getState(config), (err) => err?.status === 404);
    // Streaming on Alice's thread id neither reads nor takes it over.
    await assert.rejects(async () => collect(await bob.stream(hello("let me in"), config)), (err) => err?.status === 404 || /404|not found/i.test(String(err)));
    assert.deepEqual(texts((await alice.getState(config)).values), ["mine", "You said: mine"]);
  });

  test("no token: 401", async () => {
    const anon = new RemoteGraph({ graphId: "chatbot", url: srv.url, apiKey: "" });
    await assert.rejects(anon.invoke(hello("hi")), (err) => err?.status === 401 || /401/.test(String(err)));
  });
});
