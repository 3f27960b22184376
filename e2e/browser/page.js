// Helpers for the browser test: bundle app.jsx with esbuild, serve it on
// 127.0.0.1:0, and find Debian's chromium (no browser download).
import { createServer } from "node:http";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Bundles app.jsx (React, react-dom and the SDK from node_modules) into a
 * temp dir with an index.html. Returns { dir, cleanup() }.
 */
export async function buildPage() {
  const dir = mkdtempSync(join(tmpdir(), "agentgate-e2e-page-"));
  await build({
    entryPoints: [join(here, "app.jsx")],
    bundle: true,
    outfile: join(dir, "app.js"),
    format: "esm",
    platform: "browser",
    target: "es2022",
    jsx: "automatic",
    define: { "process.env.NODE_ENV": '"development"' },
    sourcemap: "inline",
    logLevel: "warning",
  });
  writeFileSync(
    join(dir, "index.html"),
    '<!doctype html><html><head><meta charset="utf-8"><title>agentgate</title></head>' +
      '<body><div id="root"></div><script type="module" src="/app.js"></script></body></html>',
  );
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Serves dir's index.html (for any path but /app.js) and app.js. Returns { url, close() }. */
export async function servePage(dir) {
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    const [file, type] =
      path === "/app.js" ? ["app.js", "text/javascript"] : ["index.html", "text/html; charset=utf-8"];
    res.writeHead(200, { "Content-Type": type, "Cache-Control": "no-store" });
    res.end(readFileSync(join(dir, file)));
  });
  await new Promise((res) => server.listen(0, "127.0.0.1", res));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((res) => {
        server.closeAllConnections();
        server.close(res);
      }),
  };
}

/** Debian's chromium binary ($CHROMIUM_BIN overrides), or null when absent. */
export function chromiumPath() {
  const candidates = [process.env.CHROMIUM_BIN, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  return candidates.find((p) => p && existsSync(p)) ?? null;
}
