// End-to-end: POST /mcp through the official MCP TypeScript client
// (@modelcontextprotocol/sdk) against the secured chatbot (tokens + owner
// policy): each user's assistants are their tools, and only theirs.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startServer, clientWithToken } from "../harness.js";

const alice = "alice-demo-token-not-secret";
const bob = "bob-demo-token-not-secret";

/** Connects an MCP client that sends `Authorization: Bearer <token>`. */
async function mcpClient(url, token) {
  const headers = token == null ? {} : { Authorization: `Bearer ${token}` };
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } });
  const client = new Client({ name: "agentgate-e2e", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

describe("MCP endpoint (secured chatbot)", () => {
  let srv;
  let aliceMCP;
  let bobMCP;
  let assistant;
  before(async () => {
    srv = await startServer("memory", { configDir: "examples/secured-chatbot" });
    assistant = await clientWithToken(srv.url, alice).assistants.create({
      graphId: "chatbot",
      name: "alice helper",
      description: "Alice's echo chatbot",
    });
    aliceMCP = await mcpClient(srv.url, alice);
    bobMCP = await mcpClient(srv.url, bob);
  });
  after(async () => {
    await aliceMCP?.close();
    await bobMCP?.close();
    if (!srv) return;
    const { code, signal } = await srv.stop();
    assert.equal(code, 0, `agentgate exited with ${code ?? signal}; stderr:\n${srv.stderr()}`);
  });

  test("the server introduces itself with tools", () => {
    assert.equal(aliceMCP.getServerVersion().name, "agentgate");
    assert.ok(aliceMCP.getServerCapabilities().tools, JSON.stringify(aliceMCP.getServerCapabilities()));
  });

  test("a user's tools are their assistants (and the graph's system assistant)", async () => {
    const { tools } = await aliceMCP.listTools();
    assert.deepEqual(tools.map((t) => t.name), ["alice_helper", "chatbot"]);
    const [tool] = tools;
    assert.equal(tool.description, "Alice's echo chatbot");
    assert.equal(tool.inputSchema.type, "object");
    assert.ok(tool.inputSchema.properties.messages, JSON.stringify(tool.inputSchema));
  });

  test("calling a tool runs the assistant as the caller", async () => {
    const res = await aliceMCP.callTool({
      name: "alice_helper",
      arguments: { messages: [{ type: "human", content: "hello over mcp" }] },
    });
    assert.ok(!res.isError, JSON.stringify(res));
    assert.equal(res.content.length, 1);
    assert.equal(res.content[0].type, "text");
    const out = JSON.parse(res.content[0].text);
    assert.equal(out.messages.at(-1).content, "You said: hello over mcp");
    // Stateless: the run's thread is gone, and nothing was left behind.
    assert.deepEqual(await clientWithToken(srv.url, alice).threads.search(), []);
  });

  test("another user neither sees nor calls it", async () => {
    const { tools } = await bobMCP.listTools();
    assert.ok(!tools.some((t) => t.name === "alice_helper"), JSON.stringify(tools));
    await assert.rejects(
      bobMCP.callTool({ name: "alice_helper", arguments: { messages: [{ type: "human", content: "let me in" }] } }),
      (err) => err.code === -32602 && /unknown tool/.test(err.message),
    );
    // Bob's own assistant is his tool alone.
    await clientWithToken(srv.url, bob).assistants.create({ graphId: "chatbot", name: "bob helper" });
    assert.deepEqual((await bobMCP.listTools()).tools.map((t) => t.name), ["bob_helper", "chatbot"]);
    assert.deepEqual((await aliceMCP.listTools()).tools.map((t) => t.name), ["alice_helper", "chatbot"]);
    assert.equal((await clientWithToken(srv.url, alice).assistants.get(assistant.assistant_id)).name, "alice helper");
  });

  test("the owner policy lets every user call the graph's system assistant", async () => {
    const res = await bobMCP.callTool({ name: "chatbot", arguments: { messages: [{ type: "human", content: "hi" }] } });
    assert.ok(!res.isError, JSON.stringify(res));
    assert.equal(JSON.parse(res.content[0].text).messages.at(-1).content, "You said: hi");
  });

  test("no or bad credentials: 401 before MCP", async () => {
    for (const token of [null, "not-a-real-token"]) {
      await assert.rejects(mcpClient(srv.url, token), (err) => err.code === 401, `token ${token}`);
    }
    const r = await fetch(`${srv.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    assert.equal(r.status, 401);
    assert.ok((await r.json()).detail);
  });
});
