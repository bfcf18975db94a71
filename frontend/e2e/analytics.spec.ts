import { expect, test } from "@playwright/test";
import { createOrg, expectAccessible, nav, register, screenshot, uniqueName } from "./helpers";

// Analytics with consent: nothing is recorded until the user says yes on the Account page;
// then the org's admin dashboard counts their usage; withdrawing deletes those events.
test("consent → usage → admin dashboard → withdraw", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await register(page, uniqueName("qm"));
  const orgId = await createOrg(page, uniqueName("Counters "));

  await page.goto("/account");
  const consent = page.getByRole("checkbox", { name: "Record my usage" });
  await expect(consent).not.toBeChecked();
  await expect(page.getByTestId("consent-since")).toHaveText(/Never given|Withdrawn/);
  await consent.click({ force: true });
  await expect(consent).toBeChecked();
  await expect(page.getByTestId("consent-since")).toHaveText(/^Given /);

  // Some use of the org, recorded now that consent is given.
  await page.goto(`/orgs/${orgId}`);
  await nav(page, "Inventory");
  await nav(page, "Goals");
  await nav(page, "Analytics");
  await expect(page.getByRole("heading", { name: "Analytics" })).toBeVisible();
  await expect(page.getByRole("table", { name: "Goal completion" })).toBeVisible();
  const usage = page.getByRole("table", { name: "Usage by kind" });
  await expect(usage).toBeVisible();
  await expect(usage.getByRole("row").first()).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "analytics");

  await page.goto("/account");
  await consent.click({ force: true });
  const dialog = page.getByRole("dialog", { name: "Stop recording my usage?" });
  await dialog.getByRole("button", { name: "Stop and delete my events" }).click();
  await expect(consent).not.toBeChecked();
  await expect(page.getByText(/recorded events deleted/)).toBeVisible();
  await page.reload();
  await expect(page.getByRole("checkbox", { name: "Record my usage" })).not.toBeChecked();
  expect(errors).toEqual([]);
});
