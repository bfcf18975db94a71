import { describe, expect, it } from "vitest";
import type { Notification } from "./api";
import { badge, KIND_LABELS, notificationLink } from "./data";

function note(kind: Notification["kind"], data: Record<string, unknown>, org: string | null = "o1"): Notification {
  return { id: "n", kind, title: "t", organization_id: org, data, read_at: null, created_at: "2026-12-03T10:00:00Z" };
}

describe("notifications", () => {
  it("links each notification to the record it is about", () => {
    expect(notificationLink(note("plan.done", { plan_id: "p1" }))).toBe("/orgs/o1/plans/p1");
    expect(notificationLink(note("craft.done", { craft_id: "c1" }))).toBe("/orgs/o1/crafts");
    expect(notificationLink(note("stock.low", { item_id: "i1" }))).toBe("/orgs/o1/inventory");
    expect(notificationLink(note("commons.decision", { submission_id: "s" }, null))).toBeNull();
  });

  it("badges the unread count, capped", () => {
    expect([badge(0), badge(7), badge(150)]).toEqual([null, "7", "99+"]);
  });

  it("describes every kind the API knows", () => {
    expect(Object.keys(KIND_LABELS)).toContain("stock.low");
  });
});
