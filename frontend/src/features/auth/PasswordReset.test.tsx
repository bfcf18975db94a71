import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ForgotPasswordPage, ResetPasswordPage, SignInPage, VerifyEmailPage } from "./AuthPages";

afterEach(() => vi.unstubAllGlobals());

function renderAt(path: string) {
  render(
    <QueryClientProvider client={new QueryClient()}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path="/signin" element={<SignInPage />} />
          <Route path="/forgot-password" element={<ForgotPasswordPage />} />
          <Route path="/reset-password" element={<ResetPasswordPage />} />
          <Route path="/verify-email" element={<VerifyEmailPage />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

const json = (body: unknown, status: number) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json" } });

describe("password reset pages", () => {
  it("asks for a link and says to check the mail", async () => {
    const fetchMock = vi.fn(async () => json({ detail: "sent if it exists", email_enabled: true }, 202));
    vi.stubGlobal("fetch", fetchMock);
    renderAt("/forgot-password");
    await userEvent.type(screen.getByLabelText("Email"), "vex@example.org");
    await userEvent.click(screen.getByRole("button", { name: "Send me a link" }));
    expect(await screen.findByText("Check your email")).toBeInTheDocument();
    const request = (fetchMock.mock.calls[0] as unknown as [Request])[0];
    expect(new URL(request.url).pathname).toBe("/api/v1/auth/password-reset/request");
    expect(await request.json()).toEqual({ email: "vex@example.org" });
  });

  it("sends the link's token with the new password, then signs in anew", async () => {
    const fetchMock = vi.fn(async () => new Response(null, { status: 204 }));
    vi.stubGlobal("fetch", fetchMock);
    renderAt("/reset-password?token=qm_reset_abcdefghij");
    await userEvent.type(screen.getByLabelText("New password"), "a brand new passphrase");
    await userEvent.click(screen.getByRole("button", { name: "Set password" }));
    expect(await screen.findByText(/Your password was changed/)).toBeInTheDocument();
    const request = (fetchMock.mock.calls[0] as unknown as [Request])[0];
    expect(await request.json()).toEqual({ token: "qm_reset_abcdefghij", new_password: "a brand new passphrase" });
  });

  it("says when the link no longer works", async () => {
    const problem = {
      type: "/problems/validation-error", title: "Invalid input", status: 422, detail: "Invalid or expired reset link",
      errors: [{ message: "Invalid or expired reset link", field: "token" }],
    };
    vi.stubGlobal("fetch", vi.fn(async () => json(problem, 422)));
    renderAt("/reset-password?token=qm_reset_usedalready");
    await userEvent.type(screen.getByLabelText("New password"), "a brand new passphrase");
    await userEvent.click(screen.getByRole("button", { name: "Set password" }));
    expect(await screen.findByText("This link does not work")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Ask for a new link." })).toHaveAttribute("href", "/forgot-password");
  });
});

describe("email verification page", () => {
  it("uses the link's token once, on arrival", async () => {
    const fetchMock = vi.fn(async () => new Response(null, { status: 204 }));
    vi.stubGlobal("fetch", fetchMock);
    renderAt("/verify-email?token=qm_verify_abcdefghij");
    expect(await screen.findByText("Your address is verified")).toBeInTheDocument();
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const request = (fetchMock.mock.calls[0] as unknown as [Request])[0];
    expect(new URL(request.url).pathname).toBe("/api/v1/auth/verify-email");
    expect(await request.json()).toEqual({ token: "qm_verify_abcdefghij" });
  });

  it("says when the link is refused", async () => {
    const problem = { type: "/problems/validation-error", title: "Invalid input", status: 422, errors: [{ message: "invalid", field: "token" }] };
    vi.stubGlobal("fetch", vi.fn(async () => json(problem, 422)));
    renderAt("/verify-email?token=qm_verify_usedalready");
    expect(await screen.findByText("This link does not work")).toBeInTheDocument();
  });
});
