import { useVirtualizer } from "@tanstack/react-virtual";
import { useRef, type ReactNode } from "react";
import { formatQuality, formatQuantity } from "@/lib/format";
import type { Item, Location } from "@/lib/lookups";
import { locationLabel } from "@/lib/lookups";
import type { StockRow } from "./api";

const ROW_HEIGHT = 34;
const COLUMNS = "2fr 0.7fr 1fr 1fr 1fr 1.1fr 3fr 130px";

/** Stock rows, virtualised: only the rows in view are in the DOM, so 10,000+ rows scroll smoothly. */
export function StockTable(props: {
  rows: StockRow[];
  items: Map<string, Item>;
  locations: Map<string, Location>;
  ownerName: (row: StockRow) => string;
  /** The row's buttons (move, reserve, share…); none for a viewer. */
  actions?: ((row: StockRow, item: Item | undefined) => ReactNode) | undefined;
}) {
  const parent = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: props.rows.length,
    getScrollElement: () => parent.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  return (
    <div className="qm-vtable" role="table" aria-label="Stock" aria-rowcount={props.rows.length + 1}>
      <div role="rowgroup">
        <div className="qm-vrow qm-vhead" role="row" style={{ gridTemplateColumns: COLUMNS }}>
          {["Item", "Quality", "Quantity", "Reserved", "Available", "Owner", "Location", "Actions"].map((h) => (
            <div role="columnheader" key={h}>{h}</div>
          ))}
        </div>
      </div>
      {/* Focusable so keyboard users can scroll it (axe: scrollable-region-focusable). */}
      <div ref={parent} className="qm-vbody" data-testid="stock-scroll" role="rowgroup" tabIndex={0}>
        <div role="presentation" style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((v) => {
            const row = props.rows[v.index] as StockRow;
            const item = props.items.get(row.item_id);
            return (
              <div
                key={row.id}
                role="row"
                aria-rowindex={v.index + 2}
                className="qm-vrow"
                style={{ gridTemplateColumns: COLUMNS, transform: `translateY(${v.start}px)`, height: ROW_HEIGHT }}
              >
                {/* One line (fixed row height): "Hephaestanite (Ore)" wrapped onto the next row. */}
                <div role="cell" className="qm-ellipsis" title={row.item_name ?? item?.name ?? undefined}>
                  {row.item_name ?? item?.name ?? row.item_id.slice(0, 8)}
                </div>
                <div role="cell">{formatQuality(row.quality)}</div>
                <div role="cell" className="qm-num">{formatQuantity(row.quantity, item?.unit)}</div>
                <div role="cell" className="qm-num">{formatQuantity(row.reserved, item?.unit)}</div>
                <div role="cell" className="qm-num">{formatQuantity(row.available, item?.unit)}</div>
                <div role="cell" className="qm-ellipsis" title={row.organization_id ? "org" : props.ownerName(row)}>
                  {/* One line like every other cell (rows have a fixed height in the virtual
                      list: a wrapped "Name (shared)" overlapped the next row).
                      Tag's classes without <Tag>: it measures its text on mount (a forced
                      layout per row), which made scrolling 10,000 rows stutter. */}
                  <span className={row.organization_id ? "bp6-tag bp6-minimal" : "bp6-tag bp6-minimal bp6-intent-primary"}>
                    {row.organization_id ? "org" : props.ownerName(row)}
                  </span>
                </div>
                <div role="cell" className="qm-ellipsis" title={row.location_path ?? locationLabel(props.locations, row.location_id)}>
                  {row.location_path ?? locationLabel(props.locations, row.location_id)}
                </div>
                <div role="cell" className="qm-row-actions">{props.actions?.(row, item)}</div>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
