// Headless-Chromium checks of a running zhanghao (DESIGN §6), driven by
// tests/it/browser.rs, which starts the server and passes:
//   ZHANGHAO_URL              e.g. http://127.0.0.1:40123
//   ZHANGHAO_E2E_TOKEN        an access token of a signed-in user
//   ZHANGHAO_E2E_USER_ID      that user's id
//   ZHANGHAO_E2E_SCREENSHOTS  where the screenshots go
//   CHROMIUM                  the browser (default /usr/bin/chromium)
// Every request to a host other than the loopback is blocked and fails the
// run: GraphiQL must work offline.
import { chromium } from "playwright-core";
import { createServer } from "node:http";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const base = process.env.ZHANGHAO_URL;
const token = process.env.ZHANGHAO_E2E_TOKEN;
const userId = process.env.ZHANGHAO_E2E_USER_ID;
const shots = process.env.ZHANGHAO_E2E_SCREENSHOTS || "target/e2e-screenshots";
if (!base || !token || !userId) {
  console.error("ZHANGHAO_URL, ZHANGHAO_E2E_TOKEN and ZHANGHAO_E2E_USER_ID are required");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const STEP_MS = 30_000;
let passed = 0;
const ok = (what) => {
  passed += 1;
  console.log(`ok - ${what}`);
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
const external = [];
await context.route("**/*", (route) => {
  const host = new URL(route.request().url()).hostname;
  if (host === "127.0.0.1" || host === "localhost") return route.continue();
  external.push(route.request().url());
  return route.abort();
});
const page = await context.newPage();
const consoleErrors = [];
page.on("console", (message) => {
  if (message.type() === "error") consoleErrors.push(message.text());
});
page.on("pageerror", (error) => consoleErrors.push(String(error)));

async function fail(what, error) {
  console.error(`not ok - ${what}: ${error && error.message ? error.message : error}`);
  if (consoleErrors.length) console.error("browser console errors:\n  " + consoleErrors.join("\n  "));
  if (external.length) console.error("blocked external requests:\n  " + external.join("\n  "));
  try {
    await page.screenshot({ path: join(shots, "failure.png"), fullPage: true });
    console.error(`screenshot: ${join(shots, "failure.png")}`);
  } catch {}
  await browser.close();
  process.exit(1);
}

async function step(what, body) {
  try {
    await body();
    ok(what);
  } catch (error) {
    await fail(what, error);
  }
}

await step("GraphiQL loads from the binary with no external request", async () => {
  await page.goto(`${base}/graphql`, { timeout: STEP_MS });
  await page.locator(".graphiql-container").waitFor({ timeout: STEP_MS });
  await page.locator(".graphiql-query-editor .CodeMirror").first().waitFor({ timeout: STEP_MS });
  if (external.length) throw new Error(`tried to load ${external.join(", ")}`);
});

await step("the docs pane lists Query's fields (introspection works)", async () => {
  await page.getByRole("button", { name: /documentation explorer/i }).click({ timeout: STEP_MS });
  const docs = page.locator(".graphiql-doc-explorer");
  await docs.waitFor({ timeout: STEP_MS });
  await docs.getByText("Query", { exact: true }).first().click({ timeout: STEP_MS });
  await docs.getByText("me", { exact: true }).first().waitFor({ timeout: STEP_MS });
  await docs.getByText("users", { exact: true }).first().waitFor({ timeout: STEP_MS });
  await page.screenshot({ path: join(shots, "graphiql-docs.png") });
});

await step("{ me { id } } with a bearer typed into the headers pane shows the id", async () => {
  const query = page.locator(".graphiql-query-editor .CodeMirror").first();
  await query.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText("{ me { id } }");
  await page.locator(".graphiql-editor-tools").getByText("Headers", { exact: true }).click({ timeout: STEP_MS });
  const headers = page.locator(".graphiql-editor-tool .CodeMirror:visible").first();
  await headers.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(`{"Authorization": "Bearer ${token}"}`);
  await page.getByRole("button", { name: /execute query/i }).click({ timeout: STEP_MS });
  await page
    .locator(".graphiql-response")
    .getByText(`"${userId}"`)
    .waitFor({ timeout: STEP_MS });
  await page.screenshot({ path: join(shots, "graphiql-me.png") });
});

// A page on another origin (another port of the loopback).
const other = createServer((request, response) => {
  response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  response.end("<!doctype html><title>another origin</title><p>a front end on another origin</p>");
});
await new Promise((resolve) => other.listen(0, "127.0.0.1", resolve));
const otherUrl = `http://127.0.0.1:${other.address().port}/`;

await step("a page on another origin calls /graphql with a bearer (CORS preflight)", async () => {
  await page.goto(otherUrl, { timeout: STEP_MS });
  const answer = await page.evaluate(
    async ({ base, token }) => {
      const response = await fetch(`${base}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: "{ me { id } }" }),
      });
      return { body: await response.json(), requestId: response.headers.get("x-request-id") };
    },
    { base, token }
  );
  if (answer.body?.data?.me?.id !== userId) throw new Error(JSON.stringify(answer));
  if (!answer.requestId) throw new Error("x-request-id is not readable from JavaScript");
});

await step("a page on another origin reads a legacy REST answer (Discuz sms/send)", async () => {
  const answer = await page.evaluate(async (base) => {
    const response = await fetch(`${base}/api/sms/send`, {
      method: "POST",
      headers: { "content-type": "application/vnd.api+json" },
      body: JSON.stringify({ data: { attributes: { mobile: "not-a-mobile", type: "login" } } }),
    });
    return { status: response.status, body: await response.json() };
  }, base);
  if (answer.status !== 422 || !Array.isArray(answer.body?.errors)) throw new Error(JSON.stringify(answer));
});

await step("nothing external was requested", async () => {
  if (external.length) throw new Error(external.join(", "));
});

other.close();
await browser.close();
console.log(`browser e2e: ${passed} checks passed; screenshots in ${shots}`);
