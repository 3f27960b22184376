// Owner isolation as the custom-auth tutorial's client code checks it,
// shared by the auth e2e files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { statusOf, clientWithToken } from "../harness.js";

// ownerIsolation is what the custom-auth tutorial's client code checks:
// no token is 401, a user's thread is 404 for another user, and search and
// count show each user only their own threads.
export function ownerIsolation(get, tokens, graphId, { as: makeClient } = {}) {
  const [tokA, tokB] = tokens;
  const as = makeClient ? (token) => makeClient(get().url, token) : (token) => clientWithToken(get().url, token);

  test("a user chats with a messages-tuple stream; another user's runs on that thread are 404", async () => {
    const a = as(tokA);
    const b = as(tokB);
    const thread = await a.threads.create();
    let text = "";
    for await (const chunk of a.runs.stream(thread.thread_id, graphId, {
      input: { messages: [{ type: "human", content: "hello there" }] },
      streamMode: "messages-tuple",
    })) {
      if (chunk.event === "messages") text += chunk.data[0].content;
    }
    assert.equal(text, "You said: hello there");
    const input = { messages: [{ type: "human", content: "let me in" }] };
    assert.equal(await statusOf(b.runs.wait(thread.thread_id, graphId, { input })), 404);
    assert.equal(await statusOf(b.runs.create(thread.thread_id, graphId, { input })), 404);
    assert.equal(await statusOf(b.runs.list(thread.thread_id)), 404);
    const runs = await a.runs.list(thread.thread_id);
    assert.equal(runs.length, 1, "B's attempts created runs");
    const state = await a.threads.getState(thread.thread_id);
    assert.equal(state.values.messages.length, 2);
  });

  test("no token: 401 with WWW-Authenticate", async () => {
    assert.equal(await statusOf(as(null).threads.search()), 401);
    assert.equal(await statusOf(as("not-a-real-token").threads.create()), 401);
    const r = await fetch(`${get().url}/threads/search`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    assert.equal(r.status, 401);
    assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer/);
  });

  test("a user's thread is 404 for another user", async () => {
    const a = as(tokA);
    const b = as(tokB);
    const thread = await a.threads.create({ metadata: { topic: "secret" } });
    assert.equal((await a.threads.get(thread.thread_id)).thread_id, thread.thread_id);
    assert.equal(await statusOf(b.threads.get(thread.thread_id)), 404);
    assert.equal(await statusOf(b.threads.update(thread.thread_id, { metadata: { topic: "mine now" } })), 404);
    assert.equal(await statusOf(b.threads.delete(thread.thread_id)), 404);
    assert.equal(await statusOf(b.threads.getState(thread.thread_id)), 404);
    assert.equal((await a.threads.get(thread.thread_id)).metadata.topic, "secret", "B's attempts changed nothing");
  });

  test("search and count show only one's own threads", async () => {
    const a = as(tokA);
    const b = as(tokB);
    const mineA = await a.threads.create({ metadata: { tag: "iso" } });
    const mineB = await b.threads.create({ metadata: { tag: "iso" } });
    const seenA = (await a.threads.search({ metadata: { tag: "iso" } })).map((t) => t.thread_id);
    const seenB = (await b.threads.search({ metadata: { tag: "iso" } })).map((t) => t.thread_id);
    assert.deepEqual(seenA, [mineA.thread_id]);
    assert.deepEqual(seenB, [mineB.thread_id]);
    const allB = await b.threads.search({ limit: 100 });
    assert.ok(allB.length >= 1);
    assert.ok(allB.every((t) => t.thread_id !== mineA.thread_id), "B's search lists A's thread");
    assert.equal(await b.threads.count({ metadata: { tag: "iso" } }), 1);
    assert.equal(await b.threads.count(), allB.length);
  });
}

