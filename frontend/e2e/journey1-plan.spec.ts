import { expect, test } from "@playwright/test";
import { createOrg, expectAccessible, nav, pickItem, register, screenshot, selectByLabel, uniqueName } from "./helpers";

// Journey 1: a new quartermaster, from nothing to a plan applied and its craft completed.
test("register → org → hangar + ship → stock → goal → plan live → apply → craft → stock and history", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));

  const username = uniqueName("qm");
  await register(page, username);
  await expectAccessible(page);
  await createOrg(page, uniqueName("Journey Org "));
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

  // Apply: refining is continuous (a fractional number of runs), so it becomes a refinery
  // job with its ore reserved for the plan, not a whole-run craft.
  await page.getByRole("button", { name: "Apply plan" }).click();
  await expect(page.getByText("Plan applied", { exact: true }).first()).toBeVisible();
  await expect(page.getByText("0 craft(s) planned")).toBeVisible();
  const jobs = page.getByRole("list", { name: "Refinery jobs" });
  await expect(jobs).toContainText(/refinery: [\d.,]+ run\(s\) of Refine Gold .* → 40 SCU Gold/);
  const applyText = (await page.getByText(/reserved [\d.,]+ SCU/).first().textContent()) ?? "";
  const oreReserved = /reserved ([\d.,]+) SCU/.exec(applyText)?.[1];
  expect(oreReserved, applyText).toBeTruthy();
  await expectAccessible(page);
  await nav(page, "Inventory");
  const stock = page.getByRole("table", { name: "Stock" });
  const oreRow = stock.getByRole("row").filter({ has: page.getByRole("cell", { name: "Gold (Ore)", exact: true }) });
  await expect(oreRow).toContainText("100 SCU");
  await expect(oreRow).toContainText(`${oreReserved} SCU`);

  // A whole-run craft: the org's own blueprint (through the API here; journey 4 uses the
  // blueprint form), 5 SCU of gold ore per ore pod, and a goal of 2 pods.
  const orgId = /\/orgs\/([0-9a-f-]{36})/.exec(page.url())?.[1] ?? "";
  const token = await page.evaluate(() => (JSON.parse(localStorage.getItem("qm.session") ?? "{}") as { accessToken?: string }).accessToken);
  const auth = { Authorization: `Bearer ${token}` };
  const itemId = async (name: string): Promise<string> => {
    const res = await page.request.get(`/api/v1/orgs/${orgId}/items`, { headers: auth, params: { q: name, limit: 50 } });
    expect(res.ok(), await res.text()).toBe(true);
    const found = ((await res.json()) as { items: { id: string; name: string }[] }).items.find((i) => i.name === name);
    expect(found, name).toBeTruthy();
    return found?.id ?? "";
  };
  const created = await page.request.post(`/api/v1/orgs/${orgId}/blueprints`, {
    headers: auth,
    data: {
      name: "Pod from ore",
      kind: "craft",
      output_item_id: await itemId("MISC Ore Pod"),
      output_quantity: 1,
      minutes: 2,
      ingredients: [{ item_id: await itemId("Gold (Ore)"), quantity: 5 }],
    },
  });
  expect(created.ok(), await created.text()).toBe(true);

  await nav(page, "Goals");
  await page.getByRole("button", { name: "New goal" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Pods for the op");
  await pickItem(page, "goal-t0-item", "MISC Ore Pod");
  await page.locator("#goal-t0-qty").fill("2");
  await page.getByRole("button", { name: "Save goal" }).click();
  const podGoal = page.locator("[aria-label='Goal Pods for the op']");
  await expect(podGoal).toContainText("/ 2");
  await podGoal.getByRole("link", { name: "Plan this goal" }).click();
  await expect(page.getByLabel("Pods for the op")).toBeChecked();
  await selectByLabel(page, "plan-delivery", /Main Hangar$/);
  await page.getByRole("button", { name: "Request plan" }).click();
  await expect(page).toHaveURL(/\/plans\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("plan-status")).toHaveText("done");
  await expect(page.locator("[aria-label='Demand MISC Ore Pod']")).toContainText("Pod from ore");

  // Apply: one craft of 2 whole runs is planned.
  await page.getByRole("button", { name: "Apply plan" }).click();
  await expect(page.getByText("Plan applied", { exact: true }).first()).toBeVisible();
  await page.getByRole("link", { name: "Go to the crafts board" }).click();
  const planned = page.getByRole("region", { name: "Planned" });
  await expect(planned.locator(".qm-craft")).toHaveCount(1);
  await expect(planned.locator(".qm-craft")).toContainText("0/2 runs");
  // The first plan's refining is on the board too, as a refinery job (fractional runs).
  await expect(page.getByRole("table", { name: "Refinery jobs" })).toContainText(/Refine Gold/);
  await expectAccessible(page);

  // Assign it to me: my queue shows it, with the time it takes.
  await planned.getByRole("combobox", { name: /^Crafter of / }).selectOption({ label: username });
  await expect(page.locator(".bp6-toast").filter({ hasText: "Crafter assigned" })).toBeVisible();
  await page.getByText("My queue").click();
  await expect(planned.locator(".qm-craft")).toHaveCount(1);
  await expect(planned.locator(".qm-craft")).toContainText("min once started");
  await page.getByText("My queue").click();

  // Start (reserves the ore), then complete (consumes it, adds the pods).
  await planned.getByRole("button", { name: "Start" }).click();
  const running = page.getByRole("region", { name: "In progress" });
  await expect(running.locator(".qm-craft")).toHaveCount(1);
  await expect(running).toContainText("reserved");
  await running.getByRole("button", { name: "Complete" }).click();
  await expect(page.getByRole("region", { name: "Completed" }).locator(".qm-craft")).toHaveCount(1);

  // Stock and history show exactly what the plan said: 2 pods in, 10 SCU of ore out.
  await nav(page, "Inventory");
  await page.getByLabel("Search stock by item name or alias").fill("pod");
  const rows = page.getByRole("table", { name: "Stock" }).getByRole("row");
  const pods = rows.filter({ has: page.getByRole("cell", { name: "MISC Ore Pod", exact: true }) });
  await expect(pods).toContainText("2");
  await page.getByLabel("Search stock by item name or alias").fill("gold");
  await expect(oreRow).toContainText("90 SCU");
  await screenshot(page, "inventory");
  await nav(page, "History");
  const ledger = page.getByRole("table", { name: "History ledger" });
  await expect(ledger).toContainText("craft_output");
  await expect(ledger).toContainText("consume");
  await expect(ledger).toContainText("10 SCU");
  await expectAccessible(page);

  // The pod goal counts the crafted pods.
  await nav(page, "Goals");
  await expect(page.locator("[aria-label='Goal Pods for the op']")).toContainText(/completed|100 ?%/);
  expect(errors).toEqual([]);
});
