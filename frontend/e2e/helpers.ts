import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

export const PASSWORD = "correct horse battery 42";
const shots = resolve(import.meta.dirname, "..", "..", "docs", "ui");

/** A user name unique to this run (the e2e database is fresh, but journeys share it). */
export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
}

export async function register(page: Page, username: string): Promise<void> {
  await page.goto("/register");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Email").fill(`${username}@example.org`);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/orgs$/);
}

export async function signIn(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.goto("/signin");
  await page.getByLabel("Username or email").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Create an org from the org list and land on its overview; returns the org id. */
export async function createOrg(page: Page, name: string): Promise<string> {
  await page.goto("/orgs");
  await page.getByLabel("Organisation name").fill(name);
  await page.getByRole("button", { name: "Create organisation" }).click();
  await expect(page.getByRole("heading", { name: "Getting started" })).toBeVisible();
  const match = /\/orgs\/([0-9a-f-]{36})/.exec(page.url());
  if (!match?.[1]) throw new Error(`no org id in ${page.url()}`);
  return match[1];
}

/** Choose an item in a search-as-you-type item picker. */
export async function pickItem(page: Page, inputId: string, name: string): Promise<void> {
  const input = page.locator(`#${inputId}`);
  await input.click();
  await input.fill(name);
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  // The option's accessible name is the item name followed by its unit ("Gold (Ore)SCU").
  await page.getByRole("option", { name: new RegExp(`^${escaped} ?(SCU|piece)?$`) }).first().click();
}

export async function selectByLabel(page: Page, id: string, label: string | RegExp): Promise<void> {
  const select = page.locator(`#${id}`);
  if (typeof label === "string") {
    await select.selectOption({ label });
    return;
  }
  // A dialog's options come from a query that may still be loading when it opens.
  let options: string[] = [];
  await expect
    .poll(async () => {
      options = await select.locator("option").allTextContents();
      return options.some((o) => label.test(o));
    }, { message: `an option matching ${label} in #${id}` })
    .toBe(true);
  const found = options.find((o) => label.test(o)) ?? "";
  await select.selectOption({ label: found });
}

/** No serious or critical accessibility violation on the page as it is now. */
export async function expectAccessible(page: Page): Promise<void> {
  // A toast half-way through its fade has, for that instant, low contrast: axe checks toasts
  // at rest only.
  // Likewise a dialog still fading in: wait until its opening transition has finished.
  await expect(page.locator("[class*=-overlay-enter-active], [class*=-overlay-appear-active]")).toHaveCount(0);
  const results = await new AxeBuilder({ page }).exclude(".bp6-toast-enter").exclude(".bp6-toast-exit").analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join("; ")}`),
  ).toEqual([]);
}

/** Screenshot for docs/ui/ (the user guide shows them). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
}

/** Go to a section through the sidebar. */
export async function nav(page: Page, section: string): Promise<void> {
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: section, exact: true }).click();
}
