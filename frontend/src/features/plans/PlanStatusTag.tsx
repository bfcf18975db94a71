import { Intent, Spinner, Tag } from "@blueprintjs/core";

const INTENT: Record<string, Intent> = { queued: Intent.NONE, solving: Intent.PRIMARY, done: Intent.SUCCESS, failed: Intent.DANGER };

export function PlanStatusTag({ status }: { status: string }) {
  const busy = status === "queued" || status === "solving";
  return (
    <Tag intent={INTENT[status] ?? Intent.NONE} icon={busy ? <Spinner size={12} /> : undefined} data-testid="plan-status" aria-live="polite">
      {status}
    </Tag>
  );
}
