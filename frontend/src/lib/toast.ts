import { Intent, type Toaster } from "@blueprintjs/core";
import { toProblem } from "@/lib/api/problem";

// The app shell renders one <OverlayToaster> and registers it here.
let toaster: Toaster | null = null;

export function registerToaster(instance: Toaster | null): void {
  toaster = instance;
}

export function toastSuccess(message: string): void {
  toaster?.show({ message, intent: Intent.SUCCESS, icon: "tick", timeout: 3000 });
}

/** A toast with the problem's title and detail (errors not tied to a form field). */
export function toastError(error: unknown): void {
  const problem = toProblem(error);
  const message = problem.detail && problem.detail !== problem.title ? `${problem.title}: ${problem.detail}` : problem.title;
  toaster?.show({ message, intent: Intent.DANGER, icon: "error", timeout: 6000 });
}
