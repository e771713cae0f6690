// Headless-Chromium check of the operators' console at /admin/ (issue 15),
// driven by tests/it/admin_console.rs, which starts the server and passes:
//   ZHANGHAO_URL                      e.g. http://127.0.0.1:40123
//   ZHANGHAO_E2E_ADMIN, ZHANGHAO_E2E_ADMIN_PASSWORD   an ADMIN's username and password
//   ZHANGHAO_E2E_TARGET_TOKEN         an access token of the user to disable
//   ZHANGHAO_E2E_TARGET_ID            that user's id; their mobile is 13800138000
//   ZHANGHAO_E2E_SCREENSHOTS          where the screenshots go
//   CHROMIUM                          the browser (default /usr/bin/chromium)
// As in browser.mjs, nothing may leave the loopback: the proxy is a black hole
// and any page request to another host fails the run.
import { chromium } from "playwright-core";
import { createServer } from "node:http";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const base = (process.env.ZHANGHAO_URL || "").replace(/\/+$/, "");
const admin = process.env.ZHANGHAO_E2E_ADMIN;
const password = process.env.ZHANGHAO_E2E_ADMIN_PASSWORD;
const targetToken = process.env.ZHANGHAO_E2E_TARGET_TOKEN;
const targetId = process.env.ZHANGHAO_E2E_TARGET_ID;
const shots = process.env.ZHANGHAO_E2E_SCREENSHOTS || "target/e2e-screenshots";
if (!base || !admin || !password || !targetToken || !targetId) {
  console.error("ZHANGHAO_URL, ZHANGHAO_E2E_ADMIN(_PASSWORD) and ZHANGHAO_E2E_TARGET_TOKEN/_ID are required");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const STEP_MS = 20_000;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const external = [];
const consoleErrors = [];
let browser;
let current;
let passed = 0;

const watchdog = setTimeout(() => {
  console.error("not ok - the run took longer than 100 s");
  process.exit(1);
}, 100_000);

async function step(what, body) {
  try {
    await body();
  } catch (error) {
    console.error(`not ok - ${what}: ${error && error.message ? error.message : error}`);
    if (consoleErrors.length) console.error("browser console errors:\n  " + consoleErrors.join("\n  "));
    if (current) {
      const path = join(shots, "admin-failure.png");
      await current.screenshot({ path, fullPage: true, timeout: 10_000 }).catch(() => {});
      console.error(`screenshot: ${path}`);
    }
    await browser?.close().catch(() => {});
    process.exit(1);
  }
  passed += 1;
  console.log(`ok - ${what}`);
}

const proxy = createServer((request, response) => {
  response.writeHead(403);
  response.end("blocked: no network beyond the loopback");
});
proxy.on("connect", (_, socket) => socket.end("HTTP/1.1 403 Forbidden\r\n\r\n"));
await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));

browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  timeout: STEP_MS,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--proxy-server=http://127.0.0.1:${proxy.address().port}`,
  ],
});

async function open(locale) {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  context.on("request", (request) => {
    const url = request.url();
    let host = "";
    try {
      host = new URL(url).hostname;
    } catch {}
    if (!LOOPBACK.has(host) && !url.startsWith("data:") && !external.includes(url)) external.push(url);
  });
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(String(error)));
  current = page;
  return page;
}

const page = await open("zh-CN");
await step("GET /admin/ serves the console in Chinese under default-src 'self'", async () => {
  const response = await page.goto(`${base}/admin/`, { timeout: STEP_MS });
  if (response?.status() !== 200) throw new Error(`GET /admin/ answered ${response?.status()}`);
  const csp = response.headers()["content-security-policy"] || "";
  if (!csp.includes("default-src 'self'") || /unsafe-inline/.test(csp)) throw new Error(`CSP: ${csp}`);
  await page.getByRole("heading", { name: "管理员登录" }).waitFor({ timeout: STEP_MS });
  if ((await page.locator("html").getAttribute("lang")) !== "zh-CN") throw new Error("html lang is not zh-CN");
});

await step("sign in with the keyboard: labelled inputs, visible focus, Enter submits", async () => {
  await page.getByLabel("账号").focus();
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  if (outline === "none") throw new Error("the focused input shows no outline");
  await page.keyboard.type(admin);
  await page.keyboard.press("Tab");
  const focused = await page.evaluate(() => document.activeElement.id);
  if (focused !== "password") throw new Error(`Tab went to #${focused}, not the password`);
  await page.keyboard.type(password);
  await page.keyboard.press("Enter");
  await page.locator("#who-name", { hasText: admin }).waitFor({ timeout: STEP_MS });
  const stored = await page.evaluate(() => Boolean(sessionStorage.getItem("zhanghao.admin")));
  if (!stored) throw new Error("no tokens in sessionStorage");
});

await step("find the user by a mobile spelled +86 138 0013 8000 and open them", async () => {
  await page.getByLabel(/搜索/).fill("+86 138 0013 8000");
  await page.getByLabel(/搜索/).press("Enter");
  const rows = page.locator("#user-table tbody tr");
  await page.locator("#user-count", { hasText: "共 1 个用户" }).waitFor({ timeout: STEP_MS });
  await rows.first().getByText("13800138000").waitFor({ timeout: STEP_MS });
  await rows.first().getByRole("button", { name: `查看 ${targetId}` }).click();
  await page.locator("#detail").waitFor({ state: "visible", timeout: STEP_MS });
  await page.locator("#session-table tbody tr").first().waitFor({ timeout: STEP_MS });
});

await step("disable them with a reason: the console says so and shows 已停用", async () => {
  await page.getByLabel("停用原因").fill("发布垃圾广告");
  await page.getByRole("button", { name: "停用", exact: true }).click();
  await page.locator("#notice", { hasText: `已停用用户 ${targetId}` }).waitFor({ timeout: STEP_MS });
  await page.locator("#profile .badge.off", { hasText: "已停用" }).waitFor({ timeout: STEP_MS });
  await page.locator("#profile dd", { hasText: "发布垃圾广告" }).waitFor({ timeout: STEP_MS });
  await page.getByRole("button", { name: "启用", exact: true }).waitFor({ timeout: STEP_MS });
  await page.screenshot({ path: join(shots, "admin-user.png"), fullPage: true });
});

await step("the user's own token is refused at once", async () => {
  const answer = await page.evaluate(async (token) => {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: "{ me { id } }" }),
    });
    return response.json();
  }, targetToken);
  const code = answer.errors?.[0]?.extensions?.code;
  if (code !== "UNAUTHENTICATED") throw new Error(`expected UNAUTHENTICATED: ${JSON.stringify(answer)}`);
});

await step("a stale access token is refreshed and the call goes through", async () => {
  // As if the access token had expired: the console must refresh (rotating
  // the refresh token) and retry, not sign the operator out.
  const before = await page.evaluate(() => {
    const tokens = JSON.parse(sessionStorage.getItem("zhanghao.admin"));
    const refreshToken = tokens.refreshToken;
    tokens.accessToken = "not-a-token";
    sessionStorage.setItem("zhanghao.admin", JSON.stringify(tokens));
    return refreshToken;
  });
  await page.getByRole("button", { name: "审计日志" }).click();
  await page.locator("#audit-table tbody tr", { hasText: "user.disabled" }).first().waitFor({ timeout: STEP_MS });
  const after = await page.evaluate(() => JSON.parse(sessionStorage.getItem("zhanghao.admin")));
  if (after.accessToken === "not-a-token" || after.refreshToken === before) {
    throw new Error("the console did not refresh its tokens");
  }
  await page.getByRole("button", { name: "用户", exact: true }).click();
});

await step("the audit log shows the disable, with its reason", async () => {
  await page.getByRole("button", { name: "审计日志" }).click();
  const row = page.locator("#audit-table tbody tr", { hasText: "user.disabled" }).first();
  await row.waitFor({ timeout: STEP_MS });
  await row.getByText("发布垃圾广告").waitFor({ timeout: STEP_MS });
  await row.getByText(`用户 ${targetId}`).waitFor({ timeout: STEP_MS });
  await page.getByLabel("操作").selectOption("user.disabled");
  await page.locator("#audit-form").getByRole("button", { name: "查找" }).click();
  await page.locator("#audit-table tbody tr", { hasText: "user.role_changed" }).waitFor({ state: "detached", timeout: STEP_MS });
  await page.screenshot({ path: join(shots, "admin-audit.png"), fullPage: true });
});

await step("an English browser gets the console in English", async () => {
  const english = await open("en-US");
  await english.goto(`${base}/admin/`, { timeout: STEP_MS });
  await english.getByRole("heading", { name: "Administrator sign-in" }).waitFor({ timeout: STEP_MS });
  await english.getByLabel("Password").waitFor({ timeout: STEP_MS });
});

await step("no CSP violation, no script error, nothing beyond the loopback", async () => {
  if (consoleErrors.length) throw new Error(consoleErrors.join("; "));
  if (external.length) throw new Error(external.join(", "));
});

clearTimeout(watchdog);
await browser.close();
proxy.close();
console.log(`admin console e2e: ${passed} checks passed`);
console.log(`screenshots: ${join(shots, "admin-user.png")} ${join(shots, "admin-audit.png")}`);
