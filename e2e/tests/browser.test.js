// End-to-end in a real browser: a page built from npm packages (React and
// useStream from @langchain/langgraph-sdk/react, bundled with esbuild) talks
// to agentgate with bearer tokens, driven in headless Chromium (Debian's
// chromium package) through puppeteer-core.
//
// The chatbot's model is a local OpenAI-compatible server (OPENAI_BASE_URL)
// that echoes the user's words one per chunk, WORD_MS apart: slow enough to
// see partial text and to reload the page in the middle of a run.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { join } from "node:path";
import puppeteer from "puppeteer-core";
import { startServer, clientWithToken, repoRoot } from "../harness.js";
import { buildPage, servePage, chromiumPath } from "../browser/page.js";

const alice = "alice-demo-token-not-secret";
const bob = "bob-demo-token-not-secret";
const WORD_MS = 60;
const WAIT_MS = 15000;

/** A Chat Completions server that streams the last user message back, word by word. */
async function fakeOpenAI() {
  const seen = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (d) => (body += d));
    req.on("end", async () => {
      if (!req.url.endsWith("/chat/completions")) {
        res.writeHead(404).end();
        return;
      }
      const msgs = JSON.parse(body).messages ?? [];
      const last = [...msgs].reverse().find((m) => m.role === "user");
      const said = typeof last?.content === "string" ? last.content : (last?.content ?? []).map((p) => p.text ?? "").join("");
      seen.push(said);
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      const chunk = (delta, finish = null) =>
        `data: ${JSON.stringify({
          id: "chatcmpl-1",
          object: "chat.completion.chunk",
          created: 1700000000,
          model: "gpt-test",
          choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
        })}\n\n`;
      const words = `Echo: ${said}`.match(/\S+\s*/g) ?? [];
      for (const w of words) {
        if (res.destroyed) return;
        res.write(chunk({ content: w }));
        await new Promise((r) => setTimeout(r, WORD_MS));
      }
      res.end(chunk({}, "stop") + "data: [DONE]\n\n");
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    seen,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))),
  };
}

/** Times out a promise with a message saying what was awaited. */
function within(ms, what, promise) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`timed out after ${ms} ms: ${what}`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

const weatherUI = `import { useState } from "react";
function Weather({ city }: { city: string }) {
  const [clicks, setClicks] = useState(0);
  return <button data-testid="weather" onClick={() => setClicks(clicks + 1)}>Weather in {city}: {clicks}</button>;
}
export default { weather: Weather };
`;

const words = (n, tag) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(" ");

const chromium = chromiumPath();
const ci = process.env.CI === "true";
const skip = chromium || ci ? false : "no chromium (apt-get install chromium)";

describe("browser: useStream page in headless Chromium", { skip, timeout: 120000 }, () => {
  let srv, llm, page, site, browser;
  const aliceThreads = new Set();

  before(async () => {
    // Under CI=true a missing browser is a failure, never a skip.
    assert.ok(chromium, "chromium is missing: .ci/run installs Debian's chromium package (or set CHROMIUM_BIN)");
    llm = await fakeOpenAI();
    srv = await startServer("memory", {
      configJSON: {
        graphs: { chatbot: "builtin:chatbot", approval: "builtin:approval" },
        ui: { chatbot: "./ui.tsx" },
        auth: {
          authenticators: [{ type: "tokens", file: join(repoRoot, "examples/secured-chatbot/tokens.json") }],
          policy: "owner",
        },
      },
      env: { AGENTGATE_MODEL: "openai:gpt-test", OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: llm.url },
      // A generative UI bundle (langgraph.json "ui"), built by agentgate.
      files: { "ui.tsx": weatherUI },
    });
    page = await within(WAIT_MS, "esbuild bundle", buildPage());
    site = await servePage(page.dir);
    browser = await within(
      WAIT_MS,
      `launch ${chromium}`,
      puppeteer.launch({
        executablePath: chromium,
        headless: true,
        args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
      }),
    );
  });

  after(async () => {
    await browser?.close();
    await site?.close();
    page?.cleanup();
    await llm?.close();
    if (srv) {
      const { code, signal } = await srv.stop();
      assert.equal(code, 0, `agentgate exited with ${code ?? signal}; stderr:\n${srv.stderr()}`);
    }
  });

  /**
   * Opens the page as the token's user. Records every text the last AI
   * message shows (window.__aiStates) and every request to agentgate.
   */
  async function open(token, assistant = "chatbot", extra = {}) {
    const tab = await browser.newPage();
    const requests = [];
    const logs = [];
    tab.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
    tab.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
    tab.on("request", (r) => {
      if (r.url().startsWith(srv.url)) requests.push({ method: r.method(), url: r.url(), auth: r.headers().authorization });
    });
    await tab.evaluateOnNewDocument(() => {
      window.__aiStates = [];
      new MutationObserver(() => {
        const ai = document.querySelectorAll('[data-testid="msg-ai"]');
        const t = ai.length ? ai[ai.length - 1].textContent : "";
        if (t && window.__aiStates[window.__aiStates.length - 1] !== t) window.__aiStates.push(t);
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    const u = new URL(site.url);
    u.search = new URLSearchParams({ api: srv.url, token, assistant, ...extra }).toString();
    await within(WAIT_MS, "page load", tab.goto(u.toString(), { waitUntil: "load" }));
    const wait = async (what, fn, ...args) => {
      try {
        return await tab.waitForFunction(fn, { timeout: WAIT_MS, polling: "mutation" }, ...args);
      } catch (err) {
        const html = await tab.evaluate(() => document.body.innerText).catch(() => "?");
        throw new Error(`waiting for ${what}: ${err.message}\npage text:\n${html}\nconsole:\n${logs.join("\n")}\nserver stderr:\n${srv.stderr().slice(-2000)}`);
      }
    };
    const send = async (text) => {
      await tab.type('[data-testid="input"]', text, { delay: 0 });
      await tab.click('[data-testid="send"]');
    };
    const threadId = () => tab.evaluate(() => new URL(location.href).searchParams.get("thread"));
    return { tab, requests, logs, wait, send, threadId };
  }

  const lastAI = () => {
    const ai = document.querySelectorAll('[data-testid="msg-ai"]');
    return ai.length ? ai[ai.length - 1].textContent : "";
  };

  test("streams a reply token by token, sending the user's token", async () => {
    const p = await open(alice);
    const input = words(30, "tok");
    await p.send(input);
    const final = `Echo: ${input}`;
    await p.wait("the whole reply", (f) => {
      const ai = document.querySelectorAll('[data-testid="msg-ai"]');
      return ai.length && ai[ai.length - 1].textContent === f && document.querySelector('[data-testid="status"]').dataset.loading === "false";
    }, final);
    const states = await p.tab.evaluate(() => window.__aiStates);
    const partial = states.filter((s) => s !== final);
    assert.ok(partial.length >= 2, `expected partial texts before the final one, saw ${JSON.stringify(states)}`);
    for (const s of partial) assert.ok(final.startsWith(s.trimEnd()), `partial text ${JSON.stringify(s)} is not a prefix of the reply`);
    const tid = await p.threadId();
    assert.ok(tid, "the thread id is in the URL");
    aliceThreads.add(tid);
    const api = p.requests.filter((r) => r.method !== "OPTIONS");
    assert.ok(api.length > 0, "the page made no request to agentgate");
    for (const r of api) assert.equal(r.auth, `Bearer ${alice}`, `${r.method} ${r.url} without the user's token`);
    const state = await clientWithToken(srv.url, alice).threads.getState(tid);
    assert.deepEqual(state.values.messages.map((m) => m.type), ["human", "ai"]);
    await p.tab.close();
  });

  test("a reload mid-run rejoins the run (reconnectOnMount) without starting another", async () => {
    const p = await open(alice);
    const input = words(60, "re");
    const final = `Echo: ${input}`;
    await p.send(input);
    await p.wait("some partial text", (f) => {
      const ai = document.querySelectorAll('[data-testid="msg-ai"]');
      const t = ai.length ? ai[ai.length - 1].textContent : "";
      return t.length > 0 && t !== f;
    }, final);
    const tid = await p.threadId();
    assert.ok(tid, "the thread id is in the URL before the reload");
    const runId = await p.tab.evaluate((t) => sessionStorage.getItem(`lg:stream:${t}`), tid);
    assert.ok(runId, "useStream stored the run id for rejoining");
    const before = p.requests.length;
    await within(WAIT_MS, "reload", p.tab.reload({ waitUntil: "load" }));
    assert.equal(await p.threadId(), tid, "the reload kept the thread");
    await p.wait("the whole reply after the reload", (f) => {
      const ai = document.querySelectorAll('[data-testid="msg-ai"]');
      return ai.length && ai[ai.length - 1].textContent === f && document.querySelector('[data-testid="status"]').dataset.loading === "false";
    }, final);
    const rejoined = p.requests.slice(before).filter((r) => r.method === "GET" && r.url.includes(`/threads/${tid}/runs/${runId}/stream`));
    assert.ok(rejoined.length >= 1, `no join of run ${runId} after the reload:\n${p.requests.slice(before).map((r) => `${r.method} ${r.url}`).join("\n")}`);
    const humans = await p.tab.$$eval('[data-testid="msg-human"]', (els) => els.length);
    const ais = await p.tab.$$eval('[data-testid="msg-ai"]', (els) => els.length);
    assert.deepEqual([humans, ais], [1, 1], "one human and one AI message on the page");
    const a = clientWithToken(srv.url, alice);
    const runs = await a.runs.list(tid);
    assert.deepEqual(runs.map((r) => [r.run_id, r.status]), [[runId, "success"]], "exactly one run on the thread");
    assert.equal(llm.seen.filter((s) => s === input).length, 1, "the model was called once for this message");
    const state = await a.threads.getState(tid);
    assert.deepEqual(state.values.messages.map((m) => m.type), ["human", "ai"]);
    aliceThreads.add(tid);
    await p.tab.close();
  });

  test("shows an interrupt and resumes it", async () => {
    const p = await open(alice, "approval");
    await p.send("deploy to prod");
    const h = await p.wait("the interrupt", () => document.querySelector('[data-testid="interrupt-value"]')?.textContent);
    const value = JSON.parse(await h.jsonValue());
    assert.deepEqual(value, { question: "Approve?", request: "deploy to prod" });
    await p.tab.click('[data-testid="approve"]');
    await p.wait("the decision", () => {
      const ai = document.querySelectorAll('[data-testid="msg-ai"]');
      return ai.length && ai[ai.length - 1].textContent === 'Decision on "deploy to prod": approved' && !document.querySelector('[data-testid="interrupt"]');
    });
    const tid = await p.threadId();
    const t = await clientWithToken(srv.url, alice).threads.get(tid);
    assert.equal(t.status, "idle");
    aliceThreads.add(tid);
    await p.tab.close();
  });

  test("lists the user's threads; another user sees none of them", async () => {
    assert.equal(aliceThreads.size, 3, "the tests above made three threads");
    const p = await open(alice);
    await p.wait("Alice's thread list", () => document.querySelector('[data-testid="threads"]'));
    const listed = await p.tab.$$eval('[data-testid="thread"]', (els) => els.map((e) => e.dataset.threadId));
    assert.deepEqual(new Set(listed), aliceThreads);
    await p.tab.close();

    const q = await open(bob);
    await q.wait("Bob's thread list", () => document.querySelector('[data-testid="threads"]'));
    const bobs = await q.tab.$$eval('[data-testid="thread"]', (els) => els.map((e) => e.dataset.threadId));
    assert.deepEqual(bobs, [], "Bob sees Alice's threads");
    for (const r of q.requests.filter((r) => r.method !== "OPTIONS")) assert.equal(r.auth, `Bearer ${bob}`);
    await q.tab.close();
  });

  test("renders a generative UI component from the server's bundle (LoadExternalComponent)", async () => {
    const p = await open(alice, "chatbot", { ui: "weather", city: "Paris" });
    // The component lives in a shadow root and runs with the page's React.
    const shown = (want) =>
      document.querySelector('[data-testid="genui"] div[id^="child-shadow-"]')?.shadowRoot?.querySelector('[data-testid="weather"]')?.textContent === want;
    await p.wait("the component", shown, "Weather in Paris: 0");
    await p.tab.evaluate(() => document.querySelector('[data-testid="genui"] div[id^="child-shadow-"]').shadowRoot.querySelector('[data-testid="weather"]').click());
    await p.wait("its state to update", shown, "Weather in Paris: 1");
    const ui = p.requests.filter((r) => r.method !== "OPTIONS" && r.url.includes("/ui/chatbot"));
    assert.deepEqual(ui.map((r) => [r.method, new URL(r.url).pathname]), [["POST", "/ui/chatbot"], ["GET", "/ui/chatbot/entrypoint.js"]]);
    assert.equal(ui[0].auth, `Bearer ${alice}`, "POST /ui carries the user's token");
    await p.tab.close();
  });
});
