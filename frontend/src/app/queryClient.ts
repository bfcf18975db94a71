import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { ApiError } from "@/lib/api/problem";
import { toastError } from "@/lib/toast";

function retry(failureCount: number, error: unknown): boolean {
  // A problem document is an answer, not a glitch: only network failures and 5xx are retried.
  if (error instanceof ApiError && error.status < 500) return false;
  return failureCount < 3;
}

/** The app's one QueryClient: background query failures become toasts, never blank screens. */
export function makeQueryClient(): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        if (query.state.data !== undefined) toastError(error);
      },
    }),
    // Mutations handle their own errors (form fields or a toast) in the component.
    mutationCache: new MutationCache(),
    defaultOptions: {
      queries: { retry, staleTime: 15_000, refetchOnWindowFocus: false },
      mutations: { retry: false },
    },
  });
}
