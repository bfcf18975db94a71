// UI benchmark (not a test): JavaScript a cold visit of each page loads, gzip-compressed
// (level 9, as nginx's gzip_static would serve it), summed over every /assets/*.js the page
// requested. Run against a server with the demo org and a current `vite build`, e.g.:
//   node bench/js-per-route.mjs http://127.0.0.1:8732
import { chromium } from "@playwright/test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const base = process.argv[2] ?? "http://127.0.0.1:8000";
const dist = join(import.meta.dirname, "..", "dist");
const routes = ["inventory", "plans", "catalogue", "history", "crafts", "market", "members", "transfer"];
const browser = await chromium.launch({
  executablePath: process.env.QM_CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu"],
});

async function signedInPage() {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/signin`);
  await page.getByLabel("Username or email").fill("demo");
  await page.getByLabel("Password").fill("quartermaster-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/orgs\/[0-9a-f-]{36}/);
  return { context, org: /\/orgs\/[0-9a-f-]{36}/.exec(page.url())[0] };
}

const out = {};
for (const route of routes) {
  const { context, org } = await signedInPage();
  // A cold load of the route itself: fresh context, storage (the tokens) carried over.
  const state = await context.storageState();
  await context.close();
  const cold = await browser.newContext({ viewport: { width: 1440, height: 900 }, storageState: state });
  const coldPage = await cold.newPage();
  const scripts = new Set();
  coldPage.on("request", (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith("/assets/") && path.endsWith(".js")) scripts.add(path);
  });
  await coldPage.goto(`${base}${org}/${route}`, { waitUntil: "networkidle" });
  let bytes = 0;
  for (const path of scripts) bytes += gzipSync(readFileSync(join(dist, path)), { level: 9 }).length;
  out[route] = { chunks: scripts.size, gzip_kB: Math.round(bytes / 1024) };
  await cold.close();
}
console.log(JSON.stringify(out, null, 2));
await browser.close();
