import { describe, expect, it } from "vitest";
import { toggleEvent } from "./api";

describe("toggleEvent", () => {
  it("adds and removes an event, keeping the canonical order", () => {
    expect(toggleEvent(["goal.completed"], "plan.done")).toEqual(["plan.done", "goal.completed"]);
    expect(toggleEvent(["plan.done", "goal.completed"], "plan.done")).toEqual(["goal.completed"]);
  });
});
