// End-to-end: the official @langchain/langgraph-sdk against the real
// agentgate binary, once with the in-memory store and once with SQLite.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { config, startServer, postgresURL } from "../harness.js";
import { assistantsSuite } from "../suites/assistants.js";
import { threadsSuite } from "../suites/threads.js";
import { storeSuite } from "../suites/store.js";
import { stateSuite } from "../suites/state.js";
import { runsSuite, approvalSuite } from "../suites/runs.js";
import { cronsSuite } from "../suites/crons.js";

const graphs = Object.keys(config.graphs);

// Which graphs of e2e/langgraph.json does this agentgate build in? A graph
// that is missing makes the tests that need it pending ("todo"), never
// silently skipped: the check below fails under CI=true, and .ci/run fails
// on any todo.
async function missingGraphs() {
  try {
    const s = await startServer("memory");
    await s.stop();
    return [];
  } catch (err) {
    const missing = [...String(err.message).matchAll(/unknown built-in graph "([^"]+)"/g)].map((m) => m[1]);
    if (missing.length === 0) throw err;
    return missing;
  }
}

const missing = await missingGraphs();
const pending = missing.length ? { todo: `PENDING: built-in graph(s) ${missing.join(", ")} not in agentgate yet` } : {};
const runConfig = missing.length ? { ...config, graphs: {} } : undefined;

// Locally a todo (visible in the summary); under CI=true a failure.
const checkOpts = missing.length && process.env.CI !== "true" ? pending : {};
test("every graph of e2e/langgraph.json is built into agentgate", checkOpts, () => {
  assert.deepEqual(missing, [], `agentgate has no built-in graph(s): ${missing.join(", ")}`);
});

// The suites run on Postgres too when AGENTGATE_TEST_POSTGRES_URL is set
// (.ci/run sets it); locally its absence is a visible todo, under CI=true a
// failure.
const pgCheck = postgresURL || process.env.CI === "true" ? {} : { todo: "set AGENTGATE_TEST_POSTGRES_URL to run the suites on Postgres" };
test("the e2e suites run on Postgres", pgCheck, () => {
  assert.ok(postgresURL, "AGENTGATE_TEST_POSTGRES_URL is not set");
});

for (const backend of postgresURL ? ["memory", "sqlite", "postgres"] : ["memory", "sqlite"]) {
  describe(`agentgate ${backend === "postgres" ? "serve" : "dev"} (${backend})`, () => {
    let srv;
    before(async () => {
      srv = await startServer(backend, { configJSON: runConfig });
    });
    after(async () => {
      if (!srv) return;
      const dbFile = join(srv.dataDir, ".agentgate", "agentgate.db");
      const hadDB = existsSync(dbFile);
      const { code, signal } = await srv.stop();
      assert.equal(code, 0, `agentgate exited with ${code ?? signal} on SIGTERM; stderr:\n${srv.stderr()}`);
      assert.equal(srv.stdout(), `agentgate listening on ${srv.url}\n`, "exactly one line on stdout");
      assert.equal(hadDB, backend === "sqlite", `database file ${dbFile} exists only with SQLite`);
    });
    const get = () => srv;

    test("GET /ok and /info", async () => {
      const ok = await fetch(`${srv.url}/ok`);
      assert.deepEqual(await ok.json(), { ok: true });
      const info = await (await fetch(`${srv.url}/info`)).json();
      assert.equal(typeof info.version, "string");
    });

    assistantsSuite(get, graphs, pending);
    threadsSuite(get);
    stateSuite(get, graphs[0], pending);
    runsSuite(get, graphs[0], pending);
    approvalSuite(get, "approval", pending);
    cronsSuite(get, graphs[0], pending);
    storeSuite(get);
  });
}
