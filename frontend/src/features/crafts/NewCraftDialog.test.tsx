import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { NewCraftDialog } from "./NewCraftDialog";

afterEach(() => vi.unstubAllGlobals());

describe("NewCraftDialog", () => {
  it("offers craft blueprints only, sends the form and puts a 422 on the runs field", async () => {
    const problem = {
      type: "/problems/validation-error", title: "Invalid input", status: 422,
      errors: [{ message: "Input should be a valid integer", field: "runs", loc: ["body", "runs"] }],
    };
    const fetchMock = vi.fn(async () => new Response(JSON.stringify(problem), { status: 422, headers: { "Content-Type": "application/problem+json" } }));
    vi.stubGlobal("fetch", fetchMock);
    const onClose = vi.fn();
    render(
      <QueryClientProvider client={new QueryClient()}>
        <NewCraftDialog
          orgId="o"
          open
          onClose={onClose}
          blueprints={[
            { id: "b1", name: "P4-AR Rifle", kind: "craft", minutes: 2.5 },
            { id: "b2", name: "Refine Gold", kind: "refine", minutes: 30 },
          ]}
          locations={[{ id: "l1", name: "Hangar", kind: "hangar", parent_id: null, owner: "org", path: "Stanton › Hangar" }]}
          members={[{ user_id: "u1", username: "vex", display_name: "Cmdr Vex" }]}
        />
      </QueryClientProvider>,
    );
    expect(screen.queryByRole("option", { name: /Refine Gold/ })).not.toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText("Blueprint"), "b1");
    await userEvent.selectOptions(screen.getByLabelText("Where"), "l1");
    await userEvent.selectOptions(screen.getByLabelText("Crafter"), "u1");
    await userEvent.clear(screen.getByLabelText("Runs"));
    await userEvent.type(screen.getByLabelText("Runs"), "2.5");
    await userEvent.click(screen.getByRole("button", { name: "Plan craft" }));
    expect(await screen.findByText("Input should be a valid integer")).toBeInTheDocument();
    const request = (fetchMock.mock.calls[0] as unknown as [Request])[0];
    expect(new URL(request.url).pathname).toBe("/api/v1/orgs/o/crafts");
    expect(await request.json()).toEqual({ blueprint_id: "b1", runs: 2.5, location_id: "l1", crafter_id: "u1" });
    expect(onClose).not.toHaveBeenCalled();
  });
});
