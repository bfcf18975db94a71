// Token storage shared by every tab. The refresh token rotates on each use and the API revokes
// the whole login when a used token comes back, so tabs must never refresh with the same token
// twice: refreshes run under a Web Lock and re-read storage first, adopting a fresh access
// token another tab already obtained.

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds after which the access token is stale. */
  accessExpiresAt: number;
}

interface TokenPairBody {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

const STORAGE_KEY = "qm.session";
const EARLY_REFRESH_MS = 30_000;

type Listener = (tokens: Tokens | null) => void;
const listeners = new Set<Listener>();

export function readTokens(): Tokens | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Tokens) : null;
  } catch {
    return null;
  }
}

export function writeTokens(tokens: Tokens | null): void {
  if (tokens) localStorage.setItem(STORAGE_KEY, JSON.stringify(tokens));
  else localStorage.removeItem(STORAGE_KEY);
  for (const listener of listeners) listener(tokens);
}

export function onTokensChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function tokensFromPair(body: TokenPairBody, now = Date.now()): Tokens {
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    accessExpiresAt: now + body.expires_in * 1000,
  };
}

export function isFresh(tokens: Tokens, now = Date.now()): boolean {
  return tokens.accessExpiresAt - EARLY_REFRESH_MS > now;
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  if (locks) return locks.request("qm-refresh", fn) as Promise<T>;
  return fn();
}

let inFlight: Promise<Tokens | null> | null = null;

/**
 * Rotate the refresh token once, whoever asks (single flight per tab, Web Lock across tabs).
 * `staleAccess` is the token the caller saw rejected: when storage already holds another
 * fresh one, that is adopted instead of refreshing again. Null means the login is over.
 */
export function refreshTokens(staleAccess?: string, fetchImpl: typeof fetch = fetch): Promise<Tokens | null> {
  inFlight ??= withLock(async () => {
    const current = readTokens();
    if (!current) return null;
    if (current.accessToken !== staleAccess && isFresh(current)) return current;
    const response = await fetchImpl("/api/v1/auth/refresh", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: current.refreshToken }),
    });
    if (!response.ok) {
      // Only a rejection ends the login; a server hiccup keeps the tokens for a retry.
      if (response.status === 401 || response.status === 403) writeTokens(null);
      return null;
    }
    const tokens = tokensFromPair((await response.json()) as TokenPairBody);
    writeTokens(tokens);
    return tokens;
  }).finally(() => {
    inFlight = null;
  });
  return inFlight;
}

/** A usable access token, refreshing first when the stored one is about to expire. */
export async function accessToken(): Promise<string | null> {
  const tokens = readTokens();
  if (!tokens) return null;
  if (isFresh(tokens)) return tokens.accessToken;
  return (await refreshTokens(tokens.accessToken))?.accessToken ?? null;
}
