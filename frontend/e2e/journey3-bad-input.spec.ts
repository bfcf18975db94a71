import { expect, test, type Page } from "@playwright/test";
import { createOrg, expectAccessible, nav, pickItem, register, selectByLabel, uniqueName } from "./helpers";

/** The form group of a labelled control shows the API's message for that field. */
async function expectFieldError(page: Page, controlId: string, message: RegExp): Promise<void> {
  const group = page.locator(".bp6-form-group", { has: page.locator(`#${controlId}`) });
  await expect(group).toHaveClass(/bp6-intent-danger/);
  await expect(group.locator(".bp6-form-helper-text")).toHaveText(message);
}

// Journey 3: bad input in the forms gives a field-level error and changes nothing.
test("bad input lands on the field it concerns and changes nothing", async ({ page }) => {
  // Many forms in one journey, on a 2-core machine shared with other work.
  test.setTimeout(240_000);
  // Register: a short password is refused on the password field.
  await page.goto("/register");
  const username = uniqueName("strict");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Email").fill(`${username}@example.org`);
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  await expectFieldError(page, "reg-password", /at least 10 characters/i);
  await expect(page).toHaveURL(/\/register$/);
  await expectAccessible(page);

  await register(page, username);
  await createOrg(page, "Strict Org");

  // A location without a parent.
  await nav(page, "Locations & ships");
  await page.getByLabel("Name", { exact: true }).fill("Nowhere");
  await page.getByRole("button", { name: "Add location" }).click();
  await expectFieldError(page, "loc-parent", /UUID/i);
  await expect(page.getByText("No org location yet")).toBeVisible();
  await expectAccessible(page);

  // A ship with no type.
  await page.getByLabel("Ship name").fill("Ghost");
  await page.getByRole("button", { name: "Add ship" }).click();
  await expectFieldError(page, "ship-type", /.+/);
  await expect(page.getByText("No ship yet")).toBeVisible();

  // A real location, then stock with a quantity that is not a number, and a quality > 1000.
  await page.getByLabel("Name", { exact: true }).fill("Real Hangar");
  await selectByLabel(page, "loc-parent", /Area ?18$/);
  await page.getByRole("button", { name: "Add location" }).click();
  await expect(page.getByRole("table", { name: "Org locations" })).toContainText("Real Hangar");
  await nav(page, "Inventory");
  await page.getByRole("button", { name: "Adjust stock" }).first().click();
  await pickItem(page, "adj-item", "Iron");
  await selectByLabel(page, "adj-location", /Real Hangar$/);
  await page.getByLabel("Change (+ adds, − removes)").fill("lots");
  await page.getByRole("button", { name: "Save" }).click();
  await expectFieldError(page, "adj-delta", /.+/);
  await page.getByLabel("Change (+ adds, − removes)").fill("5");
  await page.getByLabel("Quality (0–1000)").fill("1200");
  await page.getByRole("button", { name: "Save" }).click();
  await expectFieldError(page, "adj-quality", /1000/);
  await expectAccessible(page);
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByText("No stock yet")).toBeVisible();

  // A goal with a negative quantity.
  await nav(page, "Goals");
  await page.getByRole("button", { name: "New goal" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Impossible");
  await pickItem(page, "goal-t0-item", "Iron");
  await page.locator("#goal-t0-qty").fill("-3");
  await page.getByRole("button", { name: "Save goal" }).click();
  await expectFieldError(page, "goal-t0-qty", /greater than/i);
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByText("No goal yet")).toBeVisible();

  // A plan with no delivery location.
  await nav(page, "Plans");
  await page.getByRole("button", { name: "Add demand" }).click();
  await pickItem(page, "dem-0-item", "Iron");
  await page.locator("#dem-0-qty").fill("2");
  await page.getByRole("button", { name: "Request plan" }).click();
  await expectFieldError(page, "plan-delivery", /UUID/i);
  await expect(page.getByText("No plan yet")).toBeVisible();
  await expectAccessible(page);

  // Stock dialogs. 5 Iron of the org and 3 Gold of mine, shared with the org.
  await nav(page, "Inventory");
  const table = page.getByRole("table", { name: "Stock" });
  const addStock = async (item: string, delta: string, owner: "org" | "me") => {
    await page.getByRole("button", { name: "Adjust stock" }).first().click();
    await pickItem(page, "adj-item", item);
    await selectByLabel(page, "adj-location", /Real Hangar$/);
    await page.getByLabel("Change (+ adds, − removes)").fill(delta);
    await page.locator("#adj-owner").selectOption(owner);
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("dialog")).toHaveCount(0);
  };
  await addStock("Iron", "5", "org");
  await addStock("Gold (Ore)", "3", "me");
  await expect(table).toContainText("Gold (Ore)");
  const ironRow = table.getByRole("row").filter({ hasText: "Iron" });
  const goldRow = table.getByRole("row").filter({ hasText: "Gold (Ore)" });

  // Reserve: not a number lands on the quantity field; more than is available is a 409 toast.
  await page.getByRole("button", { name: "Reserve Iron" }).click();
  await page.getByLabel("Quantity").fill("lots");
  await page.getByRole("button", { name: "Reserve", exact: true }).click();
  await expectFieldError(page, "res-quantity", /.+/);
  await expectAccessible(page);
  await page.getByLabel("Quantity").fill("50");
  await page.getByRole("button", { name: "Reserve", exact: true }).click();
  await expect(page.locator(".bp6-toast").filter({ hasText: "Insufficient stock" })).toBeVisible();
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(ironRow.getByRole("cell").nth(3)).toHaveText("0 SCU");

  // Share my Gold, have the org reserve 1 of it, then withdrawing is refused: still shared.
  await page.getByRole("button", { name: "Share Gold (Ore) with the org" }).click();
  await expectAccessible(page);
  await page.getByRole("button", { name: "Share", exact: true }).click();
  await expect(goldRow).toContainText("(shared)");
  await page.getByRole("button", { name: "Reserve Gold (Ore)" }).click();
  await page.getByLabel("Quantity").fill("1");
  await page.getByRole("button", { name: "Reserve", exact: true }).click();
  await expect(goldRow.getByRole("cell").nth(3)).toHaveText("1 SCU");
  await page.getByRole("button", { name: "Withdraw Gold (Ore) from the org" }).click();
  await expectAccessible(page);
  await page.getByRole("button", { name: "Withdraw", exact: true }).click();
  await expect(page.locator(".bp6-toast").filter({ hasText: /reserved by the organisation/ })).toBeVisible();
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(goldRow).toContainText("(shared)");
  await expect(goldRow.getByRole("cell").nth(3)).toHaveText("1 SCU");

  // Where is: the org's Iron and my shared Gold, by location.
  await page.getByRole("button", { name: "Where is…" }).click();
  await pickItem(page, "where-item", "Gold (Ore)");
  const where = page.getByRole("table", { name: "Where is Gold (Ore)" });
  await expect(where).toContainText("Real Hangar");
  await expect(where).toContainText("members (shared, 1 row)");
  await expectAccessible(page);
  await page.getByRole("dialog").getByRole("button", { name: "Close", exact: true }).last().click();

  // A craft planned by hand without a blueprint, then with fractional runs.
  await nav(page, "Crafts");
  await page.getByRole("button", { name: "Plan a craft" }).click();
  await selectByLabel(page, "craft-location", /Real Hangar$/);
  await page.getByRole("button", { name: "Plan craft" }).click();
  await expectFieldError(page, "craft-blueprint", /UUID/i);
  await expectAccessible(page);
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByText("No craft yet")).toBeVisible();

  // A market listing with a price that is not a number, then a negative one.
  await nav(page, "Market");
  await page.getByRole("button", { name: "Add listing" }).click();
  await pickItem(page, "src-item", "Iron");
  await selectByLabel(page, "src-location", /Area ?18$/);
  await page.getByLabel("Price per unit (aUEC)").fill("cheap");
  await page.getByRole("button", { name: "Save listing" }).click();
  await expectFieldError(page, "src-price", /number/i);
  await page.getByLabel("Price per unit (aUEC)").fill("-5");
  await page.getByRole("button", { name: "Save listing" }).click();
  await expectFieldError(page, "src-price", /greater than or equal/i);
  await expectAccessible(page);
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByText("No listing yet")).toBeVisible();

  // An import naming an item and a place that do not exist: the dry run lists both, the
  // import stays disabled, and the stock is as it was.
  await nav(page, "Import & export");
  await page.locator("#imp-kind").selectOption("stock");
  await page.locator("#imp-file").setInputFiles({
    name: "stock.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("item,location,quality,quantity\nUnobtainium,Nowhere,500,3\n"),
  });
  await page.getByRole("button", { name: "Check file" }).click();
  const rowErrors = page.getByRole("table", { name: "Row errors" });
  await expect(rowErrors).toContainText("Unobtainium");
  await expect(rowErrors).toContainText("Nowhere");
  await expect(page.getByRole("button", { name: "Import", exact: true })).toBeDisabled();
  await expectAccessible(page);
  await nav(page, "Inventory");
  await expect(ironRow.getByRole("cell").nth(2)).toHaveText("5 SCU");
});
