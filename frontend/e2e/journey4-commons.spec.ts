import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { createOrg, expectAccessible, nav, pickItem, register, uniqueName } from "./helpers";

const repo = resolve(import.meta.dirname, "..", "..");

/** Grant a platform role the way an administrator does: the CLI, on the server's database. */
function grant(username: string, role: string): void {
  execFileSync(join(repo, ".venv", "bin", "quartermaster"), ["commons", "grant", username, role], {
    cwd: repo,
    env: { ...process.env, QM_DATABASE_URL: `sqlite:///${join(process.env.QM_E2E_DIR ?? "", "e2e.db")}` },
  });
}

// Journey 4: an org blueprint made with the form, proposed to the commons from the catalogue,
// approved by a moderator, then public; on the way, bad input lands on the field and saves nothing.
test("blueprint form → submit to the commons → moderator approves → public", async ({ page, browser }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const suffix = uniqueName("");
  const bpName = `Pod press ${suffix}`;

  await register(page, uniqueName("crafter"));
  await createOrg(page, uniqueName("Commons Org "));

  // The blueprint form: a quantity that is not a number is refused on its field.
  await nav(page, "Catalogue");
  await page.getByRole("button", { name: "New blueprint" }).click();
  const form = page.getByRole("form", { name: "New blueprint" });
  await page.getByLabel("Name", { exact: true }).fill(bpName);
  await pickItem(page, "bp-output", "MISC Ore Pod");
  await page.getByLabel("Output per run").fill("abc");
  await page.getByLabel("Minutes per run").fill("2");
  await pickItem(page, "bp-ing0-item", "Gold (Ore)");
  await page.getByLabel("Quantity per run").fill("5");
  await page.getByRole("button", { name: "Save blueprint" }).click();
  await expect(form.locator(".bp6-form-group.bp6-intent-danger")).toContainText(/number/i);
  await expectAccessible(page);
  await page.getByLabel("Output per run").fill("1");
  await page.getByRole("button", { name: "Save blueprint" }).click();
  await expect(form).toHaveCount(0);
  await expect(page.locator("#bp-choose option:checked")).toHaveText(`${bpName} (craft)`);

  // Propose it to the commons from the catalogue, where it was made: the form starts on it.
  await page.getByRole("button", { name: "Propose to the commons" }).click();
  await expect(page.locator("#sub-bp option:checked")).toHaveText(bpName);
  await page.getByLabel("Source (URL, patch notes…)").fill("x");
  await page.getByRole("button", { name: "Submit for review" }).click();
  await expect(page.locator(".bp6-form-group.bp6-intent-danger")).toContainText(/at least 3/i);
  await page.getByLabel("Source (URL, patch notes…)").fill("https://example.org/pod-press");
  await page.getByRole("button", { name: "Submit for review" }).click();
  await expect(page.getByRole("form", { name: "Submit a blueprint" })).toHaveCount(0);

  // Pending, visible to nobody else yet.
  await nav(page, "Commons");
  await expect(page.getByRole("heading", { name: "Moderation queue" })).toHaveCount(0);
  const mine = page.getByRole("table", { name: "My submissions" });
  await expect(mine).toContainText(bpName);
  await expect(mine).toContainText("pending");
  await page.getByLabel("Search names, aliases and tags").fill(suffix);
  await expect(page.getByRole("table", { name: "Public entities" })).toHaveCount(0);
  await expectAccessible(page);

  // A moderator (granted on the server) approves it from the queue.
  const modContext = await browser.newContext();
  const mod = await modContext.newPage();
  const moderator = uniqueName("mod");
  await register(mod, moderator);
  grant(moderator, "moderator");
  await createOrg(mod, uniqueName("Mod Org "));
  await nav(mod, "Commons");
  const review = mod.locator(`[aria-label='Submission ${bpName}']`);
  await expect(review).toContainText("https://example.org/pod-press");
  await expect(review.getByRole("table")).toContainText("output_item_id");
  await expectAccessible(mod);
  await review.getByLabel("Notes to the submitter").fill("Checked in game.");
  await review.getByRole("button", { name: "Approve" }).click();
  await expect(review).toHaveCount(0);
  // Public now, for every org: the moderator's org finds it in the public catalogue.
  await mod.getByLabel("Search names, aliases and tags").fill(suffix);
  await expect(mod.getByRole("table", { name: "Public entities" })).toContainText(bpName);
  await mod.getByRole("button", { name: `Versions of ${bpName}` }).click();
  await expect(mod.getByRole("table", { name: "Versions" })).toContainText("v1");
  await expectAccessible(mod);
  await modContext.close();

  // The submitter sees the decision and the public entry.
  await page.reload();
  await expect(page.getByRole("table", { name: "My submissions" })).toContainText("approved");
  await page.getByLabel("Search names, aliases and tags").fill(suffix);
  await expect(page.getByRole("table", { name: "Public entities" })).toContainText(bpName);

  // Member reliability: out of range is refused on the field, a valid figure is saved.
  await nav(page, "Members");
  const rel = page.getByRole("textbox", { name: /^Stock reliability of/ });
  await rel.fill("2");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("form", { name: /^Stock reliability of/ }).locator(".bp6-intent-danger").first()).toBeVisible();
  await rel.fill("0.8");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("button", { name: "Save" })).toBeDisabled();
  await expectAccessible(page);

  // History: a window ending before it starts is refused on the "To" field.
  await nav(page, "History");
  await page.getByLabel("From", { exact: true }).fill("2026-03-05");
  await page.getByLabel("To", { exact: true }).fill("2026-03-01");
  await expect(page.getByText("The end day is before the start day")).toBeVisible();
  await expectAccessible(page);
  expect(errors).toEqual([]);
});

// The commons live: an item submitted by one user appears in a moderator's open queue without
// a reload; the submitter's list shows the decision the same way; a takedown removes it.
test("item submission reaches the open moderation queue live → approve → take down", async ({ page, browser }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const suffix = uniqueName("");
  const itemName = `Riccite shard ${suffix}`;

  const modContext = await browser.newContext();
  const mod = await modContext.newPage();
  const moderator = uniqueName("mod");
  await register(mod, moderator);
  grant(moderator, "moderator");
  await createOrg(mod, uniqueName("Mod Org "));
  await nav(mod, "Commons");
  await expect(mod.getByRole("heading", { name: "Moderation queue" })).toBeVisible();

  await register(page, uniqueName("miner"));
  await createOrg(page, uniqueName("Miners "));
  await nav(page, "Commons");
  await page.getByRole("button", { name: "Submit an item, location or tag" }).click();
  const form = page.getByRole("form", { name: "Submit to the commons" });
  await form.getByLabel("Name").fill(itemName);
  await form.getByLabel("Aliases (comma-separated)").fill(`Riccite ${suffix}`);
  await form.getByLabel("Source (URL, patch notes…)").fill("https://example.org/riccite");
  await expectAccessible(page);
  await form.getByRole("button", { name: "Submit for review" }).click();
  await expect(page.getByRole("table", { name: "My submissions" })).toContainText("pending");

  // Live: the moderator's queue shows it with no reload; the moderator asks for a change.
  const review = mod.locator(`[aria-label='Submission ${itemName}']`);
  await expect(review).toContainText("https://example.org/riccite");
  await review.getByLabel("Notes to the submitter").fill("Add the volume, please.");
  await review.getByRole("button", { name: "Request changes" }).click();
  await expect(review).toHaveCount(0);

  // The submitter sees it (no reload), edits and resubmits.
  const mine = page.getByRole("table", { name: "My submissions" });
  await expect(mine).toContainText("changes requested");
  await expect(mine).toContainText("Add the volume, please.");
  await page.getByRole("button", { name: `Edit and resubmit ${itemName}` }).click();
  const edit = page.getByRole("form", { name: `Edit ${itemName}` });
  await edit.getByLabel("Volume per unit (SCU)").fill("1");
  await edit.getByRole("button", { name: "Resubmit" }).click();
  await expect(mine).toContainText("pending");

  // Back in the open queue, with the change; approved.
  await expect(review.getByRole("table")).toContainText("volume_scu");
  await review.getByRole("button", { name: "Approve" }).click();
  await expect(review).toHaveCount(0);
  // ...and the submitter's list shows the decision with no reload.
  await expect(page.getByRole("table", { name: "My submissions" })).toContainText("approved");

  await mod.locator("#commons-kind").selectOption("item");
  await mod.getByLabel("Search names, aliases and tags").fill(suffix);
  await expect(mod.getByRole("table", { name: "Public entities" })).toContainText(itemName);
  await mod.getByRole("button", { name: `Take down ${itemName}` }).click();
  await mod.getByLabel("Reason").fill("Duplicate of an existing item");
  await expectAccessible(mod);
  await mod.getByRole("form", { name: `Take down ${itemName}` }).getByRole("button", { name: "Take down" }).click();
  await expect(mod.getByText("Nothing published matches")).toBeVisible();
  await modContext.close();
  expect(errors).toEqual([]);
});
