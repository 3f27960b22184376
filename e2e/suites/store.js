import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { statusOf } from "../harness.js";

/** The long-term memory store through the SDK. */
export function storeSuite(srv) {
  test("store: put, get, search, list namespaces, delete", async () => {
    const c = srv().client;
    const run = randomUUID();
    const docs = ["e2e", run, "docs"];
    const notes = ["e2e", run, "notes"];
    await c.store.putItem(docs, "d1", { title: "first", n: 1 });
    await c.store.putItem(docs, "d2", { title: "second", n: 2 });
    await c.store.putItem(notes, "n1", { title: "note", n: 1 });

    const got = await c.store.getItem(docs, "d1");
    assert.deepEqual(got.namespace, docs);
    assert.equal(got.key, "d1");
    assert.deepEqual(got.value, { title: "first", n: 1 });
    assert.ok(!Number.isNaN(Date.parse(got.createdAt)), "createdAt is a timestamp");

    await c.store.putItem(docs, "d1", { title: "first, edited", n: 1 });
    assert.equal((await c.store.getItem(docs, "d1")).value.title, "first, edited", "put overwrites");

    const all = await c.store.searchItems(["e2e", run], { limit: 10 });
    assert.deepEqual(all.items.map((i) => i.key).sort(), ["d1", "d2", "n1"]);
    const ones = await c.store.searchItems(["e2e", run], { filter: { n: 1 } });
    assert.deepEqual(ones.items.map((i) => i.key).sort(), ["d1", "n1"]);
    const inDocs = await c.store.searchItems(docs, { limit: 1 });
    assert.equal(inDocs.items.length, 1);
    assert.deepEqual(inDocs.items[0].namespace, docs);

    const ns = await c.store.listNamespaces({ prefix: ["e2e", run] });
    assert.deepEqual(ns.namespaces.map((n) => n.join("/")).sort(), [docs.join("/"), notes.join("/")]);
    const shallow = await c.store.listNamespaces({ prefix: ["e2e", run], maxDepth: 2 });
    assert.deepEqual(shallow.namespaces, [["e2e", run]]);
    const bySuffix = await c.store.listNamespaces({ prefix: ["e2e", run], suffix: ["notes"] });
    assert.deepEqual(bySuffix.namespaces, [notes]);

    await c.store.deleteItem(docs, "d1");
    assert.equal(await c.store.getItem(docs, "d1"), null, "deleted item reads as null");
    assert.equal((await c.store.searchItems(["e2e", run])).items.length, 2);
  });

  test("store: a missing item is null; bad input is 422", async () => {
    const c = srv().client;
    assert.equal(await c.store.getItem(["e2e", randomUUID()], "nope"), null);
    // The SDK checks periods itself; empty labels and bad values reach the server.
    assert.equal(await statusOf(c.store.putItem(["e2e", ""], "k", { a: 1 })), 422, "empty label");
    assert.equal(await statusOf(c.store.putItem(["e2e"], "", { a: 1 })), 422, "empty key");
    assert.equal(await statusOf(c.store.putItem(["e2e"], "k", "not an object")), 422, "non-object value");
    assert.equal(await statusOf(c.store.searchItems(["e2e"], { limit: -5 })), 422, "negative limit");
  });
}
