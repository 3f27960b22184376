// End-to-end: /docs renders the API reference in headless Chromium with no
// network beyond agentgate itself: its script is embedded in the binary
// (a pinned @scalar/api-reference, see scripts/docs-assets.sh).
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import puppeteer from "puppeteer-core";
import { startServer } from "../harness.js";
import { chromiumPath } from "../browser/page.js";

describe("GET /docs offline", () => {
  let srv, browser;

  before(async () => {
    const chromium = chromiumPath();
    assert.ok(chromium, "Debian's chromium is required (apt-get install chromium; .ci/run installs it)");
    srv = await startServer("memory");
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    });
  });

  after(async () => {
    await browser?.close();
    if (srv) assert.equal((await srv.stop()).code, 0);
  });

  test("renders the OpenAPI document with the embedded script, asking nothing of other origins", async () => {
    const page = await browser.newPage();
    const origin = new URL(srv.url).origin;
    const elsewhere = [];
    await page.setRequestInterception(true);
    page.on("request", (req) => {
      const u = req.url();
      if (u.startsWith("data:") || u.startsWith("blob:") || new URL(u).origin === origin) {
        req.continue();
      } else {
        elsewhere.push(u);
        req.abort("blockedbyclient");
      }
    });
    const resp = await page.goto(`${srv.url}/docs`, { waitUntil: "load" });
    assert.equal(resp.status(), 200);
    // Scalar renders the document's info and its first sections (the rest
    // as the reader scrolls).
    const described = "LangGraph Platform compatible agent server";
    await page.waitForFunction((d) => document.body.innerText.includes(d), { timeout: 20000 }, described);
    const text = await page.evaluate(() => document.body.innerText);
    for (const want of ["agentgate", "Download OpenAPI Document", "Operations", "POST"]) {
      assert.ok(text.includes(want), `the rendered page shows ${want}`);
    }
    assert.deepEqual(elsewhere, [], "the page asked nothing of other origins");
  });
});
