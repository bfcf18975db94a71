import { describe, expect, it } from "vitest";
import { isImportJob, isRunning, jobProgress, type ImportJob, type ImportReport } from "./api";

function job(over: Partial<ImportJob>): ImportJob {
  return {
    id: "j1", kind: "stock", format: "csv", apply: true, status: "running", phase: "validate", rows_total: 100_000,
    rows_done: 0, error: null, report: null, created_at: "2026-12-03T00:00:00Z", started_at: null, finished_at: null, ...over,
  };
}

const report: ImportReport = {
  kind: "stock", format: "csv", applied: false, valid: true, rows: 1, created: 1, updated: 0, unchanged: 0, errors: [], changes: [],
};

describe("background imports", () => {
  it("tells a job answer (202) from an inline report", () => {
    expect(isImportJob(job({ status: "queued" }))).toBe(true);
    expect(isImportJob(report)).toBe(false);
  });

  it("counts validation as the first half of the bar and writing as the second", () => {
    expect(jobProgress(job({ status: "queued", phase: null }))).toBe(0);
    expect(jobProgress(job({ rows_done: 50_000 }))).toBe(0.25);
    expect(jobProgress(job({ phase: "apply", rows_total: 4_000, rows_done: 2_000 }))).toBe(0.75);
    expect(jobProgress(job({ phase: "apply", rows_total: 0 }))).toBe(0.5);
    expect(jobProgress(job({ status: "done" }))).toBe(1);
  });

  it("polls only while the worker has the job", () => {
    expect([job({ status: "queued" }), job({}), job({ status: "done" }), job({ status: "failed" })].map(isRunning)).toEqual([
      true, true, false, false,
    ]);
  });
});
