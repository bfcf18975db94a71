import { describe, expect, it } from "vitest";
import { ApiError, fieldErrorsOf, toProblem } from "./problem";

describe("problem documents", () => {
  it("maps 422 errors to body fields, dropping the 'body' prefix and keeping the first message", () => {
    const problem = {
      type: "/problems/validation-error",
      title: "Invalid input",
      status: 422,
      errors: [
        { message: "too short", field: "password", loc: ["body", "password"] },
        { message: "second", field: "password", loc: ["body", "password"] },
        { message: "must be > 0", field: "targets.0.quantity", loc: ["body", "targets", 0, "quantity"] },
        { message: "unknown goal", field: "goal_ids.1", record: "goal/abc" },
        { message: "no location at all" },
      ],
    };
    expect(fieldErrorsOf(problem)).toEqual({
      password: "too short",
      "targets.0.quantity": "must be > 0",
      "goal_ids.1": "unknown goal (goal/abc)",
    });
  });

  it("turns any thrown value into a problem", () => {
    const api = new ApiError(409, { type: "/problems/conflict", title: "Conflict", status: 409, detail: "stock changed" });
    expect(toProblem(api).detail).toBe("stock changed");
    expect(api.message).toBe("stock changed");
    expect(toProblem(new TypeError("Failed to fetch"))).toMatchObject({ status: 0, detail: "Failed to fetch" });
  });
});
