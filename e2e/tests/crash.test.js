// Crash recovery: kill -9 the server with a queued run and a finished one,
// start it again on the same SQLite file: the queued run runs, the thread
// is not stuck and no checkpoint is lost.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@langchain/langgraph-sdk";
import { agentgateBinary, config, configPath } from "../harness.js";

const graph = Object.keys(config.graphs)[0];

async function start(dir) {
  const child = spawn(agentgateBinary(), ["dev", "--port", "0", "--config", join(dir, "langgraph.json")], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const exited = new Promise((res) => child.on("exit", (code, signal) => res({ code, signal })));
  const url = await new Promise((res, rej) => {
    let out = "";
    const timer = setTimeout(() => rej(new Error(`no listening line; stderr:\n${stderr}`)), 20000);
    child.stdout.setEncoding("utf8").on("data", (d) => {
      out += d;
      const m = out.match(/agentgate listening on (http:\/\/\S+)\n/);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    exited.then(() => rej(new Error(`agentgate exited before listening; stderr:\n${stderr}`)));
  });
  return {
    client: new Client({ apiUrl: url, apiKey: null, callerOptions: { maxRetries: 0 } }),
    async kill(signal) {
      child.kill(signal);
      return exited;
    },
  };
}

const human = (content) => ({ messages: [{ type: "human", content }] });

test("kill -9 with a queued run: after a restart it runs and nothing is lost", async () => {
  const dir = mkdtempSync(join(tmpdir(), "agentgate-e2e-crash-"));
  try {
    copyFileSync(configPath, join(dir, "langgraph.json"));
    let srv = await start(dir);
    let c = srv.client;
    const t = await c.threads.create();
    await c.runs.wait(t.thread_id, graph, { input: human("before the crash") });
    const before = await c.threads.getHistory(t.thread_id, { limit: 100 });
    const queued = await c.runs.create(t.thread_id, graph, { input: human("after the crash"), afterSeconds: 1 });
    const { signal } = await srv.kill("SIGKILL");
    assert.equal(signal, "SIGKILL");

    srv = await start(dir);
    c = srv.client;
    try {
      const res = await c.runs.join(t.thread_id, queued.run_id);
      assert.deepEqual(
        res.messages.map((m) => m.content),
        ["before the crash", "You said: before the crash", "after the crash", "You said: after the crash"],
      );
      assert.equal((await c.runs.get(t.thread_id, queued.run_id)).status, "success");
      assert.equal((await c.threads.get(t.thread_id)).status, "idle");
      const after = await c.threads.getHistory(t.thread_id, { limit: 100 });
      const ids = new Set(after.map((s) => s.checkpoint.checkpoint_id));
      for (const s of before) assert.ok(ids.has(s.checkpoint.checkpoint_id), "checkpoint lost in the crash");
    } finally {
      await srv.kill("SIGTERM");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
