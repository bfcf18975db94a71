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

  it("writes an import job's progress into its cached record and re-reads it when it ends", () => {
    const client = new QueryClient();
    const key = orgKey("o1", "imports", "j1");
    client.setQueryData(key, { id: "j1", status: "queued", phase: null, rows_done: 0, rows_total: 9 });
    applyLiveEvent(client, "o1", { type: "import.progress", job_id: "j1", phase: "apply", rows_done: 4, rows_total: 8 });
    expect(client.getQueryData(key)).toEqual({ id: "j1", status: "running", phase: "apply", rows_done: 4, rows_total: 8 });
    expect(client.getQueryState(key)?.isInvalidated).toBe(false);
    applyLiveEvent(client, "o1", { type: "import.done", job_id: "j1" });
    expect(client.getQueryState(key)?.isInvalidated).toBe(true);
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
