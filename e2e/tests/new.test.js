// End-to-end: the "agents for real" path as a new user takes it.
// `agentgate new --template agent` in an empty directory outside the
// checkout, `agentgate dev` on it with a model behind OPENAI_BASE_URL (a
// local fake that streams Chat Completions chunks as OpenAI documents them,
// tool-call deltas included), and the official JS SDK streaming the answer
// and the tool call as an authenticated user.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@langchain/langgraph-sdk";
import { startServer, runAgentgate, repoRoot, statusOf } from "../harness.js";

/** Splits s into pieces of n characters. */
const pieces = (s, n) => s.match(new RegExp(`[^]{1,${n}}`, "g")) ?? [];

/**
 * A fake OpenAI Chat Completions endpoint: the first turn of a conversation
 * calls text_stats on the user's text, the turn after the tool message
 * answers in small content deltas.
 */
async function fakeOpenAI() {
  const requests = [];
  const srv = createServer(async (req, res) => {
    let raw = "";
    for await (const c of req) raw += c;
    if (req.method !== "POST" || req.url !== "/v1/chat/completions" || req.headers.authorization !== "Bearer test-key") {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "not found", type: "invalid_request_error" } }));
      return;
    }
    const body = JSON.parse(raw);
    requests.push(body);
    const chunk = (delta, finish = null) =>
      `data: ${JSON.stringify({ id: `chatcmpl-${requests.length}`, object: "chat.completion.chunk", created: 1, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(chunk({ role: "assistant", content: "" }));
    const last = body.messages.at(-1);
    if (last.role === "tool") {
      for (const p of pieces(`It has ${JSON.parse(last.content).words} words.`, 3)) res.write(chunk({ content: p }));
      res.write(chunk({}, "stop"));
    } else {
      const args = JSON.stringify({ text: last.content.replace(/^[^:]*:\s*/, "") });
      res.write(chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "text_stats", arguments: "" } }] }));
      for (const p of pieces(args, 5)) res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: p } }] }));
      res.write(chunk({}, "tool_calls"));
    }
    res.end("data: [DONE]\n\n");
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${srv.address().port}/v1`, requests, close: () => new Promise((r) => srv.close(r)) };
}

describe("agentgate new --template agent, dev, JS SDK", () => {
  let work, fake, srv;
  const as = (token) =>
    new Client({ apiUrl: srv.url, apiKey: null, defaultHeaders: { Authorization: `Bearer ${token}` }, callerOptions: { maxRetries: 0 } });

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "agentgate-new-e2e-"));
    assert.ok(!work.startsWith(repoRoot), "the project must live outside the checkout");
    const proj = join(work, "my-agent");
    runAgentgate(["new", "--template", "agent", "--agentgate-source", repoRoot, proj]);
    for (const f of ["go.mod", "go.sum", "myagent/agent.go", ".env.example", "langgraph.json"]) {
      assert.ok(existsSync(join(proj, f)), `agentgate new wrote ${f}`);
    }
    fake = await fakeOpenAI();
    srv = await startServer("memory", {
      configDir: proj,
      env: { OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: fake.url, AGENTGATE_MODEL: "", ANTHROPIC_API_KEY: "" },
      listenTimeoutMs: 300000,
    });
  });

  after(async () => {
    if (srv) assert.equal((await srv.stop()).code, 0, "dev exits cleanly on SIGTERM");
    await fake?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test("streams the tool call and the answer token by token to its user only", async () => {
    assert.equal(await statusOf(new Client({ apiUrl: srv.url, apiKey: null, callerOptions: { maxRetries: 0 } }).threads.create()), 401);
    const alice = as("alice-demo-token-not-secret");
    const thread = await alice.threads.create();
    const chunks = [];
    const input = { messages: [{ role: "user", content: "Count the words: the quick brown fox" }] };
    for await (const ev of alice.runs.stream(thread.thread_id, "agent", { input, streamMode: "messages-tuple" })) {
      if (ev.event === "messages") chunks.push(ev.data[0]);
    }
    const toolCallChunks = chunks.filter((c) => c.type?.startsWith("AIMessageChunk") || c.type === "ai").flatMap((c) => c.tool_call_chunks ?? []);
    assert.ok(toolCallChunks.length >= 2, `tool-call deltas streamed: ${JSON.stringify(chunks)}`);
    const toolMsg = chunks.find((c) => c.type === "tool");
    assert.equal(toolMsg?.content, '{"words":4,"characters":19}');
    const answer = chunks.filter((c) => c.type !== "tool" && typeof c.content === "string" && c.content !== "" && !(c.tool_call_chunks?.length));
    assert.ok(answer.length >= 3, `the answer came in several chunks: ${JSON.stringify(answer)}`);
    assert.equal(answer.map((c) => c.content).join(""), "It has 4 words.");

    const state = await alice.threads.getState(thread.thread_id);
    const msgs = state.values.messages;
    assert.deepEqual(msgs.map((m) => m.type), ["human", "ai", "tool", "ai"]);
    assert.equal(msgs[1].tool_calls[0].name, "text_stats");
    assert.deepEqual(msgs[1].tool_calls[0].args, { text: "the quick brown fox" });
    assert.equal(msgs[3].content, "It has 4 words.");
    assert.equal(fake.requests.length, 2);
    assert.ok(fake.requests[0].tools.some((t) => t.function.name === "text_stats"), "the tool was offered to the model");

    const bob = as("bob-demo-token-not-secret");
    assert.equal(await statusOf(bob.threads.getState(thread.thread_id)), 404);
    assert.equal((await bob.threads.search()).length, 0);
  });
});
