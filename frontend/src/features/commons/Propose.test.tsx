import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { entityFormValues, itemProposal } from "./data";
import type { Submission } from "./api";
import { ProposeBlueprintButton, ProposeItemButton } from "./Propose";
import { SubmitBlueprintDialog } from "./SubmitDialogs";

afterEach(() => vi.unstubAllGlobals());

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
const page = (items: unknown[]) => ({ items, total: items.length, limit: 500, offset: 0, next_offset: null });

const bracket = {
  id: "i9", name: "Hull Bracket", unit: "piece", category: "component", volume_scu: "0.25",
  description: "Org-made bracket", aliases: [{ alias: "HB-1" }, { alias: "bracket" }],
};
const blueprint = {
  id: "b1", name: "Bracket press", kind: "craft", output_item_id: "i9", output_quantity: 2, minutes: 5, run_cost: 100,
  organization_id: "o", description: null, is_public: false,
  ingredients: [{ item_id: "i1", quantity: 3, min_quality: 300, position: 0 }],
};

/** A server that answers the lookups the dialogs make and records what is submitted. */
function serve(): { posted: unknown[]; put: { path: string; body: unknown }[] } {
  const posted: unknown[] = [];
  const put: { path: string; body: unknown }[] = [];
  vi.stubGlobal("fetch", vi.fn(async (request: Request) => {
    const path = new URL(request.url).pathname;
    if (request.method === "POST" && path === "/api/v1/commons/submissions") {
      posted.push(await request.json());
      return json({ id: "s1", duplicates: [] }, 201);
    }
    if (request.method === "PUT") {
      put.push({ path, body: await request.json() });
      return json({ id: "s7", duplicates: [] });
    }
    if (path === "/api/v1/orgs/o/blueprints") return json(page([blueprint]));
    if (path === "/api/v1/orgs/o/locations") return json(page([]));
    return json({ title: "Not found", status: 404 }, 404);
  }));
  return { posted, put };
}

const wrap = (ui: ReactNode) => render(<QueryClientProvider client={new QueryClient()}>{ui}</QueryClientProvider>);

describe("itemProposal", () => {
  it("fills the item form from the org's item, aliases by name", () => {
    expect(entityFormValues("item", itemProposal(bracket))).toEqual({
      name: "Hull Bracket", unit: "piece", category: "component", volume_scu: "0.25",
      description: "Org-made bracket", aliases: "HB-1, bracket",
    });
  });
});

describe("ProposeItemButton", () => {
  it("opens the submission form filled from the item and sends it for review with its source", async () => {
    const { posted } = serve();
    wrap(<ProposeItemButton orgId="o" item={bracket} />);
    await userEvent.click(screen.getByRole("button", { name: "Propose Hull Bracket to the commons" }));
    expect(screen.getByLabelText("Name")).toHaveValue("Hull Bracket");
    expect(screen.getByLabelText("Aliases (comma-separated)")).toHaveValue("HB-1, bracket");
    await userEvent.type(screen.getByLabelText("Source (URL, patch notes…)"), "https://example.test/bracket");
    await userEvent.click(screen.getByRole("button", { name: "Submit for review" }));
    await vi.waitFor(() => expect(posted).toHaveLength(1));
    expect(posted[0]).toEqual({
      kind: "item", anonymous: false, source_ref: "https://example.test/bracket",
      data: {
        name: "Hull Bracket", unit: "piece", category: "component", volume_scu: 0.25,
        description: "Org-made bracket", aliases: ["HB-1", "bracket"],
      },
    });
  });
});

describe("ProposeBlueprintButton", () => {
  it("starts on the blueprint it was opened from and submits it for the org", async () => {
    const { posted } = serve();
    wrap(<ProposeBlueprintButton orgId="o" blueprintId="b1" />);
    await userEvent.click(screen.getByRole("button", { name: "Propose to the commons" }));
    await vi.waitFor(() => expect(screen.getByLabelText("Org blueprint")).toHaveValue("b1"));
    await userEvent.click(screen.getByRole("button", { name: "Submit for review" }));
    await vi.waitFor(() => expect(posted).toHaveLength(1));
    expect(posted[0]).toMatchObject({ kind: "blueprint", organization_id: "o", data: { name: "Bracket press", output_item_id: "i9" } });
  });
});

describe("SubmitBlueprintDialog, changes requested", () => {
  it("resubmits the org blueprint of the same name as it is now, with the source kept", async () => {
    const { put, posted } = serve();
    const asked = {
      id: "s7", kind: "blueprint", status: "changes_requested", source_ref: "https://example.test/press",
      data: { name: "Bracket press", output_item_id: "i9", output_quantity: 1, ingredients: [] },
    } as unknown as Submission;
    wrap(<SubmitBlueprintDialog orgId="o" open editing={asked} onClose={() => undefined} />);
    await vi.waitFor(() => expect(screen.getByLabelText("Org blueprint")).toHaveValue("b1"));
    expect(screen.getByLabelText("Source (URL, patch notes…)")).toHaveValue("https://example.test/press");
    await userEvent.click(screen.getByRole("button", { name: "Resubmit" }));
    await vi.waitFor(() => expect(put).toHaveLength(1));
    expect(put[0]?.path).toBe("/api/v1/commons/submissions/s7");
    expect(put[0]?.body).toEqual({
      source_ref: "https://example.test/press",
      data: {
        name: "Bracket press", kind: "craft", output_item_id: "i9", output_quantity: 2, minutes: 5, run_cost: 100,
        ingredients: [{ item_id: "i1", quantity: 3, min_quality: 300 }],
      },
    });
    expect(posted).toEqual([]);
  });
});
