import { describe, expect, it } from "vitest";
import { dayRange } from "./api";

describe("history day range", () => {
  it("is open on both sides when no day is chosen", () => {
    expect(dayRange("", "")).toEqual({});
  });

  it("runs from the start of the first day to the midnight after the last, in local time", () => {
    const r = dayRange("2026-03-01", "2026-03-02");
    expect(r.since).toBe(new Date(2026, 2, 1).toISOString());
    expect(r.until).toBe(new Date(2026, 2, 3).toISOString());
    expect(r.error).toBeUndefined();
  });

  it("takes a single day as that whole day", () => {
    const r = dayRange("2026-03-01", "2026-03-01");
    expect(r.until).toBe(new Date(2026, 2, 2).toISOString());
  });

  it("refuses an end before the start and filters nothing", () => {
    expect(dayRange("2026-03-05", "2026-03-01")).toEqual({ error: "The end day is before the start day" });
  });
});
