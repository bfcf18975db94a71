import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { useExportMyData } from "./api";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("useExportMyData", () => {
  it("reads /users/me/export and saves it as quartermaster-<user>-<day>.json", async () => {
    const body = { format: "quartermaster-account-export/1", exported_at: "2026-12-03T07:00:00Z", account: { username: "cmdr_vex" }, analytics: {} };
    const fetchMock = vi.fn(async () => new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } }));
    vi.stubGlobal("fetch", fetchMock);
    const created = vi.fn(() => "blob:x");
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: created, revokeObjectURL: vi.fn() }));
    const names: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      names.push(this.download);
    });
    const wrapper = ({ children }: { children: ReactNode }) => <QueryClientProvider client={new QueryClient()}>{children}</QueryClientProvider>;
    const { result } = renderHook(() => useExportMyData(), { wrapper });
    act(() => result.current.mutate());
    await waitFor(() => expect(result.current.isSuccess).toBe(true));
    expect(String((fetchMock.mock.calls[0] as unknown as [Request])[0].url)).toMatch(/\/api\/v1\/users\/me\/export$/);
    expect(names).toEqual(["quartermaster-cmdr_vex-2026-12-03.json"]);
    expect(created).toHaveBeenCalledTimes(1);
  });
});
