import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readTokens } from "@/lib/auth/session";
import { RegisterPage } from "./AuthPages";

afterEach(() => vi.unstubAllGlobals());

describe("register form", () => {
  it("puts the API's 422 message on the field it names and stays signed out", async () => {
    const problem = {
      type: "/problems/validation-error", title: "Invalid input", status: 422, detail: "Invalid value for: password",
      errors: [{ message: "String should have at least 10 characters", field: "password", loc: ["body", "password"] }],
    };
    const fetchMock = vi.fn(async () => new Response(JSON.stringify(problem), { status: 422, headers: { "Content-Type": "application/problem+json" } }));
    vi.stubGlobal("fetch", fetchMock);
    render(
      <QueryClientProvider client={new QueryClient()}>
        <MemoryRouter>
          <RegisterPage />
        </MemoryRouter>
      </QueryClientProvider>,
    );
    await userEvent.type(screen.getByLabelText("Username"), "cmdr_vex");
    await userEvent.type(screen.getByLabelText("Email"), "vex@example.org");
    await userEvent.type(screen.getByLabelText("Password"), "short");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByText("String should have at least 10 characters")).toBeInTheDocument();
    expect(screen.queryByText("At least 10 characters")).not.toBeInTheDocument();
    const request = (fetchMock.mock.calls[0] as unknown as [Request])[0];
    expect(new URL(request.url).pathname).toBe("/api/v1/auth/register");
    expect(readTokens()).toBeNull();
  });
});
