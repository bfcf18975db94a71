import createClient from "openapi-fetch";
import { accessToken, readTokens, refreshTokens } from "@/lib/auth/session";
import { reportNetworkFailure, reportNetworkSuccess } from "@/lib/network";
import { ApiError, isProblem, type ProblemDocument } from "./problem";
import type { paths } from "./schema";

const AUTH_PATHS = ["/api/v1/auth/token", "/api/v1/auth/refresh", "/api/v1/auth/register"];

/**
 * fetch with the bearer token; on a 401 the token is refreshed once (rotating refresh token)
 * and the request replayed, so an expired access token never reaches the user.
 */
export async function authFetch(input: Request): Promise<Response> {
  const isAuthCall = AUTH_PATHS.some((p) => new URL(input.url).pathname === p);
  const retry = input.clone();
  const token = isAuthCall ? null : await accessToken();
  if (token) input.headers.set("Authorization", `Bearer ${token}`);
  let response: Response;
  try {
    response = await fetch(input);
  } catch (error) {
    reportNetworkFailure();
    throw error;
  }
  reportNetworkSuccess();
  if (response.status !== 401 || isAuthCall || !readTokens()) return response;
  const tokens = await refreshTokens(token ?? undefined);
  if (!tokens) return response;
  retry.headers.set("Authorization", `Bearer ${tokens.accessToken}`);
  return fetch(retry);
}

// Absolute base: the same origin that served the UI (fetch outside a page needs a full URL).
export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? "", fetch: authFetch });

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Data of an openapi-fetch call, or an ApiError carrying the problem document. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) {
    const problem: ProblemDocument = isProblem(error)
      ? error
      : { type: "about:blank", title: response.statusText || "Request failed", status: response.status };
    throw new ApiError(response.status, problem);
  }
  return data as T;
}
