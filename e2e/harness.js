// Test harness: builds the agentgate binary once per process, starts it on a
// kernel-chosen port, waits for /ok and stops it with SIGTERM (checking that
// it shuts down cleanly).
import { spawn, execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@langchain/langgraph-sdk";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "..");
export const configPath = join(here, "langgraph.json");

// The graphs e2e/langgraph.json declares, and the ones that need a graph
// agentgate may not have built in yet.
export const config = JSON.parse(readFileSync(configPath, "utf8"));

let binary;

/** Builds ./cmd/agentgate once (or uses $AGENTGATE_BIN) and returns its path. */
export function agentgateBinary() {
  if (binary) return binary;
  if (process.env.AGENTGATE_BIN) {
    binary = resolve(process.env.AGENTGATE_BIN);
    return binary;
  }
  const dir = mkdtempSync(join(tmpdir(), "agentgate-e2e-bin-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  binary = join(dir, "agentgate");
  execFileSync("go", ["build", "-o", binary, "./cmd/agentgate"], { cwd: repoRoot, stdio: "inherit" });
  return binary;
}

/**
 * Starts `agentgate dev --port 0` with the e2e config.
 * backend: "memory" (--memory), "sqlite" (a fresh temp project dir), or
 * "postgres" (`agentgate serve` on a fresh database of AGENTGATE_TEST_POSTGRES_URL).
 * configDir: serve that project directory in place (e.g. an example, whose
 * langgraph.json refers to files and Go packages next to it) instead of a
 * copy of the e2e config; use it with "memory".
 * env: extra environment variables for the server process.
 * Returns { url, client, stderr(), dataDir, stop() }.
 */
export async function startServer(backend, { configJSON, configDir, env, files = {}, listenTimeoutMs = 20000 } = {}) {
  // http.mount_prefix: the server answers under it only.
  const prefix = configJSON?.http?.mount_prefix ?? "";
  const bin = agentgateBinary();
  const work = mkdtempSync(join(tmpdir(), `agentgate-e2e-${backend}-`));
  // files: more project files next to langgraph.json (path → content).
  for (const [name, content] of Object.entries(files)) writeFileSync(join(work, name), content);
  let cfg = join(work, "langgraph.json");
  if (configDir !== undefined) cfg = resolve(repoRoot, configDir);
  else if (configJSON !== undefined) writeFileSync(cfg, JSON.stringify(configJSON));
  else copyFileSync(configPath, cfg);
  let args = ["dev", "--port", "0", "--config", cfg];
  if (backend === "memory") args.splice(1, 0, "--memory");
  let dropDB = () => {};
  if (backend === "postgres") {
    const db = freshPostgres();
    dropDB = db.drop;
    args = ["serve", "--addr", "127.0.0.1:0", "--database", db.url, "--config", cfg];
  }
  const child = spawn(bin, args, { cwd: work, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let stdout = "";
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const exited = new Promise((res) => child.on("exit", (code, signal) => res({ code, signal })));

  const url = await new Promise((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`no listening line within ${listenTimeoutMs} ms; stderr:\n${stderr}`)),
      listenTimeoutMs,
    );
    child.stdout.setEncoding("utf8").on("data", (d) => {
      stdout += d;
      const m = stdout.match(/^agentgate listening on (http:\/\/\S+)\n/);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      rej(new Error(`agentgate exited (code ${code}, signal ${signal}) before listening; stderr:\n${stderr}`));
    });
  });

  const deadline = Date.now() + 10000;
  for (;;) {
    try {
      const r = await fetch(`${url}${prefix}/ok`);
      if (r.status === 200) break;
    } catch {
      /* not ready */
    }
    if (Date.now() > deadline) throw new Error(`GET /ok never answered 200; stderr:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  // The server logs its startup summary before the listening line, but the
  // two pipes are read independently: wait (briefly) until the summary has
  // arrived, so that tests reading stderr() find it.
  for (const until = Date.now() + 3000; !stderr.includes("agentgate started") && Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 10));
  }

  const client = new Client({ apiUrl: url, apiKey: null, callerOptions: { maxRetries: 0 } });
  let stopped;
  return {
    url,
    client,
    dataDir: work,
    stderr: () => stderr,
    stdout: () => stdout,
    /** SIGTERM, wait, and return the exit status. Cleans the temp dir. */
    async stop() {
      if (!stopped) {
        child.kill("SIGTERM");
        const kill = setTimeout(() => child.kill("SIGKILL"), 15000);
        stopped = await exited;
        clearTimeout(kill);
        rmSync(work, { recursive: true, force: true });
        dropDB();
      }
      return stopped;
    },
  };
}

/** The Postgres server the e2e suite may use (AGENTGATE_TEST_POSTGRES_URL). */
export const postgresURL = process.env.AGENTGATE_TEST_POSTGRES_URL || "";

/** Creates an empty database with psql; returns its URL and a drop function. */
function freshPostgres() {
  if (!postgresURL) throw new Error("AGENTGATE_TEST_POSTGRES_URL is not set");
  const name = `agentgate_e2e_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const psql = (sql) => execFileSync("psql", [postgresURL, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], { stdio: "pipe" });
  psql(`CREATE DATABASE ${name}`);
  const u = new URL(postgresURL);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * Runs `agentgate <args...>` to completion and returns its stdout (throws
 * on a non-zero exit). For `agentgate build`, which may compile for a while.
 */
export function runAgentgate(args, { timeoutMs = 300000 } = {}) {
  return execFileSync(agentgateBinary(), args, { cwd: repoRoot, encoding: "utf8", timeout: timeoutMs });
}

/** An SDK client that sends `Authorization: Bearer <token>` (none when token is null). */
export function clientWithToken(url, token) {
  const defaultHeaders = token == null ? {} : { Authorization: `Bearer ${token}` };
  return new Client({ apiUrl: url, apiKey: null, defaultHeaders, callerOptions: { maxRetries: 0 } });
}

/** Returns the HTTP status of an SDK error (or fails when there is none). */
export async function statusOf(promise) {
  try {
    await promise;
  } catch (err) {
    if (typeof err?.status === "number") return err.status;
    throw err;
  }
  throw new Error("the call succeeded; an HTTP error was expected");
}

/** Is dir a file that exists? (re-exported for tests) */
export { existsSync };
