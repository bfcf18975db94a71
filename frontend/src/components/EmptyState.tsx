import { NonIdealState, type IconName } from "@blueprintjs/core";
import type { ReactNode } from "react";

/** An empty list that says what to do next. */
export function EmptyState(props: { icon: IconName; title: string; next: string; action?: ReactNode }) {
  return <NonIdealState icon={props.icon} title={props.title} description={props.next} action={props.action as never} />;
}
