import { onlineManager } from "@tanstack/react-query";
import { act, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { reportNetworkFailure, reportNetworkSuccess } from "@/lib/network";
import { NetworkBanner } from "./NetworkBanner";

afterEach(() => {
  vi.useRealTimers();
  reportNetworkSuccess();
});

describe("network banner", () => {
  it("appears when a request cannot reach the server and goes when one gets through", () => {
    render(<NetworkBanner />);
    expect(screen.queryByText("Connection lost")).not.toBeInTheDocument();
    act(() => reportNetworkFailure(() => new Promise<Response>(() => undefined)));
    expect(screen.getByRole("status")).toHaveTextContent("Connection lost");
    expect(onlineManager.isOnline()).toBe(false);
    act(() => reportNetworkSuccess());
    expect(screen.queryByText("Connection lost")).not.toBeInTheDocument();
  });
});

describe("reconnection", () => {
  it("probes the server while offline and comes back online by itself", async () => {
    vi.useFakeTimers();
    let up = false;
    const probe = vi.fn(async () => {
      if (!up) throw new TypeError("Failed to fetch");
      return new Response("{}");
    });
    reportNetworkFailure(probe as unknown as typeof fetch);
    await vi.advanceTimersByTimeAsync(3000);
    expect(probe).toHaveBeenCalledTimes(1);
    expect(onlineManager.isOnline()).toBe(false);
    up = true;
    await vi.advanceTimersByTimeAsync(3000);
    expect(onlineManager.isOnline()).toBe(true);
    await vi.advanceTimersByTimeAsync(9000);
    expect(probe).toHaveBeenCalledTimes(2);
  });
});
