import { useSyncExternalStore } from "react";
import { onTokensChange, readTokens } from "./session";

function subscribe(callback: () => void): () => void {
  const off = onTokensChange(callback);
  // Another tab signing in or out changes localStorage; follow it.
  const onStorage = (event: StorageEvent) => {
    if (event.key === "qm.session") callback();
  };
  window.addEventListener("storage", onStorage);
  return () => {
    off();
    window.removeEventListener("storage", onStorage);
  };
}

/** True while this browser holds a login (a refresh token). */
export function useSignedIn(): boolean {
  return useSyncExternalStore(subscribe, () => readTokens() !== null);
}
