import { Callout, Intent } from "@blueprintjs/core";
import { onlineManager } from "@tanstack/react-query";
import { useSyncExternalStore } from "react";

/** Shown while the API cannot be reached; queries resume on their own when it comes back. */
export function NetworkBanner() {
  const online = useSyncExternalStore(
    (cb) => onlineManager.subscribe(cb),
    () => onlineManager.isOnline(),
  );
  if (online) return null;
  return (
    <Callout intent={Intent.WARNING} icon="offline" role="status" title="Connection lost">
      The server cannot be reached. Your changes are paused and will be retried when the connection returns.
    </Callout>
  );
}
