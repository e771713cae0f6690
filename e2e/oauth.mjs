// Browser sign-in in headless Chromium, driven by tests/it/third_party/web_browser.rs,
// which serves a single-page app (ZHANGHAO_SPA_URL) on one loopback origin, zhanghao
// on another, and the platforms' stand-ins on more. For each platform the page is
// opened at /start; it must end on /signed-in with a #result, which is printed as
// `result <json>` for the Rust side to check. Nothing leaves the loopback: every
// other host goes to a black-hole proxy. A screenshot of each end page is kept.
import { chromium } from "playwright-core";
import { createServer } from "node:http";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const spa = process.env.ZHANGHAO_SPA_URL;
const shots = process.env.ZHANGHAO_E2E_SCREENSHOTS || "target/e2e-screenshots";
mkdirSync(shots, { recursive: true });
const watchdog = setTimeout(() => {
  console.error("not ok - the run took longer than 80 s");
  process.exit(1);
}, 80_000);

const proxy = createServer((request, response) => {
  console.error(`blocked: ${request.method} ${request.url}`);
  response.writeHead(403).end();
});
await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", `--proxy-server=http://127.0.0.1:${proxy.address().port}`],
});
let failed = false;
try {
  for (const [platform, who] of [["WX_WEB", "carol"], ["APPLE", "frank"]]) {
    const page = await (await browser.newContext()).newPage();
    const errors = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    await page.goto(`${spa}/start?platform=${platform}&as=${who}`);
    try {
      await page.waitForSelector("#result", { timeout: 20_000 });
    } catch (error) {
      failed = true;
      console.error(`not ok - ${platform}: no result on ${page.url()}: ${await page.content()} ${errors.join("; ")}`);
      await page.screenshot({ path: join(shots, `oauth-${platform}-failure.png`) });
      continue;
    }
    if (!page.url().startsWith(`${spa}/signed-in?`)) {
      failed = true;
      console.error(`not ok - ${platform} ended on ${page.url()}`);
    }
    await page.screenshot({ path: join(shots, `oauth-${platform}.png`) });
    console.log(`result ${await page.textContent("#result")}`);
    console.log(`ok - ${platform}`);
  }
} finally {
  await browser.close();
  proxy.close();
  clearTimeout(watchdog);
}
process.exit(failed ? 1 : 0);
