import { beforeEach, describe, expect, it, vi } from "vitest";
import { accessToken, readTokens, refreshTokens, tokensFromPair, writeTokens } from "./session";

function pair(n: number) {
  return { access_token: `access-${n}`, refresh_token: `refresh-${n}`, expires_in: 900 };
}

describe("token session", () => {
  beforeEach(() => localStorage.clear());

  it("rotates the refresh token once for concurrent callers", async () => {
    writeTokens({ accessToken: "old", refreshToken: "refresh-0", accessExpiresAt: 0 });
    const fetchImpl = vi.fn(async () => new Response(JSON.stringify(pair(1)), { status: 200 }));
    const [a, b] = await Promise.all([refreshTokens("old", fetchImpl), refreshTokens("old", fetchImpl)]);
    expect(fetchImpl).toHaveBeenCalledTimes(1);
    expect(a?.accessToken).toBe("access-1");
    expect(b?.accessToken).toBe("access-1");
    expect(readTokens()?.refreshToken).toBe("refresh-1");
  });

  it("adopts a fresh token another tab stored instead of replaying the used refresh token", async () => {
    writeTokens(tokensFromPair(pair(2)));
    const fetchImpl = vi.fn();
    const tokens = await refreshTokens("access-1", fetchImpl as unknown as typeof fetch);
    expect(fetchImpl).not.toHaveBeenCalled();
    expect(tokens?.accessToken).toBe("access-2");
  });

  it("ends the login when the refresh is rejected, keeps it on a server error", async () => {
    writeTokens({ accessToken: "old", refreshToken: "refresh-0", accessExpiresAt: 0 });
    await refreshTokens("old", vi.fn(async () => new Response("{}", { status: 503 })));
    expect(readTokens()).not.toBeNull();
    await refreshTokens("old", vi.fn(async () => new Response("{}", { status: 401 })));
    expect(readTokens()).toBeNull();
  });

  it("hands out the stored access token while it is fresh", async () => {
    writeTokens(tokensFromPair(pair(3)));
    expect(await accessToken()).toBe("access-3");
  });
});
