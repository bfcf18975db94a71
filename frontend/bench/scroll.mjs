// UI benchmark (not a test): time to show the demo org's inventory and frame times while
// scrolling the whole stock table. Run against a server whose demo org has many rows
// (benchmarks/ui/seed_stock_rows.py), e.g.:
//   node bench/scroll.mjs http://127.0.0.1:8732
import { chromium } from "@playwright/test";

const base = process.argv[2] ?? "http://127.0.0.1:8000";
const browser = await chromium.launch({
  executablePath: process.env.QM_CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu"],
});
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
await page.goto(`${base}/signin`);
await page.getByLabel("Username or email").fill("demo");
await page.getByLabel("Password").fill("quartermaster-demo");
await page.getByRole("button", { name: "Sign in" }).click();
await page.waitForURL(/\/orgs\/[0-9a-f-]{36}/);
const org = /\/orgs\/[0-9a-f-]{36}/.exec(page.url())[0];

const t0 = Date.now();
await page.goto(`${base}${org}/inventory`);
await page.getByTestId("stock-scroll").getByRole("row").first().waitFor();
const loadMs = Date.now() - t0;
const total = await page.getByText(/of \d+ rows/).textContent();

// Scroll top to bottom in 60 steps of one animation frame each; record frame durations.
const frames = await page.evaluate(async () => {
  const el = document.querySelector("[data-testid=stock-scroll]");
  const times = [];
  let last = performance.now();
  const steps = 60;
  for (let i = 1; i <= steps; i++) {
    el.scrollTop = (el.scrollHeight * i) / steps;
    await new Promise((r) => requestAnimationFrame(() => r()));
    const now = performance.now();
    times.push(now - last);
    last = now;
  }
  return { times, rowsInDom: el.querySelectorAll("[role=row]").length };
});
const sorted = [...frames.times].sort((a, b) => a - b);
const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].toFixed(1);
console.log(JSON.stringify({ rows: total, load_ms: loadMs, rows_in_dom: frames.rowsInDom, frame_ms_p50: pct(50), frame_ms_p95: pct(95), frame_ms_max: sorted.at(-1).toFixed(1) }));
await browser.close();
