import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readNumbers, type Source } from "./api";
import { ListingDialog } from "./ListingDialog";

afterEach(() => vi.unstubAllGlobals());

describe("readNumbers", () => {
  it("reads empty as null and reports text that is not a number", () => {
    expect(readNumbers({ a: "12.5", b: "", c: "lots" })).toEqual({ values: { a: 12.5, b: null, c: NaN }, errors: { c: "Enter a number" } });
  });
});

const listing: Source = {
  id: "s1", organization_id: "o", item_id: "i1", item_name: "Iron", location_id: "l1", price: 410, available: null, lot_size: 2,
  quality: 350, holder_name: "TDD", last_verified_at: null, verified_by: null, reliability: 0.5, votes: 0, created_at: "", updated_at: "",
};
const iron = { id: "i1", name: "Iron", unit: "scu", volume_scu: null, category: "metal", shared: true, aliases: [] };
const tdd = { id: "l1", name: "TDD", kind: "terminal", parent_id: null, owner: "universe" as const, path: "Stanton › Area 18 › TDD" };

function open(fetchMock: ReturnType<typeof vi.fn>, onClose = vi.fn()) {
  vi.stubGlobal("fetch", fetchMock);
  render(
    <QueryClientProvider client={new QueryClient()}>
      <ListingDialog orgId="o" open listing={listing} onClose={onClose} items={[iron]} locations={[tdd]} />
    </QueryClientProvider>,
  );
  return onClose;
}

describe("ListingDialog", () => {
  it("edits a listing with PUT, empty fields as null", async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify(listing), { status: 200, headers: { "Content-Type": "application/json" } }));
    const onClose = open(fetchMock);
    await userEvent.clear(screen.getByLabelText("Price per unit (aUEC)"));
    await userEvent.type(screen.getByLabelText("Price per unit (aUEC)"), "450");
    await userEvent.clear(screen.getByLabelText("Lot size (empty: any amount)"));
    await userEvent.click(screen.getByRole("button", { name: "Save listing" }));
    await vi.waitFor(() => expect(onClose).toHaveBeenCalled());
    const request = (fetchMock.mock.calls[0] as unknown as [Request])[0];
    expect(request.method).toBe("PUT");
    expect(new URL(request.url).pathname).toBe("/api/v1/orgs/o/sources/s1");
    expect(await request.json()).toEqual({
      item_id: "i1", location_id: "l1", price: 450, available: null, lot_size: null, quality: 350, holder_name: "TDD",
    });
  });

  it("refuses a price that is not a number on its field without calling the API", async () => {
    const fetchMock = vi.fn();
    const onClose = open(fetchMock);
    await userEvent.clear(screen.getByLabelText("Price per unit (aUEC)"));
    await userEvent.type(screen.getByLabelText("Price per unit (aUEC)"), "cheap");
    await userEvent.click(screen.getByRole("button", { name: "Save listing" }));
    expect(await screen.findByText("Enter a number")).toBeInTheDocument();
    expect(fetchMock).not.toHaveBeenCalled();
    expect(onClose).not.toHaveBeenCalled();
  });
});
