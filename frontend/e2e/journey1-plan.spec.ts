import { expect, test } from "@playwright/test";
import { createOrg, expectAccessible, nav, pickItem, register, screenshot, selectByLabel, uniqueName } from "./helpers";

// Journey 1: a new quartermaster, from nothing to a plan applied and its craft completed.
test("register → org → hangar + ship → stock → goal → plan live → apply → craft → stock and history", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));

  const username = uniqueName("qm");
  await register(page, username);
  await expectAccessible(page);
  await createOrg(page, "Journey Org");
  await expectAccessible(page);

  // A station hangar and a ship.
  await page.getByRole("link", { name: "Add a location or a ship" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Main Hangar");
  await selectByLabel(page, "loc-parent", /Area ?18$/);
  await page.getByRole("button", { name: "Add location" }).click();
  await expect(page.getByRole("table", { name: "Org locations" })).toContainText("Main Hangar");
  await page.getByLabel("Ship name").fill("Hauler One");
  await selectByLabel(page, "ship-type", /^Freelancer MAX/);
  await selectByLabel(page, "ship-at", /Main Hangar$/);
  await page.getByRole("button", { name: "Add ship" }).click();
  await expect(page.getByRole("table", { name: "Ships" })).toContainText("Hauler One");
  await expectAccessible(page);

  // Stock: 100 SCU of gold ore in the hangar.
  await nav(page, "Inventory");
  await page.getByRole("button", { name: "Adjust stock" }).first().click();
  await pickItem(page, "adj-item", "Gold (Ore)");
  await selectByLabel(page, "adj-location", /Main Hangar$/);
  await page.getByLabel("Change (+ adds, − removes)").fill("100");
  await page.getByRole("button", { name: "Save" }).click();
  const table = page.getByRole("table", { name: "Stock" });
  await expect(table).toContainText("Gold (Ore)");
  await expect(table).toContainText("100 SCU");
  await expectAccessible(page);

  // A goal: 40 SCU of refined gold.
  await nav(page, "Goals");
  await page.getByRole("button", { name: "New goal" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Gold for the op");
  await pickItem(page, "goal-t0-item", "Gold");
  await page.locator("#goal-t0-qty").fill("40");
  await page.getByRole("button", { name: "Save goal" }).click();
  await expect(page.getByRole("region", { name: "Goal Gold for the op" }).or(page.locator("[aria-label='Goal Gold for the op']"))).toContainText("0 SCU / 40 SCU");
  await expectAccessible(page);

  // Request a plan for it, delivered to the hangar, and watch it finish live.
  await page.getByRole("link", { name: "Plan this goal" }).click();
  await expect(page.getByLabel("Gold for the op")).toBeChecked();
  await selectByLabel(page, "plan-delivery", /Main Hangar$/);
  await page.getByRole("button", { name: "Request plan" }).click();
  await expect(page).toHaveURL(/\/plans\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("live-state")).toHaveText("live");
  await expect(page.getByTestId("plan-status")).toHaveText("done");
  await expect(page.getByTestId("optimality")).toHaveText("Proven optimal");
  const demand = page.locator("[aria-label='Demand Gold']");
  await expect(demand).toContainText("craft");
  await expect(demand).toContainText("Gold (Ore)");
  await expectAccessible(page);
  await screenshot(page, "plan");

  // Apply: one refining craft is planned.
  await page.getByRole("button", { name: "Apply plan" }).click();
  await expect(page.getByText("Plan applied", { exact: true }).first()).toBeVisible();
  await page.getByRole("link", { name: "Go to the crafts board" }).click();
  const planned = page.getByRole("region", { name: "Planned" });
  await expect(planned.locator(".qm-craft")).toHaveCount(1);
  const out = (await planned.locator(".qm-craft").textContent()) ?? "";
  const produced = /→ ([\d.,]+) SCU Gold/.exec(out)?.[1];
  expect(produced, out).toBeTruthy();
  await expectAccessible(page);

  // Start (reserves the ore), then complete (consumes it, adds the refined gold).
  await planned.getByRole("button", { name: "Start" }).click();
  const running = page.getByRole("region", { name: "In progress" });
  await expect(running.locator(".qm-craft")).toHaveCount(1);
  await expect(running).toContainText("reserved");
  await running.getByRole("button", { name: "Complete" }).click();
  await expect(page.getByRole("region", { name: "Completed" }).locator(".qm-craft")).toHaveCount(1);

  // Stock and history show exactly what the plan said.
  await nav(page, "Inventory");
  await page.getByLabel("Search stock by item name or alias").fill("gold");
  const rows = page.getByRole("table", { name: "Stock" }).getByRole("row");
  const refined = rows.filter({ has: page.getByRole("cell", { name: "Gold", exact: true }) });
  await expect(refined).toContainText(`${produced} SCU`);
  await screenshot(page, "inventory");
  await nav(page, "History");
  const ledger = page.getByRole("table", { name: "History ledger" });
  await expect(ledger).toContainText("craft_output");
  await expect(ledger).toContainText("consume");
  await expect(ledger).toContainText(`${produced} SCU`);
  await expectAccessible(page);

  // The goal counts the crafted gold.
  await nav(page, "Goals");
  await expect(page.locator("[aria-label='Goal Gold for the op']")).toContainText(/completed|100 ?%/);
  expect(errors).toEqual([]);
});
