import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { StockRow } from "./api";
import { ReserveDialog, SharingDialog, WhereIsDialog } from "./dialogs";

afterEach(() => vi.unstubAllGlobals());

const row: StockRow = {
  id: "s1", item_id: "i1", location_id: "l1", quantity: "10", quality: 600, organization_id: "o", owner_user_id: null,
  shared_with_org_id: null, reserved: "2", available: "8", version: 1, updated_at: "", item_name: "Rifle",
  location_path: "Stanton › Lorville › Hangar 3",
};
const rifle = { id: "i1", name: "Rifle", unit: "piece", volume_scu: null, category: "weapon", shared: true, aliases: [] };

function wrap(children: ReactNode) {
  return <QueryClientProvider client={new QueryClient()}>{children}</QueryClientProvider>;
}

function respond(status: number, body: unknown) {
  return vi.fn(async () => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/problem+json" } }));
}

function requestOf(fetchMock: ReturnType<typeof vi.fn>, n = 0): Request {
  return (fetchMock.mock.calls[n] as unknown as [Request])[0];
}

describe("ReserveDialog", () => {
  it("shows the row in its unit and puts a 422 on the quantity field, staying open", async () => {
    const fetchMock = respond(422, {
      type: "/problems/validation-error", title: "Invalid input", status: 422,
      errors: [{ message: "Input should be greater than 0", field: "quantity", loc: ["body", "quantity"] }],
    });
    vi.stubGlobal("fetch", fetchMock);
    const onClose = vi.fn();
    render(wrap(<ReserveDialog orgId="o" row={row} onClose={onClose} item={rifle} />));
    expect(screen.getByText(/Available: 8 pcs at Stanton › Lorville › Hangar 3/)).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Quantity"), "-1");
    await userEvent.click(screen.getByRole("button", { name: "Reserve" }));
    expect(await screen.findByText("Input should be greater than 0")).toBeInTheDocument();
    const request = requestOf(fetchMock);
    expect(new URL(request.url).pathname).toBe("/api/v1/orgs/o/stock/reservations");
    expect(await request.json()).toEqual({ stock_id: "s1", quantity: "-1", reason: null });
    expect(onClose).not.toHaveBeenCalled();
  });
});

describe("SharingDialog", () => {
  it("posts withdraw for the row and closes on success", async () => {
    const fetchMock = respond(200, { ...row, change: "0" });
    vi.stubGlobal("fetch", fetchMock);
    const onClose = vi.fn();
    render(wrap(<SharingDialog orgId="o" target={{ row, action: "withdraw" }} onClose={onClose} item={rifle} />));
    expect(screen.getByText(/Withdraw 10 pcs of Rifle/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Withdraw" }));
    await vi.waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(new URL(requestOf(fetchMock).url).pathname).toBe("/api/v1/orgs/o/stock/s1/withdraw");
  });
});

describe("WhereIsDialog", () => {
  it("lists the picked item's places with tier and quantities", async () => {
    const fetchMock = vi.fn(async () =>
      new Response(
        JSON.stringify({
          items: [
            { location_id: "l1", location_path: "Stanton › Lorville", quality: 600, tier: "org", quantity: "3", reserved: "1", available: "2", rows: 1 },
            { location_id: "l2", location_path: "Pyro › Ruin", quality: 400, tier: "member", quantity: "1", reserved: "0", available: "1", rows: 2 },
          ],
          total: 2, limit: 500, offset: 0, next_offset: null,
        }),
        { status: 200, headers: { "Content-Type": "application/json" } },
      ),
    );
    vi.stubGlobal("fetch", fetchMock);
    render(wrap(<WhereIsDialog orgId="o" open onClose={() => undefined} items={[rifle]} />));
    expect(screen.getByText("Pick an item to see every place that holds it.")).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Item"), "Rif");
    await userEvent.click(await screen.findByText("Rifle"));
    expect(await screen.findByText("Stanton › Lorville")).toBeInTheDocument();
    expect(screen.getByText("members (shared, 2 rows)")).toBeInTheDocument();
    expect(screen.getByText("3 pcs")).toBeInTheDocument();
    const url = new URL(requestOf(fetchMock).url);
    expect(url.pathname).toBe("/api/v1/orgs/o/stock/where");
    expect(url.searchParams.get("item_id")).toBe("i1");
  });
});
