import { H2 } from "@blueprintjs/core";
import type { ReactNode } from "react";

export function PageHeader(props: { title: string; actions?: ReactNode; children?: ReactNode }) {
  return (
    <header className="qm-page-header">
      <H2>{props.title}</H2>
      {props.children}
      <div className="qm-page-actions">{props.actions}</div>
    </header>
  );
}
