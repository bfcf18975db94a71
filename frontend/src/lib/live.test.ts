import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import { applyCommonsEvent, applyLiveEvent } from "./live";
import { orgKey } from "./queryKeys";

describe("live events", () => {
  it("writes a plan's new status into its cached record", () => {
    const client = new QueryClient();
    client.setQueryData(orgKey("o1", "plans", "detail", "p1"), { id: "p1", status: "queued" });
    applyLiveEvent(client, "o1", { type: "plan.status", plan_id: "p1", status: "solving" });
    expect(client.getQueryData(orgKey("o1", "plans", "detail", "p1"))).toEqual({ id: "p1", status: "solving" });
  });

  it("invalidates the stock of that org only", () => {
    const client = new QueryClient();
    client.setQueryData(orgKey("o1", "stock", "all"), []);
    client.setQueryData(orgKey("o1", "plans", "list"), []);
    client.setQueryData(orgKey("o2", "stock", "all"), []);
    applyLiveEvent(client, "o1", { type: "stock.changed", stock_id: "s" });
    expect(client.getQueryState(orgKey("o1", "stock", "all"))?.isInvalidated).toBe(true);
    expect(client.getQueryState(orgKey("o1", "plans", "list"))?.isInvalidated).toBe(false);
    expect(client.getQueryState(orgKey("o2", "stock", "all"))?.isInvalidated).toBe(false);
  });

  it("re-reads the commons lists on a commons event, nothing on others", () => {
    const client = new QueryClient();
    client.setQueryData(["commons", "submissions", "queue", "pending"], { items: [] });
    applyCommonsEvent(client, { type: "stock.changed" });
    expect(client.getQueryState(["commons", "submissions", "queue", "pending"])?.isInvalidated).toBe(false);
    applyCommonsEvent(client, { type: "commons.submission", action: "submit" });
    expect(client.getQueryState(["commons", "submissions", "queue", "pending"])?.isInvalidated).toBe(true);
  });
});
