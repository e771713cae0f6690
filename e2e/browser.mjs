// Headless-Chromium checks of a running zhanghao (DESIGN §6), driven by
// tests/it/browser.rs, which starts the server and passes:
//   ZHANGHAO_URL              e.g. http://127.0.0.1:40123
//   ZHANGHAO_E2E_TOKEN        an access token of a signed-in user
//   ZHANGHAO_E2E_USER_ID      that user's id
//   ZHANGHAO_E2E_ACCOUNT, ZHANGHAO_E2E_PASSWORD  that user's username and password
//   ZHANGHAO_E2E_SCREENSHOTS  where the screenshots go (default target/e2e-screenshots)
//   CHROMIUM                  the browser (default /usr/bin/chromium)
//
// Nothing may leave the loopback, and any attempt fails the run (GraphiQL and
// the REST docs at /docs must work offline), at two levels:
//   - the GraphiQL context routes every request and aborts (and records) any
//     whose host is not 127.0.0.1 / localhost;
//   - every page's requests are watched (context "request" events) and any
//     to another host fails the run;
//   - the browser's proxy is a black hole on the loopback, so a request to
//     any other host, from any context, never reaches the network. Chromium
//     never proxies loopback addresses, so the server is reached direct.
//     Chromium's own background requests (update checks, account and autofill
//     services; not the page's) land there too: listed, blocked, not failures.
// The cross-origin context has no route on purpose: with interception on,
// Playwright answers CORS preflights itself, which would hide the server's own
// answer to them. Without it, Chromium sends the real OPTIONS preflight.
import { chromium } from "playwright-core";
import { createServer } from "node:http";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const base = (process.env.ZHANGHAO_URL || "").replace(/\/+$/, "");
const token = process.env.ZHANGHAO_E2E_TOKEN;
const userId = process.env.ZHANGHAO_E2E_USER_ID;
const shots = process.env.ZHANGHAO_E2E_SCREENSHOTS || "target/e2e-screenshots";
if (!base || !token || !userId) {
  console.error("ZHANGHAO_URL, ZHANGHAO_E2E_TOKEN and ZHANGHAO_E2E_USER_ID are required");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const STEP_MS = 30_000;
const TOTAL_MS = 110_000;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const isLoopback = (url) => {
  try {
    return LOOPBACK.has(new URL(url).hostname);
  } catch {
    return false;
  }
};

let passed = 0;
let browser;
let current; // the page a failure screenshots
const external = []; // non-loopback requests made by a page: each fails the run
const background = []; // what reached the black-hole proxy (Chromium's own, if not in external)
const consoleErrors = [];
const servers = [];

// Whatever happens, the run ends well under two minutes.
const watchdog = setTimeout(() => {
  report(`not ok - the run took longer than ${TOTAL_MS / 1000} s`);
  process.exit(1);
}, TOTAL_MS);

function report(line) {
  console.error(line);
  if (consoleErrors.length) console.error("browser console errors:\n  " + consoleErrors.join("\n  "));
  if (external.length) console.error("blocked external requests:\n  " + external.join("\n  "));
  if (background.length) console.error("blocked at the proxy:\n  " + background.join("\n  "));
}

async function fail(what, error) {
  report(`not ok - ${what}: ${error && error.message ? error.message : error}`);
  if (current) {
    try {
      const path = join(shots, "failure.png");
      await current.screenshot({ path, fullPage: true, timeout: 10_000 });
      console.error(`screenshot: ${path}`);
    } catch {}
  }
  try {
    await browser?.close();
  } catch {}
  for (const server of servers) server.close();
  process.exit(1);
}

async function step(what, body) {
  try {
    await body();
  } catch (error) {
    await fail(what, error);
  }
  passed += 1;
  console.log(`ok - ${what}`);
}

function listen(handler) {
  const server = createServer(handler);
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server.address().port));
  });
}

function watchContext(context) {
  context.on("request", (request) => {
    const url = request.url();
    if (!isLoopback(url) && !url.startsWith("data:") && !url.startsWith("blob:") && !external.includes(url)) {
      external.push(url);
    }
  });
}

function watch(page) {
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(`[${page.url()}] ${message.text()}`);
  });
  page.on("pageerror", (error) => consoleErrors.push(`[${page.url()}] ${error}`));
}

// The black-hole proxy: records what would have left the machine, sends nothing on.
const proxyPort = await listen((request, response) => {
  background.push(`${request.method} ${request.url.replace(/\?.*/, "?…")}`);
  response.writeHead(403, { "content-type": "text/plain" });
  response.end("blocked by e2e/browser.mjs: no network beyond the loopback");
});
servers[0].on("connect", (request, socket) => {
  background.push(`CONNECT ${request.url}`);
  socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
});

try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    timeout: STEP_MS,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--proxy-server=http://127.0.0.1:${proxyPort}`,
    ],
  });
} catch (error) {
  await fail(`launch Chromium (${process.env.CHROMIUM || "/usr/bin/chromium"})`, error);
}
console.log(`# ${browser.version()} against ${base}`);

// ---------------------------------------------------------------------------
// GraphiQL, served by zhanghao itself
// ---------------------------------------------------------------------------
const graphiql = await browser.newContext({ viewport: { width: 1400, height: 900 } });
await graphiql.route("**/*", (route) => {
  const url = route.request().url();
  if (isLoopback(url) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
  if (!external.includes(url)) external.push(url);
  return route.abort("blockedbyclient");
});
watchContext(graphiql);
const page = await graphiql.newPage();
current = page;
watch(page);

await step("GraphiQL renders at /graphql from same-origin assets only", async () => {
  const response = await page.goto(`${base}/graphql`, { timeout: STEP_MS });
  if (!response || response.status() !== 200) throw new Error(`GET /graphql answered ${response?.status()}`);
  const type = response.headers()["content-type"] || "";
  if (!type.startsWith("text/html")) throw new Error(`GET /graphql with a browser's Accept is ${type}`);
  await page.locator(".graphiql-container").waitFor({ timeout: STEP_MS });
  await page.locator(".graphiql-query-editor .CodeMirror").first().waitFor({ timeout: STEP_MS });
  if (external.length) throw new Error(`tried to load ${external.join(", ")}`);
  const csp = consoleErrors.filter((line) => /content security policy/i.test(line));
  if (csp.length) throw new Error(`Content-Security-Policy violations: ${csp.join("; ")}`);
});

await step("the Documentation Explorer lists Query with me and users (introspection works)", async () => {
  await page.locator('[aria-label="Show Documentation Explorer"]').click({ timeout: STEP_MS });
  const docs = page.locator(".graphiql-doc-explorer");
  await docs.waitFor({ timeout: STEP_MS });
  await docs.getByText("Query", { exact: true }).first().click({ timeout: STEP_MS });
  await docs.locator(".graphiql-doc-explorer-title", { hasText: "Query" }).waitFor({ timeout: STEP_MS });
  await docs.getByText("me", { exact: true }).first().waitFor({ timeout: STEP_MS });
  await docs.getByText("users", { exact: true }).first().waitFor({ timeout: STEP_MS });
  await page.screenshot({ path: join(shots, "graphiql-docs.png") });
});

await step("{ me { id } } with a bearer typed into the Headers pane shows the user's id", async () => {
  await page.locator(".graphiql-query-editor .CodeMirror").first().click({ timeout: STEP_MS });
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText("{ me { id } }");
  await page.locator(".graphiql-editor-tools").getByText("Headers", { exact: true }).click({ timeout: STEP_MS });
  await page.locator(".graphiql-editor-tool .CodeMirror:visible").first().click({ timeout: STEP_MS });
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(`{"Authorization": "Bearer ${token}"}`);
  await page.getByRole("button", { name: /execute query/i }).click({ timeout: STEP_MS });
  const want = JSON.stringify({ data: { me: { id: userId } } });
  try {
    await page.waitForFunction(
      (want) => {
        const code = document.querySelector(".graphiql-response .CodeMirror-code");
        return code && code.textContent.replace(/[\s\u200b]/g, "") === want;
      },
      want,
      { timeout: STEP_MS }
    );
  } catch (error) {
    const shown = await page.locator(".graphiql-response").innerText().catch(() => "?");
    throw new Error(`the results pane never showed ${want}; it shows: ${shown.replace(/\s+/g, " ")}`);
  }
  await page.screenshot({ path: join(shots, "graphiql-me.png") });
});

await step("the bearer typed into the Headers pane is not kept in localStorage", async () => {
  // GraphiQL writes its tab state and the run's history entry shortly after
  // a run: wait for the history entry (it once held the headers), then look.
  await page.waitForFunction(() => localStorage.getItem("graphiql:queries") !== null, null, { timeout: STEP_MS });
  await page.waitForTimeout(500);
  const stored = await page.evaluate(() =>
    Object.keys(localStorage).map((key) => [key, localStorage.getItem(key) || ""])
  );
  if (stored.length === 0) throw new Error("GraphiQL stored nothing at all: is this still GraphiQL?");
  const leaks = stored.filter(([, value]) => value.includes(token)).map(([key]) => key);
  if (leaks.length) throw new Error(`the access token is in localStorage under ${leaks.join(", ")}`);
});

// ---------------------------------------------------------------------------
// The REST docs (Redoc over /openapi.json), served by zhanghao itself
// ---------------------------------------------------------------------------
await step("the REST docs render at /docs from same-origin assets only", async () => {
  const docs = await graphiql.newPage();
  current = docs;
  watch(docs);
  const response = await docs.goto(`${base}/docs`, { timeout: STEP_MS });
  if (!response || response.status() !== 200) throw new Error(`GET /docs answered ${response?.status()}`);
  const type = response.headers()["content-type"] || "";
  if (!type.startsWith("text/html")) throw new Error(`GET /docs is ${type}`);
  // The title and an operation come from /openapi.json: it was fetched and rendered.
  await docs.locator("h1", { hasText: "zhanghao REST compatibility layer" }).waitFor({ timeout: STEP_MS });
  await docs.locator("h2", { hasText: "Send an SMS code" }).first().waitFor({ timeout: STEP_MS });
  await docs.locator("h2", { hasText: "Rotate a refresh token" }).first().waitFor({ timeout: STEP_MS });
  if (external.length) throw new Error(`tried to load ${external.join(", ")}`);
  const csp = consoleErrors.filter((line) => /content security policy/i.test(line));
  if (csp.length) throw new Error(`Content-Security-Policy violations: ${csp.join("; ")}`);
  const own = consoleErrors.filter((line) => line.includes("/docs]"));
  if (own.length) throw new Error(`console errors on /docs: ${own.join("; ")}`);
  await docs.screenshot({ path: join(shots, "docs.png") });
  await docs.close();
});

// ---------------------------------------------------------------------------
// A front end on another origin (another loopback port), real CORS preflights
// ---------------------------------------------------------------------------
const otherPort = await listen((request, response) => {
  response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  response.end("<!doctype html><title>another origin</title><p>a front end on another origin</p>");
});
const otherUrl = `http://127.0.0.1:${otherPort}/`;
const crossOrigin = await browser.newContext();
watchContext(crossOrigin);
const front = await crossOrigin.newPage();
current = front;
watch(front);
await front.goto(otherUrl, { timeout: STEP_MS });

await step("another origin POSTs /graphql with a bearer (preflight) and reads X-Request-Id", async () => {
  const answer = await front.evaluate(
    async ({ base, token }) => {
      try {
        const response = await fetch(`${base}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: "{ me { id } }" }),
        });
        return {
          status: response.status,
          body: await response.json(),
          requestId: response.headers.get("x-request-id"),
        };
      } catch (error) {
        return { error: `${error} (a CORS refusal shows up as this TypeError)` };
      }
    },
    { base, token }
  );
  if (answer.error) throw new Error(answer.error);
  if (answer.body?.data?.me?.id !== userId) throw new Error(`expected me.id ${userId}: ${JSON.stringify(answer)}`);
  if (!answer.requestId) throw new Error("X-Request-Id is not readable from JavaScript (Access-Control-Expose-Headers)");
});

await step("another origin signs in, calls me with the new token and refreshes it", async () => {
  const answer = await front.evaluate(
    async ({ base, account, password }) => {
      const gql = async (query, variables, token) => {
        const response = await fetch(`${base}/graphql`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify({ query, variables }),
        });
        return response.json();
      };
      try {
        const login = await gql(
          "mutation($i: LoginInput!) { login(input: $i) { user { id } tokens { accessToken refreshToken } } }",
          { i: { account, password } }
        );
        const tokens = login?.data?.login?.tokens;
        if (!tokens) return { error: `login: ${JSON.stringify(login)}` };
        const me = await gql("{ me { id } }", {}, tokens.accessToken);
        const refreshed = await gql(
          "mutation($t: String!) { refreshToken(refreshToken: $t) { tokens { accessToken } } }",
          { t: tokens.refreshToken }
        );
        const fresh = refreshed?.data?.refreshToken?.tokens?.accessToken;
        const meAgain = fresh ? await gql("{ me { id } }", {}, fresh) : refreshed;
        return { me: me?.data?.me?.id, meAgain: meAgain?.data?.me?.id, refreshed };
      } catch (error) {
        return { error: `${error} (a CORS refusal shows up as this TypeError)` };
      }
    },
    { base, account: process.env.ZHANGHAO_E2E_ACCOUNT || "", password: process.env.ZHANGHAO_E2E_PASSWORD || "" }
  );
  if (answer.error) throw new Error(answer.error);
  if (answer.me !== userId || answer.meAgain !== userId) {
    throw new Error(`expected me.id ${userId} before and after the refresh: ${JSON.stringify(answer)}`);
  }
});

await step("another origin POSTs the legacy /api/sms/send (JSON:API, preflight) and reads its 422", async () => {
  const answer = await front.evaluate(async (base) => {
    try {
      const response = await fetch(`${base}/api/sms/send`, {
        method: "POST",
        headers: { "content-type": "application/vnd.api+json" },
        body: JSON.stringify({ data: { attributes: { mobile: "not-a-mobile", type: "login" } } }),
      });
      return { status: response.status, body: await response.json(), requestId: response.headers.get("x-request-id") };
    } catch (error) {
      return { error: `${error} (a CORS refusal shows up as this TypeError)` };
    }
  }, base);
  if (answer.error) throw new Error(answer.error);
  if (answer.status !== 422 || !Array.isArray(answer.body?.errors)) {
    throw new Error(`expected 422 with an errors array: ${JSON.stringify(answer)}`);
  }
  if (!answer.requestId) throw new Error("X-Request-Id is not readable from JavaScript on a REST path");
});

await step("nothing beyond the loopback was requested", async () => {
  if (external.length) throw new Error(external.join(", "));
});

clearTimeout(watchdog);
if (background.length) {
  const hosts = [...new Set(background.map((line) => line.split(" ")[1].replace(/^https?:\/\//, "").replace(/[/?].*$/, "")))];
  console.log(`# Chromium's own background requests, blocked at the proxy: ${hosts.join(", ")}`);
}
await browser.close();
for (const server of servers) server.close();
console.log(`browser e2e: ${passed} checks passed`);
console.log(`screenshots: ${shots}`);
