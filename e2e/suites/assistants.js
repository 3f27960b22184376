import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { statusOf } from "../harness.js";

/** uuid5("6ba7b821-9dad-11d1-80b4-00c04fd430c8", graph id), as LangGraph computes it: the id of a graph's system assistant. */
export function systemAssistantID(graphID) {
  const ns = Buffer.from("6ba7b8219dad11d180b400c04fd430c8", "hex");
  const h = createHash("sha1").update(ns).update(graphID).digest().subarray(0, 16);
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * Assistants: the system assistant of each graph, and CRUD on our own.
 * graphs: the graph ids of e2e/langgraph.json; opts.todo marks the tests
 * pending when those graphs are not built into agentgate yet.
 */
export function assistantsSuite(srv, graphs, opts) {
  test("assistants: uuid5 helper matches the documented example", () => {
    assert.equal(systemAssistantID("agent"), "fe096781-5601-53d2-b2f6-0d3403f7e9ca");
  });

  test("assistants: every graph has its system assistant", opts, async () => {
    const c = srv().client;
    assert.ok(graphs.length > 0, "e2e/langgraph.json declares graphs");
    for (const g of graphs) {
      const found = await c.assistants.search({ graphId: g, metadata: { created_by: "system" } });
      assert.equal(found.length, 1, `one system assistant for ${g}`);
      const a = found[0];
      assert.equal(a.assistant_id, systemAssistantID(g));
      assert.equal(a.graph_id, g);
      assert.equal(a.name, g);
      assert.deepEqual(a.metadata, { created_by: "system" });
      const got = await c.assistants.get(a.assistant_id);
      assert.deepEqual(got, a);
    }
    const all = await c.assistants.search({ metadata: { created_by: "system" }, limit: 100 });
    assert.deepEqual(all.map((a) => a.graph_id).sort(), [...graphs].sort());
  });

  test("assistants: create, search, count, update, delete; 404, 409 and 422", opts, async () => {
    const c = srv().client;
    const graph = graphs[0];
    const tag = randomUUID();
    const a = await c.assistants.create({ graphId: graph, name: `e2e ${tag}`, metadata: { tag }, config: { configurable: { x: 1 } } });
    assert.equal(a.graph_id, graph);
    assert.equal(a.version, 1);
    assert.deepEqual(a.metadata, { tag });
    assert.deepEqual((await c.assistants.get(a.assistant_id)).name, `e2e ${tag}`);

    const found = await c.assistants.search({ metadata: { tag } });
    assert.deepEqual(found.map((x) => x.assistant_id), [a.assistant_id]);
    assert.equal(await c.assistants.count({ metadata: { tag } }), 1);
    assert.equal(await c.assistants.count({ graphId: graph, metadata: { tag } }), 1);

    const v2 = await c.assistants.update(a.assistant_id, { name: `renamed ${tag}` });
    assert.equal(v2.version, 2);
    assert.equal(v2.name, `renamed ${tag}`);

    assert.equal(await statusOf(c.assistants.create({ graphId: graph, assistantId: a.assistant_id })), 409, "duplicate id");
    assert.equal(await statusOf(c.assistants.create({ graphId: graph, ifExists: "replace" })), 422, "bad if_exists");

    await c.assistants.delete(a.assistant_id);
    assert.equal(await statusOf(c.assistants.get(a.assistant_id)), 404, "deleted");
    assert.equal(await statusOf(c.assistants.get(randomUUID())), 404, "never existed");
  });

  test("assistants: versions, setLatest, graph drawing and schemas", opts, async () => {
    const c = srv().client;
    const graph = graphs[0];
    const a = await c.assistants.create({ graphId: graph, name: "v1", metadata: { tag: randomUUID() } });
    await c.assistants.update(a.assistant_id, { name: "v2" });
    const versions = await c.assistants.getVersions(a.assistant_id);
    assert.deepEqual(versions.map((v) => [v.version, v.name]), [[2, "v2"], [1, "v1"]], "newest first");
    const back = await c.assistants.setLatest(a.assistant_id, 1);
    assert.equal(back.version, 1);
    assert.equal(back.name, "v1");
    assert.equal((await c.assistants.get(a.assistant_id)).name, "v1");
    assert.equal(await statusOf(c.assistants.setLatest(a.assistant_id, 9)), 404, "missing version");

    const drawing = await c.assistants.getGraph(systemAssistantID(graph));
    assert.ok(Array.isArray(drawing.nodes) && Array.isArray(drawing.edges), "graph drawing has nodes and edges");
    const ids = drawing.nodes.map((n) => n.id);
    assert.ok(ids.includes("__start__") && ids.includes("__end__"), `nodes ${ids}`);
    const schemas = await c.assistants.getSchemas(systemAssistantID(graph));
    assert.equal(schemas.graph_id, graph);
    assert.equal(typeof schemas.state_schema, "object");
  });

  test("assistants: search with no match and bad input", async () => {
    const c = srv().client;
    assert.deepEqual(await c.assistants.search({ metadata: { tag: randomUUID() } }), []);
    assert.equal(await statusOf(c.assistants.search({ limit: -1 })), 422, "negative limit");
    assert.equal(await statusOf(c.assistants.get(randomUUID())), 404, "missing assistant");
  });
}
