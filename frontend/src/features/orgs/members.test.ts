import { describe, expect, it } from "vitest";
import { memberControls } from "./members";

describe("memberControls", () => {
  const owner = { user_id: "o", role: "owner" as const };
  const member = { user_id: "m", role: "member" as const };
  it("gives owners every role and removal, but never on themselves", () => {
    expect(memberControls(member, "owner", "me")).toEqual({ roles: ["owner", "admin", "member", "viewer"], remove: true });
    expect(memberControls(owner, "owner", "o")).toEqual({ roles: [], remove: false });
  });
  it("lets admins manage non-owners without granting owner", () => {
    expect(memberControls(member, "admin", "me")).toEqual({ roles: ["admin", "member", "viewer"], remove: true });
    expect(memberControls(owner, "admin", "me")).toEqual({ roles: [], remove: false });
  });
  it("gives members and viewers nothing that would answer 403", () => {
    expect(memberControls(member, "member", "me")).toEqual({ roles: [], remove: false });
    expect(memberControls(member, "viewer", "me")).toEqual({ roles: [], remove: false });
    expect(memberControls(member, undefined, "me")).toEqual({ roles: [], remove: false });
  });
});
