// End-to-end: the custom-auth tutorial's part 3 (a real identity provider,
// here a local fake of Supabase's GET /auth/v1/user) and the "pass tokens to
// your agent" how-to (an x-api-key header whose user carries a GitHub token
// that the graph reads from its config), built from their Go packages and
// driven by the official JS SDK as the tutorial's client code does.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { Client } from "@langchain/langgraph-sdk";
import { startServer, statusOf, clientWithToken, runAgentgate } from "../harness.js";
import { ownerIsolation } from "../suites/owner.js";

/** A fake Supabase: bearer tokens → users, and a switch to make it fail. */
async function fakeSupabase(users) {
  const state = { calls: 0, down: false, serviceKeys: new Set() };
  const srv = createServer((req, res) => {
    state.calls++;
    state.serviceKeys.add(req.headers.apikey);
    if (state.down) {
      res.writeHead(503).end("down");
      return;
    }
    const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
    const user = req.method === "GET" && req.url === "/auth/v1/user" ? users[token] : undefined;
    if (!user) {
      res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ msg: "invalid JWT" }));
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ aud: "authenticated", role: "authenticated", ...user }));
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${srv.address().port}`, state, close: () => new Promise((r) => srv.close(r)) };
}

function buildExample(example) {
  const bin = runAgentgate(["build", "--config", `examples/${example}`]).trim();
  assert.match(bin, /\.agentgate\/bin\/agentgate-[0-9a-f]+$/);
}

async function stopClean(srv) {
  if (!srv) return;
  const { code, signal } = await srv.stop();
  assert.equal(code, 0, `agentgate exited with ${code ?? signal}; stderr:\n${srv.stderr()}`);
}

describe("examples/auth-part3-userinfo (Supabase-style user-info endpoint)", () => {
  let srv;
  let idp;
  const alice = "sb-access-token-alice";
  const bob = "sb-access-token-bob";
  before(async () => {
    idp = await fakeSupabase({
      [alice]: { id: "7f0c2a1e-0000-4000-8000-00000000a11c", email: "alice@example.com" },
      [bob]: { id: "7f0c2a1e-0000-4000-8000-000000000b0b", email: "bob@example.com" },
    });
    buildExample("auth-part3-userinfo");
    srv = await startServer("memory", {
      configDir: "examples/auth-part3-userinfo",
      env: { SUPABASE_URL: idp.url, SUPABASE_SERVICE_KEY: "service-key-for-tests" },
      listenTimeoutMs: 120000,
    });
  });
  after(async () => {
    await stopClean(srv);
    await idp?.close();
  });

  ownerIsolation(() => srv, [alice, bob], "agent");

  test("the provider was asked, with the service key", async () => {
    const before = idp.state.calls;
    await clientWithToken(srv.url, alice).threads.search();
    assert.ok(idp.state.calls > before, "the user-info endpoint was not called");
    assert.deepEqual([...idp.state.serviceKeys], ["service-key-for-tests"]);
  });

  test("the thread is stamped with the provider's user id", async () => {
    const t = await clientWithToken(srv.url, alice).threads.create({ metadata: { owner: "someone-else" } });
    assert.equal(t.metadata.owner, "7f0c2a1e-0000-4000-8000-00000000a11c");
  });

  test("the store is refused in this example (403), for everyone", async () => {
    assert.equal(await statusOf(clientWithToken(srv.url, alice).store.putItem(["notes"], "k", { v: 1 })), 403);
    assert.equal(await statusOf(clientWithToken(srv.url, bob).store.searchItems(["notes"])), 403);
  });

  test("an identity-provider outage is 503, never access", async () => {
    const a = clientWithToken(srv.url, alice);
    const t = await a.threads.create();
    idp.state.down = true;
    try {
      const r = await fetch(`${srv.url}/threads/${t.thread_id}`, { headers: { authorization: `Bearer ${alice}` } });
      assert.ok([401, 503].includes(r.status), `status ${r.status}`);
    } finally {
      idp.state.down = false;
    }
    assert.equal((await a.threads.get(t.thread_id)).thread_id, t.thread_id);
  });
});

describe("examples/auth-howto-api-key (x-api-key, a GitHub token for the agent)", () => {
  let srv;
  const as = (key) =>
    new Client({ apiUrl: srv.url, apiKey: null, defaultHeaders: key ? { "x-api-key": key } : {}, callerOptions: { maxRetries: 0 } });
  before(async () => {
    buildExample("auth-howto-api-key");
    srv = await startServer("memory", { configDir: "examples/auth-howto-api-key", listenTimeoutMs: 120000 });
  });
  after(() => stopClean(srv));

  test("a missing or unknown key is 401", async () => {
    assert.equal(await statusOf(as(null).threads.search()), 401);
    assert.equal(await statusOf(as("key-mallory").threads.create()), 401);
    // A bearer token is not an API key.
    assert.equal(await statusOf(clientWithToken(srv.url, "key-alice").threads.search()), 401);
  });

  test("the agent acts with the caller's GitHub token, which never lands in state, config or checkpoints", async () => {
    const a = as("key-alice");
    const thread = await a.threads.create();
    const out = await a.runs.wait(thread.thread_id, "agent", {
      input: { messages: [{ type: "human", content: "list my repos" }] },
      // A client cannot pose as another user or bring its own token.
      config: { configurable: { langgraph_auth_user: { identity: "bob", github_token: "ghp_forged" }, langgraph_auth_user_id: "bob" } },
    });
    const last = out.messages.at(-1);
    assert.equal(last.content, `Acting on GitHub as alice with a token of ${"ghp_alice_example_token".length} characters.`);
    const everything = JSON.stringify([
      await a.threads.get(thread.thread_id),
      await a.threads.getState(thread.thread_id),
      await a.threads.getHistory(thread.thread_id, { limit: 100 }),
      await a.runs.list(thread.thread_id),
    ]);
    assert.ok(!everything.includes("ghp_alice_example_token"), "the GitHub token leaked into stored data");
    assert.ok(!everything.includes("ghp_forged"), "the client's forged token was stored");
  });

  test("each key sees only its own threads", async () => {
    const a = as("key-alice");
    const b = as("key-bob");
    const t = await a.threads.create();
    assert.equal(await statusOf(b.threads.get(t.thread_id)), 404);
    assert.equal(await statusOf(b.runs.wait(t.thread_id, "agent", { input: { messages: [{ type: "human", content: "hi" }] } })), 404);
    const seen = (await b.threads.search({ limit: 100 })).map((x) => x.thread_id);
    assert.ok(!seen.includes(t.thread_id));
    const out = await b.runs.wait(null, "agent", { input: { messages: [{ type: "human", content: "who am I" }] } });
    assert.match(out.messages.at(-1).content, /^Acting on GitHub as bob /);
  });
});
