import { expect, test } from "@playwright/test";
import { createOrg, expectAccessible, PASSWORD, register, screenshot, uniqueName } from "./helpers";

// The notification centre: a stock watch set through the API fires (the org already holds
// less than the threshold), the bell counts it, the inbox opens it and marks it read, and a
// preference switched off stays off.
test("stock watch → bell count → inbox → mark read → preference", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const username = uniqueName("qm");
  await register(page, username);
  const orgId = await createOrg(page, uniqueName("Watchers "));

  const login = await page.request.post("/api/v1/auth/token", { form: { username, password: PASSWORD } });
  expect(login.ok()).toBeTruthy();
  const headers = { Authorization: `Bearer ${(await login.json()).access_token}` };
  const items = await (await page.request.get(`/api/v1/orgs/${orgId}/items`, { headers, params: { match: "Quantanium" } })).json();
  const stations = await (await page.request.get("/api/v1/universe/locations", { headers, params: { kind: "station", limit: 1 } })).json();
  const item = items.items[0].id as string;
  const station = stations.items[0].id as string;
  const add = await page.request.post(`/api/v1/orgs/${orgId}/stock/adjust`, { headers, data: { item_id: item, location_id: station, delta: "10" } });
  expect(add.ok()).toBeTruthy();
  const watch = await page.request.post(`/api/v1/orgs/${orgId}/stock-watches`, { headers, data: { item_id: item, threshold: 50 } });
  expect(watch.status()).toBe(201);

  await page.reload();
  await expect(page.getByTestId("unread-count")).toHaveText("1");
  await page.getByRole("button", { name: "Notifications, 1 unread" }).click();
  await expect(page).toHaveURL(/\/notifications$/);
  const inbox = page.getByRole("table", { name: "Notifications" });
  await expect(inbox).toContainText("Quantanium is low: 10 left, below 50");
  await expect(inbox.getByRole("link", { name: "Open" })).toHaveAttribute("href", `/orgs/${orgId}/inventory`);
  await expectAccessible(page);
  await screenshot(page, "notifications");
  await inbox.getByRole("button", { name: /^Mark read/ }).click();
  await expect(page.getByTestId("unread-count")).toHaveCount(0);

  const label = "A watched item's stock fell below its threshold";
  const lowStock = page.getByRole("checkbox", { name: `${label} in the app` });
  const lowStockMail = page.getByRole("checkbox", { name: `${label} by email` });
  await expect(lowStock).toBeChecked();
  await expect(lowStockMail).not.toBeChecked();
  // The embedded server sends no email: the page says so, the choice is still kept.
  await expect(page.getByText("This server sends no email")).toBeVisible();
  await lowStock.click({ force: true });
  await lowStockMail.click({ force: true });
  await expect(lowStock).not.toBeChecked();
  await page.reload();
  await expect(page.getByRole("checkbox", { name: `${label} in the app` })).not.toBeChecked();
  await expect(page.getByRole("checkbox", { name: `${label} by email` })).toBeChecked();
  expect(errors).toEqual([]);
});
