import { expect, test } from "@playwright/test";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { createOrg, nav, register, uniqueName } from "./helpers";

// An admin creates an endpoint (the secret is shown once), sends a test event to a real local
// receiver and sees it delivered in the log.
test("webhook endpoint: create, secret once, test event delivered", async ({ page }) => {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { "content-type": "text/plain" }).end("thanks");
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const port = (server.address() as AddressInfo).port;
  try {
    await register(page, uniqueName("hooks"));
    await createOrg(page, uniqueName("Hook Org "));
    await nav(page, "Webhooks");
    await page.getByLabel("Name").fill("Discord bot");
    await page.getByLabel("URL").fill(`http://127.0.0.1:${port}/hook`);
    await page.getByRole("button", { name: "Create endpoint" }).click();
    const secret = page.getByRole("textbox", { name: "Signing secret" });
    await expect(secret).toHaveValue(/^whsec_/);
    await page.getByRole("button", { name: "I have stored it" }).click();
    const endpoints = page.getByRole("table", { name: "Webhook endpoints" });
    await expect(endpoints.getByText("Discord bot")).toBeVisible();
    await endpoints.getByRole("button", { name: "Send test" }).click();
    const log = page.getByRole("table", { name: "Deliveries of Discord bot" });
    await expect(log.getByText("delivered")).toBeVisible();
    expect(received).toHaveLength(1);
    expect(received[0]?.headers["webhook-signature"]).toMatch(/^v1,/);
    expect(JSON.parse(received[0]?.body ?? "{}")).toMatchObject({ type: "webhook.test" });
    await log.getByRole("button", { name: "Attempts" }).click();
    await expect(page.getByRole("table", { name: "Attempts" }).getByText("thanks")).toBeVisible();
  } finally {
    server.close();
  }
});
