import { expect, test } from "@playwright/test";
import { expectAccessible, register, uniqueName } from "./helpers";

// The reset pages against the real server (embedded: no SMTP). The emailed link's path,
// /reset-password?token=…, is a page of the UI; a bad token is said so, not a crash.
test("forgot password → no email here; a bad reset link is refused", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto("/signin");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await page.getByLabel("Email", { exact: true }).fill("nobody@example.test");
  await page.getByRole("button", { name: "Send me a link" }).click();
  await expect(page.getByText("This server sends no email")).toBeVisible();
  await expectAccessible(page);

  await page.goto("/reset-password?token=qm_reset_not-a-real-token");
  await page.getByLabel("New password", { exact: true }).fill("a brand new passphrase 42");
  await page.getByRole("button", { name: "Set password" }).click();
  await expect(page.getByText("This link does not work")).toBeVisible();
  await expect(page.getByRole("link", { name: "Ask for a new link." })).toBeVisible();
  expect(errors).toEqual([]);
});

// A new account's address is unverified; asking for a link on a server without SMTP says so.
test("account email: not verified; no email from this server", async ({ page }) => {
  await register(page, uniqueName("qm"));
  await page.goto("/account");
  await expect(page.getByTestId("email-verified")).toHaveText("not verified");
  await page.getByRole("button", { name: "Send me a verification link" }).click();
  await expect(page.getByText("This server sends no email")).toBeVisible();
  await page.goto("/verify-email?token=qm_verify_not-a-real-token");
  await expect(page.getByText("This link does not work")).toBeVisible();
});
