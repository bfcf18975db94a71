import { expect, test } from "@playwright/test";
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { expectAccessible, nav, pickItem, screenshot, selectByLabel, signIn } from "./helpers";

// The demo org, as a first-time visitor sees it after `make run`: every main page renders,
// passes axe, and is photographed for the user guide. Load times are recorded (not asserted)
// in docs/ui/measurements.json for the README.
test("demo org tour: inventory, plan with what-if, catalogue BOM graph, crafts, market, account", async ({ page }) => {
  // Many forms in one journey, on a 2-core machine shared with other work.
  test.setTimeout(240_000);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const figures: Record<string, number> = {};

  await signIn(page, "demo", "quartermaster-demo");
  await expect(page.getByRole("heading", { name: /Getting started|All set/ })).toBeVisible();
  const orgUrl = page.url();
  await expectAccessible(page);

  // Cold load of the inventory page (fresh navigation, the app's JS from cache-less start).
  let t0 = Date.now();
  await page.goto(`${orgUrl}/inventory`);
  await expect(page.getByRole("table", { name: "Stock" })).toContainText("Agricium");
  figures.inventory_load_ms = Date.now() - t0;
  await expectAccessible(page);
  await screenshot(page, "inventory-demo");
  // Where is item X, from the inventory.
  await page.getByRole("button", { name: "Where is…" }).click();
  await pickItem(page, "where-item", "Agricium");
  await expect(page.getByRole("table", { name: "Where is Agricium" })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "where-is");
  await page.getByRole("dialog").getByRole("button", { name: "Close", exact: true }).last().click();

  // Request a plan for the demo goal and read it.
  await nav(page, "Plans");
  await page.getByLabel("Arm the ArcCorp wing").check({ force: true }); // Blueprint draws its own box over the input
  const delivery = page.locator("#plan-delivery");
  const options = await delivery.locator("option").allTextContents();
  await delivery.selectOption({ label: options.find((o) => o.endsWith("Org Hangar")) ?? "" });
  await page.getByRole("button", { name: "Request plan" }).click();
  await expect(page.getByTestId("plan-status")).toHaveText("done");
  const planUrl = page.url();
  t0 = Date.now();
  await page.goto(planUrl);
  await expect(page.getByTestId("optimality")).toBeVisible();
  figures.plan_load_ms = Date.now() - t0;
  await expectAccessible(page);

  // What-if: the same plan with a smaller ship.
  await page.locator("#wi-kind").selectOption({ label: "Smaller ship" });
  await page.getByLabel("Ship capacity (SCU)").fill("4");
  await page.getByLabel("Variant name").fill("Mustang only");
  await page.getByRole("button", { name: "Run variant" }).click();
  const compare = page.getByRole("table", { name: "What-if comparison" });
  await expect(compare).toContainText("Mustang only");
  await expect(compare.getByRole("row").filter({ hasText: "Mustang only" }).getByTestId("plan-status")).toHaveText("done", { timeout: 60_000 });
  // Closing the ARC-L1 refinery storage (the Hephaestanite ore for the crafted rifles) costs more.
  await page.locator("#wi-kind").selectOption({ label: "Closed location" });
  await selectByLabel(page, "wi-location", /Refinery Storage$/);
  await page.getByLabel("Variant name").fill("ARC-L1 storage closed");
  await page.getByRole("button", { name: "Run variant" }).click();
  const closed = compare.getByRole("row").filter({ hasText: "ARC-L1 storage closed" });
  await expect(closed.getByTestId("plan-status")).toHaveText("done", { timeout: 60_000 });
  await expect(closed.getByRole("cell").nth(3)).toContainText("+");
  await screenshot(page, "plan-demo");
  await compare.scrollIntoViewIfNeeded();
  await screenshot(page, "whatif");
  await expectAccessible(page);

  await nav(page, "Catalogue");
  await page.locator("#bp-choose").selectOption({ label: "P4-AR Rifle (craft)" }).catch(async () => {
    const labels = await page.locator("#bp-choose option").allTextContents();
    await page.locator("#bp-choose").selectOption({ label: labels.find((l) => l.includes("(craft)")) ?? labels[0] ?? "" });
  });
  await expect(page.getByRole("figure", { name: "Bill of materials graph" }).locator(".react-flow__node").first()).toBeVisible();
  await screenshot(page, "bom");
  await expectAccessible(page);

  for (const section of ["Goals", "Crafts", "Market", "History", "Members", "Locations & ships"]) {
    await nav(page, section);
    await expect(page.getByRole("heading", { level: 2 })).toBeVisible();
    await expect(page.locator("[aria-busy=true]")).toHaveCount(0);
    await expectAccessible(page);
    if (section === "Goals") await screenshot(page, "goals");
    if (section === "Market") {
      await page.getByRole("button", { name: /^Edit listing of / }).first().click();
      await expect(page.getByRole("dialog", { name: "Edit listing" })).toBeVisible();
      await expectAccessible(page);
      await page.getByRole("button", { name: "Cancel" }).click();
    }
    if (section === "Crafts") {
      await page.getByRole("button", { name: "Plan a craft" }).click();
      await expectAccessible(page);
      await page.getByRole("button", { name: "Cancel" }).click();
    }
    if (section === "Locations & ships") await screenshot(page, "places");
  }
  // Export the stock, check the same file back in: every row unchanged, ready to import.
  await nav(page, "Import & export");
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export stock" }).click();
  const file = await (await download).path();
  await page.locator("#imp-kind").selectOption("stock");
  await page.locator("#imp-file").setInputFiles({ name: "stock.csv", mimeType: "text/csv", buffer: readFileSync(file) });
  await page.getByRole("button", { name: "Check file" }).click();
  const report = page.getByRole("region", { name: "Import report" });
  await expect(report).toContainText("Ready to import");
  await expect(report).toContainText("0 to create, 0 to update");
  await expectAccessible(page);
  await screenshot(page, "import");

  await page.goto("/account");
  await expect(page.getByRole("heading", { name: "Account", exact: true })).toBeVisible();
  await expectAccessible(page);

  // Scrolling: the virtualised stock table keeps the DOM small whatever the row count.
  await page.goto(`${orgUrl}/inventory`);
  await expect(page.getByRole("table", { name: "Stock" })).toContainText("Agricium");
  figures.stock_rows_in_dom = await page.getByRole("table", { name: "Stock" }).getByRole("row").count();

  writeFileSync(resolve(import.meta.dirname, "..", "..", "docs", "ui", "measurements.json"), JSON.stringify(figures, null, 2) + "\n");
  expect(errors).toEqual([]);
});
