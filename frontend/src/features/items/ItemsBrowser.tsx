import { Card, H4, HTMLTable, InputGroup, Tag } from "@blueprintjs/core";
import { useState, type ReactNode } from "react";
import { SkeletonRows } from "@/components/Skeleton";
import { useItems, type Item } from "@/lib/lookups";

/** The catalogue the org sees (shared and private items), searchable by name, code or alias.
 * `rowAction` adds a control to an item's row (the app composes other features' actions in). */
export function ItemsBrowser({ orgId, rowAction }: { orgId: string; rowAction?: (item: Item) => ReactNode }) {
  const items = useItems(orgId);
  const [q, setQ] = useState("");
  const needle = q.trim().toLowerCase();
  const shown = items.items.filter(
    (i) => !needle || i.name.toLowerCase().includes(needle) || (i.code ?? "").includes(needle) || (i.aliases ?? []).some((a) => a.alias.toLowerCase().includes(needle)),
  );
  return (
    <Card>
      <H4>Items</H4>
      <InputGroup leftIcon="search" aria-label="Search items" placeholder="Search items…" value={q} onValueChange={setQ} />
      {items.isPending ? (
        <SkeletonRows />
      ) : (
        <div className="qm-scroll" tabIndex={0} role="region" aria-label="Items list">
          <HTMLTable compact striped className="qm-table" aria-label="Items">
            <thead>
              <tr><th>Name</th><th>Category</th><th>Unit</th><th>Aliases</th></tr>
            </thead>
            <tbody>
              {shown.map((i) => (
                <tr key={i.id}>
                  <td>{i.name} {!i.shared && <Tag minimal>private</Tag>} {rowAction?.(i)}</td>
                  <td>{i.category}{i.subcategory ? ` / ${i.subcategory}` : ""}</td>
                  <td>{i.unit}</td>
                  <td>{(i.aliases ?? []).map((a) => a.alias).join(", ")}</td>
                </tr>
              ))}
            </tbody>
          </HTMLTable>
        </div>
      )}
    </Card>
  );
}
