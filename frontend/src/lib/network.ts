import { onlineManager } from "@tanstack/react-query";

// The API is unreachable when fetch itself throws (not when it answers an error). TanStack
// Query pauses queries and mutations while offline and resumes them on reconnect; the banner
// reads the same flag. Paused queries send nothing, so while offline /health is probed to
// notice the server coming back.
const PROBE_MS = 3000;
let probe: ReturnType<typeof setInterval> | null = null;

function stopProbe(): void {
  if (probe) clearInterval(probe);
  probe = null;
}

export function reportNetworkFailure(fetchImpl: typeof fetch = fetch): void {
  onlineManager.setOnline(false);
  if (probe) return;
  probe = setInterval(() => {
    fetchImpl(`${globalThis.location?.origin ?? ""}/health`, { cache: "no-store" })
      .then(() => reportNetworkSuccess())
      .catch(() => undefined);
  }, PROBE_MS);
}

export function reportNetworkSuccess(): void {
  stopProbe();
  if (!onlineManager.isOnline()) onlineManager.setOnline(true);
}
