import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { statusOf } from "../harness.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Thread CRUD, search, count, copy and their error statuses. */
export function threadsSuite(srv) {
  test("threads: create, get, update, delete", async () => {
    const c = srv().client;
    const tag = randomUUID();
    const t = await c.threads.create({ metadata: { tag, owner: "e2e" } });
    assert.match(t.thread_id, UUID);
    assert.equal(t.status, "idle");
    assert.deepEqual(t.metadata, { tag, owner: "e2e" });
    assert.ok(!Number.isNaN(Date.parse(t.created_at)), "created_at is a timestamp");

    const got = await c.threads.get(t.thread_id);
    assert.equal(got.thread_id, t.thread_id);
    assert.deepEqual(got.metadata, t.metadata);

    const upd = await c.threads.update(t.thread_id, { metadata: { step: 2 } });
    assert.deepEqual(upd.metadata, { tag, owner: "e2e", step: 2 }, "metadata is merged");
    assert.deepEqual((await c.threads.get(t.thread_id)).metadata, { tag, owner: "e2e", step: 2 });

    await c.threads.delete(t.thread_id);
    assert.equal(await statusOf(c.threads.get(t.thread_id)), 404);
  });

  test("threads: create with a given id; duplicate is 409, do_nothing returns it", async () => {
    const c = srv().client;
    const id = randomUUID();
    const t = await c.threads.create({ threadId: id, metadata: { a: 1 } });
    assert.equal(t.thread_id, id);
    assert.equal(await statusOf(c.threads.create({ threadId: id })), 409);
    const again = await c.threads.create({ threadId: id, ifExists: "do_nothing", metadata: { a: 2 } });
    assert.equal(again.thread_id, id);
    assert.deepEqual(again.metadata, { a: 1 }, "do_nothing keeps the existing thread");
  });

  test("threads: search and count by metadata, with limit and offset", async () => {
    const c = srv().client;
    const tag = randomUUID();
    const made = [];
    for (let i = 0; i < 5; i++) {
      made.push(await c.threads.create({ metadata: { tag, i, parity: i % 2 === 0 ? "even" : "odd" } }));
    }
    await c.threads.create({ metadata: { tag: randomUUID() } }); // must not match

    const all = await c.threads.search({ metadata: { tag }, limit: 100 });
    assert.deepEqual(all.map((t) => t.thread_id).sort(), made.map((t) => t.thread_id).sort());

    const even = await c.threads.search({ metadata: { tag, parity: "even" } });
    assert.deepEqual(even.map((t) => t.metadata.i).sort(), [0, 2, 4]);

    const page1 = await c.threads.search({ metadata: { tag }, limit: 2, offset: 0, sortBy: "created_at", sortOrder: "asc" });
    const page2 = await c.threads.search({ metadata: { tag }, limit: 2, offset: 2, sortBy: "created_at", sortOrder: "asc" });
    assert.equal(page1.length, 2);
    assert.equal(page2.length, 2);
    const seen = new Set([...page1, ...page2].map((t) => t.thread_id));
    assert.equal(seen.size, 4, "pages do not overlap");

    assert.equal(await c.threads.count({ metadata: { tag } }), 5);
    assert.equal(await c.threads.count({ metadata: { tag, parity: "odd" } }), 2);
    assert.equal(await c.threads.count({ metadata: { tag: randomUUID() } }), 0);

    const byStatus = await c.threads.search({ metadata: { tag }, status: "idle", limit: 100 });
    assert.equal(byStatus.length, 5);
  });

  test("threads: copy makes a new thread with the same metadata", async () => {
    const c = srv().client;
    const tag = randomUUID();
    const t = await c.threads.create({ metadata: { tag } });
    const cp = await c.threads.copy(t.thread_id);
    assert.match(cp.thread_id, UUID);
    assert.notEqual(cp.thread_id, t.thread_id);
    assert.equal(cp.metadata.tag, tag);
    assert.equal((await c.threads.get(cp.thread_id)).thread_id, cp.thread_id);
    assert.equal(await c.threads.count({ metadata: { tag } }), 2);
    // LangGraph answers 409 "Thread not found" when the source is missing.
    assert.equal(await statusOf(c.threads.copy(randomUUID())), 409);
  });

  test("threads: error statuses", async () => {
    const c = srv().client;
    const missing = randomUUID();
    assert.equal(await statusOf(c.threads.get(missing)), 404, "get missing");
    assert.equal(await statusOf(c.threads.update(missing, { metadata: { a: 1 } })), 404, "update missing");
    assert.equal(await statusOf(c.threads.delete(missing)), 404, "delete missing");
    assert.equal(await statusOf(c.threads.create({ threadId: "not-a-uuid" })), 422, "bad thread id");
    assert.equal(await statusOf(c.threads.create({ ifExists: "overwrite" })), 422, "bad if_exists");
    assert.equal(await statusOf(c.threads.search({ limit: -1 })), 422, "negative limit");
    assert.equal(await statusOf(c.threads.search({ status: "sleeping" })), 422, "bad status");
  });
}
