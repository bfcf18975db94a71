import { Classes } from "@blueprintjs/core";

/** Grey placeholder rows while a list loads (no blank screen, no spinner jump). */
export function SkeletonRows({ rows = 5 }: { rows?: number }) {
  return (
    <div aria-busy="true" aria-label="Loading">
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className={Classes.SKELETON} style={{ height: 22, margin: "8px 0" }} />
      ))}
    </div>
  );
}
