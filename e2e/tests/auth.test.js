// End-to-end: custom auth through the official @langchain/langgraph-sdk.
// The secured chatbot needs no code (a tokens authenticator and the owner
// policy); the tutorial examples are Go packages that `agentgate dev`
// builds into a project binary (the generated-main path) before serving.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, statusOf, clientWithToken, runAgentgate } from "../harness.js";
import { ownerIsolation } from "../suites/owner.js";

describe("secured chatbot (tokens + owner policy, no code)", () => {
  let srv;
  before(async () => {
    srv = await startServer("memory", { configDir: "examples/secured-chatbot" });
  });
  after(async () => {
    if (!srv) return;
    const { code, signal } = await srv.stop();
    assert.equal(code, 0, `agentgate exited with ${code ?? signal}; stderr:\n${srv.stderr()}`);
  });
  const alice = "alice-demo-token-not-secret";
  const bob = "bob-demo-token-not-secret";
  ownerIsolation(() => srv, [alice, bob], "chatbot");

  test("the owner is stamped and cannot be forged", async () => {
    const t = await clientWithToken(srv.url, alice).threads.create({ metadata: { owner: "bob" } });
    assert.equal(t.metadata.owner, "alice");
    assert.equal(await statusOf(clientWithToken(srv.url, bob).threads.get(t.thread_id)), 404);
  });

  test("store items are isolated", async () => {
    const a = clientWithToken(srv.url, alice);
    const b = clientWithToken(srv.url, bob);
    await a.store.putItem(["notes"], "plan", { text: "alice's plan" });
    await b.store.putItem(["notes"], "plan", { text: "bob's plan" });
    assert.equal((await a.store.getItem(["notes"], "plan")).value.text, "alice's plan");
    assert.equal((await b.store.getItem(["notes"], "plan")).value.text, "bob's plan");
    // Naming the other user's namespace in full still lands in one's own space.
    assert.equal(await b.store.getItem(["alice", "notes"], "plan"), null);
    assert.equal(await a.store.getItem(["bob", "notes"], "plan"), null);
    await b.store.deleteItem(["alice", "notes"], "plan");
    assert.equal((await a.store.getItem(["notes"], "plan")).value.text, "alice's plan", "Bob's delete reached Alice's item");
    const found = await b.store.searchItems(["notes"]);
    assert.deepEqual(found.items.map((i) => i.value.text), ["bob's plan"]);
    const spaces = await a.store.listNamespaces();
    assert.ok(spaces.namespaces.every((ns) => ns[0] === "alice"), JSON.stringify(spaces));
  });
});

// The tutorial examples name Go packages in langgraph.json; `agentgate
// build` compiles them first (a cold build can take a while), then `dev`
// finds the cached project binary and execs it.
for (const example of ["auth-part1-tokens", "auth-part2-private"]) {
  describe(`examples/${example} (built from Go packages)`, () => {
    let srv;
    before(async () => {
      const bin = runAgentgate(["build", "--config", `examples/${example}`]).trim();
      assert.match(bin, /\.agentgate\/bin\/agentgate-[0-9a-f]+$/);
      srv = await startServer("memory", { configDir: `examples/${example}`, listenTimeoutMs: 120000 });
    });
    after(async () => {
      if (!srv) return;
      const { code, signal } = await srv.stop();
      assert.equal(code, 0, `agentgate exited with ${code ?? signal}; stderr:\n${srv.stderr()}`);
    });

    test("dev ran the project binary", () => {
      assert.match(srv.stderr(), /building the project binary/);
      assert.match(srv.stderr(), /auth="path \.\/security:Auth/);
    });

    test("no token: 401", async () => {
      assert.equal(await statusOf(clientWithToken(srv.url, null).threads.search()), 401);
      assert.equal(await statusOf(clientWithToken(srv.url, "bogus").threads.create()), 401);
    });

    if (example === "auth-part2-private") {
      ownerIsolation(() => srv, ["user1-token", "user2-token"], "agent");
    } else {
      // Part 1 authenticates but does not authorize: both users see the thread.
      test("part 1 authenticates only: any valid user can read", async () => {
        const t = await clientWithToken(srv.url, "user1-token").threads.create();
        assert.equal((await clientWithToken(srv.url, "user2-token").threads.get(t.thread_id)).thread_id, t.thread_id);
      });
    }
  });
}
