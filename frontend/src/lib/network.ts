import { onlineManager } from "@tanstack/react-query";

// The API is unreachable when fetch itself throws (not when it answers an error). TanStack
// Query pauses queries and mutations while offline and resumes them on reconnect; the banner
// reads the same flag.
export function reportNetworkFailure(): void {
  onlineManager.setOnline(false);
}

export function reportNetworkSuccess(): void {
  if (!onlineManager.isOnline()) onlineManager.setOnline(true);
}
