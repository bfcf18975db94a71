import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import { ApiError } from "@/lib/api/problem";
import type { components } from "@/lib/api/schema";
import { readTokens, tokensFromPair, writeTokens } from "@/lib/auth/session";
import { meKey } from "@/lib/queryKeys";
import { saveBlob } from "@/lib/download";

export type RegisterIn = components["schemas"]["RegisterIn"];

export async function signIn(username: string, password: string): Promise<void> {
  const body = new URLSearchParams({ username, password, grant_type: "password" });
  const response = await fetch("/api/v1/auth/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body,
  });
  const json: unknown = await response.json();
  if (!response.ok) throw new ApiError(response.status, json as ApiError["problem"]);
  writeTokens(tokensFromPair(json as { access_token: string; refresh_token: string; expires_in: number }));
}

export async function signOut(): Promise<void> {
  const tokens = readTokens();
  writeTokens(null);
  if (tokens) {
    // Best effort: the local session is gone either way.
    await fetch("/api/v1/auth/logout", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: tokens.refreshToken }),
    }).catch(() => undefined);
  }
}

export function useMe(enabled = true) {
  return useQuery({ queryKey: meKey, queryFn: () => unwrap(api.GET("/api/v1/users/me")), enabled });
}

export function useRegister() {
  return useMutation({
    mutationFn: async (body: RegisterIn) => {
      await unwrap(api.POST("/api/v1/auth/register", { body }));
      await signIn(body.username, body.password);
    },
  });
}

export function useSignIn() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ username, password }: { username: string; password: string }) => signIn(username, password),
    onSuccess: () => client.clear(),
  });
}

export function usePasswordChange() {
  return useMutation({
    mutationFn: (body: components["schemas"]["PasswordChangeIn"]) =>
      unwrap(api.POST("/api/v1/users/me/password", { body })),
  });
}

const tokensKey = ["me", "tokens"];

export function useTokens() {
  return useQuery({ queryKey: tokensKey, queryFn: () => unwrap(api.GET("/api/v1/users/me/tokens")) });
}

export function useScopes() {
  return useQuery({ queryKey: ["scopes"], queryFn: () => unwrap(api.GET("/api/v1/auth/scopes")), staleTime: Infinity });
}

export function useCreateToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: components["schemas"]["PatCreateIn"]) => unwrap(api.POST("/api/v1/users/me/tokens", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: tokensKey }),
  });
}

export function useRevokeToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/api/v1/users/me/tokens/{token_id}", { params: { path: { token_id: id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: tokensKey }),
  });
}

export function useDeleteAccount() {
  return useMutation({
    mutationFn: async (password: string) => {
      await unwrap(api.DELETE("/api/v1/users/me", { body: { password } }));
      writeTokens(null);
    },
  });
}

/** Download everything held about me as one JSON file (account, personal records, analytics). */
export function useExportMyData() {
  return useMutation({
    mutationFn: async () => {
      const data = await unwrap(api.GET("/api/v1/users/me/export"));
      const day = data.exported_at.slice(0, 10);
      // The account's columns are open-ended in the schema (GDPR: everything held about me).
      const username = typeof data.account.username === "string" ? data.account.username : "me";
      saveBlob(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }), `quartermaster-${username}-${day}.json`);
    },
  });
}

export type Consent = components["schemas"]["ConsentOut"];
const consentKey = ["analytics-consent"] as const;

/** The caller's analytics consent and its history. */
export function useConsent() {
  return useQuery({ queryKey: consentKey, queryFn: () => unwrap(api.GET("/api/v1/users/me/analytics/consent")) });
}

/** Grant or revoke; the switch moves at once and rolls back if the server refuses. */
export function useSetConsent() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (granted: boolean) => unwrap(api.PUT("/api/v1/users/me/analytics/consent", { body: { granted } })),
    onMutate: async (granted: boolean) => {
      await client.cancelQueries({ queryKey: consentKey });
      const before = client.getQueryData<Consent>(consentKey);
      if (before) client.setQueryData<Consent>(consentKey, { ...before, granted });
      return { before };
    },
    onError: (_error, _granted, context) => {
      if (context?.before) client.setQueryData(consentKey, context.before);
    },
    onSuccess: (consent) => client.setQueryData(consentKey, consent),
  });
}

/** Ask for a reset link: the answer is the same whether or not the address has an account. */
export function useRequestReset() {
  return useMutation({
    mutationFn: (email: string) => unwrap(api.POST("/api/v1/auth/password-reset/request", { body: { email } })),
  });
}

/** Set a new password with the emailed link's token (it works once). */
export function useResetPassword() {
  return useMutation({
    mutationFn: (body: { token: string; new_password: string }) => unwrap(api.POST("/api/v1/auth/password-reset", { body })),
  });
}

/** Email a link that verifies the account's current address. */
export function useSendVerification() {
  return useMutation({ mutationFn: () => unwrap(api.POST("/api/v1/users/me/email-verification")) });
}

/** Use a verification link's token (no sign-in needed); the account re-reads afterwards. */
export function useVerifyEmail() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (token: string) => unwrap(api.POST("/api/v1/auth/verify-email", { body: { token } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: meKey }),
  });
}
