import { expect, test } from "@playwright/test";
import { createOrg, nav, PASSWORD, register, uniqueName } from "./helpers";

// A file over the inline threshold (5,000 rows) runs as a worker job: the page follows its
// progress and shows the report when it is done; the stock is there afterwards.
test("6,000-row stock file → background job → report → stock", async ({ page }) => {
  test.setTimeout(180_000);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const username = uniqueName("qm");
  await register(page, username);
  const orgId = await createOrg(page, uniqueName("Movers "));
  const login = await page.request.post("/api/v1/auth/token", { form: { username, password: PASSWORD } });
  const headers = { Authorization: `Bearer ${(await login.json()).access_token}` };
  const hangar = "Stanton > ArcCorp > Area 18 > Job Hangar";
  const places = await page.request.post(`/api/v1/orgs/${orgId}/imports`, {
    headers,
    params: { kind: "locations", apply: "true" },
    multipart: { file: { name: "locations.csv", mimeType: "text/csv", buffer: Buffer.from(`path,kind\n${hangar},hangar\n`) } },
  });
  expect(places.ok()).toBeTruthy();
  const items = await (await page.request.get(`/api/v1/orgs/${orgId}/items`, { headers, params: { scope: "shared", limit: 100 } })).json();
  const names = (items.items as { name: string }[]).map((i) => i.name);
  expect(names.length).toBeGreaterThan(10);
  const rows: string[] = [];
  for (let quality = 0; rows.length < 6000; quality += 1) for (const name of names) if (rows.length < 6000) rows.push(`"${name}",${hangar},${quality},2`);
  const lines = ["item,location,quality,quantity", ...rows];

  await nav(page, "Import & export");
  await page.locator("#imp-kind").selectOption("stock");
  await page.locator("#imp-file").setInputFiles({ name: "stock.csv", mimeType: "text/csv", buffer: Buffer.from(lines.join("\n") + "\n") });
  await page.getByRole("button", { name: "Check file" }).click();
  // The dry run of a large file is a job too; its report then allows the import.
  await expect(page.getByRole("button", { name: "Import", exact: true })).toBeEnabled({ timeout: 60_000 });
  await page.getByRole("button", { name: "Import", exact: true }).click();
  const report = page.getByRole("region", { name: "Import report" });
  await expect(report.getByRole("heading", { name: "Imported" })).toBeVisible({ timeout: 90_000 });
  await expect(report).toContainText("6000 rows: 6000 to create, 0 to update, 0 unchanged (done)");

  const stock = await (await page.request.get(`/api/v1/orgs/${orgId}/stock`, { headers, params: { limit: 1 } })).json();
  expect(stock.total).toBe(6000);
  expect(errors).toEqual([]);
});
