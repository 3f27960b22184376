// End-to-end: A2A (protocol 0.3) through the official @a2a-js/sdk client,
// against the secured chatbot (tokens + owner policy): the agent card, a
// conversation, a stream, tasks/get, and a second user who is refused.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { A2AClient } from "@a2a-js/sdk/client";
import { startServer } from "../harness.js";

const alice = "alice-demo-token-not-secret";
const bob = "bob-demo-token-not-secret";

/** A fetch that sends `Authorization: Bearer <token>` (none when null). */
function fetchAs(token) {
  return (url, init = {}) => {
    const headers = new Headers(init.headers);
    if (token != null) headers.set("Authorization", `Bearer ${token}`);
    return fetch(url, { ...init, headers });
  };
}

function userMessage(text, contextId) {
  const message = { kind: "message", messageId: randomUUID(), role: "user", parts: [{ kind: "text", text }] };
  if (contextId) message.contextId = contextId;
  return { message };
}

const replyOf = (task) => task.artifacts?.[0]?.parts?.[0]?.text;

describe("A2A with @a2a-js/sdk (tokens + owner policy)", () => {
  let srv;
  let cardURL;
  before(async () => {
    srv = await startServer("memory", { configDir: "examples/secured-chatbot" });
    cardURL = `${srv.url}/.well-known/agent-card.json?assistant_id=chatbot`;
  });
  after(async () => {
    if (!srv) return;
    const { code, signal } = await srv.stop();
    assert.equal(code, 0, `agentgate exited with ${code ?? signal}; stderr:\n${srv.stderr()}`);
  });

  test("the agent card needs credentials and describes the assistant", async () => {
    assert.equal((await fetch(cardURL)).status, 401);
    const client = await A2AClient.fromCardUrl(cardURL, { fetchImpl: fetchAs(alice) });
    const card = await client.getAgentCard();
    assert.equal(card.name, "chatbot");
    assert.equal(card.protocolVersion, "0.3.0");
    assert.equal(card.capabilities.streaming, true);
    assert.match(card.url, new RegExp(`^${srv.url}/a2a/[0-9a-f-]{36}$`));
    assert.ok(card.skills.length >= 1, JSON.stringify(card));
  });

  test("sendMessage, a second message on the context, getTask; bob is refused", async () => {
    const a = await A2AClient.fromCardUrl(cardURL, { fetchImpl: fetchAs(alice) });
    const first = await a.sendMessage(userMessage("hello there"));
    assert.equal(first.error, undefined, JSON.stringify(first));
    const task = first.result;
    assert.equal(task.kind, "task");
    assert.equal(task.status.state, "completed");
    assert.equal(replyOf(task), "You said: hello there");

    const second = await a.sendMessage(userMessage("once more", task.contextId));
    assert.equal(second.result.contextId, task.contextId);
    assert.notEqual(second.result.id, task.id);
    assert.equal(replyOf(second.result), "You said: once more");

    const got = await a.getTask({ id: task.id });
    assert.equal(got.result.id, task.id);
    assert.equal(got.result.contextId, task.contextId);
    assert.equal(got.result.status.state, "completed");

    // The thread is alice's: the plain API shows both turns.
    const state = await (await fetchAs(alice)(`${srv.url}/threads/${task.contextId}/state`)).json();
    assert.deepEqual(state.values.messages.map((m) => m.content),
      ["hello there", "You said: hello there", "once more", "You said: once more"]);

    const b = await A2AClient.fromCardUrl(cardURL, { fetchImpl: fetchAs(bob) });
    const stolen = await b.getTask({ id: task.id });
    assert.equal(stolen.result, undefined, JSON.stringify(stolen));
    assert.equal(stolen.error.code, -32001);
    const hijack = await b.sendMessage(userMessage("mine now", task.contextId));
    assert.equal(hijack.result, undefined, JSON.stringify(hijack));
    assert.ok(hijack.error.code < 0, JSON.stringify(hijack));
    assert.doesNotMatch(JSON.stringify([stolen, hijack]), /hello there|once more/);

    // Nothing of bob's reached alice's thread.
    const after = await (await fetchAs(alice)(`${srv.url}/threads/${task.contextId}/state`)).json();
    assert.equal(after.values.messages.length, 4);

    // Without credentials: HTTP 401 before any JSON-RPC.
    const anon = new A2AClient(await a.getAgentCard(), { fetchImpl: fetchAs(null) });
    await assert.rejects(anon.getTask({ id: task.id }), /401/);
  });

  test("sendMessageStream ends with the final status", async () => {
    const a = await A2AClient.fromCardUrl(cardURL, { fetchImpl: fetchAs(alice) });
    const events = [];
    for await (const ev of a.sendMessageStream(userMessage("stream this"))) events.push(ev);
    assert.deepEqual(events.map((e) => e.kind), ["task", "status-update", "artifact-update", "status-update"]);
    const [task, , artifact, last] = events;
    assert.equal(task.status.state, "submitted");
    assert.equal(artifact.artifact.parts[0].text, "You said: stream this");
    assert.equal(last.final, true);
    assert.equal(last.status.state, "completed");
    assert.equal(last.taskId, task.id);

    // Bob streaming into alice's context gets an error, not data.
    const b = await A2AClient.fromCardUrl(cardURL, { fetchImpl: fetchAs(bob) });
    await assert.rejects(async () => {
      for await (const ev of b.sendMessageStream(userMessage("x", task.contextId))) assert.fail(JSON.stringify(ev));
    }, /Code: -32602/);
  });
});
