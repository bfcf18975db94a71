import { expect, test } from "@playwright/test";
import { createOrg, expectAccessible, nav, pickItem, register, selectByLabel, uniqueName } from "./helpers";

// Journey 2: two members in two browsers; one moves stock, the other sees it without reloading.
test("a stock change in one browser shows up live in the other", async ({ browser }) => {
  const owner = await browser.newContext();
  const member = await browser.newContext();
  const a = await owner.newPage();
  const b = await member.newPage();

  const memberName = uniqueName("mate");
  await register(b, memberName);
  await register(a, uniqueName("boss"));
  const orgId = await createOrg(a, "Live Org");

  // A hangar, then the second player joins as a member.
  await nav(a, "Locations & ships");
  await a.getByLabel("Name", { exact: true }).fill("Shared Hangar");
  await selectByLabel(a, "loc-parent", /Area ?18$/);
  await a.getByRole("button", { name: "Add location" }).click();
  await expect(a.getByRole("table", { name: "Org locations" })).toContainText("Shared Hangar");
  await a.getByLabel("Name", { exact: true }).fill("Back Room");
  await selectByLabel(a, "loc-kind", "storage");
  await selectByLabel(a, "loc-parent", /Shared Hangar$/);
  await a.getByRole("button", { name: "Add location" }).click();
  await expect(a.getByRole("table", { name: "Org locations" })).toContainText("Back Room");
  await nav(a, "Members");
  await a.getByLabel("Username").fill(memberName);
  await a.getByRole("button", { name: "Invite member" }).click();
  await expect(a.getByRole("table", { name: "Pending invitations" })).toContainText(memberName);
  // Membership is by invitation: the player accepts it on their organisations page.
  await b.goto("/orgs");
  await expect(b.getByRole("list", { name: "Invitations" })).toContainText("Live Org");
  await b.getByRole("button", { name: "Accept" }).click();
  await expect(b.getByRole("link", { name: "Live Org" })).toBeVisible();
  await a.reload();
  await expect(a.getByRole("table", { name: "Members" })).toContainText(memberName);

  // The member opens the org's (empty) inventory and waits for the live feed.
  await b.goto(`/orgs/${orgId}/inventory`);
  await expect(b.getByText("No stock yet")).toBeVisible();
  await expect(b.getByTestId("live-state")).toHaveText("live");

  // The owner adds stock; the member's table fills in without a reload.
  await nav(a, "Inventory");
  await a.getByRole("button", { name: "Adjust stock" }).first().click();
  await pickItem(a, "adj-item", "Iron");
  await selectByLabel(a, "adj-location", /Shared Hangar$/);
  await a.getByLabel("Change (+ adds, − removes)").fill("12");
  await a.getByRole("button", { name: "Save" }).click();
  await expect(a.getByRole("table", { name: "Stock" })).toContainText("12 SCU");

  const memberTable = b.getByRole("table", { name: "Stock" });
  await expect(memberTable).toContainText("Iron");
  await expect(memberTable).toContainText("12 SCU");

  // A move by the owner splits the row in the member's view too.
  await a.getByRole("button", { name: "Move Iron" }).click();
  await selectByLabel(a, "tr-to", /Back Room$/);
  await a.getByLabel("Quantity").fill("5");
  await a.getByRole("button", { name: "Move", exact: true }).click();
  await expect(memberTable.getByRole("row").filter({ hasText: "Back Room" })).toContainText("5 SCU");
  await expect(memberTable.getByRole("row").filter({ hasText: /Shared Hangar$/ })).toContainText("7 SCU");

  // Roles: the owner makes the member a viewer; the viewer's inventory has no button that
  // would answer 403.
  await nav(a, "Members");
  await a.getByLabel(`Role of ${memberName}`).selectOption("viewer");
  await expect(a.locator(".bp6-toast").filter({ hasText: `${memberName} is now viewer` })).toBeVisible();
  await b.reload();
  await expect(memberTable).toContainText("Iron");
  await expect(b.getByRole("button", { name: "Adjust stock" })).toHaveCount(0);
  await expect(b.getByRole("button", { name: /^Move / })).toHaveCount(0);
  await expect(b.getByRole("button", { name: "Where is…" })).toBeVisible();

  // The last owner cannot leave; the viewer can, and the org is gone from their list.
  await a.getByRole("button", { name: "Leave organisation" }).click();
  await a.getByRole("button", { name: "Leave", exact: true }).click();
  await expect(a.locator(".bp6-toast").filter({ hasText: /owner/i })).toBeVisible();
  await expect(a).toHaveURL(/\/members$/);
  await b.goto(`/orgs/${orgId}/members`);
  await expect(b.getByLabel(`Role of ${memberName}`)).toHaveCount(0);
  await expect(b.getByRole("button", { name: /^Remove / })).toHaveCount(0);
  await b.getByRole("button", { name: "Leave organisation" }).click();
  await expectAccessible(b);
  await b.getByRole("button", { name: "Leave", exact: true }).click();
  await expect(b).toHaveURL(/\/orgs$/);
  await expect(b.getByRole("link", { name: "Live Org" })).toHaveCount(0);
  await a.reload();
  await expect(a.getByRole("table", { name: "Members" })).not.toContainText(memberName);

  await owner.close();
  await member.close();
});
